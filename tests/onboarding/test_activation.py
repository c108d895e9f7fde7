import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail, signing
from django.urls import reverse

from onboarding import services
from tests.onboarding.factories import DEFAULT_PASSWORD, PendingSupplierFactory, SupplierFactory
from tests.wizard import activation_link, register_with_new_structure, signing_link

pytestmark = pytest.mark.django_db

User = get_user_model()
NEW_PASSWORD = "Grenoble-Fournisseur-2026"


def activation_path(user):
    return reverse("onboarding:activate", args=[services.activation_token(user)])


def test_it_goes_from_the_empty_wizard_to_the_signed_mandate_and_the_deposit(
    client, django_capture_on_commit_callbacks
):
    from invoices.services import can_deposit
    from mandates.models import BillingMandate

    assert "Commencer mon inscription" in client.get(reverse("onboarding:landing")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        register_with_new_structure(client)
    # One e-mail: the mandate's signing link, which also activates the account.
    (message,) = mail.outbox
    link = signing_link(message)
    assert link.startswith("https://fournisseurs.grenoble.test/mandats/signer/")
    path = link.removeprefix("https://fournisseurs.grenoble.test")

    # A new account chooses its password first, on stage A's page; then back to the link.
    response = client.get(path)
    password_path = response["Location"]
    assert password_path.startswith("/activation/mandat/")
    response = client.get(password_path)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Activer votre compte" in html and "claire.martin@menuiserie-martin.fr" in html

    response = client.post(password_path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response["Location"] == path
    user = User.objects.get()
    assert user.is_active and user.check_password(NEW_PASSWORD) and user.activated_at

    html = client.get(path).content.decode()
    assert "Valider un mandat" in html and "Signer le mandat" in html
    home = client.get(reverse("onboarding:home")).content.decode()
    assert "+ Déposer une facture" not in home

    mandate = BillingMandate.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            path, {"consent": "on", "document_sha256": mandate.compute_document_sha256(), "action": "signer"}
        )
    assert response.status_code == 302
    mandate.refresh_from_db()
    assert mandate.status == "signe"
    assert can_deposit(user)

    html = client.get(reverse("onboarding:home")).content.decode()
    assert "Bonjour Claire Martin." in html
    for title in [
        "Création de votre compte",
        "Rattachement à une structure",
        "Coordonnées bancaires",
        "Souscription d&#x27;un mandat de facturation",
    ]:
        assert title in html
    assert html.count("Terminée") == 3  # account, structure, mandate
    assert "En attente de validation par la Ville" in html  # the bank details sent
    assert "Menuiserie Dauphinoise" in html and "Gestionnaire principal" in html
    assert "+ Déposer une facture" in html
    assert client.get(reverse("invoices:deposit")).status_code == 200


def test_it_refuses_a_password_the_validators_reject(client):
    user = PendingSupplierFactory()
    response = client.post(activation_path(user), {"new_password1": "azertyuiop", "new_password2": "azertyuiop"})
    assert response.status_code == 200
    errors = response.context["form"].errors["new_password2"]
    assert "Ce mot de passe est trop court. Il doit contenir au minimum 12 caractères." in errors
    assert "Ce mot de passe est trop courant." in errors
    # The summary at the top lists every error the field shows, not the first one only.
    summary = response.content.decode().split('id="error-summary"')[1].split("</div>")[0]
    assert summary.count("<li>") == len(errors) >= 2
    assert "trop court" in summary and "trop courant" in summary
    user.refresh_from_db()
    assert not user.is_active


def test_it_refuses_passwords_that_differ(client):
    user = PendingSupplierFactory()
    response = client.post(activation_path(user), {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"})
    assert response.context["form"].errors["new_password2"] == ["Les deux mots de passe ne correspondent pas."]
    user.refresh_from_db()
    assert not user.is_active


def test_it_says_a_tampered_link_is_invalid(client):
    user = PendingSupplierFactory()
    token = services.activation_token(user)
    response = client.get(reverse("onboarding:activate", args=[token[:-2] + "xx"]))
    assert response.status_code == 400
    assert "Ce lien d'activation n'est pas valide" in response.content.decode()
    response = client.post(
        reverse("onboarding:activate", args=[token[:-2] + "xx"]),
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 400
    user.refresh_from_db()
    assert not user.is_active


def test_it_refuses_a_link_signed_for_another_purpose(client):
    user = PendingSupplierFactory()
    token = signing.dumps(user.pk, salt="another.purpose")
    assert client.get(reverse("onboarding:activate", args=[token])).status_code == 400


def test_it_says_an_expired_link_has_expired_and_offers_a_new_one(client, settings):
    user = PendingSupplierFactory()
    path = activation_path(user)
    settings.ACTIVATION_LINK_MAX_AGE = -1
    response = client.get(path)
    assert response.status_code == 410
    html = response.content.decode()
    assert "Ce lien d'activation a expiré" in html
    assert "Recevoir un nouveau lien" in html
    response = client.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 410
    user.refresh_from_db()
    assert not user.is_active


def test_it_says_a_used_link_was_used(client):
    user = PendingSupplierFactory()
    path = activation_path(user)
    client.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    client.logout()
    response = client.post(path, {"new_password1": "Autre-mot-de-passe-99", "new_password2": "Autre-mot-de-passe-99"})
    assert response.status_code == 410
    assert "Ce compte est déjà activé" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_it_does_not_reactivate_an_account_that_staff_deactivated(client):
    user = SupplierFactory(is_active=False)  # it has a usable password: it was activated once
    response = client.get(activation_path(user))
    assert response.status_code == 410
    user.refresh_from_db()
    assert not user.is_active and user.check_password(DEFAULT_PASSWORD)


def test_it_says_an_active_account_is_already_active(client):
    user = SupplierFactory()
    response = client.get(activation_path(user))
    assert response.status_code == 410
    assert "Ce compte est déjà activé" in response.content.decode()


def test_it_says_a_link_for_a_deleted_account_is_invalid(client):
    user = PendingSupplierFactory()
    path = activation_path(user)
    user.delete()
    assert client.get(path).status_code == 400


def test_it_activates_only_once_when_the_service_is_called_twice():
    user = PendingSupplierFactory()
    services.activate_account(user, NEW_PASSWORD)
    with pytest.raises(services.ActivationLinkError) as error:
        services.activate_account(user, "Autre-mot-de-passe-99")
    assert error.value.reason == "used"


def test_it_resends_a_link_to_an_inactive_account(client, django_capture_on_commit_callbacks):
    user = PendingSupplierFactory(email="attente@exemple.fr")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("onboarding:resend_activation"), {"email": "Attente@Exemple.fr"})
    assert response.status_code == 200
    assert "un nouveau lien" in response.content.decode()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["attente@exemple.fr"]
    path = activation_link(mail.outbox[0]).removeprefix("https://fournisseurs.grenoble.test")
    assert client.get(path).status_code == 200
    assert user.pk


@pytest.mark.parametrize("email", ["inconnu@exemple.fr", "actif@exemple.fr"])
def test_it_answers_the_same_without_sending_when_there_is_nothing_to_activate(
    client, email, django_capture_on_commit_callbacks
):
    SupplierFactory(email="actif@exemple.fr")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("onboarding:resend_activation"), {"email": email})
    assert response.status_code == 200
    assert "Si un compte en attente d'activation existe" in response.content.decode()
    assert mail.outbox == []


def _answer(response):
    """What a visitor sees of a response: its status and its page, without the CSRF token."""
    return response.status_code, re.sub(
        r'value="[^"]*" name="csrfmiddlewaretoken"|name="csrfmiddlewaretoken" value="[^"]*"',
        "",
        response.content.decode(),
    )


def test_it_answers_the_same_page_whatever_the_account_and_its_mandate(client, django_capture_on_commit_callbacks):
    """« Renvoyer le courriel » never tells whether an address is registered, nor gives a 500:
    unknown, active, waiting with a mandate past its signing period (MandateLinkError), waiting
    with a mandate whose e-mail was already sent 3 times this hour (ResendLimitReached)."""
    from datetime import timedelta

    from django.utils import timezone

    from tests.mandates.factories import BillingMandateFactory

    SupplierFactory(email="actif@exemple.fr")
    late = PendingSupplierFactory(email="en-retard@exemple.fr")
    BillingMandateFactory(signatory=late, generated_at=timezone.now() - timedelta(days=8))
    busy = PendingSupplierFactory(email="sollicite@exemple.fr")
    BillingMandateFactory(signatory=busy)
    answers = {}
    emails = ["inconnu@exemple.fr", "actif@exemple.fr", "en-retard@exemple.fr"] + ["sollicite@exemple.fr"] * 4
    for n, email in enumerate(emails):
        with django_capture_on_commit_callbacks(execute=True):
            # From several addresses: the rate limit per address (5 an hour) is another test's.
            response = client.post(
                reverse("onboarding:resend_activation"), {"email": email}, REMOTE_ADDR=f"192.0.2.{n}"
            )
        status, page = _answer(response)
        answers.setdefault((status, page.replace(email, "ADRESSE")), []).append(email)
    assert list(answers) == [(200, list(answers)[0][1])]
    assert "activation existe pour <strong>ADRESSE</strong>" in list(answers)[0][1]
    # The late mandate's account gets its own activation link; the busy one 3 mandate e-mails, no more.
    assert [message.to for message in mail.outbox] == [["en-retard@exemple.fr"]] + [["sollicite@exemple.fr"]] * 3
    assert (
        client.get(activation_link(mail.outbox[0]).removeprefix("https://fournisseurs.grenoble.test")).status_code
        == 200
    )
    assert all("/mandats/signer/" in message.body for message in mail.outbox[1:])


def test_it_refuses_a_malformed_email_when_resending(client):
    response = client.post(reverse("onboarding:resend_activation"), {"email": "pas-une-adresse"})
    assert response.status_code == 400
    assert "Saisissez une adresse de courriel valide." in response.content.decode()


def test_it_keeps_the_activation_pages_within_their_query_budget(client, django_assert_max_num_queries):
    user = PendingSupplierFactory()
    path = activation_path(user)
    with django_assert_max_num_queries(1):
        client.get(path)
    # The account, its activation, pending requests to release, login (new session, the
    # login recorded by django-axes, last login). 13 here = 9 + 2 savepoint pairs that only
    # exist inside the test's transaction.
    with django_assert_max_num_queries(13):
        client.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
