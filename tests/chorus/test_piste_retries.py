"""Failures: what is retried (with backoff), what is not, and what a caller is told."""

import pytest
import requests
import responses
import urllib3

from chorus import portal
from chorus.piste import FILE_UPLOAD, FLOW_DEPOSIT, INVOICE_HISTORY, INVOICE_SUBMIT, STRUCTURES_SEARCH
from chorus.portal import PortalRefused, PortalUnavailable
from tests.chorus.conftest import CITY_SIRET, answer, calls_to, make_submission, url


def connection_refused():
    """What requests raises when no connection could be made (nothing was sent)."""
    reason = urllib3.exceptions.NewConnectionError(None, "Failed to establish a new connection: [Errno 111]")
    return requests.ConnectionError(urllib3.exceptions.MaxRetryError(None, url(INVOICE_SUBMIT), reason))


def then(mocked, path, *bodies):
    """Register answers (a status code, an exception, or a JSON body) given in turn."""
    for body in bodies:
        if isinstance(body, int):
            mocked.add(responses.POST, url(path), status=body, body="<html>Erreur</html>")
        elif isinstance(body, Exception):
            mocked.add(responses.POST, url(path), body=body)
        else:
            mocked.add(responses.POST, url(path), json=body)


# --- reads: retried on every passing failure --------------------------------------------------


def test_it_retries_a_5xx_with_growing_waits_then_succeeds(api, sleeps):
    then(api, STRUCTURES_SEARCH, 500, 502, answer("structures_rechercher.json"))

    assert portal.find_structure(CITY_SIRET).id_cpp == 25784112
    assert len(calls_to(api, STRUCTURES_SEARCH)) == 3
    assert sleeps == [0.5, 1.0]


def test_it_gives_up_after_the_retries(api, sleeps):
    then(api, STRUCTURES_SEARCH, 503)

    with pytest.raises(PortalUnavailable) as excinfo:
        portal.find_structure(CITY_SIRET)

    assert len(calls_to(api, STRUCTURES_SEARCH)) == 4  # 1 + CHORUS_MAX_RETRIES
    assert sleeps == [0.5, 1.0, 2.0]
    error = excinfo.value
    assert (error.retryable, error.outcome_unknown, error.http_status) == (True, False, 503)
    assert error.message == "Chorus Pro ne répond pas pour le moment. Nouvel essai plus tard."


def test_it_follows_the_retry_settings(api, sleeps, settings):
    settings.CHORUS_MAX_RETRIES = 1
    settings.CHORUS_RETRY_BACKOFF = 2
    then(api, STRUCTURES_SEARCH, 504)
    with pytest.raises(PortalUnavailable):
        portal.find_structure(CITY_SIRET)
    assert len(calls_to(api, STRUCTURES_SEARCH)) == 2
    assert sleeps == [2.0]


@pytest.mark.parametrize(
    "failure", [requests.ReadTimeout("read timed out"), requests.ConnectTimeout("connect timed out")]
)
def test_it_retries_timeouts_then_gives_up(api, sleeps, failure):
    then(api, INVOICE_HISTORY, failure)

    with pytest.raises(PortalUnavailable) as excinfo:
        portal.invoice_status(8316848)

    assert len(calls_to(api, INVOICE_HISTORY)) == 4
    assert sleeps == [0.5, 1.0, 2.0]
    assert excinfo.value.reason == type(failure).__name__


def test_it_retries_connection_errors_then_succeeds(api, sleeps):
    then(api, INVOICE_HISTORY, requests.ConnectionError("reset by peer"), answer("consulter_historique.json"))
    assert portal.invoice_status(8316848).code == "MISE_A_DISPOSITION"
    assert sleeps == [0.5]


def test_it_gives_every_call_a_timeout(api):
    then(api, STRUCTURES_SEARCH, answer("structures_rechercher.json"))
    portal.find_structure(CITY_SIRET)
    assert all(call.request.req_kwargs["timeout"] == 7 for call in api.calls)


def test_it_retries_when_asked_to_slow_down(api, sleeps):
    then(api, STRUCTURES_SEARCH, 429, answer("structures_rechercher.json"))
    assert portal.find_structure(CITY_SIRET).id_cpp == 25784112
    assert sleeps == [0.5]


@pytest.mark.parametrize("status", [400, 403, 404, 422])
def test_it_never_retries_a_4xx(api, sleeps, status):
    api.post(url(STRUCTURES_SEARCH), status=status, json={"codeRetour": 20001, "libelle": "GCU_MSG_05_001"})

    with pytest.raises(PortalRefused) as excinfo:
        portal.find_structure(CITY_SIRET)

    assert len(calls_to(api, STRUCTURES_SEARCH)) == 1
    assert sleeps == []
    assert (excinfo.value.code, excinfo.value.label, excinfo.value.http_status) == ("20001", "GCU_MSG_05_001", status)


