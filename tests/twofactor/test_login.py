"""« Se connecter »: the password, then the second factor; every bad code has its message."""

import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_email.models import EmailDevice

from tests.clients import last_code_sent_to
from tests.onboarding.factories import DEFAULT_PASSWORD, SupplierFactory
from tests.twofactor.helpers import app_code, give_authenticator
from twofactor import services
from twofactor.models import UsedCode

pytestmark = pytest.mark.django_db

EMAIL = "claire@menuiserie.fr"
CODE_URL = reverse("twofactor:login_code")
MSG_WRONG = (
    "Ce code n&#x27;est pas le bon. Vérifiez les 6 chiffres : seul le dernier code envoyé par courriel est valable."
)
MSG_EXPIRED = (
    "Ce code a expiré : un code n&#x27;est valable que 10 minutes. "
    "Demandez un nouveau code avec le bouton « Recevoir un nouveau code »."
)
MSG_USED = "Ce code a déjà été utilisé : chaque code ne sert qu&#x27;une fois. Demandez un nouveau code."
MSG_APP_USED = (
    "Ce code a déjà été utilisé : chaque code ne sert qu&#x27;une fois. Attendez le code suivant de votre application."
)
MSG_APP_WRONG = (
    "Ce code n&#x27;est pas le bon. Saisissez le code affiché en ce moment par votre application "
    "d&#x27;authentification : il change toutes les 30 secondes."
)
MSG_RECOVERY_USED = (
    "Ce code de secours a déjà été utilisé : chacun ne sert qu&#x27;une fois. Utilisez-en un autre de la liste."
)
MSG_RECOVERY_WRONG = (
    "Ce code de secours n&#x27;est pas valable. Vérifiez-le : il compte 8 lettres ou chiffres (par exemple 4f7k-9m2p)."
)


@pytest.fixture
def supplier():
    return SupplierFactory(email=EMAIL)


def password_step(client, email=EMAIL, password=DEFAULT_PASSWORD, next_url=""):
    url = reverse("twofactor:login") + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"username": email, "password": password})


def is_logged_in(client):
    return client.get(reverse("onboarding:home")).status_code == 200


def test_it_asks_for_the_emailed_code_after_the_password_and_unlocks_nothing_before(client, supplier):
    response = password_step(client)
    assert response.status_code == 302
    assert response["Location"] == CODE_URL
    assert not is_logged_in(client)  # the password alone opens nothing
    [message] = mail.outbox
    assert message.to == [EMAIL]
    assert message.subject == "Votre code de vérification pour vous connecter"
    assert "Il est valable 10 minutes et ne sert qu'une fois." in message.body
    assert "Second facteur de votre compte : un code à 6 chiffres envoyé par courriel" in message.body
    html = client.get(CODE_URL).content.decode()
    assert "Un code à 6 chiffres vient d'être envoyé à <strong>claire@menuiserie.fr</strong>" in html
    assert 'autocomplete="one-time-code"' in html and 'inputmode="numeric"' in html


def test_it_logs_in_with_the_right_code_and_goes_where_it_was_asked(client, supplier):
    password_step(client, next_url="/mandats/souscrire/")
    code = last_code_sent_to(EMAIL)
    response = client.post(CODE_URL, {"code": f" {code[:3]} {code[3:]} "})  # spaces typed are ignored
    assert response.status_code == 302
    assert response["Location"] == "/mandats/souscrire/"
    assert is_logged_in(client)
    assert client.session[services.SESSION_METHOD] == "email"


def test_it_refuses_a_wrong_code_and_stays_logged_out(client, supplier):
    password_step(client)
    code = last_code_sent_to(EMAIL)
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    response = client.post(CODE_URL, {"code": wrong})
    assert response.status_code == 200
    assert MSG_WRONG in response.content.decode()
    assert not is_logged_in(client)
    assert AccessAttempt.objects.get(username=EMAIL).failures_since_start == 1  # counted as a failed login


