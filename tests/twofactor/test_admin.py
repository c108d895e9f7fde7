"""The admin: finance staff need an authenticator app; staff can reset a lost one (recorded)."""

import pytest
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.clients import VerifiedClient
from tests.onboarding.factories import DEFAULT_PASSWORD, SupplierFactory, UserFactory
from tests.twofactor.helpers import app_code, give_authenticator
from twofactor import services

pytestmark = pytest.mark.django_db

ADMIN = reverse("admin:index")


def test_it_sends_staff_without_an_app_to_set_one_up(client):
    staff = UserFactory(is_staff=True, is_superuser=True, second_factor="email")
    client.force_login(staff)
    response = client.get(ADMIN, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("twofactor:authenticator"))
    assert (
        "L&#x27;administration n&#x27;est ouverte qu&#x27;aux comptes protégés par une application "
        "d&#x27;authentification. Configurez la vôtre ci-dessous, puis vous y accéderez."
    ) in response.content.decode()


def test_it_asks_the_apps_code_of_staff_who_logged_in_with_an_emailed_code(client):
    staff = give_authenticator(UserFactory(is_staff=True, is_superuser=True))
    client.force_login(staff)
    session = client.session
    session[services.SESSION_METHOD] = "email"
    session.save()
    response = client.get(ADMIN, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("twofactor:step_up"))
    assert "Pour ouvrir l&#x27;administration, saisissez le code de votre application d&#x27;authentification." in (
        response.content.decode()
    )


def test_it_opens_the_admin_to_staff_logged_in_with_their_app(client):
    staff = give_authenticator(UserFactory(is_staff=True, is_superuser=True))
    client.force_login(staff)
    assert client.get(ADMIN).status_code == 200


def test_it_refuses_the_admin_to_a_supplier(client):
    client.force_login(SupplierFactory())
    response = client.get(ADMIN, follow=True)
    assert response.status_code == 403
    assert "Votre compte n'y a pas accès." in response.content.decode()


@pytest.mark.ignore_template_errors
def test_it_lets_staff_reset_a_lost_app_and_records_it(admin_client, admin_user, django_capture_on_commit_callbacks):
    supplier = give_authenticator(SupplierFactory(email="claire@menuiserie.fr"))
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:onboarding_user_changelist"),
            {"action": "reset_second_factor", "_selected_action": [supplier.pk]},
            follow=True,
        )
    assert "Double authentification réinitialisée pour 1 compte(s)" in response.content.decode()
    supplier.refresh_from_db()
    assert supplier.second_factor == "email"
    assert not TOTPDevice.objects.filter(user=supplier).exists()
    entry = LogEntry.objects.get(object_id=str(supplier.pk))
    assert entry.user == admin_user
    assert "Double authentification réinitialisée" in entry.get_change_message()
    [notice] = mail.outbox
    assert notice.to == ["claire@menuiserie.fr"]
    assert "Les services financiers de la Ville ont réinitialisé la double authentification" in notice.body


def test_it_opens_the_admin_to_staff_who_logged_in_with_their_app_on_the_sites_page():
    """The admin has its own login (tests/twofactor/test_admin_login.py); the site's works too."""
    staff = give_authenticator(UserFactory(is_staff=True, is_superuser=True, email="agent@grenoble.fr"))
    client = VerifiedClient()
    response = client.post(
        reverse("twofactor:login") + "?next=/admin/", {"username": staff.email, "password": DEFAULT_PASSWORD}
    )
    assert response["Location"] == reverse("twofactor:login_code")
    assert mail.outbox == []
    response = client.post(reverse("twofactor:login_code"), {"code": app_code()})
    assert response["Location"] == "/admin/"
    assert client.get(ADMIN).status_code == 200
