"""The "piste" backend: Chorus Pro's API through PISTE, the State's API gateway.

Every call is a POST of JSON to https://(sandbox-)api.piste.gouv.fr/cpro/… with two proofs:
`Authorization: Bearer <token>`, a PISTE OAuth2 token (grant `client_credentials`, scope
`openid`) kept in Django's cache until shortly before it expires, so that every process shares
it; and `cpro-account: base64(login:password)`, the Chorus Pro technical account.

Failures (see chorus/portal.py for what callers get):
- a 401 from the API: the token is dropped, a new one fetched, the call made once more;
- timeouts, connection errors, 5xx, 429 and answers that are not JSON: retried
  CHORUS_MAX_RETRIES times, CHORUS_RETRY_BACKOFF × 1, 2, 4… seconds apart, then
  PortalUnavailable;
- a submission (soumettre, deposer/flux) is not idempotent: it is retried only when the portal
  surely did not process it (no connection made, 429, 503). After a read timeout, a 500 or an
  unreadable answer it may have been processed: PortalUnavailable(outcome_unknown=True), and
  the caller looks the invoice up before submitting it again;
- other 4xx, and answers whose `codeRetour` is not 0: PortalRefused, never retried.

Every HTTP exchange is logged on the "chorus" logger: the path, the status (or the exception's
class), the duration and the attempt. Never the token, the client secret, the technical
account's login or password, the `cpro-account` header, the bodies nor the files.
"""

import base64
import contextlib
import datetime
import functools
import hashlib
import json
import logging
import time
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import requests
import urllib3
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from .portal import (
    DEFAULT_BILLING_FRAMEWORK,
    MSG_CREDENTIALS_REFUSED,
    MSG_INVALID_ANSWER,
    FlowReceipt,
    PortalInvoice,
    PortalInvoiceStatus,
    PortalRefused,
    PortalService,
    PortalStatusChange,
    PortalStructure,
    PortalUnavailable,
    SubmissionReceipt,
    refused,
    status_label,
)

logger = logging.getLogger("chorus")

# Bandit's B105 takes the token addresses for passwords: they are PISTE's public addresses.
ENVIRONMENTS = {
    "sandbox": {
        "token_url": "https://sandbox-oauth.piste.gouv.fr/api/oauth/token",  # nosec B105
        "api_url": "https://sandbox-api.piste.gouv.fr",
    },
    "production": {
        "token_url": "https://oauth.piste.gouv.fr/api/oauth/token",  # nosec B105
        "api_url": "https://api.piste.gouv.fr",
    },
}

STRUCTURES_SEARCH = "/cpro/structures/v1/rechercher"
STRUCTURE_DETAILS = "/cpro/structures/v1/consulter"
SERVICES_SEARCH = "/cpro/structures/v1/rechercher/services"
SERVICE_DETAILS = "/cpro/structures/v1/consulter/service"
FILE_UPLOAD = "/cpro/transverses/v1/ajouter/fichier"
INVOICE_SUBMIT = "/cpro/factures/v1/soumettre"
FLOW_DEPOSIT = "/cpro/factures/v1/deposer/flux"
INVOICE_HISTORY = "/cpro/factures/v1/consulter/historique"
SUPPLIER_INVOICES_SEARCH = "/cpro/factures/v1/rechercher/fournisseur"

# The key's version changes with what is stored under it (B105: a cache key, not a token).
TOKEN_CACHE_KEY = "chorus:piste:token:v1:{}"  # nosec B105
# A token is dropped this long before PISTE says it expires (it lasts an hour), so that no call
# leaves with a token that expires on the way.
TOKEN_MARGIN_SECONDS = 60
PAGE_SIZE = 100
# More pages than this is a loop, not a directory: stop rather than ask forever.
MAX_PAGES = 50
# Reserved to invoices between public bodies: a supplier's invoice sent there is rejected.
PUBLIC_INVOICES_SERVICE = "FACTURES_PUBLIQUES"
PORTAL_TIMEZONE = zoneinfo.ZoneInfo("Europe/Paris")

# Module-level so that tests replace them (no real sleep, a clock that jumps).
sleep = time.sleep
clock = time.time


