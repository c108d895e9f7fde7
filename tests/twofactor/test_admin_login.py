"""The admin's own login: the password (staff accounts only), then the authenticator app's code,
in the admin's look, without the supplier's links; the same lockouts and rate limits as the site's."""

import html as html_lib

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.clients import last_code_sent_to
from tests.onboarding.factories import DEFAULT_PASSWORD, SupplierFactory, UserFactory
from tests.twofactor.helpers import app_code, give_authenticator
from twofactor import services

pytestmark = [pytest.mark.django_db, pytest.mark.ignore_template_errors]  # Django's admin templates

ADMIN = reverse("admin:index")
LOGIN = reverse("admin:login")
CODE = reverse("admin:login_code")
STAFF_EMAIL = "agent.finances@grenoble.fr"
MSG_WRONG_PASSWORD = (
    "Adresse électronique de connexion ou mot de passe incorrect. "
    "Attention : le mot de passe distingue les majuscules des minuscules."
)


@pytest.fixture
def staff(finance):
    """The finance agent of tests/conftest.py, with a real authenticator app (RFC 6238's key)."""
    return give_authenticator(finance)


def page(response):
    return html_lib.unescape(response.content.decode())


def password_step(client, email=STAFF_EMAIL, password=DEFAULT_PASSWORD, next_url=ADMIN):
    return client.post(f"{LOGIN}?next={next_url}", {"username": email, "password": password, "next": next_url})


def test_it_shows_the_admins_own_login_without_the_suppliers_content():
    client = Client()
    response = client.get(ADMIN, follow=True)
    assert response.redirect_chain == [(f"{LOGIN}?next={ADMIN}", 302)]
    assert response.status_code == 200
    html = page(response)
    assert 'id="login-form"' in html and 'name="password"' in html
    assert "Ville de Grenoble — Fournisseurs" in html  # the admin's header
    assert "<h1>Se connecter</h1>" in html
    assert (
        "Réservé aux agents de la Ville de Grenoble : votre mot de passe, puis le code de votre application "
        "d'authentification."
    ) in html
    assert "Commencer mon inscription" not in html
    assert reverse("onboarding:wizard") not in html
    assert f'href="{reverse("twofactor:password_reset")}"' in html


def test_it_logs_staff_in_with_the_password_then_the_apps_code_then_opens_the_admin(staff):
    client = Client()
    response = password_step(client, next_url="/admin/banking/bankaccount/")
    assert response.status_code == 302 and response["Location"] == CODE
    assert mail.outbox == []  # the app gives the code: nothing is e-mailed
    # The password alone opens nothing: the admin still asks for its login.
    assert client.get(ADMIN)["Location"] == f"{LOGIN}?next={ADMIN}"
    html = page(client.get(CODE))
    assert "<h1>Saisir le code de vérification</h1>" in html
    assert "Ouvrez votre application d'authentification et saisissez le code à 6 chiffres" in html
    assert "Commencer mon inscription" not in html
    response = client.post(CODE, {"code": app_code()})
    assert response.status_code == 302 and response["Location"] == "/admin/banking/bankaccount/"
    assert client.session[services.SESSION_METHOD] == services.METHOD_TOTP
    response = client.get(ADMIN)
    assert response.status_code == 200
    assert "Suivi des inscriptions des fournisseurs" in page(response)


def test_it_goes_to_the_admins_home_without_a_next_address(staff):
    client = Client()
    response = client.post(LOGIN, {"username": STAFF_EMAIL, "password": DEFAULT_PASSWORD})
    assert response["Location"] == CODE
    assert client.post(CODE, {"code": app_code()})["Location"] == ADMIN


def test_it_takes_a_recovery_code_instead_of_the_apps(staff):
    client = Client()
    password_step(client)
    response = client.post(CODE, {"code": "4f7k-9m2p"})
    assert response["Location"] == ADMIN
    assert client.session[services.SESSION_METHOD] == services.METHOD_RECOVERY
    assert client.get(ADMIN).status_code == 200


