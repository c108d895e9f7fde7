"""Look establishments up in the INSEE Sirene directory (stage B).

The backend is chosen by the `SIRENE_BACKEND` setting:

- "stub" (default, for the demo and the tests) reads `structures/data/sirene_stub.json`;
- "insee" calls the INSEE Sirene API 3.11 (settings `SIRENE_API_URL`, `SIRENE_API_KEY`,
  `SIRENE_TIMEOUT`). Its answers (an establishment, or « not found ») are kept in Django's cache
  for `SIRENE_CACHE_SECONDS` (15 minutes): the wizard validates the new-structure step again on
  the confirmation page, the mandate page and at the end, and each of these asked INSEE again
  (6 requests a registration, where INSEE's plan allows 30 a minute). An outage is never kept.

Callers get an `Establishment` or one of two exceptions. A directory that cannot answer must
never block a supplier: the wizard then lets them type the structure's name and address, and
the city's staff check them.
"""

import dataclasses
import functools
import json
import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import requests
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.insee.fr/api-sirene/3.11"
DEFAULT_TIMEOUT = 3
DEFAULT_CACHE_SECONDS = 15 * 60
# The key's version changes with what is stored under it (Establishment's fields).
CACHE_KEY = "sirene:v1:siret:{}"
_NOT_FOUND = "not-found"

STUB_DATA_PATH = Path(__file__).resolve().parent / "data" / "sirene_stub.json"

# The stub answers as if the directory were down for this SIRET (valid Luhn, SIREN 503 503 500,
# like HTTP 503), so that the manual path of the wizard can be shown in a demo.
STUB_OUTAGE_SIRET = "50350350000004"

# Messages for the supplier, to be shown by the views and forms.
MSG_ESTABLISHMENT_NOT_FOUND = _(
    "Aucun établissement ne porte ce SIRET dans le répertoire Sirene de l'INSEE. "
    "Vérifiez le numéro ou saisissez une nouvelle structure."
)
MSG_DIRECTORY_UNAVAILABLE = _(
    "Le répertoire Sirene de l'INSEE ne répond pas pour le moment. Saisissez la raison sociale "
    "et l'adresse de votre structure : nos services les vérifieront."
)
MSG_ESTABLISHMENT_CLOSED = _("Cet établissement est fermé dans le répertoire Sirene de l'INSEE.")
MSG_ESTABLISHMENT_NOT_PUBLIC = _(
    "Cet établissement est « non diffusible » : l'INSEE ne publie ni son nom ni son adresse. Saisissez-les vous-même."
)


@dataclass(frozen=True, kw_only=True)
class Establishment:
    siret: str
    siren: str
    raison_sociale: str
    address_line: str
    postcode: str
    city: str
    country_code: str = "FR"
    is_open: bool
    # False for « non diffusible » establishments: their name and address are then empty.
    is_public: bool
    naf_code: str = ""


class EstablishmentNotFound(DomainError):
    message = MSG_ESTABLISHMENT_NOT_FOUND

    def __init__(self, siret=""):
        super().__init__(reason=siret)


class DirectoryUnavailable(DomainError):
    message = MSG_DIRECTORY_UNAVAILABLE

    def __init__(self, reason):
        # `reason` is for logs and staff, in English; `message` is for the supplier.
        super().__init__(reason=reason)


def lookup_siret(siret):
    """Return the Establishment of a SIRET already validated by normalize_identifier()."""
    siret = "".join(siret.split())
    if not (len(siret) == 14 and siret.isascii() and siret.isdigit()):
        # Also keeps anything odd out of the INSEE URL.
        raise ValueError("lookup_siret() expects the 14 digits of a validated SIRET")
    backend = _backend()
    if backend == "stub":
        return _stub_lookup(siret)
    return _cached_insee_lookup(siret)


def _cached_insee_lookup(siret):
    key = CACHE_KEY.format(siret)
    seconds = getattr(settings, "SIRENE_CACHE_SECONDS", DEFAULT_CACHE_SECONDS)
    kept = cache.get(key)
    if kept == _NOT_FOUND:
        raise EstablishmentNotFound(siret)
    if kept is not None:
        return Establishment(**kept)
    try:
        establishment = _insee_lookup(siret)
    except EstablishmentNotFound:
        cache.set(key, _NOT_FOUND, seconds)
        raise
    # DirectoryUnavailable propagates without being kept: the next request asks again.
    cache.set(key, dataclasses.asdict(establishment), seconds)
    return establishment


