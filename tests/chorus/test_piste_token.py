"""PISTE's OAuth2 token: fetched once, shared in the cache, renewed on expiry and on a 401."""

import base64
from urllib.parse import parse_qs

import pytest
import responses
from django.core.exceptions import ImproperlyConfigured

from chorus import piste, portal
from chorus.piste import STRUCTURES_SEARCH
from chorus.portal import PortalRefused
from tests.chorus.conftest import (
    CITY_SIRET,
    CLIENT_ID,
    CLIENT_SECRET,
    SANDBOX_TOKEN_URL,
    TECHNICAL_LOGIN,
    TECHNICAL_PASSWORD,
    answer,
    calls_to,
    url,
)


@pytest.fixture
def structures(api):
    api.post(url(STRUCTURES_SEARCH), json=answer("structures_rechercher.json"))
    return api


def test_it_asks_the_sandbox_for_a_client_credentials_token(structures):
    portal.find_structure(CITY_SIRET)

    [token_request] = calls_to(structures, SANDBOX_TOKEN_URL)
    assert token_request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(token_request.body) == {
        "grant_type": ["client_credentials"],
        "client_id": [CLIENT_ID],
        "client_secret": [CLIENT_SECRET],
        "scope": ["openid"],
    }


def test_it_sends_the_bearer_token_and_the_technical_account(structures):
    portal.find_structure(CITY_SIRET)

    [request] = calls_to(structures, STRUCTURES_SEARCH)
    assert request.method == "POST"
    assert request.headers["Authorization"] == "Bearer sandbox-access-token-1"
    account = base64.b64decode(request.headers["cpro-account"]).decode()
    assert account == f"{TECHNICAL_LOGIN}:{TECHNICAL_PASSWORD}"
    assert request.headers["Content-Type"] == "application/json;charset=utf-8"
    assert request.headers["Accept"] == "application/json"


def test_it_keeps_the_token_for_the_next_calls(structures):
    for _call in range(3):
        portal.find_structure(CITY_SIRET)
    assert len(calls_to(structures, SANDBOX_TOKEN_URL)) == 1
    assert len(calls_to(structures, STRUCTURES_SEARCH)) == 3


def test_it_shares_the_token_through_the_cache_not_the_process(structures):
    """Another process has another client, but the same cache: no second token."""
    portal.find_structure(CITY_SIRET)
    piste._client.cache_clear()
    portal.find_structure(CITY_SIRET)
    assert len(calls_to(structures, SANDBOX_TOKEN_URL)) == 1


def test_it_asks_for_a_new_token_shortly_before_it_expires(structures, monkeypatch):
    start = 1_800_000_000.0
    monkeypatch.setattr(piste, "clock", lambda: start)
    portal.find_structure(CITY_SIRET)

    # 59 minutes later: still the same token (PISTE's last an hour).
    monkeypatch.setattr(piste, "clock", lambda: start + 3600 - 61)
    portal.find_structure(CITY_SIRET)
    assert len(calls_to(structures, SANDBOX_TOKEN_URL)) == 1

    # Within the last minute: a new one, before the old one fails on the way.
    structures.replace(responses.POST, SANDBOX_TOKEN_URL, json={**answer("token.json"), "access_token": "jeton-2"})
    monkeypatch.setattr(piste, "clock", lambda: start + 3600 - 30)
    portal.find_structure(CITY_SIRET)

    assert len(calls_to(structures, SANDBOX_TOKEN_URL)) == 2
    assert calls_to(structures, STRUCTURES_SEARCH)[-1].headers["Authorization"] == "Bearer jeton-2"