def test_it_refuses_a_supplier_with_the_message_of_a_wrong_password():
    SupplierFactory(email="claire@menuiserie.fr")
    client = Client()
    response = password_step(client, email="claire@menuiserie.fr")  # the supplier's right password
    assert response.status_code == 200
    assert MSG_WRONG_PASSWORD in page(response)
    assert services.SESSION_PENDING not in client.session
    assert mail.outbox == []  # no code e-mailed: the password step did not pass
    assert client.get(CODE)["Location"] == LOGIN
    # The same answer as for a wrong password: the page does not tell the password was right.
    assert (
        page(password_step(Client(), email="claire@menuiserie.fr", password="pas-le-bon")).count(MSG_WRONG_PASSWORD)
        == 1
    )


def test_it_does_not_finish_a_suppliers_login_on_the_admins_code_page():
    supplier = SupplierFactory(email="claire@menuiserie.fr")
    client = Client()
    client.post(reverse("twofactor:login"), {"username": supplier.email, "password": DEFAULT_PASSWORD})
    response = client.post(CODE, {"code": last_code_sent_to(supplier.email)})
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session


def test_it_refuses_the_admin_to_a_supplier_logged_in_on_the_site():
    client = Client()
    supplier = SupplierFactory(email="claire@menuiserie.fr")
    client.post(reverse("twofactor:login"), {"username": supplier.email, "password": DEFAULT_PASSWORD})
    client.post(reverse("twofactor:login_code"), {"code": last_code_sent_to(supplier.email)})
    response = client.get(ADMIN, follow=True)
    assert response.status_code == 403
    assert "Votre compte n'y a pas accès." in page(response)


def test_it_locks_staff_out_after_five_wrong_codes(staff):
    client = Client()
    password_step(client)
    wrong = f"{(int(app_code()) + 1) % 1000000:06d}"
    for _ in range(4):
        response = client.post(CODE, {"code": wrong})
        assert response.status_code == 200
        assert "Ce code n'est pas le bon." in page(response)
    response = client.post(CODE, {"code": wrong})
    assert response.status_code == 429
    assert "Connexion bloquée temporairement" in page(response)
    assert client.post(CODE, {"code": app_code()}).status_code == 429
    assert password_step(Client()).status_code == 429
    assert AccessAttempt.objects.exists()


def test_it_locks_the_admins_password_step_after_five_wrong_passwords(staff):
    for _ in range(4):
        assert password_step(Client(), password="pas-le-bon").status_code == 200
    assert password_step(Client(), password="pas-le-bon").status_code == 429
    assert password_step(Client()).status_code == 429  # the right one too, until the lockout ends


def test_it_rate_limits_the_codes_of_the_admins_login(staff, settings):
    settings.RATELIMITS = {**settings.RATELIMITS, "second-factor": "2/h"}
    client = Client()
    password_step(client)
    client.post(CODE, {"code": "12"})
    client.post(CODE, {"code": "12"})
    assert client.post(CODE, {"code": app_code()}).status_code == 429


def test_it_emails_a_code_to_staff_without_an_app_then_asks_them_to_set_one_up():
    UserFactory(is_staff=True, is_superuser=True, email=STAFF_EMAIL, second_factor="email")
    client = Client()
    assert password_step(client)["Location"] == CODE
    html = page(client.get(CODE))
    assert f"Un code à 6 chiffres vient d'être envoyé à {STAFF_EMAIL}" in html.replace("<strong>", "").replace(
        "</strong>", ""
    )
    assert "Recevoir un nouveau code" in html
    response = client.post(CODE, {"code": last_code_sent_to(STAFF_EMAIL)}, follow=True)
    # Logged in with the e-mailed code: the admin still wants the app, and says so.
    assert response.redirect_chain[-1][0].startswith(reverse("twofactor:authenticator"))
    assert "L'administration n'est ouverte qu'aux comptes protégés par une application" in page(response)