def test_it_refuses_an_expired_code(client, supplier):
    password_step(client)
    code = last_code_sent_to(EMAIL)
    EmailDevice.objects.filter(user=supplier).update(valid_until=timezone.now() - timedelta(seconds=1))
    response = client.post(CODE_URL, {"code": code})
    assert MSG_EXPIRED in response.content.decode()
    assert not is_logged_in(client)


def test_it_refuses_a_code_already_used(client, supplier):
    password_step(client)
    code = last_code_sent_to(EMAIL)
    client.post(CODE_URL, {"code": code})
    client.post(reverse("twofactor:logout"))
    password_step(client)  # a new code is sent; the old one is typed again
    response = client.post(CODE_URL, {"code": code})
    assert MSG_USED in response.content.decode()
    assert not is_logged_in(client)
    assert UsedCode.objects.filter(user=supplier).count() == 1  # a digest, never the code
    assert code not in UsedCode.objects.get().digest


def test_it_refuses_the_code_of_another_account(client, supplier):
    other = SupplierFactory(email="paul@ebenisterie.fr")
    password_step(Client(), email=other.email)
    others_code = last_code_sent_to(other.email)
    password_step(client)
    mine = last_code_sent_to(EMAIL)
    if others_code == mine:  # one chance in a million
        pytest.skip("both accounts drew the same code")
    response = client.post(CODE_URL, {"code": others_code})
    assert MSG_WRONG in response.content.decode()
    assert not is_logged_in(client)


@pytest.mark.parametrize(
    "typed, message",
    [
        ("", "Saisissez le code à 6 chiffres."),
        ("12345", "Saisissez les 6 chiffres du code reçu par courriel (par exemple 123456)."),
        ("12a456", "Saisissez les 6 chiffres du code reçu par courriel (par exemple 123456)."),
    ],
)
def test_it_explains_a_code_typed_in_the_wrong_shape_without_counting_it(client, supplier, typed, message):
    password_step(client)
    response = client.post(CODE_URL, {"code": typed})
    assert message in response.content.decode()
    assert not AccessAttempt.objects.exists()


def test_it_locks_after_five_wrong_codes_with_the_time_to_wait(client, supplier):
    password_step(client)
    code = last_code_sent_to(EMAIL)
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    for _ in range(4):
        assert client.post(CODE_URL, {"code": wrong}).status_code == 200
    response = client.post(CODE_URL, {"code": wrong})
    assert response.status_code == 429
    html = response.content.decode()
    assert "Connexion bloquée temporairement" in html
    assert "réessayez dans 15 minutes, elle se rouvrira d'elle-même" in html
    # Locked: even the right code opens nothing now, and the password is refused as well.
    assert client.post(CODE_URL, {"code": code}).status_code == 429
    assert not is_logged_in(client)
    assert password_step(Client()).status_code == 429


def test_it_sends_the_code_page_back_to_the_password_without_one(client, supplier):
    response = client.get(CODE_URL, follow=True)
    assert response.redirect_chain == [(reverse("twofactor:login"), 302)]
    assert (
        "Saisissez d&#x27;abord votre adresse électronique de connexion et votre mot de passe."
        in response.content.decode()
    )


def test_it_asks_for_the_password_again_after_fifteen_minutes(client, supplier):
    password_step(client)
    session = client.session
    session[services.SESSION_PENDING] = {**session[services.SESSION_PENDING], "at": int(time.time()) - 16 * 60}
    session.save()
    response = client.post(CODE_URL, {"code": last_code_sent_to(EMAIL)}, follow=True)
    assert (
        "Le délai pour saisir le code est dépassé : saisissez à nouveau votre mot de passe."
        in response.content.decode()
    )
    assert not is_logged_in(client)


