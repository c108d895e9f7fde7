"""Chorus Pro, the national e-invoicing portal: the one module every caller uses.

The backend is chosen by the `CHORUS_BACKEND` setting:

- "stub" (default: the demo and the tests) is an in-process portal kept in this app's tables
  (`chorus/stub.py`): it knows the city and a few suppliers, numbers the invoices it accepts
  and moves them through the portal's statuses as time passes;
- "piste" calls Chorus Pro's API through PISTE, the State's API gateway (`chorus/piste.py`):
  an OAuth2 token for the PISTE application, plus the Chorus Pro technical account in the
  `cpro-account` header (see chorus/__init__.py for the credentials).

Callers get small frozen dataclasses, or a `PortalError`:

- `PortalUnavailable` (timeouts, connection errors, 5xx, 429, an answer that is not the
  expected JSON): `retryable` is True, try again later. When `outcome_unknown` is True the
  request may have been processed all the same (a submission whose answer was lost): look the
  invoice up with `search_supplier_invoices(number=…)` before submitting it again;
- `PortalRefused` (4xx, or a `codeRetour` other than 0): the portal said no; `code` and `label`
  are its `codeRetour` and `libelle`. Not retryable as such.

`message` is in French, for finance staff; it never holds a secret.

What the API shapes rest on (public sources, read for this module; no code was copied):

- the AIFE's Chorus Pro API catalogue on PISTE (« API de Test pour Factures », Structures,
  Transverses) as quoted by the clients below, and the Chorus Pro external specifications'
  annex on the API services (`deposerFluxFacture`, its syntaxes, 10 Mo a file);
- OCA's Odoo modules l10n-france/l10n_fr_chorus_account (Akretion), used in production: PISTE's
  token and API addresses for production and sandbox, the `client_credentials` form with scope
  `openid`, `cpro-account: base64(login:password)`, `structures/v1/rechercher` by SIRET,
  `structures/v1/rechercher/services` with `parametresRechercherServicesStructure` and its
  `parametresRetour` pages, `structures/v1/consulter` (`numeroEJDoitEtreRenseigne`…),
  `structures/v1/consulter/service` (`parametres.numeroEngagement`), `factures/v1/deposer/flux`,
  `factures/v1/rechercher/fournisseur` (`listeFactures`, `identifiantFactureCPP`, `statut`),
  `factures/v1/consulter/historique` (`statutCourantCode`), success as `codeRetour` 0 with a
  `libelle` such as TRA_MSG_00.000, the reserved service FACTURES_PUBLIQUES;
- antoine2116/go-choruspro (Go): every request and answer field of `factures/v1/soumettre`
  (`cadreDeFacturation`, `destinataire.codeDestinataire`/`codeServiceExecutant`,
  `fournisseur.idFournisseur`, `references`, `montantTotal`, `pieceJointePrincipale`…),
  `transverses/v1/ajouter/fichier` (`pieceJointeFichier` in base 64 → `pieceJointeId`),
  `consulter/historique` (`historiquesDesStatuts.histoStatut[]` with `histoStatutCode`,
  `histoStatutDatePassage`, `histoStatutCommentaire`), errors as `{codeRetour, libelle}`;
- thierryjmartin/facturation_electronique (Python) and the swagger excerpts it carries:
  `pieceJointePrincipale` is a list, `modeDepot` DEPOT_PDF_API / SAISIE_API, 10 Mo per file;
- libriciel's Pastell CPP connector (PHP): the statuses' codes, the history's date format
  ("2018-04-19 11:08");
- omnibill/chorus-pro (PHP): the flow syntaxes (IN_DP_E2_CII_FACTURX for Factur-X).

Not confirmed against the live API (no credentials were used to write this): the exact
`codeRetour` values of refusals, whether `pieceJointeExtension` wants "PDF" or "pdf", and the
body of a PISTE 401. Re-record tests/chorus/answers/ from the sandbox once credentials exist.
"""

import datetime
import importlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError

BACKENDS = ("stub", "piste")

