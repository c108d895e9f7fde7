"""Every exchange is logged on the "chorus" logger, and nothing secret ever is."""

import base64
import logging

import pytest
import requests
import responses

from chorus import portal
from chorus.piste import FILE_UPLOAD, FLOW_DEPOSIT, INVOICE_SUBMIT, STRUCTURES_SEARCH
from chorus.portal import PortalError
from tests.chorus.conftest import (
    CITY_SIRET,
    CLIENT_SECRET,
    SANDBOX_TOKEN_URL,
    TECHNICAL_LOGIN,
    TECHNICAL_PASSWORD,
    answer,
    make_submission,
    url,
)

INVOICE_PDF = b"%PDF-1.7\nIBAN FR76 3000 6000 0112 3456 7890 189 - facture confidentielle\n"


def test_it_logs_the_path_status_duration_and_attempt(api, caplog):
    api.add(responses.POST, url(STRUCTURES_SEARCH), status=502)
    api.add(responses.POST, url(STRUCTURES_SEARCH), json=answer("structures_rechercher.json"))

    with caplog.at_level(logging.INFO, logger="chorus"):
        portal.find_structure(CITY_SIRET)

    lines = [record.getMessage() for record in caplog.records if record.name == "chorus"]
    assert len(lines) == 3
    assert lines[0].startswith("Chorus Pro POST /api/oauth/token -> 200 in ")
    assert lines[1].startswith("Chorus Pro POST /cpro/structures/v1/rechercher -> 502 in ")
    assert lines[1].endswith("ms (attempt 1/4)")
    assert lines[2].endswith("ms (attempt 2/4)") and "-> 200 in" in lines[2]
    assert [record.levelname for record in caplog.records if record.name == "chorus"] == ["INFO", "WARNING", "INFO"]


def test_it_logs_an_exception_by_its_class(api, caplog, sleeps):
    api.post(url(STRUCTURES_SEARCH), body=requests.ReadTimeout("https://sandbox-api.piste.gouv.fr timed out"))
    with caplog.at_level(logging.INFO, logger="chorus"), pytest.raises(PortalError):
        portal.find_structure(CITY_SIRET)
    assert "-> ReadTimeout in" in caplog.text


def test_it_never_logs_a_secret_a_token_or_a_file(api, caplog, sleeps):
    api.replace(responses.POST, SANDBOX_TOKEN_URL, json={**answer("token.json"), "access_token": "jeton-tres-secret"})
    api.post(url(FILE_UPLOAD), json=answer("ajouter_fichier.json"))
    api.add(responses.POST, url(INVOICE_SUBMIT), status=401, json={"error": "invalid_token"})
    api.add(responses.POST, url(INVOICE_SUBMIT), status=400, json=answer("soumettre_refus.json"))
    api.post(url(FLOW_DEPOSIT), body=requests.ReadTimeout("timed out"))
    errors = []

    with caplog.at_level(logging.DEBUG):
        piece_id = portal.upload_file("facture.pdf", INVOICE_PDF)
        for call in (
            lambda: portal.submit_invoice(make_submission(main_piece_id=piece_id)),
            lambda: portal.deposit_flow("facture.pdf", INVOICE_PDF),
        ):
            try:
                call()
            except PortalError as error:
                errors.append(f"{error} {error.message} {error.reason} {error.label} {error.code}")

    assert len(errors) == 2
    cpro_account = base64.b64encode(f"{TECHNICAL_LOGIN}:{TECHNICAL_PASSWORD}".encode()).decode()
    secrets = [
        CLIENT_SECRET,
        TECHNICAL_LOGIN,
        TECHNICAL_PASSWORD,
        cpro_account,
        "jeton-tres-secret",
        base64.b64encode(INVOICE_PDF).decode()[:40],
        "FR76 3000",
    ]
    text = caplog.text + "\n".join(errors)
    assert "Chorus Pro POST /cpro/factures/v1/soumettre -> 400" in caplog.text
    for secret in secrets:
        assert secret not in text
