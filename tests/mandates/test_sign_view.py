import time
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.storage import storages
from django.urls import reverse
from django.utils import timezone

from mandates import services
from mandates.models import BillingMandate
from tests.clients import last_code_sent_to
from tests.mandates.factories import BillingMandateFactory
from tests.mandates.helpers import NEW_PASSWORD, USER_AGENT, sign_data, sign_path, signing_link
from tests.onboarding.factories import DEFAULT_PASSWORD, PendingSupplierFactory, SupplierFactory, UserFactory
from tests.structures.factories import MainManagerFactory

pytestmark = pytest.mark.django_db

CONSENT = (
    "Je confirme avoir pris connaissance du mandat ainsi que des conditions générales d&#x27;utilisations du portail"
)
MSG_CONSENT_REQUIRED = (
    "Cochez la case pour confirmer avoir pris connaissance du mandat et des conditions générales "
    "d'utilisation avant de signer."
)


@pytest.fixture
def mandate(structure, manager):
    return BillingMandateFactory(structure=structure, signatory=manager)


def status_of(mandate):
    mandate.refresh_from_db()
    return mandate.status


def test_it_shows_the_mandate_to_its_signatory(client, manager, mandate, django_assert_num_queries):
    client.force_login(manager)
    client.get(reverse("onboarding:home"))  # the session's first request writes it; not this page's cost
    with django_assert_num_queries(3):  # session, user, the mandate with its structure and signatory
        response = client.get(sign_path(mandate))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "<h1>Valider un mandat</h1>",
        mandate.document_html,  # byte for byte: what the SHA-256 covers
        f'href="{reverse("onboarding:terms")}"',
        "Consulter les conditions générales d'utilisation du portail",
        CONSENT,
        'type="checkbox" name="consent"',
        f'name="document_sha256" value="{mandate.compute_document_sha256()}"',
        'value="annuler" class="button button--secondary">Annuler</button>',
        'value="signer" class="button">Signer le mandat</button>',
        f'href="{reverse("mandates:pdf", args=[mandate.pk])}" class="button button--secondary">Exporter au format '
        "PDF</a>",
    ):
        assert text in html, text
    assert response["Cache-Control"].startswith("max-age=0")
    assert status_of(mandate) == "genere"


def test_it_signs_with_the_box_ticked(client, manager, mandate, django_capture_on_commit_callbacks):
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            sign_path(mandate), sign_data(mandate), REMOTE_ADDR="198.51.100.23", HTTP_USER_AGENT=USER_AGENT, follow=True
        )
    assert response.redirect_chain == [(reverse("mandates:detail", args=[mandate.pk]), 302)]
    html = response.content.decode()
    assert (
        "Le mandat de facturation est signé. Vous pouvez déposer vos factures ; "
        "le mandat signé vous est envoyé par courriel, au format PDF."
    ) in html
    assert f'href="{reverse("invoices:deposit")}"' in html
    mandate.refresh_from_db()
    assert (mandate.status, mandate.signed_by, mandate.signed_ip, mandate.signed_user_agent) == (
        "signe",
        manager,
        "198.51.100.23",
        USER_AGENT,
    )
    assert mandate.document_sha256 == mandate.compute_document_sha256()
    assert [message.subject for message in mail.outbox] == ["Mandat de facturation signé — Menuiserie Martin"]


def test_it_refuses_to_sign_without_the_box_ticked(client, manager, mandate):
    client.force_login(manager)
    response = client.post(sign_path(mandate), sign_data(mandate, consent=None))
    assert response.status_code == 200
    assert response.context["form"].errors["consent"] == [MSG_CONSENT_REQUIRED]
    assert MSG_CONSENT_REQUIRED.replace("'", "&#x27;") in response.content.decode()
    assert status_of(mandate) == "genere"
    assert mail.outbox == []


def test_it_refuses_to_sign_a_text_the_page_did_not_show(client, manager, mandate):
    client.force_login(manager)
    response = client.post(sign_path(mandate), sign_data(mandate, document_sha256="0" * 64))
    assert response.context["form"].non_field_errors() == [
        "Le mandat affiché ne correspond plus au mandat enregistré : rechargez la page et relisez-le avant de signer."
    ]
    assert status_of(mandate) == "genere"


