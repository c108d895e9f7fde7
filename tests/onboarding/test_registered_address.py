"""The wizard never tells whether an address is registered (issue item 4).

One captcha tested any number of addresses: once the account step had passed, posting it again
asked no captcha and answered « Un compte existe déjà » for a registered address. Now every
submission of the step asks a new captcha, the step answers the same for any address, and at the
end an address registered already creates nothing: its owner gets an e-mail, the visitor the
page a new registration shows.
"""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from banking.models import BankAccount
from mandates.models import BillingMandate
from structures.models import AttachmentRequest, Structure
from tests.onboarding.factories import PendingSupplierFactory, SupplierFactory
from tests.structures.factories import MainManagerFactory
from tests.wizard import (
    account_data,
    activation_link,
    field_errors,
    fill_wizard_with_new_structure,
    join,
    post_step,
    step_url,
)

pytestmark = pytest.mark.django_db

User = get_user_model()
SITE = "https://fournisseurs.grenoble.test"
MSG_CAPTCHA = (
    "Les caractères saisis ne correspondent pas à l'image, ou l'image a expiré. "
    "Recopiez les 5 caractères de la nouvelle image."
)


def counts():
    return [model.objects.count() for model in (User, Structure, AttachmentRequest, BankAccount, BillingMandate)]


def registration_page(client, email):
    """The « vérifiez votre messagerie » page, the address replaced, without the CSRF token."""
    response = client.get(reverse("onboarding:registration_sent"))
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())
    return response.status_code, html.replace(email, "ADRESSE")


def typed(email):
    return {"email": email, "email_confirmation": email}


@pytest.fixture
def registered(db):
    """An active account, and one waiting for its activation for a week."""
    SupplierFactory(email="fournisseur@exemple.fr", first_name="Paul", last_name="Durand")
    PendingSupplierFactory(email="attente@exemple.fr", date_joined=timezone.now() - timedelta(days=7))


# The account step


@pytest.mark.parametrize(
    "email", ["fournisseur@exemple.fr", "FOURNISSEUR@Exemple.fr", "attente@exemple.fr", "nouveau@exemple.fr"]
)
def test_it_answers_the_account_step_the_same_for_any_address(client, registered, email):
    response = post_step(client, "compte", account_data(**typed(email)))
    assert (response.status_code, response["Location"]) == (302, step_url("structure"))


def test_it_asks_a_new_captcha_at_every_submission_of_the_account_step(client, registered):
    assert post_step(client, "compte", account_data())["Location"] == step_url("structure")
    # Posted again (the browser's back button, a script trying addresses): a captcha again.
    response = post_step(client, "compte", account_data(**typed("fournisseur@exemple.fr")), captcha=None)
    assert response.status_code == 200
    assert field_errors(response, "compte", "captcha") == ["Ce champ est obligatoire."]
    response = post_step(client, "compte", account_data(**typed("fournisseur@exemple.fr")), captcha="XXXXX")
    assert field_errors(response, "compte", "captcha") == [MSG_CAPTCHA]
    assert 'value="fournisseur@exemple.fr"' in response.content.decode()  # what was typed is kept
    # « Précédent » back to it: what was stored, and a new captcha, no error shown yet.
    post_step(client, "structure", {}, captcha=None, extra={"wizard_goto_step": "compte"})
    response = client.get(step_url("compte"))
    html = response.content.decode()
    assert 'value="claire.martin@menuiserie-martin.fr"' in html and 'name="compte-captcha_1"' in html
    assert not response.context["wizard"]["form"].is_bound
    response = post_step(client, "compte", account_data(), captcha=None)
    assert field_errors(response, "compte", "captcha") == ["Ce champ est obligatoire."]
    assert post_step(client, "compte", account_data())["Location"] == step_url("structure")


def test_it_asks_the_captcha_at_the_end_for_account_data_that_did_not_pass_one(
    client, django_capture_on_commit_callbacks
):
    """The end validates the account step without its captcha only for the very data that
    passed one (its digest is kept with the wizard's data), never for data changed since."""
    end = fill_wizard_with_new_structure(client)
    session = client.session
    session["wizard_onboarding_wizard"]["step_data"]["compte"]["compte-email"] = ["autre@exemple.fr"]
    session["wizard_onboarding_wizard"]["step_data"]["compte"]["compte-email_confirmation"] = ["autre@exemple.fr"]
    session.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(end)
    assert (response.status_code, response["Location"]) == (302, step_url("compte"))
    assert counts() == [0, 0, 0, 0, 0] and mail.outbox == []


