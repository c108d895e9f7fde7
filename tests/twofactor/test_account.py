"""« Mon compte »: from the e-mailed code to an authenticator app, recovery codes shown once."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.onboarding.factories import SupplierFactory
from tests.twofactor.helpers import age_verification, app_code, give_authenticator
from twofactor import services

pytestmark = pytest.mark.django_db

ACCOUNT_URL = reverse("twofactor:account")
APP_URL = reverse("twofactor:authenticator")
CODES_URL = reverse("twofactor:recovery_codes")
EMAIL = "claire@menuiserie.fr"
MSG_APP_MISMATCH = (
    "Ce code ne correspond pas. Vérifiez que votre téléphone est à l&#x27;heure exacte, "
    "puis saisissez le code affiché en ce moment par l&#x27;application (6 chiffres)."
)


@pytest.fixture
def supplier():
    return SupplierFactory(email=EMAIL)


def shown_codes(html):
    return re.findall(r"<li><code>([a-z0-9]{4}-[a-z0-9]{4})</code></li>", html)


def test_it_says_which_factor_is_in_use_on_the_home_and_the_account_page(client, supplier):
    client.force_login(supplier)
    home = client.get(reverse("onboarding:home")).content.decode()
    assert (
        "Votre connexion est protégée par un second facteur : un code à 6 chiffres envoyé par courriel "
        "à votre adresse de connexion."
    ) in home
    assert f'href="{ACCOUNT_URL}"' in home
    page = client.get(ACCOUNT_URL).content.decode()
    assert "Utiliser une application d'authentification" in page


def test_it_moves_to_an_authenticator_app_and_shows_the_recovery_codes_once(
    client, supplier, django_capture_on_commit_callbacks
):
    client.force_login(supplier)
    html = client.get(APP_URL).content.decode()
    assert "<svg" in html  # the QR code, inline
    key = client.session[services.SESSION_TOTP_KEY]
    assert services.manual_key(key) in html
    assert client.get(APP_URL).content.decode().count(services.manual_key(key)) == 1  # same key on reload
    assert MSG_APP_MISMATCH in client.post(APP_URL, {"code": app_code(key, offset_steps=10)}).content.decode()
    assert not TOTPDevice.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(APP_URL, {"code": app_code(key)})
    assert response["Location"] == CODES_URL
    supplier.refresh_from_db()
    assert supplier.second_factor == "totp"
    assert TOTPDevice.objects.get(user=supplier).confirmed
    codes = shown_codes(client.get(CODES_URL).content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    assert shown_codes(client.get(CODES_URL).content.decode()) == []  # never shown again
    assert StaticToken.objects.filter(device__user=supplier).count() == 10
    [notice] = mail.outbox
    assert notice.to == [EMAIL]
    assert "Une application d'authentification a été ajoutée à votre compte." in notice.body
    assert "second facteur : un code à 6 chiffres donné par votre application d'authentification" in notice.body
    home = client.get(reverse("onboarding:home")).content.decode()
    assert "second facteur : un code à 6 chiffres donné par votre application d&#x27;authentification." in home


def test_it_asks_for_a_fresh_factor_before_adding_an_app(client, supplier):
    client.force_login(supplier)
    age_verification(client, 16 * 60)
    response = client.get(APP_URL)
    assert response["Location"].startswith(reverse("twofactor:step_up"))


def test_it_makes_new_recovery_codes_and_the_old_ones_stop_working(
    client, supplier, django_capture_on_commit_callbacks
):
    give_authenticator(supplier)
    client.force_login(supplier)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CODES_URL)
    assert response["Location"] == CODES_URL
    codes = shown_codes(client.get(CODES_URL).content.decode())
    assert len(codes) == 10
    tokens = set(StaticToken.objects.filter(device__user=supplier).values_list("token", flat=True))
    assert "4f7k9m2p" not in tokens
    assert {code.replace("-", "") for code in codes} == tokens
    assert "De nouveaux codes de secours ont été créés pour votre compte" in mail.outbox[0].body


def test_it_goes_back_to_the_emailed_code(client, supplier, django_capture_on_commit_callbacks):
    give_authenticator(supplier)
    client.force_login(supplier)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("twofactor:remove_authenticator"), follow=True)
    assert "L&#x27;application d&#x27;authentification est retirée" in response.content.decode()
    supplier.refresh_from_db()
    assert supplier.second_factor == "email"
    assert not TOTPDevice.objects.exists() and not StaticToken.objects.exists()
    assert "L'application d'authentification a été retirée de votre compte" in mail.outbox[0].body


def test_it_asks_for_a_fresh_factor_before_removing_the_app(client, supplier):
    give_authenticator(supplier)
    client.force_login(supplier)
    age_verification(client, 31 * 60)
    response = client.post(reverse("twofactor:remove_authenticator"))
    assert response["Location"].startswith(reverse("twofactor:step_up"))
    supplier.refresh_from_db()
    assert supplier.second_factor == "totp"