# Chorus Pro refuses a file of more than 10 Mo (its error 20003 for an attachment); checking it
# here saves sending 13 Mo of base 64 to be told so.
MAX_FILE_BYTES = 10 * 1024 * 1024

# `syntaxeFlux` of deposer/flux, by the short names callers use. A full IN_DP_… code is also
# accepted as is.
FLOW_SYNTAXES = {
    "FACTURX": "IN_DP_E2_CII_FACTURX",
    "UBL": "IN_DP_E1_UBL_INVOICE",
    "CII": "IN_DP_E1_CII_16B",
}

# A supplier's invoice, as opposed to works invoices (« factures de travaux ») and the like.
DEFAULT_BILLING_FRAMEWORK = "A1_FACTURE_FOURNISSEUR"

# Messages for finance staff (and suppliers, when the caller chooses to show them).
MSG_UNAVAILABLE = _("Chorus Pro ne répond pas pour le moment. Nouvel essai plus tard.")
MSG_OUTCOME_UNKNOWN = _(
    "Chorus Pro n'a pas répondu à temps : la facture a pu être reçue. "
    "Vérifiez sur le portail (recherche par numéro) avant de la renvoyer."
)
MSG_INVALID_ANSWER = _("Chorus Pro a envoyé une réponse illisible. Nouvel essai plus tard.")
MSG_REFUSED = _("Chorus Pro a refusé la demande (code %(code)s) : %(label)s")
MSG_CREDENTIALS_REFUSED = _(
    "Chorus Pro refuse nos identifiants (application PISTE ou compte technique) : "
    "vérifiez-les, et la date d'expiration du mot de passe du compte technique."
)
MSG_FILE_TOO_LARGE = _("Le fichier dépasse 10 Mo, la taille maximale acceptée par Chorus Pro.")


class PortalStatus(models.TextChoices):
    """An invoice's statuses as the portal names them (`statutFacture`, `histoStatutCode`)."""

    DEPOSEE = "DEPOSEE", _("Déposée")
    EN_COURS_ACHEMINEMENT = "EN_COURS_ACHEMINEMENT", _("En cours d'acheminement")
    MISE_A_DISPOSITION = "MISE_A_DISPOSITION", _("Mise à disposition")
    PRISE_EN_COMPTE_DESTINATAIRE = "PRISE_EN_COMPTE_DESTINATAIRE", _("Prise en compte par le destinataire")
    A_RECYCLER = "A_RECYCLER", _("À recycler")
    REJETEE = "REJETEE", _("Rejetée")
    SUSPENDUE = "SUSPENDUE", _("Suspendue")
    COMPLETEE = "COMPLETEE", _("Complétée")
    SERVICE_FAIT = "SERVICE_FAIT", _("Service fait")
    MANDATEE = "MANDATEE", _("Mandatée")
    MISE_A_DISPOSITION_COMPTABLE = "MISE_A_DISPOSITION_COMPTABLE", _("Mise à disposition comptable")
    COMPTABILISEE = "COMPTABILISEE", _("Comptabilisée")
    MISE_EN_PAIEMENT = "MISE_EN_PAIEMENT", _("Mise en paiement")
    ABANDONNEE = "ABANDONNEE", _("Abandonnée")
    SUPPRIMEE = "SUPPRIMEE", _("Supprimée")


# After these nothing more happens to an invoice on the portal, so we stop asking:
# - MISE_EN_PAIEMENT: the public accountant has paid; it is the last status a supplier sees;
# - REJETEE: a rejected invoice is never processed again, the supplier deposits a new one;
# - ABANDONNEE, SUPPRIMEE: withdrawn by the supplier.
# Not final: SUSPENDUE and A_RECYCLER wait for the supplier (complete, or re-route), and MANDATEE
# may be the last status of a buyer that does not report the payment: callers should stop
# polling such an invoice after some weeks rather than treat MANDATEE as the end.
FINAL_STATUSES = frozenset(
    {PortalStatus.MISE_EN_PAIEMENT, PortalStatus.REJETEE, PortalStatus.ABANDONNEE, PortalStatus.SUPPRIMEE}
)