@dataclass(frozen=True, kw_only=True)
class PisteConfig:
    environment: str
    client_id: str
    client_secret: str = field(repr=False)
    technical_login: str = field(repr=False)
    technical_password: str = field(repr=False)
    timeout: float = 10.0
    max_retries: int = 3
    backoff: float = 0.5

    @classmethod
    def from_settings(cls):
        environment = getattr(settings, "CHORUS_ENVIRONMENT", "sandbox")
        if environment not in ENVIRONMENTS:
            raise ImproperlyConfigured(f"CHORUS_ENVIRONMENT must be 'sandbox' or 'production', not {environment!r}")
        names = ("CHORUS_CLIENT_ID", "CHORUS_CLIENT_SECRET", "CHORUS_TECHNICAL_LOGIN", "CHORUS_TECHNICAL_PASSWORD")
        missing = [name for name in names if not getattr(settings, name, "")]
        if missing:
            raise ImproperlyConfigured(f"{', '.join(missing)} must be set when CHORUS_BACKEND is 'piste'")
        return cls(
            environment=environment,
            client_id=settings.CHORUS_CLIENT_ID,
            client_secret=settings.CHORUS_CLIENT_SECRET,
            technical_login=settings.CHORUS_TECHNICAL_LOGIN,
            technical_password=settings.CHORUS_TECHNICAL_PASSWORD,
            timeout=float(getattr(settings, "CHORUS_TIMEOUT", 10.0)),
            max_retries=max(0, int(getattr(settings, "CHORUS_MAX_RETRIES", 3))),
            backoff=max(0.0, float(getattr(settings, "CHORUS_RETRY_BACKOFF", 0.5))),
        )

    @property
    def token_url(self):
        return ENVIRONMENTS[self.environment]["token_url"]

    @property
    def api_url(self):
        return ENVIRONMENTS[self.environment]["api_url"]

    @property
    def token_cache_key(self):
        # One token per PISTE application and environment; hashed to keep the key plain.
        return TOKEN_CACHE_KEY.format(hashlib.sha256(f"{self.environment}:{self.client_id}".encode()).hexdigest()[:24])

    @property
    def cpro_account(self):
        return base64.b64encode(f"{self.technical_login}:{self.technical_password}".encode()).decode("ascii")


def backend():
    return _client(PisteConfig.from_settings())


@functools.lru_cache(maxsize=4)
def _client(config):
    # One client (and its connection pool) per configuration, for the life of the process.
    return PisteClient(config)


