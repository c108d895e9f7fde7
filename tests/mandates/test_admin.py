import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from mandates.models import BillingMandate
from tests.mandates.factories import BillingMandateFactory
from tests.onboarding.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.ignore_template_errors]  # Django's admin templates

CHANGELIST = reverse("admin:mandates_billingmandate_changelist")


def change_url(mandate):
    return reverse("admin:mandates_billingmandate_change", args=[mandate.pk])


def delete_url(mandate):
    return reverse("admin:mandates_billingmandate_delete", args=[mandate.pk])


@pytest.fixture
def superuser():
    return UserFactory(is_staff=True, is_superuser=True, email="admin@grenoble.fr")


@pytest.fixture
def signed(structure, manager):
    return BillingMandateFactory(structure=structure, signatory=manager, signed=True)


def test_it_gives_the_finance_group_the_view_permission():
    permissions = Group.objects.get(name="Finance").permissions.values_list("content_type__app_label", "codename")
    assert ("mandates", "view_billingmandate") in set(permissions)
    assert ("mandates", "change_billingmandate") not in set(permissions)


def test_it_lists_mandates_with_a_status_filter_and_the_pdf_link(client, finance, signed):
    waiting = BillingMandateFactory()
    client.force_login(finance)
    html = client.get(CHANGELIST).content.decode()
    assert signed.reference in html and waiting.reference in html
    assert reverse("mandates:pdf", args=[signed.pk]) in html
    assert "?status__exact=signe" in html
    html = client.get(CHANGELIST, {"status__exact": "signe"}).content.decode()
    assert signed.reference in html and waiting.reference not in html


def test_it_shows_the_evidence_to_finance_staff_without_letting_them_change_it(client, finance, signed):
    client.force_login(finance)
    response = client.get(change_url(signed))
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Preuve de signature", "203.0.113.7", signed.document_sha256, "Article 1 — Objet"):
        assert text in html
    assert 'name="_save"' not in html
    assert client.post(change_url(signed), {"status": "annule"}).status_code == 403
    assert client.get(delete_url(signed)).status_code == 403
    signed.refresh_from_db()
    assert signed.status == "signe"


def test_it_lets_no_one_change_or_delete_a_signed_mandate(client, superuser, signed):
    client.force_login(superuser)
    html = client.get(change_url(signed)).content.decode()
    assert 'name="_save"' not in html
    assert client.post(change_url(signed), {"status": "annule"}).status_code == 403
    assert client.post(delete_url(signed), {"post": "yes"}).status_code == 403
    response = client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [signed.pk], "post": "yes"})
    assert response.status_code in (200, 302)
    assert BillingMandate.objects.filter(pk=signed.pk, status="signe").exists()
    assert client.get(reverse("admin:mandates_billingmandate_add")).status_code == 403


def test_it_cancels_mandates_not_signed_yet_through_the_service(client, superuser, signed):
    waiting = BillingMandateFactory()
    client.force_login(superuser)
    response = client.post(
        CHANGELIST, {"action": "cancel_selected", "_selected_action": [signed.pk, waiting.pk]}, follow=True
    )
    assert "1 mandat annulé." in response.content.decode()
    waiting.refresh_from_db()
    signed.refresh_from_db()
    assert (waiting.status, waiting.cancelled_by, signed.status) == ("annule", superuser, "signe")


def test_it_offers_finance_staff_no_cancel_action(client, finance, signed):
    client.force_login(finance)
    html = client.get(CHANGELIST).content.decode()
    assert "cancel_selected" not in html
