import os
import re
import secrets
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.urls import reverse

from tests.onboarding.factories import DEFAULT_PASSWORD, SupplierFactory

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def test_it_passes_the_deployment_checklist_with_production_settings():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECRET_KEY", "CACHE_URL"))}
    env.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="fournisseurs.grenoble.fr",
        CACHE_URL="redis://127.0.0.1:6379/1",
        DATABASE_URL="sqlite:////tmp/deploy-check.sqlite3",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (1 silenced)." in result.stdout  # W001, see settings


def test_it_sends_a_content_security_policy_without_inline_code(client):
    response = client.get(reverse("onboarding:landing"))
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_our_pages_have_no_inline_script_or_style(client):
    for name in ["onboarding:landing", "twofactor:login", "onboarding:terms", "onboarding:wizard_step"]:
        url = reverse(name, args=["compte"]) if name == "onboarding:wizard_step" else reverse(name)
        html = client.get(url).content.decode()
        assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []  # only files from our static folder
        assert "<style" not in html
        assert ' style="' not in html


def login(client, email, password, ip="192.0.2.1"):
    return client.post(reverse("twofactor:login"), {"username": email, "password": password}, REMOTE_ADDR=ip)


def test_it_locks_an_account_after_five_failures_whatever_the_address(client):
    SupplierFactory(email="claire@exemple.fr")
    for n in range(4):
        assert login(client, "claire@exemple.fr", "faux", ip=f"192.0.2.{n}").status_code == 200
    assert login(client, "claire@exemple.fr", "faux", ip="192.0.2.4").status_code == 429  # the 5th
    response = login(client, "Claire@Exemple.fr", DEFAULT_PASSWORD, ip="198.51.100.7")
    assert response.status_code == 429
    html = response.content.decode()
    assert "Connexion bloquée temporairement" in html
    assert "réessayez dans 15 minutes" in html
    assert "_auth_user_id" not in client.session


def test_it_locks_an_address_after_five_failures_whatever_the_account(client):
    SupplierFactory(email="claire@exemple.fr")
    for n in range(5):
        login(client, f"inconnu{n}@exemple.fr", "faux", ip="203.0.113.9")
    assert login(client, "claire@exemple.fr", DEFAULT_PASSWORD, ip="203.0.113.9").status_code == 429
    assert login(client, "claire@exemple.fr", DEFAULT_PASSWORD, ip="203.0.113.10").status_code == 302


def test_it_opens_again_after_the_cool_off(client):
    SupplierFactory(email="claire@exemple.fr")
    for _ in range(5):
        login(client, "claire@exemple.fr", "faux")
    assert login(client, "claire@exemple.fr", DEFAULT_PASSWORD).status_code == 429
    from django.utils import timezone

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert login(client, "claire@exemple.fr", DEFAULT_PASSWORD).status_code == 302


def test_it_limits_resending_e_mails_with_a_page_that_says_when_to_retry(client):
    for _ in range(5):
        assert client.post(reverse("onboarding:resend_activation"), {"email": "x@exemple.fr"}).status_code == 200
    response = client.post(reverse("onboarding:resend_activation"), {"email": "x@exemple.fr"})
    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    assert "Réessayez dans 60 minutes au plus." in response.content.decode()


def test_it_limits_password_reset_requests(client):
    for _ in range(5):
        client.post(reverse("twofactor:password_reset"), {"email": "x@exemple.fr"})
    assert client.post(reverse("twofactor:password_reset"), {"email": "x@exemple.fr"}).status_code == 429


def test_it_gives_a_new_session_at_login(client):
    """The session a browser had before the password (one an attacker may have planted: session
    fixation) is dead after it: a new key, the old one removed from the store, and the old
    cookie gives no access to the login waiting for its second factor."""
    from django.contrib.sessions.models import Session
    from django.test import Client

    SupplierFactory(email="claire@exemple.fr")
    client.get(reverse("twofactor:login"))
    session = client.session
    session["before"] = 1
    session.save()
    before = session.session_key
    planted = Client()
    planted.cookies[settings.SESSION_COOKIE_NAME] = before
    assert Session.objects.filter(session_key=before).exists()
    response = login(client, "claire@exemple.fr", DEFAULT_PASSWORD)
    assert response["Location"] == reverse("twofactor:login_code")
    assert client.session.session_key != before
    assert client.session["before"] == 1  # the same visit goes on, under its new key
    assert not Session.objects.filter(session_key=before).exists()
    assert planted.get(reverse("twofactor:login_code"))["Location"] == reverse("twofactor:login")


def test_it_closes_an_idle_session(client):
    client.force_login(SupplierFactory())
    session = client.session
    session["_seen_at"] = int(time.time()) - 31 * 60
    session.save()
    response = client.get(reverse("onboarding:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("twofactor:login"))


def test_it_closes_a_session_after_its_absolute_lifetime(client):
    client.force_login(SupplierFactory())
    session = client.session
    session["_started_at"] = int(time.time()) - 13 * 3600
    session.save()
    assert client.get(reverse("onboarding:home")).status_code == 302


def test_it_keeps_an_active_session(client):
    client.force_login(SupplierFactory())
    assert client.get(reverse("onboarding:home")).status_code == 200


def test_it_logs_out_other_sessions_after_a_password_change(client):
    from tests.clients import VerifiedClient

    user = SupplierFactory()
    other = VerifiedClient()
    other.force_login(user)
    client.force_login(user)
    assert other.get(reverse("onboarding:home")).status_code == 200
    user.set_password("Un-tout-nouveau-mot-de-passe-7")
    user.save()
    assert other.get(reverse("onboarding:home")).status_code == 302