# The end


def test_it_creates_nothing_for_a_registered_address_and_tells_its_owner(
    client, registered, django_capture_on_commit_callbacks
):
    from tests.clients import VerifiedClient

    before = counts()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(fill_wizard_with_new_structure(client, **typed("Fournisseur@Exemple.fr")))
    assert response["Location"] == reverse("onboarding:registration_sent")
    assert counts() == before == [2, 0, 0, 0, 0]  # no account, structure, bank details nor mandate
    (message,) = mail.outbox
    assert message.to == ["fournisseur@exemple.fr"]
    assert message.subject == "Une inscription a été tentée avec votre adresse"
    assert "Bonjour Paul Durand," in message.body
    assert "Aucun compte n'a été créé, et rien de ce qui a été saisi n'a été enregistré" in message.body
    assert f"{SITE}/connexion/" in message.body and f"{SITE}/mot-de-passe/oubli/" in message.body
    assert "/activation/" not in message.body

    # The very page a new registration shows, with the same structure and the same link.
    attempt = registration_page(client, "fournisseur@exemple.fr")
    newcomer = VerifiedClient()
    with django_capture_on_commit_callbacks(execute=True):
        newcomer.get(fill_wizard_with_new_structure(newcomer, **typed("nouveau@exemple.fr")))
    assert counts() == [3, 1, 0, 1, 1]
    assert registration_page(newcomer, "nouveau@exemple.fr") == attempt
    assert "La structure « Menuiserie Dauphinoise » et ses coordonnées bancaires sont enregistrées" in attempt[1]


def test_it_sends_a_fresh_activation_link_to_a_registered_address_waiting_for_it(
    client, registered, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.get(fill_wizard_with_new_structure(client, **typed("attente@exemple.fr")))
    assert counts() == [2, 0, 0, 0, 0]
    (message,) = mail.outbox
    assert message.to == ["attente@exemple.fr"]
    assert "votre compte attend d'être activé" in message.body
    assert client.get(activation_link(message).removeprefix(SITE)).status_code == 200


def test_it_asks_to_join_nothing_for_a_registered_address(client, registered, django_capture_on_commit_callbacks):
    from tests.clients import VerifiedClient

    structure = MainManagerFactory(structure__raison_sociale="Atelier Drac").structure
    pages = []
    for visitor, email in ((client, "fournisseur@exemple.fr"), (VerifiedClient(), "nouveau@exemple.fr")):
        post_step(visitor, "compte", account_data(**typed(email)))
        with django_capture_on_commit_callbacks(execute=True):
            response = join(visitor, structure.pk, identifier=structure.identifier)
            response = visitor.get(response["Location"])
        assert response["Location"] == reverse("onboarding:registration_sent")
        pages.append(registration_page(visitor, email))
        if email == "fournisseur@exemple.fr":
            assert AttachmentRequest.objects.count() == 0
    assert AttachmentRequest.objects.count() == 1  # the new account's only
    assert pages[0] == pages[1]
    assert "Votre demande de rattachement à « Atelier Drac » sera transmise" in pages[0][1]


@pytest.mark.parametrize("email", ["fournisseur@exemple.fr", "nouveau@exemple.fr"])
def test_it_sends_the_e_mail_after_commit_whatever_the_address(
    client, registered, email, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.get(fill_wizard_with_new_structure(client, **typed(email)))
    assert response.status_code == 302 and response["Location"] == reverse("onboarding:registration_sent")
    assert len(callbacks) == 1 and mail.outbox == []


def test_it_writes_to_the_owner_in_their_language(client, django_capture_on_commit_callbacks):
    SupplierFactory(email="owner@example.com", language="en")
    with django_capture_on_commit_callbacks(execute=True):
        client.get(fill_wizard_with_new_structure(client, **typed("owner@example.com")))
    (message,) = mail.outbox
    with translation.override("en"):
        assert message.subject == translation.gettext("Une inscription a été tentée avec votre adresse")
    assert message.subject != "Une inscription a été tentée avec votre adresse"
