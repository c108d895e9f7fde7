"""`manage.py chorus_check`: the first call to make with new credentials."""

import io

import pytest
import responses
from django.core.management import CommandError, call_command

from chorus.piste import STRUCTURES_SEARCH
from tests.chorus.conftest import CLIENT_SECRET, SANDBOX_TOKEN_URL, answer, url


def run():
    out = io.StringIO()
    call_command("chorus_check", stdout=out)
    return out.getvalue()


def test_it_finds_the_city_and_its_services_on_the_stub(stub_portal):
    out = run()
    assert "Backend: stub" in out
    assert "Structure: COMMUNE DE GRENOBLE (idStructureCPP 25784112)" in out
    assert "DSI                  Direction des systèmes d'information (engagement obligatoire)" in out
    assert "FETES" in out and "(inactif)" in out
    assert "Chorus Pro answers: 6 services." in out


def test_it_says_when_the_city_is_not_on_the_portal(api):
    api.post(url(STRUCTURES_SEARCH), json=answer("structures_rechercher_vide.json"))
    with pytest.raises(CommandError, match="No structure with the SIRET 21380185500015 on the portal"):
        run()


def test_it_says_which_credentials_are_missing(piste_settings, settings):
    settings.CHORUS_TECHNICAL_PASSWORD = ""
    with pytest.raises(CommandError, match="CHORUS_TECHNICAL_PASSWORD must be set"):
        run()


def test_it_says_piste_refused_the_application_without_showing_the_secret(api):
    api.replace(responses.POST, SANDBOX_TOKEN_URL, status=401, json=answer("token_invalid_client.json"))
    with pytest.raises(CommandError) as excinfo:
        run()
    assert "Chorus Pro refuse nos identifiants" in str(excinfo.value)
    assert CLIENT_SECRET not in str(excinfo.value)


def test_it_says_the_portal_is_down(api, sleeps):
    api.post(url(STRUCTURES_SEARCH), status=503)
    with pytest.raises(CommandError, match="Chorus Pro ne répond pas pour le moment"):
        run()
