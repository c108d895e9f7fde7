import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.template import Context, Template

ROOT = Path(__file__).resolve().parents[2]


def load_settings(**env):
    """Import the settings in a fresh interpreter with exactly this environment."""
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DJANGO_DEBUG", "DATABASE_URL"}}
    clean.update(env)
    code = (
        "import config.settings as s;"
        "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.EMAIL_BACKEND, s.ALLOWED_HOSTS, s.CAPTCHA_TEST_MODE)"
    )
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True)


def run_without_a_secret_key(*args):
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DJANGO_DEBUG"}}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=clean, capture_output=True, text=True)


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off():
    served = run_without_a_secret_key("-c", "import config.wsgi")
    assert served.returncode != 0
    assert "SECRET_KEY must be set when DJANGO_DEBUG is off" in served.stderr
    checked = run_without_a_secret_key("manage.py", "check", "--deploy")
    assert checked.returncode != 0
    assert "onboarding.E001" in checked.stderr


def test_it_still_runs_commands_that_sign_nothing_without_a_secret_key():
    result = run_without_a_secret_key("manage.py", "makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


def test_it_gives_the_demo_defaults_in_debug():
    result = load_settings(DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "django.db.backends.sqlite3",
        "django.core.mail.backends.console.EmailBackend",
        "['localhost',",
        "'127.0.0.1']",
        "False",
    ]


def test_it_reads_the_database_and_email_from_the_environment():
    result = load_settings(
        SECRET_KEY="s3cret",
        DATABASE_URL="postgres://u:p@db.example:5432/onboarding",
        EMAIL_URL="smtp://mailer.example:25",
    )
    assert result.returncode == 0, result.stderr
    debug, engine, backend, *_ = result.stdout.split()
    assert (debug, engine, backend) == (
        "False",
        "django.db.backends.postgresql",
        "django.core.mail.backends.smtp.EmailBackend",
    )


def test_it_speaks_french_in_paris(settings):
    assert settings.LANGUAGE_CODE == "fr"
    assert settings.TIME_ZONE == "Europe/Paris"
    assert settings.USE_I18N is True


def test_it_fails_a_test_that_renders_an_undefined_template_variable():
    # --fail-on-template-vars (pyproject) turns a typo in a template into a failing test.
    with pytest.raises(pytest.fail.Exception, match="Undefined template variable 'no_such_variable'"):
        Template("{{ no_such_variable }}").render(Context({}))
