import hashlib

import pytest
from django.core.files.storage import storages
from django.urls import reverse

from mandates import services
from tests.mandates.factories import BillingMandateFactory
from tests.mandates.helpers import pdf_text
from tests.onboarding.factories import SupplierFactory, UserFactory
from tests.structures.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(structure, manager, django_capture_on_commit_callbacks):
    mandate = BillingMandateFactory(structure=structure, signatory=manager)
    with django_capture_on_commit_callbacks(execute=True):
        return services.sign_mandate(mandate, user=manager, ip="203.0.113.7", user_agent="Firefox/140.0")


def pdf_url(mandate):
    return reverse("mandates:pdf", args=[mandate.pk])


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_it_serves_the_stored_pdf_unchanged(client, manager, signed):
    client.force_login(manager)
    response = client.get(pdf_url(signed))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="mandat-de-facturation-{signed.reference}.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    data = body(response)
    assert data == storages["private"].open(signed.signed_pdf.name).read()
    assert hashlib.sha256(data).hexdigest() == signed.signed_pdf_sha256


def test_it_renders_a_mandate_not_signed_yet_marked_so(client, manager, structure):
    mandate = BillingMandateFactory(structure=structure, signatory=manager)
    client.force_login(manager)
    response = client.get(pdf_url(mandate))
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="mandat-de-facturation-{mandate.reference}-non-signe.pdf"'
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Statut Généré — non signé" in pdf_text(body(response))


def test_it_serves_every_member_and_finance_staff(client, structure, signed, finance):
    for user in (MembershipFactory(structure=structure).user, finance):
        client.force_login(user)
        assert client.get(pdf_url(signed)).status_code == 200


@pytest.mark.parametrize("who", ["stranger", "staff without permission", "member elsewhere"])
def test_it_hides_the_pdf_from_anyone_else(client, signed, who):
    user = {
        "stranger": SupplierFactory,
        "staff without permission": lambda: UserFactory(is_staff=True),
        "member elsewhere": lambda: MembershipFactory().user,
    }[who]()
    client.force_login(user)
    assert client.get(pdf_url(signed)).status_code == 404


def test_it_sends_anonymous_visitors_to_the_login_page(client, signed):
    response = client.get(pdf_url(signed))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("twofactor:login"))


def test_it_says_not_found_when_the_stored_file_is_gone(client, manager, signed, caplog):
    storages["private"].delete(signed.signed_pdf.name)
    client.force_login(manager)
    assert client.get(pdf_url(signed)).status_code == 404
    assert "A private file is missing from storage" in caplog.text


def test_it_says_not_found_for_an_unknown_mandate(client, manager):
    client.force_login(manager)
    assert client.get("/mandats/99999/pdf/").status_code == 404