def test_it_renews_the_token_once_on_a_401_then_succeeds(api, sleeps):
    """A token revoked or expired on PISTE's side: no retry counted, no wait."""
    api.add(responses.POST, url(STRUCTURES_SEARCH), status=401, json={"error": "invalid_token"})
    api.add(responses.POST, url(STRUCTURES_SEARCH), json=answer("structures_rechercher.json"))
    api.replace(responses.POST, SANDBOX_TOKEN_URL, json=answer("token.json"))
    api.add(responses.POST, SANDBOX_TOKEN_URL, json={**answer("token.json"), "access_token": "jeton-2"})

    assert portal.find_structure(CITY_SIRET).name == "COMMUNE DE GRENOBLE"

    assert [call.headers["Authorization"] for call in calls_to(api, STRUCTURES_SEARCH)] == [
        "Bearer sandbox-access-token-1",
        "Bearer jeton-2",
    ]
    assert len(calls_to(api, SANDBOX_TOKEN_URL)) == 2
    assert sleeps == []


def test_it_gives_up_on_a_second_401(api, sleeps):
    api.post(url(STRUCTURES_SEARCH), status=401, json={"error": "invalid_token"})

    with pytest.raises(PortalRefused) as excinfo:
        portal.find_structure(CITY_SIRET)

    assert excinfo.value.http_status == 401
    assert excinfo.value.message.startswith("Chorus Pro refuse nos identifiants")
    assert len(calls_to(api, STRUCTURES_SEARCH)) == 2
    assert len(calls_to(api, SANDBOX_TOKEN_URL)) == 2
    assert sleeps == []


def test_it_refuses_wrong_piste_credentials_at_once(api, sleeps):
    api.replace(responses.POST, SANDBOX_TOKEN_URL, status=400, json=answer("token_invalid_client.json"))

    with pytest.raises(PortalRefused) as excinfo:
        portal.find_structure(CITY_SIRET)

    assert excinfo.value.code == "invalid_client"
    assert excinfo.value.retryable is False
    assert len(calls_to(api, SANDBOX_TOKEN_URL)) == 1
    assert calls_to(api, STRUCTURES_SEARCH) == []
    assert sleeps == []


def test_it_retries_when_the_token_endpoint_is_down(api, sleeps):
    api.replace(responses.POST, SANDBOX_TOKEN_URL, status=503)
    api.add(responses.POST, SANDBOX_TOKEN_URL, json=answer("token.json"))
    api.post(url(STRUCTURES_SEARCH), json=answer("structures_rechercher.json"))

    assert portal.find_structure(CITY_SIRET).id_cpp == 25784112
    assert len(calls_to(api, SANDBOX_TOKEN_URL)) == 2
    assert sleeps == [0.5]


def test_it_uses_the_production_addresses(api, settings):
    settings.CHORUS_ENVIRONMENT = "production"
    api.post("https://oauth.piste.gouv.fr/api/oauth/token", json=answer("token.json"))
    api.post("https://api.piste.gouv.fr/cpro/structures/v1/rechercher", json=answer("structures_rechercher.json"))

    assert portal.find_structure(CITY_SIRET).id_cpp == 25784112
    assert calls_to(api, SANDBOX_TOKEN_URL) == []


@pytest.mark.parametrize(
    "name", ["CHORUS_CLIENT_ID", "CHORUS_CLIENT_SECRET", "CHORUS_TECHNICAL_LOGIN", "CHORUS_TECHNICAL_PASSWORD"]
)
def test_it_names_a_missing_credential_without_showing_the_others(piste_settings, settings, name):
    setattr(settings, name, "")
    with pytest.raises(ImproperlyConfigured) as excinfo:
        portal.find_structure(CITY_SIRET)
    assert name in str(excinfo.value)
    assert CLIENT_SECRET not in str(excinfo.value) and TECHNICAL_PASSWORD not in str(excinfo.value)


def test_it_refuses_an_unknown_environment(piste_settings, settings):
    settings.CHORUS_ENVIRONMENT = "qualif"
    with pytest.raises(ImproperlyConfigured):
        portal.find_structure(CITY_SIRET)


def test_it_keeps_secrets_out_of_the_configuration_repr(piste_settings):
    text = repr(piste.PisteConfig.from_settings())
    assert CLIENT_SECRET not in text and TECHNICAL_PASSWORD not in text and TECHNICAL_LOGIN not in text