def test_it_signs_once_when_the_button_is_clicked_twice(client, manager, mandate, django_capture_on_commit_callbacks):
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(sign_path(mandate), sign_data(mandate))
        signed_at = BillingMandate.objects.get().signed_at
        second = client.post(sign_path(mandate), sign_data(mandate))
    assert first.status_code == 302
    assert second.status_code == 410
    assert "Ce mandat est déjà signé" in second.content.decode()
    assert BillingMandate.objects.get().signed_at == signed_at
    assert len(storages["private"].listdir("mandats")[1]) == 1
    assert len(mail.outbox) == 1


def test_it_cancels_with_annuler(client, manager, mandate):
    client.force_login(manager)
    response = client.post(sign_path(mandate), {"action": "annuler"}, follow=True)
    assert response.redirect_chain == [(reverse("mandates:detail", args=[mandate.pk]), 302)]
    html = response.content.decode()
    assert "Le mandat est annulé. Vous pouvez en générer un nouveau depuis votre accueil connecté." in html
    assert status_of(mandate) == "annule"
    response = client.get(sign_path(mandate))
    assert response.status_code == 410
    assert "Ce mandat a été annulé" in response.content.decode()


def old_path(mandate, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(time, "time", lambda: timezone.now().timestamp() - 8 * 86400)
        return sign_path(mandate)


@pytest.mark.parametrize(
    "case, status, title",
    [
        ("tampered", 400, "Ce lien de signature n'est pas valide"),
        ("truncated", 400, "Ce lien de signature n'est pas valide"),
        ("old link", 410, "Ce lien de signature a expiré"),
        ("overdue", 410, "Ce lien de signature a expiré"),
        ("signed", 410, "Ce mandat est déjà signé"),
        ("cancelled", 410, "Ce mandat a été annulé"),
        ("expired", 410, "Ce lien de signature a expiré"),
    ],
)
def test_it_says_why_a_link_cannot_be_used_and_changes_nothing(
    client, manager, structure, monkeypatch, case, status, title
):
    traits = {
        "signed": {"signed": True},
        "cancelled": {"cancelled": True},
        "expired": {"status": "expire", "expired_at": timezone.now()},
        "overdue": {"generated_at": timezone.now() - timedelta(days=8)},
    }.get(case, {})
    mandate = BillingMandateFactory(structure=structure, signatory=manager, **traits)
    path = sign_path(mandate)
    path = {
        "tampered": path.replace(path.split("/")[-2], path.split("/")[-2][:-3] + "xyz"),
        "truncated": path.rsplit(":", 1)[0] + "/",
        "old link": old_path(mandate, monkeypatch),
    }.get(case, path)
    before = BillingMandate.objects.values().get()
    client.force_login(manager)
    for response in (client.get(path), client.post(path, sign_data(mandate)), client.post(path, {"action": "annuler"})):
        assert response.status_code == status
        assert title in response.content.decode()
    assert BillingMandate.objects.values().get() == before
    assert mail.outbox == []


def test_it_refuses_a_link_opened_while_logged_in_as_someone_else(client, mandate):
    client.force_login(SupplierFactory())
    for response in (client.get(sign_path(mandate)), client.post(sign_path(mandate), sign_data(mandate))):
        assert response.status_code == 403
        html = response.content.decode()
        assert "Ce mandat est à signer par une autre personne" in html
        assert "Déconnectez-vous, puis ouvrez de nouveau le lien du courriel." in html
    assert status_of(mandate) == "genere"


def test_it_asks_an_active_signatory_to_log_in_first(client, manager, mandate):
    path = sign_path(mandate)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('twofactor:login')}?next={path.replace(':', '%3A')}"
    response = client.post(path, sign_data(mandate))
    assert response.status_code == 302
    assert status_of(mandate) == "genere"
    response = client.post(
        response["Location"], {"username": "claire@menuiserie-martin.fr", "password": DEFAULT_PASSWORD}
    )
    assert response["Location"] == reverse("twofactor:login_code")
    response = client.post(response["Location"], {"code": last_code_sent_to("claire@menuiserie-martin.fr")})
    assert response["Location"] == path
    assert "Valider un mandat" in client.get(path).content.decode()


