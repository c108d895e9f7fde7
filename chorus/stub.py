"""The "stub" backend: an in-process Chorus Pro for the demo and the tests.

Its directory is `chorus/data/stub_portal.json`: the city (CHORUS_CITY_SIRET's structure, with a
handful of services, some wanting an engagement number, one closed) and nine suppliers of the
stub Sirene dataset that already have a portal account. Any other SIRET is not on the portal.

It checks a submission as the portal does before accepting it (known buyer, service, engagement
number when the service wants one, an uploaded main file, amounts that add up, no second invoice
with the same number from the same supplier), numbers it, then moves it one status further
every CHORUS_STUB_STEP_SECONDS (60 s by default; the state follows from the submission's time,
kept in the database, so runserver and a job process see the same portal):

    DEPOSEE → EN_COURS_ACHEMINEMENT → MISE_A_DISPOSITION → SERVICE_FAIT → MANDATEE → MISE_EN_PAIEMENT

The invoice's number chooses another life, for demos and tests (case ignored):

- "REJET" in it (e.g. F-REJET-01): … → MISE_A_DISPOSITION → REJETEE, with a reason;
- "SUSP" in it: … → MISE_A_DISPOSITION → SUSPENDUE, documents asked, and it stays so;
- "PANNE" in it: the portal is down, PortalUnavailable, nothing recorded;
- "PERDU" in it: the invoice is recorded but the answer is lost on the way back:
  PortalUnavailable(outcome_unknown=True), as after a timeout; search_supplier_invoices finds it.

Refusals carry codes of the stub's own ("STUB-…"): the real portal's codeRetour are numbers.
Flows (deposit_flow) are recorded and numbered, not read: follow a flow with the "piste" backend.
"""

import datetime
import functools
import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import STUB_FILE_ID_BASE, STUB_INVOICE_ID_BASE, StubPortalFile, StubPortalInvoice
from .portal import (
    FlowReceipt,
    PortalInvoice,
    PortalInvoiceStatus,
    PortalService,
    PortalStatus,
    PortalStatusChange,
    PortalStructure,
    PortalUnavailable,
    SubmissionReceipt,
    refused,
    status_label,
)

DATA_PATH = Path(__file__).resolve().parent / "data" / "stub_portal.json"
DEFAULT_STEP_SECONDS = 60

REJECTION_MARK = "REJET"
SUSPENSION_MARK = "SUSP"
OUTAGE_MARK = "PANNE"
LOST_ANSWER_MARK = "PERDU"

S = PortalStatus
LIVES = {
    StubPortalInvoice.Path.PAID: (
        S.DEPOSEE,
        S.EN_COURS_ACHEMINEMENT,
        S.MISE_A_DISPOSITION,
        S.SERVICE_FAIT,
        S.MANDATEE,
        S.MISE_EN_PAIEMENT,
    ),
    StubPortalInvoice.Path.REJECTED: (S.DEPOSEE, S.EN_COURS_ACHEMINEMENT, S.MISE_A_DISPOSITION, S.REJETEE),
    StubPortalInvoice.Path.SUSPENDED: (S.DEPOSEE, S.EN_COURS_ACHEMINEMENT, S.MISE_A_DISPOSITION, S.SUSPENDUE),
}
# What the portal's history says at each step (histoStatutCommentaire).
COMMENTS = {
    S.DEPOSEE: "Facture déposée par le compte technique.",
    S.EN_COURS_ACHEMINEMENT: "Facture en cours d'acheminement vers le destinataire.",
    S.MISE_A_DISPOSITION: "Facture mise à disposition du service {service}.",
    S.SERVICE_FAIT: "Service fait constaté par le service {service}.",
    S.MANDATEE: "Facture mandatée par l'ordonnateur.",
    S.MISE_EN_PAIEMENT: "Mise en paiement par le comptable public.",
    S.REJETEE: "Rejet : le numéro d'engagement ne correspond à aucune commande de ce service.",
    S.SUSPENDUE: "Suspension : joindre le bon de livraison signé (pièce complémentaire).",
}


def now():
    # Tests replace it to make time pass.
    return timezone.now()


def backend():
    return StubPortal()