def test_it_sends_a_new_code_on_request_once_the_wait_is_over(client, supplier):
    password_step(client)
    first = last_code_sent_to(EMAIL)
    response = client.post(CODE_URL, {"action": "renvoyer"}, follow=True)
    html = response.content.decode()
    assert "Un code vient de vous être envoyé. Vous pourrez en demander un nouveau dans" in html
    assert len(mail.outbox) == 1
    EmailDevice.objects.filter(user=supplier).update(last_generated_timestamp=timezone.now() - timedelta(minutes=1))
    response = client.post(CODE_URL, {"action": "renvoyer"}, follow=True)
    assert "Un nouveau code vous a été envoyé à claire@menuiserie.fr." in response.content.decode()
    assert len(mail.outbox) == 2
    second = last_code_sent_to(EMAIL)
    if second != first:
        assert MSG_WRONG in client.post(CODE_URL, {"code": first}).content.decode()  # only the last one works
    assert client.post(CODE_URL, {"code": second})["Location"] == reverse("onboarding:home")


def test_it_asks_an_app_user_for_the_apps_code(client, supplier):
    give_authenticator(supplier)
    response = password_step(client)
    assert mail.outbox == []  # nothing e-mailed
    html = client.get(CODE_URL).content.decode()
    assert "Ouvrez votre application d'authentification" in html
    assert MSG_APP_WRONG in client.post(CODE_URL, {"code": app_code(offset_steps=10)}).content.decode()
    response = client.post(CODE_URL, {"code": app_code()})
    assert response["Location"] == reverse("onboarding:home")
    assert client.session[services.SESSION_METHOD] == "totp"


def test_it_refuses_an_apps_code_used_twice(client, supplier):
    give_authenticator(supplier)
    code = app_code()
    password_step(client)
    client.post(CODE_URL, {"code": code})
    client.post(reverse("twofactor:logout"))
    password_step(client)
    response = client.post(CODE_URL, {"code": code})
    assert MSG_APP_USED in response.content.decode()
    assert not is_logged_in(client)


def test_it_takes_a_recovery_code_once_and_says_so_by_email(client, supplier, django_capture_on_commit_callbacks):
    give_authenticator(supplier)
    password_step(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CODE_URL, {"code": "4F7K-9M2P"}, follow=True)
    html = response.content.decode()
    assert "Vous vous êtes connecté(e) avec un code de secours ; il ne servira plus. Il vous en reste 1." in html
    [notice] = mail.outbox
    assert notice.to == [EMAIL]
    assert "Un code de secours a été utilisé pour vous connecter." in notice.body
    assert "Il vous reste 1 code de secours." in notice.body
    assert "second facteur : un code à 6 chiffres donné par votre application d'authentification" in notice.body
    client.post(reverse("twofactor:logout"))
    password_step(client)
    response = client.post(CODE_URL, {"code": "4f7k-9m2p"})
    assert MSG_RECOVERY_USED in response.content.decode()
    assert MSG_RECOVERY_WRONG in client.post(CODE_URL, {"code": "zzzz-zzzz"}).content.decode()
    assert not is_logged_in(client)


def test_it_logs_out_a_session_that_has_no_second_factor(supplier):
    client = Client()  # Django's own force_login: a password-only session, as before this feature
    client.force_login(supplier)
    response = client.get(reverse("onboarding:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("twofactor:login"))
    assert "_auth_user_id" not in client.session


def test_it_counts_the_code_step_in_a_few_queries(client, supplier, django_assert_num_queries):
    password_step(client)
    code = last_code_sent_to(EMAIL)
    # 14 statements outside a test's transaction (+ 2 SAVEPOINT/RELEASE pairs here): session and
    # user (2), django-axes' lockout check per account and per address (2), the code consumed by
    # one UPDATE and its digest kept (2), then Django's login(): a new session key (4),
    # django-axes' access log (2), last_login (1), the session saved (1).
    with django_assert_num_queries(18):
        response = client.post(CODE_URL, {"code": code})
    assert response["Location"] == reverse("onboarding:home")


def test_it_forgets_used_codes_after_thirty_days(supplier):
    from django.core.management import call_command

    old = UsedCode.objects.create(user=supplier, digest="a" * 64)
    UsedCode.objects.filter(pk=old.pk).update(used_at=timezone.now() - timedelta(days=31))
    recent = UsedCode.objects.create(user=supplier, digest="b" * 64)
    call_command("purge_used_codes", verbosity=0)
    assert list(UsedCode.objects.all()) == [recent]