def search_establishments(name="", postcode="", city="", limit=50):
    """Establishments of the stub dataset matching every criterion given.

    Name and city match when they contain the text typed, ignoring case, accents and
    punctuation; the postcode must be equal. « Non diffusible » establishments are never
    listed: there is nothing to show about them. No criterion, no result.
    """
    if _backend() != "stub":
        # The wizard falls back to « + Saisir une nouvelle structure », as for an outage.
        raise DirectoryUnavailable("search by name is only implemented by the stub backend")
    name, city = _searchable(name), _searchable(city)
    postcode = "".join(postcode.split())
    if not (name or postcode or city):
        return []
    found = []
    for establishment in _stub_directory().values():
        if not establishment.is_public:
            continue
        if name and name not in _searchable(establishment.raison_sociale):
            continue
        if postcode and postcode != establishment.postcode:
            continue
        if city and city not in _searchable(establishment.city):
            continue
        found.append(establishment)
        if len(found) >= limit:
            break
    return found


def _backend():
    backend = getattr(settings, "SIRENE_BACKEND", "stub")
    if backend not in ("stub", "insee"):
        raise ImproperlyConfigured(f"SIRENE_BACKEND must be 'stub' or 'insee', not {backend!r}")
    return backend


def _searchable(text):
    """« Saint-Martin-d'Hères » -> « saint martin d heres »: what people type, whatever the form."""
    text = text.casefold().replace("œ", "oe").replace("æ", "ae")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


# --- stub backend -------------------------------------------------------------------------


@functools.cache
def _stub_directory():
    with STUB_DATA_PATH.open(encoding="utf-8") as data:
        rows = json.load(data)["establishments"]
    return {row["siret"]: Establishment(siren=row["siret"][:9], **row) for row in rows}


def _stub_lookup(siret):
    if siret == STUB_OUTAGE_SIRET:
        raise DirectoryUnavailable("simulated outage of the stub directory")
    try:
        return _stub_directory()[siret]
    except KeyError:
        raise EstablishmentNotFound(siret) from None


# --- INSEE backend ------------------------------------------------------------------------

# INSEE abbreviates street types; people read them in full on forms and mandates.
_STREET_TYPES = {
    "ALL": "ALLEE",
    "AV": "AVENUE",
    "BD": "BOULEVARD",
    "CHE": "CHEMIN",
    "CHEM": "CHEMINEMENT",
    "CRS": "COURS",
    "ESP": "ESPLANADE",
    "FG": "FAUBOURG",
    "GR": "GRANDE RUE",
    "HAM": "HAMEAU",
    "IMP": "IMPASSE",
    "LD": "LIEU-DIT",
    "LOT": "LOTISSEMENT",
    "MTE": "MONTEE",
    "PAS": "PASSAGE",
    "PL": "PLACE",
    "PRV": "PARVIS",
    "QUA": "QUARTIER",
    "RES": "RESIDENCE",
    "RLE": "RUELLE",
    "RPT": "ROND-POINT",
    "RTE": "ROUTE",
    "SQ": "SQUARE",
    "TRA": "TRAVERSE",
    "VLA": "VILLA",
    "ZA": "ZONE ARTISANALE",
    "ZAC": "ZONE D'AMENAGEMENT CONCERTE",
    "ZI": "ZONE INDUSTRIELLE",
}
_REPETITION_INDEXES = {"B": "BIS", "T": "TER", "Q": "QUATER", "C": "QUINQUIES"}

# What INSEE puts in place of the fields of a partially diffusible unit.
_NOT_DIFFUSED = "[ND]"


