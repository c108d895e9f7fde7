"""Factur-X: the XML (UN/CEFACT CII) that travels inside an invoice's PDF/A-3.

Reading: the XML embedded in a deposited PDF is extracted and checked against the official
schema of its profile with the `factur-x` library, then summed up in a FacturxInvoice: what the
deposit form is pre-filled with and compared to. Writing: for an invoice entered in the form,
the same library builds the XML (profile EN 16931) and embeds it into the PDF that WeasyPrint
rendered (invoices/pdf.py).

The EN 16931 business rules (schematron) are not checked: the library runs them on an outside
Saxon server only, and the app reaches no network.
"""

import datetime
import logging
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation

import facturx
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from facturx.generate_xml import CREDIT_NOTE_TYPE_CODES
from lxml import etree
from stdnum.fr import siren as fr_siren

from structures.identifiers import IdentifierType

from .models import PROFILE_LABELS

logger = logging.getLogger(__name__)

# The names a Factur-X (or ZUGFeRD 2) PDF gives its XML; no other embedded file is accepted.
FACTURX_FILENAMES = ("factur-x.xml", "zugferd-invoice.xml")
GENERATED_PROFILE = "en16931"
SELF_BILLED_INVOICE = "389"  # UNTDID 1001: issued by the buyer under the seller's mandate
CREDIT_TRANSFER = "30"  # UNTDID 4461
CITY_NAME = "Ville de Grenoble"
SIRET_SCHEME = "0009"  # ISO 6523 ICD of the SIRET
PAYMENT_TERMS = "Délai global de paiement : 30 jours à compter de la réception de la facture."
VAT_EXEMPTION = "TVA non applicable, art. 293 B du CGI"

MSG_XML_UNREADABLE = _(
    "Le fichier XML joint à ce PDF n'est pas un XML Factur-X lisible : exportez à nouveau la facture depuis "
    "votre logiciel de facturation, ou déposez-la en PDF simple."
)
MSG_NOT_FACTURX = _(
    "Le XML joint à ce PDF n'est pas au format Factur-X (CII) attendu : déposez la facture en Factur-X, ou en "
    "PDF simple."
)
MSG_SCHEMA = _(
    "Le XML Factur-X de ce fichier n'est pas conforme au schéma officiel (profil %(profile)s) : %(detail)s "
    "Corrigez-le dans votre logiciel de facturation, ou déposez la facture en PDF simple."
)
MSG_NOT_EURO = _("La facture doit être établie en euros : son XML Factur-X indique la devise %(currency)s.")
MSG_CREDIT_NOTE = _(
    "Ce fichier est un avoir (code %(code)s), pas une facture : envoyez-le aux services financiers de la Ville "
    "(fournisseurs@grenoble.fr)."
)
MSG_SELLER = _(
    "Le vendeur indiqué dans le XML Factur-X n'est pas votre structure : la facture doit être émise par "
    "%(structure)s, avec son identifiant %(identifier)s."
)
MSG_BUYER = _(
    "L'acheteur indiqué dans le XML Factur-X n'est pas la Ville de Grenoble : la facture doit lui être adressée, "
    "avec son SIRET %(siret)s."
)

# No DTD, no entity, no network: the XML comes from a supplier's file.
_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def normalize_identifier(value):
    """The form in which identifiers are compared: no spaces nor separators, upper case."""
    return "".join(c for c in str(value or "") if c.isalnum()).upper()


@dataclass(frozen=True)
class Party:
    name: str = ""
    identifiers: tuple = ()  # normalised: legal, other and VAT identifiers

    def describe(self):
        text = " / ".join(self.identifiers) or str(_("aucun identifiant"))
        return f"{self.name} — {text}" if self.name else text


@dataclass(frozen=True)
class FacturxInvoice:
    """What the app reads in a Factur-X XML. Amounts are Decimal, or None when absent."""

    profile: str
    number: str = ""
    issue_date: datetime.date | None = None
    type_code: str = ""
    currency: str = ""
    seller: Party = field(default_factory=Party)
    buyer: Party = field(default_factory=Party)
    amount_excl_tax: Decimal | None = None
    vat_amount: Decimal | None = None
    amount_incl_tax: Decimal | None = None
    buyer_reference: str = ""  # BT-10: the « code service » of the city's service
    engagement_number: str = ""  # BT-13: the purchase order's reference

    @property
    def profile_label(self):
        return PROFILE_LABELS.get(self.profile, self.profile)

    def to_session(self):
        """JSON-safe, for the session between the two deposit steps."""
        data = asdict(self)
        data["issue_date"] = self.issue_date.isoformat() if self.issue_date else None
        for name in ("amount_excl_tax", "vat_amount", "amount_incl_tax"):
            data[name] = None if data[name] is None else str(data[name])
        return data

    @classmethod
    def from_session(cls, data):
        data = dict(data)
        data["issue_date"] = datetime.date.fromisoformat(data["issue_date"]) if data["issue_date"] else None
        for name in ("amount_excl_tax", "vat_amount", "amount_incl_tax"):
            data[name] = None if data[name] is None else Decimal(data[name])
        for name in ("seller", "buyer"):
            data[name] = Party(data[name]["name"], tuple(data[name]["identifiers"]))
        return cls(**data)


