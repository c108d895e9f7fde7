"""The logs (core/logs.py, core/requestid.py, core/events.py): one JSON object a line, each with
the request's id, and never an IBAN in clear, a password, a token or an e-mailed code."""

import json
import logging

import pytest
from django.urls import reverse

from banking import services as banking_services
from core.events import log_event
from core.logs import JsonFormatter, RequestIdFilter, scrub
from tests.banking.factories import BankAccountFactory
from tests.clients import last_code_sent_to
from tests.onboarding.factories import DEFAULT_PASSWORD, SupplierFactory, UserFactory

pytestmark = pytest.mark.django_db

IBAN = "FR7630006000011234567890189"


def lines(caplog):
    """Every record captured, as the production handler writes it."""
    formatter, request_id = JsonFormatter(), RequestIdFilter()
    written = []
    for record in caplog.records:
        request_id.filter(record)
        written.append(formatter.format(record))
    return written


def events(caplog):
    return [json.loads(line) for line in lines(caplog) if '"event"' in line]


def test_it_gives_each_request_an_id_and_sends_it_back(client):
    first, second = client.get("/"), client.get("/")
    assert len(first["X-Request-ID"]) == 32
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_it_keeps_the_load_balancers_request_id_when_it_is_sane(client):
    assert client.get("/", HTTP_X_REQUEST_ID="lb-4f2a9c1e-77")["X-Request-ID"] == "lb-4f2a9c1e-77"
    refused = client.get("/", HTTP_X_REQUEST_ID='x"}, "admin": true')["X-Request-ID"]
    assert len(refused) == 32 and '"' not in refused


def test_it_puts_the_route_not_the_token_in_the_access_log(client):
    token = "eyJ1IjoxMjM0fQ:1vPq2R:Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5"
    response = client.get(f"/activation/{token}/")
    route = response.wsgi_request.META["onboarding.route"]
    assert route == "activation/<str:token>/"
    assert response.wsgi_request.META["onboarding.request_id"] == response["X-Request-ID"]
    unknown = client.get(f"/activation/{token}/x/y/")  # no route: the path, its token masked
    assert token not in unknown.wsgi_request.META["onboarding.route"]


def test_it_writes_one_json_object_a_line_with_the_request_id(client, caplog):
    caplog.set_level(logging.INFO)
    response = client.post(reverse("onboarding:resend_activation"), {"email": "x@exemple.fr"})
    logging.getLogger("tests").warning('a "quoted" message\non two lines')
    [line] = [json.loads(line) for line in lines(caplog) if "quoted" in line]
    assert line["message"] == 'a "quoted" message\non two lines'
    assert line["level"] == "WARNING" and line["request_id"] == "-"  # outside any request
    assert response.status_code == 200


def test_it_logs_a_business_event_with_its_fields_and_the_request_id(caplog, django_user_model):
    caplog.set_level(logging.INFO)
    finance = UserFactory(is_staff=True)
    from django.contrib.auth.models import Permission

    finance.user_permissions.add(Permission.objects.get(codename="review_bankaccount"))
    finance = django_user_model.objects.get(pk=finance.pk)
    account = BankAccountFactory()
    banking_services.validate_bank_account(account, by=finance)
    [event] = events(caplog)
    assert event["event"] == "bank_account.validated"
    assert event["bank_account"] == account.pk and event["by"] == finance.pk
    assert event["structure"] == account.structure_id
    assert IBAN not in json.dumps(event)


def test_it_masks_sensitive_fields_whatever_their_value(caplog):
    caplog.set_level(logging.INFO)
    log_event("test.sensitive", iban=IBAN, password="Un-mot-de-passe-42", code="123456", token="abc", user=7)
    [event] = events(caplog)
    assert event["iban"] == "FR…0189"
    assert event["password"] == event["code"] == event["token"] == "[masqué]"
    assert event["user"] == 7


def test_it_masks_an_iban_or_a_signed_token_in_any_message():
    assert scrub(f"RIB refusé pour {IBAN}") == "RIB refusé pour FR…0189"
    assert scrub("IBAN FR76 3000 6000 0112 3456 7890 189 reçu") == "IBAN FR…0189 reçu"
    assert scrub("Not Found: /activation/eyJ1IjoxfQ:1vPq2R:Zm9vYmFyYmF6cXV4cXV1eGNvcmdl/x/") == (
        "Not Found: /activation/[masqué]/x/"
    )
    assert scrub("SIRET 21380185500015, commande DSI-2026-42") == "SIRET 21380185500015, commande DSI-2026-42"


def test_it_never_logs_an_iban_a_password_or_an_e_mailed_code(client, caplog, settings):
    """A login (password, then the e-mailed code) and bank details reviewed, with every logger
    at DEBUG: none of the secrets typed or e-mailed appears in any line written."""
    caplog.set_level(logging.DEBUG)
    SupplierFactory(email="claire@exemple.fr")
    client.post(reverse("twofactor:login"), {"username": "claire@exemple.fr", "password": DEFAULT_PASSWORD})
    code = last_code_sent_to("claire@exemple.fr")
    client.post(reverse("twofactor:login_code"), {"code": "000000" if code != "000000" else "111111"})  # a wrong one
    client.post(reverse("twofactor:login_code"), {"code": code})
    logging.getLogger("banking").error("Could not check %s for account %s", IBAN, 12)
    log_event("test.everything", iban=IBAN, password=DEFAULT_PASSWORD, code=code)
    written = "\n".join(lines(caplog))
    assert written  # something was logged
    for secret in (IBAN, DEFAULT_PASSWORD, code):
        assert secret not in written
