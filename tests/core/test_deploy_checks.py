"""`manage.py check --deploy` (core/checks.py): it fails on what would be wrong in production,
with a sentence saying what to set, and passes on the settings README « Mise en production » lists."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# README « Mise en production »: the variables a production sets.
PRODUCTION = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "fournisseurs.grenoble.fr",
    "SITE_URL": "https://fournisseurs.grenoble.fr",
    "DATABASE_URL": "postgres://onboarding:secret@db.grenoble.example:5432/onboarding?conn_max_age=600",
    "CACHE_URL": "redis://redis.grenoble.example:6379/0",
    "EMAIL_URL": "smtp://mailer.grenoble.example:587/?tls=True",
    "BEHIND_PROXY": "1",
    "PROXY_COUNT": "1",
}


def deploy_check(**env):
    """`check --deploy --fail-level WARNING`, as bin/serve runs it, with exactly this environment."""
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "SECRET_KEY", "CACHE_URL", "CAPTCHA_", "SMOKE_", "ALLOWED_HOSTS", "SITE_URL"))
    }
    clean.update({key: value for key, value in env.items() if value is not None})
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_passes_on_the_documented_production_settings():
    result = deploy_check(**PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_it_fails_on_a_cache_each_process_keeps_for_itself():
    result = deploy_check(**{**PRODUCTION, "CACHE_URL": None})  # the local-memory default
    assert result.returncode != 0
    assert "onboarding.E002" in result.stderr
    assert "Set CACHE_URL=redis://HOST:6379/0" in result.stderr


def test_it_fails_on_the_captchas_test_mode():
    result = deploy_check(**PRODUCTION, CAPTCHA_TEST_MODE="1")
    assert result.returncode != 0
    assert "onboarding.E003" in result.stderr
    assert "Remove CAPTCHA_TEST_MODE" in result.stderr


def test_it_fails_without_a_secret_key():
    result = deploy_check(**{**PRODUCTION, "SECRET_KEY": None})
    assert result.returncode != 0
    assert "onboarding.E001" in result.stderr


def test_it_lets_the_smoke_run_use_the_captchas_test_word_and_plain_http_on_loopback():
    smoke = {
        **PRODUCTION,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": "http://127.0.0.1:8765",
        "DJANGO_HTTPS": "0",
        "CAPTCHA_TEST_MODE": "1",
    }
    refused = deploy_check(**smoke)
    assert refused.returncode != 0  # plain HTTP and the test word, unless told it is the smoke run
    assert "onboarding.E003" in refused.stderr and "security.W008" in refused.stderr
    result = deploy_check(**smoke, SMOKE_RUN_ON_LOOPBACK="1")
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_refuses_the_smoke_runs_leave_on_a_real_host_name():
    result = deploy_check(**PRODUCTION, DJANGO_HTTPS="0", CAPTCHA_TEST_MODE="1", SMOKE_RUN_ON_LOOPBACK="1")
    assert result.returncode != 0
    assert "onboarding.E004" in result.stderr
    assert "fournisseurs.grenoble.fr" in result.stderr
