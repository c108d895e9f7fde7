import datetime
import json
from decimal import Decimal
from pathlib import Path

import pytest
import responses

from chorus import piste, portal
from chorus.portal import InvoiceSubmission

ANSWERS = Path(__file__).resolve().parent / "answers"

CITY_SIRET = "21380185500015"
CITY_ID_CPP = 25784112
SUPPLIER_SIRET = "53896404000132"  # Alpes Électricité Services, on the stub portal
SUPPLIER_ID_CPP = 26302958


def answer(name):
    """A recorded answer body from tests/chorus/answers/."""
    return json.loads((ANSWERS / name).read_text(encoding="utf-8"))


def make_submission(**changes):
    values = {
        "number": "F-2026-0042",
        "invoice_date": datetime.date(2026, 2, 27),
        "recipient_siret": CITY_SIRET,
        "service_code": "DSI",
        "engagement_number": "EJ-2026-1187",
        "supplier_id_cpp": SUPPLIER_ID_CPP,
        "amount_excl_tax": Decimal("1041.67"),
        "vat_amount": Decimal("208.33"),
        "amount_incl_tax": Decimal("1250.00"),
        "vat_rate": Decimal("20.00"),
        "main_piece_id": 0,
    }
    values.update(changes)
    return InvoiceSubmission(**values)


def upload_and_submit(**changes):
    """Upload a PDF, then submit it as the main piece of an invoice."""
    piece_id = portal.upload_file("facture-F-2026-0042.pdf", b"%PDF-1.7 fake invoice")
    return portal.submit_invoice(make_submission(main_piece_id=piece_id, **changes))


# --- the "piste" backend, on recorded answers ----------------------------------------------------

SANDBOX_TOKEN_URL = "https://sandbox-oauth.piste.gouv.fr/api/oauth/token"
SANDBOX_API = "https://sandbox-api.piste.gouv.fr"
CLIENT_ID = "piste-sandbox-application"
CLIENT_SECRET = "piste-client-secret-never-logged"
TECHNICAL_LOGIN = "TECH_1_grenoble@cpro.fr"
TECHNICAL_PASSWORD = "mot-de-passe-technique-jamais-journalise"


@pytest.fixture
def piste_settings(settings):
    settings.CHORUS_BACKEND = "piste"
    settings.CHORUS_ENVIRONMENT = "sandbox"
    settings.CHORUS_CLIENT_ID = CLIENT_ID
    settings.CHORUS_CLIENT_SECRET = CLIENT_SECRET
    settings.CHORUS_TECHNICAL_LOGIN = TECHNICAL_LOGIN
    settings.CHORUS_TECHNICAL_PASSWORD = TECHNICAL_PASSWORD
    settings.CHORUS_TIMEOUT = 7
    settings.CHORUS_MAX_RETRIES = 3
    settings.CHORUS_RETRY_BACKOFF = 0.5
    settings.CHORUS_CITY_SIRET = CITY_SIRET
    return settings


@pytest.fixture
def sleeps(monkeypatch):
    """The waits between retries, recorded instead of slept."""
    waited = []
    monkeypatch.setattr(piste, "sleep", waited.append)
    return waited


@pytest.fixture
def api(piste_settings, sleeps):
    """PISTE, replayed: a token for the asking; each test registers the API's answers."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        mocked.post(SANDBOX_TOKEN_URL, json=answer("token.json"))
        yield mocked


def url(path):
    return SANDBOX_API + path


def calls_to(mocked, target):
    """The requests made to a URL (or an API path), in order."""
    target = target if target.startswith("https://") else url(target)
    return [call.request for call in mocked.calls if call.request.url == target]


def sent(request):
    """The JSON body a request carried."""
    return json.loads(request.body)