class StubPortal:
    # --- structures --------------------------------------------------------------------------

    def find_structure(self, identifier, identifier_type):
        if identifier_type != "SIRET":
            return None
        row = _directory()["by_siret"].get(identifier)
        if row is None:
            return None
        return PortalStructure(
            id_cpp=row["id_cpp"], identifier=identifier, identifier_type="SIRET", name=row["name"], active=row["active"]
        )

    def list_services(self, structure_id_cpp):
        row = _directory()["by_id"].get(structure_id_cpp)
        if row is None:
            raise _refused("STUB-STRUCTURE-INCONNUE", "Aucune structure ne porte cet identifiant.")
        return [
            PortalService(
                id_cpp=service["id_cpp"],
                code=service["code"],
                name=service["name"],
                engagement_required=service["engagement_required"],
                active=service["active"],
            )
            for service in _services(row)
        ]

    # --- files and invoices --------------------------------------------------------------------

    def upload_file(self, filename, data, mime):
        piece = StubPortalFile.objects.create(
            kind=StubPortalFile.Kind.ATTACHMENT,
            name=filename[:255],
            mime=mime[:100],
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            created_at=now(),
        )
        return piece.piece_id

    def deposit_flow(self, filename, data, syntax):
        moment = now()
        flow = StubPortalFile.objects.create(
            kind=StubPortalFile.Kind.FLOW,
            name=filename[:255],
            syntax=syntax,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            created_at=moment,
        )
        return FlowReceipt(flow_number=_flow_number(flow), syntax=syntax, deposited_on=timezone.localdate(moment))

    def submit_invoice(self, submission):
        number = submission.number.upper()
        if OUTAGE_MARK in number:
            raise PortalUnavailable(reason="stub: simulated outage")
        self._check(submission)
        if REJECTION_MARK in number:
            path = StubPortalInvoice.Path.REJECTED
        elif SUSPENSION_MARK in number:
            path = StubPortalInvoice.Path.SUSPENDED
        else:
            path = StubPortalInvoice.Path.PAID
        try:
            with transaction.atomic():
                invoice = StubPortalInvoice.objects.create(
                    number=submission.number,
                    invoice_date=submission.invoice_date,
                    supplier_id_cpp=submission.supplier_id_cpp,
                    recipient_siret=submission.recipient_siret,
                    service_code=submission.service_code,
                    engagement_number=submission.engagement_number,
                    amount_excl_tax=submission.amount_excl_tax,
                    vat_amount=submission.vat_amount,
                    amount_incl_tax=submission.amount_incl_tax,
                    main_piece_id=submission.main_piece_id,
                    path=path,
                    submitted_at=now(),
                )
        except IntegrityError:
            # Two submissions of one invoice at once: the second one meets the constraint.
            raise _duplicate() from None
        if LOST_ANSWER_MARK in number:
            raise PortalUnavailable(outcome_unknown=True, reason="stub: simulated lost answer")
        return SubmissionReceipt(
            invoice_id_cpp=invoice.invoice_id_cpp,
            number=invoice.number,
            status=PortalStatus.DEPOSEE.value,
            deposited_on=timezone.localdate(invoice.submitted_at),
        )

    def _check(self, submission):
        directory = _directory()
        recipient = directory["by_siret"].get(submission.recipient_siret)
        if recipient is None or not recipient["public"] or not recipient["active"]:
            raise _refused("STUB-DESTINATAIRE", "Le destinataire n'est pas une structure publique active du portail.")
        supplier = directory["by_id"].get(submission.supplier_id_cpp)
        if supplier is None or not supplier["active"]:
            raise _refused("STUB-FOURNISSEUR", "Le fournisseur n'est pas une structure active du portail.")
        services = {service["code"]: service for service in _services(recipient)}
        if services and not submission.service_code:
            raise _refused("STUB-SERVICE-OBLIGATOIRE", "Ce destinataire exige un code service.")
        service = services.get(submission.service_code) if submission.service_code else None
        if submission.service_code and service is None:
            raise _refused("STUB-SERVICE-INCONNU", f"Le code service {submission.service_code} n'existe pas.")
        if service and not service["active"]:
            raise _refused("STUB-SERVICE-INACTIF", f"Le service {submission.service_code} est inactif.")
        if service and service["engagement_required"] and not submission.engagement_number:
            raise _refused("STUB-ENGAGEMENT-OBLIGATOIRE", "Ce service exige un numéro d'engagement.")
        if not _is_attachment(submission.main_piece_id):
            raise _refused("STUB-PIECE-INCONNUE", "La pièce jointe principale n'a pas été déposée.")
        if submission.amount_excl_tax + submission.vat_amount != submission.amount_incl_tax:
            raise _refused("STUB-MONTANTS", "Le montant TTC n'est pas la somme du montant HT et de la TVA.")
        if StubPortalInvoice.objects.filter(
            supplier_id_cpp=submission.supplier_id_cpp, number=submission.number
        ).exists():
            raise _duplicate()

    def invoice_status(self, invoice_id_cpp):
        invoice = _invoice(invoice_id_cpp)
        history = _history(invoice, now())
        current = history[-1]
        return PortalInvoiceStatus(
            invoice_id_cpp=invoice.invoice_id_cpp,
            number=invoice.number,
            code=current.code,
            label=current.label,
            changed_at=current.changed_at,
            comment=current.comment,
            history=tuple(history),
        )

    def search_supplier_invoices(self, *, number, recipient_siret, flow_number):
        if flow_number:
            # The stub does not read flows: no invoice comes from one.
            return []
        invoices = StubPortalInvoice.objects.filter(number=number)
        if recipient_siret:
            invoices = invoices.filter(recipient_siret=recipient_siret)
        moment = now()
        return [
            PortalInvoice(
                invoice_id_cpp=invoice.invoice_id_cpp,
                number=invoice.number,
                status=_history(invoice, moment)[-1].code,
                recipient_siret=invoice.recipient_siret,
                invoice_date=invoice.invoice_date,
                deposited_on=timezone.localdate(invoice.submitted_at),
                amount_incl_tax=invoice.amount_incl_tax,
            )
            for invoice in invoices
        ]