@dataclass(frozen=True)
class Difference:
    """A value of the Factur-X XML that is not what it should be, or not what was typed."""

    label: str
    in_file: str
    expected: str


class FacturxRefused(ValidationError):
    """A ValidationError that also lists what differs, for the page to show side by side."""

    def __init__(self, message, *, code, params=None, differences=()):
        super().__init__(message, code=code, params=params)
        self.differences = list(differences)


# Reading


def extract_xml(pdf_bytes):
    """The Factur-X XML embedded in a PDF, as bytes; None when there is none."""
    try:
        _filename, xml = facturx.get_facturx_xml_from_pdf(pdf_bytes, check_xsd=False)
    except Exception:  # the library lets pypdf's and lxml's errors through
        logger.info("Factur-X extraction failed", exc_info=True)
        return None
    return xml or None


def read_facturx(xml_bytes):
    """Check an extracted XML against its profile's schema and sum it up; ValidationError if not."""
    try:
        root = etree.fromstring(xml_bytes, parser=_SAFE_PARSER)
    except (etree.XMLSyntaxError, ValueError):
        raise ValidationError(MSG_XML_UNREADABLE, code="facturx_unreadable") from None
    try:
        flavor = facturx.get_flavor(root)
    except Exception:
        flavor = None
    if flavor not in ("factur-x", "facturx"):
        raise ValidationError(MSG_NOT_FACTURX, code="facturx_flavor")
    try:
        profile = facturx.get_level(root, "factur-x")
    except Exception:
        profile = "?"
    try:
        if profile not in PROFILE_LABELS:
            raise ValueError(f"unknown profile {profile}")
        facturx.xml_check_xsd(root, flavor="factur-x", level=profile)
    except Exception as error:
        raise ValidationError(
            MSG_SCHEMA,
            code="facturx_schema",
            params={"profile": PROFILE_LABELS.get(profile, profile), "detail": _schema_detail(error)},
        ) from None
    try:
        data = facturx.parse_ubl_cii_xml(root, flavor="factur-x", level=profile, check_xsd=False)
    except Exception:
        raise ValidationError(MSG_XML_UNREADABLE, code="facturx_unreadable") from None
    invoice = _summary(data, profile)
    if invoice.type_code in CREDIT_NOTE_TYPE_CODES:
        raise ValidationError(MSG_CREDIT_NOTE, code="facturx_credit_note", params={"code": invoice.type_code})
    if invoice.currency and invoice.currency != "EUR":
        raise ValidationError(MSG_NOT_EURO, code="facturx_currency", params={"currency": invoice.currency})
    return invoice


def _schema_detail(error):
    # The library wraps lxml's DocumentInvalid, whose log names the line and the element.
    cause = error.__cause__
    last = getattr(getattr(cause, "error_log", None), "last_error", None)
    text = f"ligne {last.line} : {last.message}" if last is not None else str(cause or error)[:300]
    # « ram:ID » rather than « {urn:un:unece:uncefact:data:standard:Reusable…:100}ID ».
    for prefix, uri in facturx.get_xml_namespaces("factur-x").items():
        text = text.replace("{" + uri + "}", f"{prefix}:")
    return text.rstrip(" .") + "."


def _summary(data, profile):
    return FacturxInvoice(
        profile=profile,
        number=str(data.get("BT-1") or ""),
        issue_date=data.get("BT-2") if isinstance(data.get("BT-2"), datetime.date) else None,
        type_code=str(data.get("BT-3") or ""),
        currency=str(data.get("BT-5") or ""),
        seller=_party(data.get("BG-4")),
        buyer=_party(data.get("BG-7")),
        amount_excl_tax=_decimal(data.get("BT-109")),
        vat_amount=_decimal(data.get("BT-110")),
        amount_incl_tax=_decimal(data.get("BT-112")),
        buyer_reference=str(data.get("BT-10") or ""),
        engagement_number=str(data.get("BT-13") or ""),
    )


def _party(party):
    party = party or {}
    values = [party.get("legal_identifier"), party.get("vat_identifier"), *(party.get("identifiers") or {}).values()]
    identifiers = tuple(dict.fromkeys(normalize_identifier(v) for v in values if normalize_identifier(v)))
    return Party(name=str(party.get("name") or ""), identifiers=identifiers)


def _decimal(value):
    try:
        return None if value in (None, "") else Decimal(str(value))
    except InvalidOperation:
        return None


def check_parties(invoice, structure, city_siret):
    """FacturxRefused when the seller is not `structure` or the buyer is not the city."""
    own = normalize_identifier(structure.identifier)
    if own not in invoice.seller.identifiers:
        raise FacturxRefused(
            MSG_SELLER,
            code="facturx_seller",
            params={"structure": structure.raison_sociale, "identifier": structure.identifier},
            differences=[
                Difference(
                    _("Vendeur"), invoice.seller.describe(), f"{structure.raison_sociale} — {structure.identifier}"
                )
            ],
        )
    if normalize_identifier(city_siret) not in invoice.buyer.identifiers:
        raise FacturxRefused(
            MSG_BUYER,
            code="facturx_buyer",
            params={"siret": city_siret},
            differences=[Difference(_("Acheteur"), invoice.buyer.describe(), f"{CITY_NAME} — {city_siret}")],
        )