@pytest.fixture
def pending():
    """A mandate generated by the wizard for an account that has no password yet."""
    membership = MainManagerFactory(user=PendingSupplierFactory(email="nouveau@atelier.fr"))
    return BillingMandateFactory(structure=membership.structure, signatory=membership.user)


def password_path(mandate):
    """Stage A's page where the mandate's link sends an account without a password yet."""
    return reverse("onboarding:mandate_password", args=[sign_path(mandate).rstrip("/").rsplit("/", 1)[1]])


def test_it_asks_a_new_account_for_its_password_first(client, pending, django_assert_num_queries):
    with django_assert_num_queries(1):  # the mandate with its structure and signatory
        response = client.get(sign_path(pending))
    assert response["Location"] == password_path(pending)
    with django_assert_num_queries(1):
        response = client.get(password_path(pending))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Choisissez d'abord le mot de passe du compte <strong>nouveau@atelier.fr</strong>." in html
    assert 'name="new_password1"' in html
    assert pending.document_html not in html  # the mandate comes after
    pending.signatory.refresh_from_db()
    assert not pending.signatory.is_active


def test_it_refuses_a_weak_password(client, pending):
    response = client.post(password_path(pending), {"new_password1": "azertyuiop", "new_password2": "azertyuiop"})
    assert response.status_code == 200
    assert (
        "Ce mot de passe est trop court. Il doit contenir au minimum 12 caractères."
        in (response.context["form"].errors["new_password2"])
    )
    pending.signatory.refresh_from_db()
    assert not pending.signatory.is_active


def test_it_activates_the_account_then_shows_the_mandate(client, pending, django_capture_on_commit_callbacks):
    path = sign_path(pending)
    # A POST meant for signing, on an account without password, goes to the password page first.
    assert client.post(path, sign_data(pending))["Location"] == password_path(pending)
    assert status_of(pending) == "genere"

    response = client.post(password_path(pending), {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == path
    user = pending.signatory
    user.refresh_from_db()
    assert user.is_active and user.check_password(NEW_PASSWORD) and user.activated_at

    html = client.get(path).content.decode()
    assert pending.document_html in html
    with django_capture_on_commit_callbacks(execute=True):
        client.post(path, sign_data(pending))
    assert status_of(pending) == "signe"


def test_it_refuses_a_new_account_link_opened_by_someone_else(client, pending):
    client.force_login(SupplierFactory())
    response = client.post(password_path(pending), {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response["Location"] == sign_path(pending)  # which says why
    response = client.post(sign_path(pending), {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 403
    pending.signatory.refresh_from_db()
    assert not pending.signatory.is_active


def test_it_refuses_an_account_switched_off_by_staff(client, structure):
    disabled = UserFactory(is_active=False)  # has a password: switched off, not new
    mandate = BillingMandateFactory(structure=structure, signatory=disabled, main_manager=False)
    response = client.post(sign_path(mandate), {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 403
    assert "Ce compte est désactivé" in response.content.decode()
    disabled.refresh_from_db()
    assert not disabled.is_active and not disabled.check_password(NEW_PASSWORD)


def test_it_answers_only_get_and_post(client, manager, mandate):
    client.force_login(manager)
    assert client.put(sign_path(mandate)).status_code == 405
    assert client.delete(sign_path(mandate)).status_code == 405
    assert status_of(mandate) == "genere"


def test_it_follows_the_link_of_the_email(client, manager, structure, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mandate = services.generate_mandate(structure, manager)
    path = signing_link(mail.outbox[0]).removeprefix("https://fournisseurs.grenoble.test")
    client.force_login(manager)
    assert client.get(path).status_code == 200
    assert status_of(mandate) == "genere"
