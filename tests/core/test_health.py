"""/sante/ (core/health.py): what the load balancer and the container ask."""

import json

import pytest
from django.core.management import CommandError, call_command

from core import health

pytestmark = pytest.mark.django_db


def test_it_answers_200_when_the_database_the_cache_and_the_storage_answer(client, private_media):
    private_media.mkdir(parents=True)
    response = client.get("/sante/")
    assert response.status_code == 200
    assert json.loads(response.content) == {"statut": "ok", "database": "ok", "cache": "ok", "storage": "ok"}
    assert "no-store" in response["Cache-Control"]
    assert not response.cookies  # no session, no CSRF cookie


def test_it_answers_503_naming_the_database_when_it_fails(client, private_media, monkeypatch):
    private_media.mkdir(parents=True)

    def broken():
        raise RuntimeError("connection to server at 10.0.0.3 failed: password authentication failed")

    monkeypatch.setitem(health.CHECKS, "database", broken)
    response = client.get("/sante/")
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body == {"statut": "échec", "database": "échec", "cache": "ok", "storage": "ok"}
    assert b"10.0.0.3" not in response.content and b"password" not in response.content  # details go to the log


def test_it_answers_503_naming_the_cache_when_redis_does_not_answer(client, private_media, settings):
    private_media.mkdir(parents=True)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"socket_connect_timeout": 0.5},
        }
    }
    response = client.get("/sante/")
    assert response.status_code == 503
    assert json.loads(response.content)["cache"] == "échec"


def test_it_answers_503_naming_the_storage_when_its_folder_is_missing(client):
    response = client.get("/sante/")  # this test's private folder was never created
    assert response.status_code == 503
    assert json.loads(response.content) == {"statut": "échec", "database": "ok", "cache": "ok", "storage": "échec"}


def test_it_answers_a_load_balancer_over_plain_http_at_the_machines_own_address(client, private_media, settings):
    private_media.mkdir(parents=True)
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["fournisseurs.grenoble.fr"]
    assert client.get("/sante/", HTTP_HOST="10.0.0.5:8000").status_code == 200
    assert client.get("/", HTTP_HOST="fournisseurs.grenoble.fr").status_code == 301  # the others: HTTPS


def test_it_is_not_rate_limited(client, private_media, settings):
    private_media.mkdir(parents=True)
    settings.RATELIMITS = {group: "1/h" for group in settings.RATELIMITS}
    assert {client.get("/sante/").status_code for _ in range(20)} == {200}


def test_it_refuses_other_methods_without_an_error(client):
    response = client.post("/sante/")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_it_checks_the_services_before_the_server_starts(private_media, capsys):
    call_command("check_services")
    assert capsys.readouterr().out.splitlines() == ["database: ok", "cache: ok", "storage: ok"]
    assert private_media.is_dir()  # created: /sante/ can list it from now on
    assert list(private_media.rglob("*.txt")) == []  # its probe file is gone


def test_it_says_which_service_does_not_answer_at_start(settings, capsys):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.5},
        }
    }
    with pytest.raises(CommandError, match="Not answering: cache"):
        call_command("check_services")