# Writing


@dataclass(frozen=True)
class EnteredInvoice:
    """An invoice typed in the form, that the app issues in the structure's name (mandate)."""

    structure: object
    bank_account: object
    service: object
    mandate_reference: str
    number: str
    issue_date: datetime.date
    delivery_date: datetime.date
    description: str
    amount_excl_tax: Decimal
    vat_rate: Decimal
    vat_amount: Decimal
    amount_incl_tax: Decimal
    engagement_number: str = ""
    city_siret: str = ""

    @property
    def vat_exempt(self):
        return self.vat_rate == 0


def seller_vat_number(structure):
    """The seller's VAT number when it can be known: given (EU), or derived from a SIRET's SIREN."""
    if structure.identifier_type == IdentifierType.TVA_UE:
        return structure.identifier
    if structure.identifier_type == IdentifierType.SIRET:
        return "FR" + fr_siren.to_tva(structure.identifier[:9])
    return ""


def build_xml(entered):
    """The EN 16931 XML of an entered invoice; checked against the schema by the library."""
    structure, account = entered.structure, entered.bank_account
    seller = {
        "name": structure.raison_sociale,
        "country_code": structure.country.code,
        "city": structure.city,
        "postcode": structure.postcode,
        "addr_l1": structure.address,
    }
    if structure.address_complement:
        seller["addr_l2"] = structure.address_complement
    if structure.identifier_type == IdentifierType.SIRET:
        seller.update(legal_identifier=structure.identifier, legal_identifier_schemeid=SIRET_SCHEME)
    else:
        seller["identifiers"] = {None: structure.identifier}
    vat_number = seller_vat_number(structure)
    if vat_number and not entered.vat_exempt:
        seller["vat_identifier"] = vat_number
    category = "E" if entered.vat_exempt else "S"
    breakdown = {
        "BT-116": entered.amount_excl_tax,
        "BT-117": entered.vat_amount,
        "BT-118": category,
        "BT-119": entered.vat_rate,
    }
    if entered.vat_exempt:
        breakdown["BT-120"] = VAT_EXEMPTION
    data = {
        "BT-1": entered.number,
        "BT-2": entered.issue_date,
        "BT-3": SELF_BILLED_INVOICE,
        "BT-5": "EUR",
        "BT-10": entered.service.code,
        "BT-20": PAYMENT_TERMS,
        "BT-72": entered.delivery_date,
        "BT-81": CREDIT_TRANSFER,
        "BT-84": account.iban,
        "BT-86": account.bic,
        "BG-1": [{"BT-22": f"Autofacturation — mandat de facturation {entered.mandate_reference}"}],
        "BG-4": seller,
        "BG-7": {
            "name": CITY_NAME,
            "legal_identifier": entered.city_siret,
            "legal_identifier_schemeid": SIRET_SCHEME,
            "country_code": "FR",
        },
        "BG-23": [breakdown],
        "BG-25": [
            {
                "BT-126": "1",
                "BT-129": "1",
                "BT-130": "C62",  # « one », UN/ECE recommendation 20
                "BT-131": entered.amount_excl_tax,
                "BT-146": entered.amount_excl_tax,
                "BT-151": category,
                "BT-152": entered.vat_rate,
                "BT-153": entered.description,
            }
        ],
        "BT-106": entered.amount_excl_tax,
        "BT-109": entered.amount_excl_tax,
        "BT-110": entered.vat_amount,
        "BT-112": entered.amount_incl_tax,
        "BT-115": entered.amount_incl_tax,
    }
    if entered.engagement_number:
        data["BT-13"] = entered.engagement_number
    if account.has_factor:  # « affactureur »: paid instead of the structure
        data["BG-10"] = {"name": account.factor_raison_sociale, "identifiers": {None: account.factor_identifier}}
    _as_strings(data)
    return facturx.generate_cii_xml(data, level=GENERATED_PROFILE, check_xsd=True, check_schematron=False)


def _as_strings(data):
    # The library takes amounts and rates as strings (or floats, which we never want for money).
    for key, value in data.items():
        if isinstance(value, Decimal):
            data[key] = format(value, "f")
        elif isinstance(value, dict):
            _as_strings(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    _as_strings(item)


def embed_xml(pdf_bytes, xml_bytes, *, title, author):
    """The PDF/A-3 with its XML attached as factur-x.xml (relationship « Data »)."""
    return facturx.generate_from_binary(
        pdf_bytes,
        xml_bytes,
        flavor="factur-x",
        level=GENERATED_PROFILE,
        check_xsd=False,  # build_xml checked it
        pdf_metadata={"author": author, "keywords": "Factur-X, Facture", "title": title, "subject": title},
        lang="fr-FR",
    )