def _insee_lookup(siret):
    api_key = getattr(settings, "SIRENE_API_KEY", "")
    if not api_key:
        raise ImproperlyConfigured("SIRENE_API_KEY must be set when SIRENE_BACKEND is 'insee'")
    url = f"{getattr(settings, 'SIRENE_API_URL', DEFAULT_API_URL).rstrip('/')}/siret/{siret}"
    try:
        # Bandit B113 cannot see it, but the timeout is given below (SIRENE_TIMEOUT).
        response = requests.get(  # nosec B113
            url,
            headers={"X-INSEE-Api-Key-Integration": api_key, "Accept": "application/json"},
            timeout=float(getattr(settings, "SIRENE_TIMEOUT", DEFAULT_TIMEOUT)),
        )
    except requests.Timeout:
        raise _unavailable("timeout") from None
    except requests.RequestException as error:
        raise _unavailable(f"connection error ({type(error).__name__})") from None

    if response.status_code == 404:
        raise EstablishmentNotFound(siret)
    if response.status_code == 403 and _is_sirene_answer(response):
        # INSEE answers 403 for a totally non-diffusible establishment: it exists, but nothing
        # about it may be shown. We return it like the partially diffusible ones (is_public
        # False, no name nor address) so that callers have one case to handle: « type the
        # name and address yourself ». INSEE does not say whether it is open; we do not block
        # the supplier on what we cannot know, staff review the request anyway.
        return Establishment(
            siret=siret,
            siren=siret[:9],
            raison_sociale="",
            address_line="",
            postcode="",
            city="",
            is_open=True,
            is_public=False,
        )
    if response.status_code == 429:
        raise _unavailable("rate limited (429)")
    if response.status_code != 200:
        # 5xx, but also 401/403 from the API gateway: a wrong or expired SIRENE_API_KEY.
        raise _unavailable(f"unexpected status {response.status_code}")
    try:
        return _establishment_from_insee(response.json()["etablissement"])
    except (ValueError, KeyError, TypeError, AttributeError, IndexError):
        # ValueError covers a body that is not JSON.
        raise _unavailable("invalid answer") from None


def _unavailable(reason):
    logger.warning("INSEE Sirene directory unavailable: %s", reason)
    return DirectoryUnavailable(reason)


def _is_sirene_answer(response):
    """True when the Sirene application itself answered (its JSON has a header with the status),
    as opposed to the API gateway refusing our key."""
    try:
        return response.json()["header"]["statut"] == response.status_code
    except (ValueError, KeyError, TypeError):
        return False


def _establishment_from_insee(data):
    unit = data["uniteLegale"]
    address = data["adresseEtablissement"]
    # INSEE lists the periods from the most recent one, whose dateFin is null.
    period = data["periodesEtablissement"][0]
    is_public = data["statutDiffusionEtablissement"] == "O"
    naf_code = _field(period, "activitePrincipaleEtablissement") or _field(unit, "activitePrincipaleUniteLegale")
    if not is_public:
        # « Partiellement diffusible »: INSEE masks most fields with [ND]; show none of them.
        raison_sociale = address_line = postcode = city = ""
        country_code = "FR"
    else:
        raison_sociale = _unit_name(unit)
        address_line = _address_line(address)
        if _field(address, "codePaysEtrangerEtablissement"):
            # INSEE codes foreign countries with its own codes, not ISO ones: leave the country
            # to the supplier rather than keep a conversion table for a rare case.
            postcode = ""
            city = _field(address, "libelleCommuneEtrangerEtablissement")
            country_code = ""
        else:
            postcode = _field(address, "codePostalEtablissement")
            city = _field(address, "libelleCommuneEtablissement")
            country_code = "FR"
    return Establishment(
        siret=data["siret"],
        siren=data["siret"][:9],
        raison_sociale=raison_sociale,
        address_line=address_line,
        postcode=postcode,
        city=city,
        country_code=country_code,
        is_open=period["etatAdministratifEtablissement"] == "A",
        is_public=is_public,
        naf_code=naf_code,
    )


def _field(data, key):
    value = data.get(key)
    if value is None or value == _NOT_DIFFUSED:
        return ""
    return str(value).strip()


def _unit_name(unit):
    # Legal persons have a denomination; individual entrepreneurs have a name and first names,
    # the usage ones (nom d'usage, prénom usuel) being those they go by.
    denomination = _field(unit, "denominationUniteLegale")
    if denomination:
        return denomination
    first_name = _field(unit, "prenomUsuelUniteLegale") or _field(unit, "prenom1UniteLegale")
    last_name = _field(unit, "nomUsageUniteLegale") or _field(unit, "nomUniteLegale")
    return " ".join(part for part in (first_name, last_name) if part)


def _address_line(address):
    number = _field(address, "numeroVoieEtablissement")
    repetition = _field(address, "indiceRepetitionEtablissement")
    street_type = _field(address, "typeVoieEtablissement")
    parts = [
        number,
        _REPETITION_INDEXES.get(repetition, repetition),
        _STREET_TYPES.get(street_type, street_type),
        _field(address, "libelleVoieEtablissement"),
    ]
    return " ".join(part for part in parts if part)