def test_it_names_the_http_status_of_a_refusal_without_a_body(api):
    api.post(url(STRUCTURES_SEARCH), status=403, body="Forbidden")
    with pytest.raises(PortalRefused) as excinfo:
        portal.find_structure(CITY_SIRET)
    assert excinfo.value.message == "Chorus Pro a refusé la demande (code ?) : HTTP 403"


@pytest.mark.parametrize("body", ["<html>Maintenance</html>", "[1, 2]", '{"codeRetour": 0, "listeStruc'])
def test_it_takes_an_answer_that_is_not_a_json_object_for_an_outage(api, sleeps, body):
    api.post(url(STRUCTURES_SEARCH), body=body, content_type="text/html")

    with pytest.raises(PortalUnavailable) as excinfo:
        portal.find_structure(CITY_SIRET)

    assert excinfo.value.message == "Chorus Pro a envoyé une réponse illisible. Nouvel essai plus tard."
    assert excinfo.value.outcome_unknown is False
    assert len(calls_to(api, STRUCTURES_SEARCH)) == 4


def test_it_takes_an_answer_missing_its_fields_for_an_outage(api):
    api.post(url(STRUCTURES_SEARCH), json={"codeRetour": 0, "listeStructures": [{"identifiantStructure": CITY_SIRET}]})
    with pytest.raises(PortalUnavailable) as excinfo:
        portal.find_structure(CITY_SIRET)
    assert excinfo.value.message == "Chorus Pro a envoyé une réponse illisible. Nouvel essai plus tard."


def test_it_retries_an_upload(api, sleeps):
    """An upload sent twice leaves at worst an unused file: it is retried like a read."""
    then(api, FILE_UPLOAD, requests.ReadTimeout("read timed out"), answer("ajouter_fichier.json"))
    assert portal.upload_file("facture.pdf", b"%PDF-1.7") == 10321512
    assert sleeps == [0.5]


# --- submissions: never twice when the portal may have processed the first ------------------


@pytest.mark.parametrize(
    "failure",
    [
        requests.ReadTimeout("read timed out"),
        requests.ConnectionError("Connection aborted: RemoteDisconnected"),
        500,
        502,
        504,
    ],
)
def test_it_does_not_submit_twice_when_the_first_may_have_been_processed(api, sleeps, failure):
    then(api, INVOICE_SUBMIT, failure)

    with pytest.raises(PortalUnavailable) as excinfo:
        portal.submit_invoice(make_submission(main_piece_id=10321512))

    assert len(calls_to(api, INVOICE_SUBMIT)) == 1
    assert sleeps == []
    assert excinfo.value.retryable is True
    assert excinfo.value.outcome_unknown is True
    assert excinfo.value.message == (
        "Chorus Pro n'a pas répondu à temps : la facture a pu être reçue. "
        "Vérifiez sur le portail (recherche par numéro) avant de la renvoyer."
    )


def test_it_submits_again_when_the_portal_surely_did_not_process_it(api, sleeps):
    then(
        api,
        INVOICE_SUBMIT,
        503,
        requests.ConnectTimeout("connect timed out"),
        connection_refused(),
        answer("soumettre.json"),
    )

    assert portal.submit_invoice(make_submission(main_piece_id=10321512)).invoice_id_cpp == 8316848
    assert len(calls_to(api, INVOICE_SUBMIT)) == 4
    assert sleeps == [0.5, 1.0, 2.0]


def test_it_gives_up_a_submission_the_portal_keeps_refusing_to_take(api, sleeps):
    then(api, INVOICE_SUBMIT, 429)
    with pytest.raises(PortalUnavailable) as excinfo:
        portal.submit_invoice(make_submission(main_piece_id=10321512))
    assert excinfo.value.outcome_unknown is False
    assert len(calls_to(api, INVOICE_SUBMIT)) == 4


def test_it_cannot_tell_what_became_of_a_submission_whose_answer_is_unreadable(api, sleeps):
    api.post(url(INVOICE_SUBMIT), body="<html>Proxy error</html>", content_type="text/html")
    with pytest.raises(PortalUnavailable) as excinfo:
        portal.submit_invoice(make_submission(main_piece_id=10321512))
    assert excinfo.value.outcome_unknown is True
    assert len(calls_to(api, INVOICE_SUBMIT)) == 1


def test_it_does_not_deposit_a_flow_twice_either(api, sleeps):
    then(api, FLOW_DEPOSIT, requests.ReadTimeout("read timed out"))
    with pytest.raises(PortalUnavailable) as excinfo:
        portal.deposit_flow("facture.pdf", b"%PDF-1.7")
    assert excinfo.value.outcome_unknown is True
    assert len(calls_to(api, FLOW_DEPOSIT)) == 1