class PisteClient:
    def __init__(self, config, session=None):
        self.config = config
        self.session = session or requests.Session()

    # --- structures --------------------------------------------------------------------------

    def find_structure(self, identifier, identifier_type):
        payload = {
            "restreindreStructuresPrivees": False,
            "structure": {"identifiantStructure": identifier, "typeIdentifiantStructure": identifier_type},
            "parametres": {"nbResultatsParPage": 10, "pageResultatDemandee": 1},
        }
        answer = self._post(STRUCTURES_SEARCH, payload)
        with _reading(STRUCTURES_SEARCH):
            for row in answer.get("listeStructures") or []:
                # The search may match more than the identifier typed: keep only that one.
                if "".join(str(row.get("identifiantStructure", "")).split()) == identifier:
                    return PortalStructure(
                        id_cpp=int(row["idStructureCPP"]),
                        identifier=identifier,
                        identifier_type=row.get("typeIdentifiantStructure") or identifier_type,
                        name=(row.get("designationStructure") or "").strip(),
                        active=(row.get("statut") or "ACTIF").upper() != "INACTIF",
                    )
        return None

    def list_services(self, structure_id_cpp):
        rows = []
        for answer in self._pages(
            SERVICES_SEARCH, {"idStructure": structure_id_cpp}, "parametresRechercherServicesStructure"
        ):
            rows.extend(answer.get("listeServices") or [])
        structure_wants_engagement = self._structure_wants_engagement(structure_id_cpp)
        services = []
        with _reading(SERVICES_SEARCH):
            for row in rows:
                code = (row.get("codeService") or "").strip()
                if not code or code == PUBLIC_INVOICES_SERVICE:
                    continue
                service_id = int(row["idService"])
                active = bool(row.get("estActif", True))
                # rechercher/services does not say it: one consulter/service per active service.
                engagement = structure_wants_engagement or (
                    active and self._service_wants_engagement(structure_id_cpp, service_id)
                )
                services.append(
                    PortalService(
                        id_cpp=service_id,
                        code=code,
                        name=(row.get("libelleService") or row.get("nomService") or code).strip(),
                        engagement_required=engagement,
                        active=active,
                    )
                )
        return services

    def _structure_wants_engagement(self, structure_id_cpp):
        answer = self._post(STRUCTURE_DETAILS, {"idStructureCPP": structure_id_cpp})
        return bool((answer.get("parametres") or {}).get("numeroEJDoitEtreRenseigne"))

    def _service_wants_engagement(self, structure_id_cpp, service_id):
        answer = self._post(SERVICE_DETAILS, {"idStructure": structure_id_cpp, "idService": service_id})
        return bool((answer.get("parametres") or {}).get("numeroEngagement"))

    # --- files and invoices --------------------------------------------------------------------

    def upload_file(self, filename, data, mime):
        payload = {
            "pieceJointeFichier": base64.b64encode(data).decode("ascii"),
            # The portal takes at most 50 characters; the extension is given apart.
            "pieceJointeNom": _short_name(filename, 50),
            "pieceJointeTypeMime": mime,
            "pieceJointeExtension": _extension(filename, mime),
        }
        # A retried upload leaves at worst an unused file in the account's space: idempotent enough.
        answer = self._post(FILE_UPLOAD, payload)
        with _reading(FILE_UPLOAD):
            return int(answer["pieceJointeId"])

    def submit_invoice(self, submission):
        answer = self._post(INVOICE_SUBMIT, submission_payload(submission), idempotent=False)
        if not answer.get("identifiantFactureCPP"):
            # Accepted, but without the number to follow it by: it may exist on the portal.
            raise PortalUnavailable(outcome_unknown=True, reason="answer without identifiantFactureCPP")
        with _reading(INVOICE_SUBMIT):
            return SubmissionReceipt(
                invoice_id_cpp=int(answer["identifiantFactureCPP"]),
                number=str(answer.get("numeroFacture") or submission.number),
                status=answer.get("statutFacture") or "DEPOSEE",
                deposited_on=_date(answer.get("dateDepot")),
            )

    def deposit_flow(self, filename, data, syntax):
        payload = {
            "fichierFlux": base64.b64encode(data).decode("ascii"),
            "nomFichier": _short_name(filename, 200),
            "syntaxeFlux": syntax,
            "avecSignature": False,
        }
        answer = self._post(FLOW_DEPOSIT, payload, idempotent=False)
        if not answer.get("numeroFluxDepot"):
            raise PortalUnavailable(outcome_unknown=True, reason="answer without numeroFluxDepot")
        return FlowReceipt(
            flow_number=str(answer["numeroFluxDepot"]),
            syntax=answer.get("syntaxeFlux") or syntax,
            deposited_on=_date(answer.get("dateDepot")),
        )

    def invoice_status(self, invoice_id_cpp):
        # consulter/historique gives the current status and every change with its date and
        # comment; consulter/fournisseur gives the status alone.
        answer = self._post(INVOICE_HISTORY, {"idFacture": invoice_id_cpp})
        with _reading(INVOICE_HISTORY):
            rows = (answer.get("historiquesDesStatuts") or {}).get("histoStatut") or []
            # The portal lists the newest first, to the minute: sort by date, then by id, which
            # grows with time, so that two changes in the same minute stay in their order.
            rows = sorted(
                rows,
                key=lambda row: (
                    _datetime(row.get("histoStatutDatePassage")) or datetime.datetime.max.replace(tzinfo=datetime.UTC),
                    int(row.get("histoStatutId") or 0),
                ),
            )
            history = [
                PortalStatusChange(
                    code=row["histoStatutCode"],
                    label=status_label(row["histoStatutCode"]),
                    changed_at=_datetime(row.get("histoStatutDatePassage")),
                    comment=(row.get("histoStatutCommentaire") or "").strip(),
                )
                for row in rows
            ]
            code = answer.get("statutCourantCode") or (history[-1].code if history else "")
            if not code:
                raise ValueError("no current status")
            current = next((change for change in reversed(history) if change.code == code), None)
            return PortalInvoiceStatus(
                invoice_id_cpp=int(answer.get("idFacture") or invoice_id_cpp),
                number=str(answer.get("numeroFacture") or ""),
                code=code,
                label=status_label(code),
                changed_at=current.changed_at if current else None,
                comment=current.comment if current else "",
                history=tuple(history),
            )

    def search_supplier_invoices(self, *, number, recipient_siret, flow_number):
        criteria = {}
        if number:
            criteria["numeroFacture"] = number
        if flow_number:
            criteria["numeroFluxDepot"] = flow_number
        found = []
        for answer in self._pages(SUPPLIER_INVOICES_SEARCH, criteria, "rechercheFactureParFournisseur"):
            with _reading(SUPPLIER_INVOICES_SEARCH):
                for row in answer.get("listeFactures") or []:
                    invoice = PortalInvoice(
                        invoice_id_cpp=int(row["identifiantFactureCPP"]),
                        number=str(row.get("numeroFacture") or ""),
                        status=row.get("statut") or row.get("statutFacture") or "",
                        recipient_siret=str(row.get("codeDestinataire") or ""),
                        invoice_date=_date(row.get("dateFacture")),
                        deposited_on=_date(row.get("dateDepot")),
                        amount_incl_tax=_amount(row.get("montantTTC")),
                        flow_number=str(row.get("numeroFluxDepot") or ""),
                    )
                    # The search has no criterion for the buyer's SIRET, only its portal id.
                    if recipient_siret and invoice.recipient_siret != recipient_siret:
                        continue
                    found.append(invoice)
        return found

    # --- transport -----------------------------------------------------------------------------

    def _pages(self, path, payload, paging_key):
        """Each page's answer, until the portal's parametresRetour says it was the last."""
        page = 1
        while True:
            answer = self._post(
                path, {**payload, paging_key: {"nbResultatsParPage": PAGE_SIZE, "pageResultatDemandee": page}}
            )
            yield answer
            with _reading(path):
                pages = int((answer.get("parametresRetour") or {}).get("pages") or 1)
            if page >= min(pages, MAX_PAGES):
                return
            page += 1

    def _post(self, path, payload, *, idempotent=True):
        """The answer of a call, as a dict whose codeRetour is 0; see the module's docstring."""
        tries = self.config.max_retries + 1
        attempt = 0
        token_renewed = False
        while True:
            attempt += 1
            try:
                token = self._token(attempt, tries)
                response = self._send(path, payload, token, attempt, tries)
            except PortalUnavailable as error:
                # The token could not be had: nothing reached the API, safe to try again.
                failure = error
            except requests.RequestException as error:
                failure = PortalUnavailable(
                    reason=type(error).__name__, outcome_unknown=not idempotent and not _not_sent(error)
                )
            else:
                if response.status_code == 401 and not token_renewed:
                    # An expired or revoked token: PISTE says 401. One new token, one more call.
                    token_renewed = True
                    self._forget_token()
                    attempt -= 1
                    continue
                failure = _failure(response, idempotent)
                if failure is None:
                    try:
                        return _answer(path, response, idempotent)
                    except PortalUnavailable as error:
                        # Not JSON: a gateway's error page, most likely. A PortalRefused
                        # (codeRetour) is not caught: the portal's answer, final.
                        failure = error
            if not failure.retryable or getattr(failure, "outcome_unknown", False) or attempt >= tries:
                raise failure
            sleep(self.config.backoff * 2 ** (attempt - 1))

    def _send(self, path, payload, token, attempt, tries):
        headers = {
            "Authorization": f"Bearer {token}",
            "cpro-account": self.config.cpro_account,
            "Content-Type": "application/json;charset=utf-8",
            "Accept": "application/json",
        }
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        started = time.monotonic()
        try:
            response = self.session.post(
                self.config.api_url + path, data=body, headers=headers, timeout=self.config.timeout
            )
        except requests.RequestException as error:
            _log(path, type(error).__name__, started, attempt, tries, failed=True)
            raise
        _log(path, response.status_code, started, attempt, tries, failed=response.status_code >= 400)
        return response

    def _token(self, attempt, tries):
        kept = cache.get(self.config.token_cache_key)
        if kept and kept.get("expires_at", 0) > clock():
            return kept["access_token"]
        token, lifetime = self._fetch_token(attempt, tries)
        margin = min(TOKEN_MARGIN_SECONDS, lifetime // 2)
        cache.set(
            self.config.token_cache_key,
            {"access_token": token, "expires_at": clock() + lifetime - margin},
            timeout=max(1, lifetime - margin),
        )
        return token

    def _fetch_token(self, attempt, tries):
        path = "/api/oauth/token"
        data = {
            "grant_type": "client_credentials",
            "client_id": self.config.client_id,
            "client_secret": self.config.client_secret,
            "scope": "openid",
        }
        started = time.monotonic()
        try:
            response = self.session.post(self.config.token_url, data=data, timeout=self.config.timeout)
        except requests.RequestException as error:
            _log(path, type(error).__name__, started, attempt, tries, failed=True)
            # Nothing reached the API yet: safe to try again, whatever the call.
            raise PortalUnavailable(reason=f"token: {type(error).__name__}") from None
        _log(path, response.status_code, started, attempt, tries, failed=response.status_code >= 400)
        if response.status_code == 429 or response.status_code >= 500:
            raise PortalUnavailable(reason=f"token: HTTP {response.status_code}", http_status=response.status_code)
        if response.status_code >= 400:
            # invalid_client: a wrong or revoked client id or secret. Never retried.
            raise PortalRefused(
                MSG_CREDENTIALS_REFUSED,
                code=_json_field(response, "error"),
                http_status=response.status_code,
                reason=f"token refused: HTTP {response.status_code}",
            )
        try:
            answer = response.json()
            return str(answer["access_token"]), max(1, int(answer.get("expires_in") or 3600))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise PortalUnavailable(MSG_INVALID_ANSWER, reason="token: invalid answer") from None

    def _forget_token(self):
        cache.delete(self.config.token_cache_key)


# --- what is sent ----------------------------------------------------------------------------


def submission_payload(submission):
    """soumettre's body for a PDF invoice already uploaded (modeDepot DEPOT_PDF_API)."""
    destination = {"codeDestinataire": submission.recipient_siret}
    if submission.service_code:
        destination["codeServiceExecutant"] = submission.service_code
    supplier = {"idFournisseur": submission.supplier_id_cpp}
    if submission.supplier_bank_details_id:
        supplier["codeCoordonneesBancairesFournisseur"] = submission.supplier_bank_details_id
    if submission.supplier_service_id:
        supplier["idServiceFournisseur"] = submission.supplier_service_id
    references = {
        "deviseFacture": submission.currency,
        "typeFacture": submission.invoice_type,
        "typeTva": submission.vat_type,
        "modePaiement": submission.payment_method,
    }
    if submission.engagement_number:
        # The portal's « numéro d'engagement » (bon de commande) of the buyer.
        references["numeroBonCommande"] = submission.engagement_number
    payload = {
        "modeDepot": "DEPOT_PDF_API",
        "numeroFactureSaisi": submission.number,
        "dateFacture": submission.invoice_date.isoformat(),
        "destinataire": destination,
        "fournisseur": supplier,
        "cadreDeFacturation": {"codeCadreFacturation": DEFAULT_BILLING_FRAMEWORK},
        "references": references,
        "montantTotal": {
            "montantHtTotal": _number(submission.amount_excl_tax),
            "montantTVA": _number(submission.vat_amount),
            "montantTtcTotal": _number(submission.amount_incl_tax),
            "montantAPayer": _number(submission.amount_incl_tax),
        },
        "pieceJointePrincipale": [
            {
                "pieceJointePrincipaleDesignation": submission.main_piece_name,
                "pieceJointePrincipaleId": submission.main_piece_id,
            }
        ],
    }
    if submission.vat_rate is not None:
        payload["ligneTva"] = [
            {
                "ligneTvaTauxManuel": _number(submission.vat_rate),
                "ligneTvaMontantBaseHtParTaux": _number(submission.amount_excl_tax),
                "ligneTvaMontantTvaParTaux": _number(submission.vat_amount),
            }
        ]
    if submission.comment:
        payload["commentaire"] = submission.comment[:1000]
    return payload


def _number(amount):
    # JSON numbers; amounts have two decimals, whose float prints back the same.
    return float(Decimal(amount).quantize(Decimal("0.01")))


def _short_name(filename, limit):
    """The file's own name, at most `limit` characters, its extension kept."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip() or "fichier"
    if len(name) <= limit:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension) >= limit - 1:
        return name[:limit]
    return f"{stem[: limit - len(extension) - 1]}.{extension}"


def _extension(filename, mime):
    if "." in filename:
        return filename.rsplit(".", 1)[-1].upper()
    return {"application/pdf": "PDF", "application/xml": "XML", "text/xml": "XML"}.get(mime, "PDF")


# --- what comes back -------------------------------------------------------------------------


def _failure(response, idempotent):
    """None for a 2xx; else the PortalError that this status means."""
    status = response.status_code
    if status < 400:
        return None
    if status == 401:
        # After a new token: the token is not the problem, the technical account or the
        # application's subscription is.
        return PortalRefused(MSG_CREDENTIALS_REFUSED, http_status=401, reason="HTTP 401 with a new token")
    if status == 429 or status >= 500:
        # 429 and 503 say « not now »: nothing was processed. Any other 5xx may come after it was.
        processed = status not in (429, 503)
        return PortalUnavailable(
            http_status=status, reason=f"HTTP {status}", outcome_unknown=not idempotent and processed
        )
    code, label = _json_field(response, "codeRetour"), _json_field(response, "libelle")
    if not code and not label:
        label = f"HTTP {status}"
    return refused(code, label, http_status=status)


def _answer(path, response, idempotent):
    try:
        answer = response.json()
        if not isinstance(answer, dict):
            raise ValueError("not a JSON object")
    except ValueError:
        logger.warning("Chorus Pro %s: the answer is not JSON", path)
        raise PortalUnavailable(
            MSG_INVALID_ANSWER,
            reason="invalid JSON",
            http_status=response.status_code,
            outcome_unknown=not idempotent,
        ) from None
    code = answer.get("codeRetour", 0)
    if code not in (0, "0", None):
        # Some refusals come with HTTP 200.
        logger.warning("Chorus Pro %s: codeRetour %s (%s)", path, code, str(answer.get("libelle", ""))[:300])
        raise refused(code, answer.get("libelle"), http_status=response.status_code)
    return answer


def _json_field(response, name):
    try:
        value = response.json().get(name)
    except (ValueError, AttributeError):
        return ""
    return "" if value is None else str(value)[:300]


@contextlib.contextmanager
def _reading(path):
    """An answer without the fields the spec promises is the portal's fault, and temporary."""
    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError, InvalidOperation) as error:
        logger.warning("Chorus Pro %s: unexpected answer (%s)", path, type(error).__name__)
        raise PortalUnavailable(MSG_INVALID_ANSWER, reason=f"unexpected answer ({type(error).__name__})") from None


def _date(value):
    if not value:
        return None
    if isinstance(value, int | float):
        return _datetime(value).date()
    return datetime.date.fromisoformat(str(value)[:10])


def _datetime(value):
    """The portal writes "2018-04-19 11:08", ISO 8601, or milliseconds since 1970."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float):
        return datetime.datetime.fromtimestamp(value / 1000, tz=datetime.UTC)
    moment = datetime.datetime.fromisoformat(str(value).strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=PORTAL_TIMEZONE)
    return moment


def _amount(value):
    if value in (None, ""):
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _log(path, outcome, started, attempt, tries, *, failed):
    milliseconds = (time.monotonic() - started) * 1000
    log = logger.warning if failed else logger.info
    log("Chorus Pro POST %s -> %s in %.0f ms (attempt %d/%d)", path, outcome, milliseconds, attempt, tries)


def _not_sent(error):
    """True when a request surely never reached the portal (no connection was made)."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(error, requests.ConnectionError) and isinstance(reason, urllib3.exceptions.NewConnectionError)