def step_seconds():
    return max(1, int(getattr(settings, "CHORUS_STUB_STEP_SECONDS", DEFAULT_STEP_SECONDS)))


def _history(invoice, moment):
    """The status changes that have happened by `moment`, oldest first."""
    life = LIVES[invoice.path]
    step = datetime.timedelta(seconds=step_seconds())
    elapsed = max(0, int((moment - invoice.submitted_at) / step))
    history = []
    for index, code in enumerate(life[: min(elapsed, len(life) - 1) + 1]):
        history.append(
            PortalStatusChange(
                code=code.value,
                label=status_label(code),
                changed_at=invoice.submitted_at + index * step,
                comment=COMMENTS[code].format(service=invoice.service_code or "destinataire"),
            )
        )
    return history


def _invoice(invoice_id_cpp):
    try:
        return StubPortalInvoice.objects.get(pk=invoice_id_cpp - STUB_INVOICE_ID_BASE)
    except StubPortalInvoice.DoesNotExist:
        raise _refused("STUB-FACTURE-INCONNUE", "Aucune facture ne porte cet identifiant.") from None


def _is_attachment(piece_id):
    return StubPortalFile.objects.filter(pk=piece_id - STUB_FILE_ID_BASE, kind=StubPortalFile.Kind.ATTACHMENT).exists()


def _flow_number(flow):
    # The portal's look: CPP, then digits (25 characters).
    return f"CPP{timezone.localdate(flow.created_at):%Y}{flow.pk:018d}"


def _refused(code, label):
    return refused(code, label, http_status=400)


def _duplicate():
    return _refused("STUB-DOUBLON", "Ce fournisseur a déjà déposé une facture portant ce numéro.")


@functools.cache
def _data():
    with DATA_PATH.open(encoding="utf-8") as data:
        return json.load(data)


def _directory():
    """The structures, by SIRET and by portal id. The first row is the city: it answers under
    CHORUS_CITY_SIRET, whatever the file says."""
    data = _data()
    rows = [{**row, "data_siret": row["siret"]} for row in data["structures"]]
    rows[0]["siret"] = getattr(settings, "CHORUS_CITY_SIRET", "") or rows[0]["siret"]
    return {"by_siret": {row["siret"]: row for row in rows}, "by_id": {row["id_cpp"]: row for row in rows}}


def _services(row):
    return _data()["services"].get(row["data_siret"], [])
