"""Step-up: a second factor of less than 15 minutes before bank details and signing a mandate."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils.http import urlencode

from banking.models import BankAccount
from tests.clients import last_code_sent_to
from tests.mandates.factories import BillingMandateFactory
from tests.mandates.helpers import sign_data, sign_path
from tests.structures.factories import MainManagerFactory
from tests.twofactor.helpers import age_verification, app_code, give_authenticator
from twofactor import services

pytestmark = pytest.mark.django_db

ADD_URL = reverse("banking:add")
STEP_UP_URL = reverse("twofactor:step_up")


def step_up_for(path):
    return f"{STEP_UP_URL}?{urlencode({'suivant': path})}"


def test_it_opens_bank_details_within_fifteen_minutes_of_the_last_code(client, manager):
    client.force_login(manager)
    age_verification(client, 14 * 60)
    assert client.get(ADD_URL).status_code == 200


def test_it_asks_for_a_new_code_before_bank_details_after_fifteen_minutes(client, manager):
    client.force_login(manager)
    age_verification(client, 16 * 60)
    response = client.get(ADD_URL)
    assert response.status_code == 302
    assert response["Location"] == step_up_for(ADD_URL)
    html = client.get(response["Location"]).content.decode()
    assert "Confirmer votre identité" in html
    assert "cette action demande un code de vérification récent" in html
    [message] = mail.outbox  # the code, e-mailed on arrival
    assert message.to == ["claire@menuiserie-martin.fr"]
    response = client.post(
        step_up_for(ADD_URL), {"code": last_code_sent_to("claire@menuiserie-martin.fr"), "suivant": ADD_URL}
    )
    assert response["Location"] == ADD_URL
    assert client.get(ADD_URL).status_code == 200


def test_it_does_not_send_a_second_code_while_the_first_is_valid(client, manager):
    client.force_login(manager)
    age_verification(client, 16 * 60)
    client.get(step_up_for(ADD_URL))
    client.get(step_up_for(ADD_URL))
    assert len(mail.outbox) == 1


def test_it_records_nothing_posted_with_a_stale_factor_and_says_so(client, manager):
    client.force_login(manager)
    age_verification(client, 31 * 60)
    response = client.post(ADD_URL, {"account_name": "Compte"}, follow=True)
    assert response.redirect_chain[0] == (step_up_for(ADD_URL), 302)
    assert (
        "Pour votre sécurité, confirmez d&#x27;abord votre identité avec un nouveau code. "
        "Ce que vous veniez d&#x27;envoyer n&#x27;a pas été enregistré : vous pourrez le refaire juste après."
    ) in response.content.decode()
    assert not BankAccount.objects.exists()


def test_it_refuses_a_wrong_code_at_the_step_up(client, manager):
    client.force_login(manager)
    age_verification(client, 16 * 60)
    client.get(step_up_for(ADD_URL))
    code = last_code_sent_to("claire@menuiserie-martin.fr")
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    response = client.post(step_up_for(ADD_URL), {"code": wrong, "suivant": ADD_URL})
    assert response.status_code == 200
    assert "Ce code n&#x27;est pas le bon." in response.content.decode()
    assert client.get(ADD_URL).status_code == 302  # still not unlocked


def test_it_sends_a_visitor_without_the_first_factor_to_the_login(client):
    response = Client().get(step_up_for(ADD_URL), follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("twofactor:login"))
    assert (
        "Connectez-vous d&#x27;abord : cette page confirme l&#x27;identité d&#x27;une personne déjà connectée."
        in response.content.decode()
    )


def test_it_ignores_a_next_address_on_another_site(client, manager):
    client.force_login(manager)
    age_verification(client, 16 * 60)
    client.get(step_up_for(ADD_URL))
    response = client.post(
        STEP_UP_URL, {"code": last_code_sent_to("claire@menuiserie-martin.fr"), "suivant": "https://evil.example/"}
    )
    assert response["Location"] == reverse("onboarding:home")


def test_it_asks_an_app_user_for_the_apps_code_at_the_step_up(client, manager):
    give_authenticator(manager)
    client.force_login(manager)
    age_verification(client, 16 * 60)
    html = client.get(step_up_for(ADD_URL)).content.decode()
    assert "Ouvrez votre application d'authentification" in html
    assert mail.outbox == []
    response = client.post(step_up_for(ADD_URL), {"code": app_code(), "suivant": ADD_URL})
    assert response["Location"] == ADD_URL
    assert client.session[services.SESSION_METHOD] == "totp"


def test_it_asks_for_a_new_code_before_signing_a_mandate(client, manager):
    mandate = BillingMandateFactory(structure=manager.structures.get(), signatory=manager)
    path = sign_path(mandate)
    client.force_login(manager)
    age_verification(client, 16 * 60)
    response = client.get(path)
    assert response["Location"] == step_up_for(path)
    age_verification(client, 31 * 60)
    response = client.post(path, {"accept": "on"}, follow=True)
    assert (
        "Pour votre sécurité, confirmez d&#x27;abord votre identité avec un nouveau code, puis signez le mandat."
        in response.content.decode()
    )
    mandate.refresh_from_db()
    assert not mandate.is_signed


def test_it_tells_the_connection_address_of_a_signature_sent_to_the_contact_address(
    client, django_capture_on_commit_callbacks
):
    manager = MainManagerFactory(
        user__email="claire@menuiserie-martin.fr", user__profile__contact_email="compta@menuiserie.fr"
    ).user
    mandate = BillingMandateFactory(structure=manager.structures.get(), signatory=manager)
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(sign_path(mandate), sign_data(mandate))
    assert response.status_code == 302
    notices = [m for m in mail.outbox if m.to == ["claire@menuiserie-martin.fr"]]
    assert len(notices) == 1
    assert "Un mandat de facturation a été signé depuis votre compte." in notices[0].body