def status_label(code):
    """The French label of a portal status code; an unknown code is shown as it is."""
    try:
        return str(PortalStatus(code).label)
    except ValueError:
        return code


def is_final(code):
    return code in FINAL_STATUSES


# --- what callers get ----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PortalStructure:
    id_cpp: int  # idStructureCPP: the portal's own number, which the other calls want
    identifier: str
    identifier_type: str
    name: str
    active: bool = True


@dataclass(frozen=True, kw_only=True)
class PortalService:
    id_cpp: int
    code: str  # « code service », what an invoice names as codeServiceExecutant
    name: str
    engagement_required: bool
    active: bool


@dataclass(frozen=True, kw_only=True)
class InvoiceSubmission:
    """What submit_invoice() sends: a PDF invoice already uploaded (main_piece_id) and its data."""

    number: str
    invoice_date: datetime.date
    recipient_siret: str  # the buyer: settings.CHORUS_CITY_SIRET
    service_code: str = ""
    engagement_number: str = ""  # sent as references.numeroBonCommande, as the portal asks
    supplier_id_cpp: int  # the supplier's idStructureCPP (find_structure(siret).id_cpp)
    supplier_bank_details_id: int | None = None  # codeCoordonneesBancairesFournisseur
    supplier_service_id: int | None = None  # idServiceFournisseur
    amount_excl_tax: Decimal
    vat_amount: Decimal
    amount_incl_tax: Decimal
    vat_rate: Decimal | None = None  # percent; gives the VAT summary line when known
    currency: str = "EUR"
    invoice_type: str = "FACTURE"  # or "AVOIR"
    vat_type: str = "TVA_SUR_DEBIT"  # TVA_SUR_ENCAISSEMENT, EXONERATION, SANS_TVA
    payment_method: str = "VIREMENT"
    main_piece_id: int
    main_piece_name: str = "Facture"
    comment: str = ""

    def __post_init__(self):
        if not self.number.strip():
            raise ValueError("an invoice submission needs the invoice's number")
        for name in ("amount_excl_tax", "vat_amount", "amount_incl_tax"):
            if not isinstance(getattr(self, name), Decimal):
                raise TypeError(f"{name} must be a Decimal")


@dataclass(frozen=True, kw_only=True)
class SubmissionReceipt:
    invoice_id_cpp: int  # identifiantFactureCPP: how the invoice is followed from now on
    number: str
    status: str
    deposited_on: datetime.date | None


@dataclass(frozen=True, kw_only=True)
class FlowReceipt:
    flow_number: str  # numeroFluxDepot: its invoices are found with search_supplier_invoices()
    syntax: str
    deposited_on: datetime.date | None


@dataclass(frozen=True, kw_only=True)
class PortalStatusChange:
    code: str
    label: str
    changed_at: datetime.datetime | None
    comment: str = ""


@dataclass(frozen=True, kw_only=True)
class PortalInvoiceStatus:
    invoice_id_cpp: int
    number: str
    code: str
    label: str
    changed_at: datetime.datetime | None
    comment: str = ""  # the reason of a rejection or a suspension, when the portal gives one
    history: tuple[PortalStatusChange, ...] = field(default=())  # oldest first

    @property
    def is_final(self):
        return is_final(self.code)


@dataclass(frozen=True, kw_only=True)
class PortalInvoice:
    """An invoice found by search_supplier_invoices()."""

    invoice_id_cpp: int
    number: str
    status: str
    recipient_siret: str
    invoice_date: datetime.date | None = None
    deposited_on: datetime.date | None = None
    amount_incl_tax: Decimal | None = None
    flow_number: str = ""


# --- errors ----------------------------------------------------------------------------------


class PortalError(DomainError):
    retryable = False

    def __init__(self, message, *, code="", label="", http_status=None, reason=""):
        # `reason`: for logs, in English (e.g. "ReadTimeout", "HTTP 503"); never a secret.
        super().__init__(message, reason=reason)
        self.code = str(code) if code is not None else ""
        self.label = label
        self.http_status = http_status


