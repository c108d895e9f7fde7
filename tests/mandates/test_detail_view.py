from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tests.mandates.factories import BillingMandateFactory
from tests.onboarding.factories import SupplierFactory
from tests.structures.factories import MembershipFactory

pytestmark = pytest.mark.django_db

MSG_RESEND_LIMIT = (
    "Le courriel a déjà été renvoyé 3 fois en une heure : réessayez plus tard. "
    "Pensez à regarder dans vos courriers indésirables."
)


@pytest.fixture
def mandate(structure, manager):
    return BillingMandateFactory(structure=structure, signatory=manager)


def detail_url(mandate):
    return reverse("mandates:detail", args=[mandate.pk])


def resend_url(mandate):
    return reverse("mandates:resend", args=[mandate.pk])


def test_it_says_where_the_email_went(client, manager, mandate):
    client.force_login(manager)
    html = client.get(detail_url(mandate)).content.decode()
    assert "Un courriel a été envoyé pour signer le mandat" in html
    assert "<strong>claire@menuiserie-martin.fr</strong>" in html
    assert "En attente de signature" in html
    assert reverse("mandates:pdf", args=[mandate.pk]) in html
    assert ">Renvoyer le courriel</button>" in html


def test_it_shows_the_mandate_to_every_member_but_resending_to_the_manager_only(client, structure, mandate):
    member = MembershipFactory(structure=structure).user
    client.force_login(member)
    html = client.get(detail_url(mandate)).content.decode()
    assert "claire@menuiserie-martin.fr" in html
    assert "Renvoyer le courriel" not in html
    assert client.post(resend_url(mandate)).status_code == 403
    assert mail.outbox == []


def test_it_hides_the_mandate_from_others(client, mandate):
    client.force_login(SupplierFactory())
    assert client.get(detail_url(mandate)).status_code == 404
    assert client.post(resend_url(mandate)).status_code == 404


def test_it_resends_the_email_three_times_an_hour_then_says_so(
    client, manager, mandate, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        for _attempt in range(3):
            response = client.post(resend_url(mandate), follow=True)
            assert "Le courriel a été renvoyé à claire@menuiserie-martin.fr." in response.content.decode()
        response = client.post(resend_url(mandate))
    assert response.status_code == 429
    assert MSG_RESEND_LIMIT in response.content.decode()
    assert len(mail.outbox) == 3
    assert client.get(resend_url(mandate)).status_code == 405  # only POST acts


def test_it_resends_nothing_for_a_mandate_that_cannot_be_signed(client, manager, structure):
    mandate = BillingMandateFactory(
        structure=structure, signatory=manager, generated_at=timezone.now() - timedelta(days=8)
    )
    client.force_login(manager)
    response = client.post(resend_url(mandate), follow=True)
    html = response.content.decode()
    assert "Ce mandat ne peut plus être signé : le courriel n&#x27;a pas été renvoyé." in html
    assert "Ce mandat n'a pas été signé à temps : il a expiré." in html
    assert mail.outbox == []


@pytest.mark.parametrize("traits", [{"cancelled": True}, {"generated_at": timezone.now() - timedelta(days=8)}])
def test_it_offers_a_new_mandate_after_a_cancelled_or_expired_one(client, manager, structure, traits):
    mandate = BillingMandateFactory(structure=structure, signatory=manager, **traits)
    client.force_login(manager)
    html = client.get(detail_url(mandate)).content.decode()
    assert f"{reverse('mandates:subscribe')}?structure={structure.pk}" in html
    assert "Renvoyer le courriel" not in html
