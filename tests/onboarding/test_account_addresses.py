"""« Mon compte »: changing the connection and the contact addresses (step-up, both told)."""

import re

import pytest
from django.core import mail, signing
from django.urls import reverse

from onboarding import services
from tests.onboarding.factories import SupplierFactory
from tests.twofactor.helpers import age_verification

pytestmark = pytest.mark.django_db

CONNECTION_URL = reverse("onboarding:change_connection_email")
CONTACT_URL = reverse("onboarding:change_contact_email")


@pytest.fixture
def supplier():
    return SupplierFactory(email="claire@menuiserie.fr")


def link_sent_to(address):
    [message] = [m for m in mail.outbox if m.to == [address]]
    return "/" + re.search(r"https?://\S+?(/compte/adresse-de-connexion/confirmer/\S+/)", message.body).group(1)[1:]


def test_it_changes_the_connection_address_once_the_new_one_is_proved(
    client, supplier, django_capture_on_commit_callbacks
):
    client.force_login(supplier)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            CONNECTION_URL,
            {"email": "Claire@Atelier-Martin.fr", "email_confirmation": "claire@atelier-martin.fr"},
            follow=True,
        )
    assert "Un lien de confirmation a été envoyé à claire@atelier-martin.fr." in response.content.decode()
    supplier.refresh_from_db()
    assert supplier.email == "claire@menuiserie.fr"  # not before the link is followed
    path = link_sent_to("claire@atelier-martin.fr")
    html = client.get(path).content.decode()
    assert "sera remplacée par <strong>claire@atelier-martin.fr</strong>" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path, follow=True)
    assert (
        "Votre adresse de connexion est désormais claire@atelier-martin.fr : utilisez-la pour vous connecter."
        in response.content.decode()
    )
    supplier.refresh_from_db()
    assert supplier.email == "claire@atelier-martin.fr"
    notices = {m.to[0]: m.body for m in mail.outbox if "Sécurité de votre compte" in m.subject}
    assert set(notices) == {"claire@menuiserie.fr", "claire@atelier-martin.fr"}  # the previous address too
    assert "L'adresse électronique de connexion de votre compte a été changée." in notices["claire@menuiserie.fr"]
    assert "claire@menuiserie.fr → claire@atelier-martin.fr" in notices["claire@menuiserie.fr"]
    # The link served once: the account's address is no longer the one it names.
    response = client.post(path)
    assert response.status_code == 410
    assert "Ce lien a déjà servi, ou l&#x27;adresse de connexion a changé depuis" in response.content.decode()


@pytest.mark.parametrize(
    "data, message",
    [
        (
            {"email": "claire@menuiserie.fr", "email_confirmation": "claire@menuiserie.fr"},
            "C&#x27;est déjà votre adresse électronique de connexion.",
        ),
        (
            {"email": "paul@menuiserie.fr", "email_confirmation": "paul@menuiserie.fr"},
            "Un compte existe déjà avec cette adresse électronique : choisissez-en une autre.",
        ),
        (
            {"email": "claire@atelier.fr", "email_confirmation": "claire@ateiler.fr"},
            "Les deux adresses électroniques de connexion ne sont pas identiques.",
        ),
        ({"email": "claire@", "email_confirmation": "claire@"}, "Saisissez une adresse de courriel valide."),
    ],
)
def test_it_explains_a_bad_new_address_and_keeps_what_was_typed(client, supplier, data, message):
    SupplierFactory(email="paul@menuiserie.fr")
    client.force_login(supplier)
    response = client.post(CONNECTION_URL, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert f'value="{data["email_confirmation"]}"' in html
    assert mail.outbox == []


def test_it_refuses_links_that_cannot_be_used(client, supplier):
    client.force_login(supplier)
    other = SupplierFactory(email="paul@menuiserie.fr")
    cases = {
        "pas-un-lien": (400, "Ce lien n&#x27;est pas valable"),
        signing.dumps({"u": other.pk, "from": other.email, "to": "x@y.fr"}, salt=services.EMAIL_CHANGE_SALT): (
            403,
            "Ce lien concerne un autre compte que celui avec lequel vous êtes connecté(e).",
        ),
    }
    for token, (status, message) in cases.items():
        response = client.get(reverse("onboarding:confirm_email_change", args=[token]))
        assert response.status_code == status
        assert message in response.content.decode()


def test_it_refuses_an_address_taken_between_the_request_and_the_click(client, supplier):
    client.force_login(supplier)
    token = signing.dumps(
        {"u": supplier.pk, "from": supplier.email, "to": "pris@menuiserie.fr"}, salt=services.EMAIL_CHANGE_SALT
    )
    SupplierFactory(email="pris@menuiserie.fr")
    response = client.post(reverse("onboarding:confirm_email_change", args=[token]))
    assert response.status_code == 409
    supplier.refresh_from_db()
    assert supplier.email == "claire@menuiserie.fr"


def test_it_changes_the_contact_address_and_tells_the_previous_one(client, django_capture_on_commit_callbacks):
    supplier = SupplierFactory(email="claire@menuiserie.fr", profile__contact_email="compta@menuiserie.fr")
    client.force_login(supplier)
    assert "compta@menuiserie.fr" in client.get(reverse("twofactor:account")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CONTACT_URL, {"contact_email": "factures@menuiserie.fr"}, follow=True)
    assert "Les notifications seront envoyées à factures@menuiserie.fr." in response.content.decode()
    supplier.profile.refresh_from_db()
    assert supplier.profile.contact_email == "factures@menuiserie.fr"
    assert sorted(m.to[0] for m in mail.outbox) == ["claire@menuiserie.fr", "compta@menuiserie.fr"]
    assert "L'adresse électronique de contact de votre compte a été changée" in mail.outbox[0].body


def test_it_explains_a_bad_contact_address(client, supplier):
    client.force_login(supplier)
    response = client.post(CONTACT_URL, {"contact_email": "compta@"})
    assert "Saisissez une adresse de courriel valide." in response.content.decode()
    assert mail.outbox == []


@pytest.mark.parametrize("url", [CONNECTION_URL, CONTACT_URL])
def test_it_asks_for_a_fresh_second_factor_first(client, supplier, url):
    client.force_login(supplier)
    age_verification(client, 16 * 60)
    assert client.get(url)["Location"].startswith(reverse("twofactor:step_up"))