class PortalUnavailable(PortalError):
    retryable = True

    def __init__(self, message=MSG_UNAVAILABLE, *, outcome_unknown=False, **kwargs):
        if outcome_unknown:
            message = MSG_OUTCOME_UNKNOWN
        super().__init__(message, **kwargs)
        self.outcome_unknown = outcome_unknown


class PortalRefused(PortalError):
    retryable = False


def refused(code, label, *, http_status=None):
    """The PortalRefused of a `codeRetour` and `libelle` from the portal."""
    label = str(label or "")[:300]
    message = MSG_REFUSED % {"code": code if code not in (None, "") else "?", "label": label or "—"}
    return PortalRefused(message, code=code, label=label, http_status=http_status, reason=f"codeRetour {code}")


# --- the calls ---------------------------------------------------------------------------------


def find_structure(identifier, identifier_type="SIRET"):
    """The portal's structure for an identifier (a SIRET by default), or None."""
    identifier = "".join(str(identifier).split())
    if not identifier:
        raise ValueError("find_structure() needs an identifier")
    return _backend().find_structure(identifier, identifier_type)


def list_services(structure_id_cpp):
    """The services of a structure (all pages), with whether each wants an engagement number."""
    return _backend().list_services(int(structure_id_cpp))


def upload_file(filename, data, mime="application/pdf"):
    """Put a file in the technical account's space; returns its id (pieceJointeId)."""
    _check_size(data)
    return _backend().upload_file(filename, bytes(data), mime)


def submit_invoice(submission):
    """Submit an invoice whose PDF was uploaded (modeDepot DEPOT_PDF_API)."""
    if not isinstance(submission, InvoiceSubmission):
        raise TypeError("submit_invoice() takes an InvoiceSubmission")
    return _backend().submit_invoice(submission)


def deposit_flow(filename, data, syntax="FACTURX"):
    """Deposit an invoice file whose data the portal reads itself (Factur-X, UBL, CII)."""
    _check_size(data)
    return _backend().deposit_flow(filename, bytes(data), flow_syntax(syntax))


def invoice_status(invoice_id_cpp):
    """The invoice's current status on the portal, with its history."""
    return _backend().invoice_status(int(invoice_id_cpp))


def search_supplier_invoices(*, number="", recipient_siret="", flow_number=""):
    """The invoices the technical account deposited with this number (or from this flow).

    Used for idempotence: before submitting again an invoice whose submission's answer was lost,
    look it up by its number (and the buyer's SIRET) and keep the one found.
    """
    number, flow_number = number.strip(), flow_number.strip()
    recipient_siret = "".join(recipient_siret.split())
    if not (number or flow_number):
        # Without one of them the portal would list every invoice ever deposited.
        raise ValueError("search_supplier_invoices() needs a number or a flow number")
    return _backend().search_supplier_invoices(number=number, recipient_siret=recipient_siret, flow_number=flow_number)


def flow_syntax(syntax):
    syntax = syntax.strip().upper().replace("-", "")
    if syntax in FLOW_SYNTAXES:
        return FLOW_SYNTAXES[syntax]
    if syntax.startswith("IN_DP_"):
        return syntax
    raise ValueError(f"unknown flow syntax {syntax!r}: one of {', '.join(FLOW_SYNTAXES)} or an IN_DP_… code")


def _check_size(data):
    if len(data) > MAX_FILE_BYTES:
        raise PortalRefused(MSG_FILE_TOO_LARGE, reason="file larger than 10 Mo")


def _backend():
    name = getattr(settings, "CHORUS_BACKEND", "stub")
    if name not in BACKENDS:
        raise ImproperlyConfigured(f"CHORUS_BACKEND must be 'stub' or 'piste', not {name!r}")
    # Imported here: both backends import this module's dataclasses.
    return importlib.import_module(f"chorus.{name}").backend()
