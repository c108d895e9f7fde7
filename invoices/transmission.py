"""Invoices go to Chorus Pro, and their statuses come back (the jobs call these functions).

- `transmit_due()`: every invoice « À transmettre » whose time has come is sent to the portal
  (chorus/portal.py): its PDF uploaded, then submitted with the city's SIRET, the service's code,
  the engagement number and the amounts. Outside any request: a job runs it every minute.
- `follow_transmitted()`: asks the portal for the status of every transmitted invoice that has
  not reached a final one, records each new status in the invoice's history (with the portal's
  date and comment), e-mails the supplier at the changes that matter, and stops asking once the
  status is final.
- `refresh_city_services()`: the city's services (« code service ») as the portal lists them.

Never twice: an invoice is claimed by one runner at a time (a conditional UPDATE), and the moment
a submission leaves is written first. If its answer never came back (a timeout, a process killed
mid-call), the next attempt looks the invoice up on the portal by its number and keeps what it
finds instead of submitting it again. An outage leaves it « À transmettre », tried again later
(1, 2, 4… minutes, at most an hour apart), the last error shown to staff; a refusal by the
portal waits for finance staff (the admin's « Transmettre de nouveau »).
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chorus import portal
from structures.identifiers import IdentifierType

from .models import Invoice, InvoiceStatusChange, Service
from .services import tell_supplier

logger = logging.getLogger(__name__)

Transmission = Invoice.Transmission
Status = Invoice.Status
PortalStatus = portal.PortalStatus

# How long a runner holds an invoice it transmits: longer than the portal's timeouts and retries.
CLAIM = timedelta(minutes=5)
FIRST_RETRY = timedelta(minutes=1)
LAST_RETRY = timedelta(hours=1)

# The portal's statuses that are ours too (Invoice.Status); the others are recorded in the history
# and shown to the supplier, the invoice's own status unchanged.
STATUS_OF_PORTAL = {
    PortalStatus.DEPOSEE: Status.DEPOSITED,
    PortalStatus.MISE_A_DISPOSITION: Status.MADE_AVAILABLE,
    PortalStatus.SERVICE_FAIT: Status.SERVICE_DONE,
    PortalStatus.MANDATEE: Status.MANDATED,
    PortalStatus.MISE_EN_PAIEMENT: Status.PAYMENT,
    PortalStatus.REJETEE: Status.REJECTED,
    PortalStatus.SUSPENDUE: Status.SUSPENDED,
    PortalStatus.COMPLETEE: Status.COMPLETED,
}
# The changes the supplier is e-mailed about (once each).
TOLD_TO_SUPPLIER = {PortalStatus.REJETEE, PortalStatus.SUSPENDUE, PortalStatus.MISE_EN_PAIEMENT}

# Our identifier types, as the portal's typeIdentifiantStructure names them.
PORTAL_IDENTIFIER_TYPES = {
    IdentifierType.SIRET: "SIRET",
    IdentifierType.TVA_UE: "UE_HORS_FRANCE",
    IdentifierType.HORS_UE: "HORS_UE",
    IdentifierType.RIDET: "RIDET",
    IdentifierType.TAHITI: "TAHITI",
    IdentifierType.PARTICULIER: "PARTICULIER",
}

MSG_NOT_ON_PORTAL = _(
    "La structure %(structure)s (%(identifier)s) n'a pas de compte sur Chorus Pro : la facture ne peut pas y être "
    "déposée en son nom. Le gestionnaire principal doit d'abord inscrire la structure sur Chorus Pro."
)
MSG_REJECTED_WITHOUT_REASON = _("Rejetée sur Chorus Pro (aucun motif transmis).")


@dataclass
class Outcome:
    transmitted: int = 0
    retried_later: int = 0
    refused: int = 0


# --- Transmission -------------------------------------------------------------------------------


def transmit_due(limit=100, now=None):
    """Transmit the invoices whose turn has come; what happened, counted."""
    now = now or timezone.now()
    outcome = Outcome()
    due = (
        Invoice.objects.filter(transmission=Transmission.PENDING)
        .filter(Q(transmission_next_at__isnull=True) | Q(transmission_next_at__lte=now))
        .order_by("deposited_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in list(due):
        result = transmit(pk, now=now)
        if result is not None:
            setattr(outcome, result, getattr(outcome, result) + 1)
    return outcome


def claim(pk, now=None):
    """Take the invoice for this runner, or False when another one holds it (or it is done)."""
    now = now or timezone.now()
    return bool(
        Invoice.objects.filter(pk=pk, transmission=Transmission.PENDING)
        .filter(Q(transmission_claimed_until__isnull=True) | Q(transmission_claimed_until__lt=now))
        .update(transmission_claimed_until=now + CLAIM)
    )


def transmit(pk, now=None):
    """Transmit one invoice: "transmitted", "retried_later", "refused", or None when not ours now."""
    now = now or timezone.now()
    if not claim(pk, now):
        return None
    invoice = Invoice.objects.select_related("structure", "service").get(pk=pk)
    try:
        receipt = _already_on_portal(invoice) or _submit(invoice)
    except portal.PortalRefused as error:
        _failed(invoice, error, refused=True)
        return "refused"
    except portal.PortalUnavailable as error:
        _failed(invoice, error, refused=False)
        return "retried_later"
    _transmitted(invoice, receipt)
    return "transmitted"


def _already_on_portal(invoice):
    """After a submission whose answer was lost: the invoice the portal has under this number."""
    if invoice.transmission_sent_at is None:
        return None
    found = portal.search_supplier_invoices(number=invoice.number, recipient_siret=settings.CHORUS_CITY_SIRET)
    for candidate in found:
        if candidate.number == invoice.number:
            logger.info("Invoice %s was on the portal already (%s): not submitted again", invoice.pk, candidate)
            return candidate
    return None


def _submit(invoice):
    structure = invoice.structure
    supplier = portal.find_structure(structure.identifier, PORTAL_IDENTIFIER_TYPES.get(structure.identifier_type))
    if supplier is None:
        raise portal.PortalRefused(
            MSG_NOT_ON_PORTAL % {"structure": structure.raison_sociale, "identifier": structure.identifier},
            reason="supplier not on the portal",
        )
    if invoice.portal_piece_id is None:
        with invoice.file.open("rb") as handle:
            piece_id = portal.upload_file(invoice.original_name, handle.read())
        Invoice.objects.filter(pk=invoice.pk).update(portal_piece_id=piece_id)
        invoice.portal_piece_id = piece_id
    submission = portal.InvoiceSubmission(
        number=invoice.number,
        invoice_date=invoice.issue_date,
        recipient_siret=settings.CHORUS_CITY_SIRET,
        service_code=invoice.service.code,
        engagement_number=invoice.engagement_number,
        supplier_id_cpp=supplier.id_cpp,
        amount_excl_tax=Decimal(invoice.amount_excl_tax),
        vat_amount=Decimal(invoice.vat_amount),
        amount_incl_tax=Decimal(invoice.amount_incl_tax),
        vat_rate=Decimal(invoice.vat_rate) if invoice.vat_rate is not None else None,
        main_piece_id=invoice.portal_piece_id,
        main_piece_name=invoice.original_name,
    )
    # Written before it leaves: if the answer is lost, the next attempt looks for it first.
    Invoice.objects.filter(pk=invoice.pk).update(transmission_sent_at=timezone.now())
    return portal.submit_invoice(submission)


def _transmitted(invoice, receipt):
    now = timezone.now()
    Invoice.objects.filter(pk=invoice.pk).update(
        transmission=Transmission.TRANSMITTED,
        portal_invoice_id=receipt.invoice_id_cpp,
        portal_status=PortalStatus.DEPOSEE,
        portal_status_at=now,
        transmitted_at=now,
        transmission_error="",
        transmission_next_at=None,
        transmission_claimed_until=None,
        transmission_attempts=invoice.transmission_attempts + 1,
    )
    logger.info("Invoice %s transmitted to Chorus Pro as %s", invoice.pk, receipt.invoice_id_cpp)


def _failed(invoice, error, *, refused):
    attempts = invoice.transmission_attempts + 1
    wait = min(FIRST_RETRY * 2 ** (attempts - 1), LAST_RETRY)
    fields = {
        "transmission_attempts": attempts,
        "transmission_error": str(error.message)[:1000],
        "transmission_claimed_until": None,
        "transmission_next_at": None if refused else timezone.now() + wait,
    }
    if refused:
        fields["transmission"] = Transmission.REFUSED
    Invoice.objects.filter(pk=invoice.pk).update(**fields)
    logger.warning(
        "Invoice %s not transmitted to Chorus Pro (%s, attempt %s): %s",
        invoice.pk,
        "refused" if refused else "retried later",
        attempts,
        error.reason or error.code,
    )


def transmit_again(invoice, *, by):
    """Finance staff, once they fixed what the portal refused: back to « À transmettre »."""
    updated = Invoice.objects.filter(pk=invoice.pk, transmission=Transmission.REFUSED).update(
        transmission=Transmission.PENDING, transmission_next_at=None, transmission_claimed_until=None
    )
    if updated:
        logger.info("Invoice %s to be transmitted again, asked by user %s", invoice.pk, by.pk)
    return bool(updated)


# --- Statuses brought back ----------------------------------------------------------------------


def follow_every():
    """How often a transmitted invoice's status is asked again (settings.CHORUS_FOLLOW_SECONDS)."""
    return timedelta(seconds=settings.CHORUS_FOLLOW_SECONDS)


def follow_transmitted(limit=200, now=None):
    """Ask the portal for the status of the transmitted invoices not final yet; how many changed."""
    now = now or timezone.now()
    to_follow = (
        Invoice.objects.filter(transmission=Transmission.TRANSMITTED, portal_final=False)
        .filter(Q(portal_checked_at__isnull=True) | Q(portal_checked_at__lte=now - follow_every()))
        .order_by("portal_checked_at", "pk")
        .values_list("pk", "portal_invoice_id")[:limit]
    )
    changed = 0
    for pk, portal_id in list(to_follow):
        try:
            status = portal.invoice_status(portal_id)
        except portal.PortalError as error:
            logger.warning("Status of invoice %s not read from Chorus Pro: %s", pk, error.reason or error.code)
            continue
        changed += record_portal_status(pk, status)
    return changed


def record_portal_status(pk, status):
    """Record what the portal says of invoice `pk` (a PortalInvoiceStatus); the new changes' count.

    Each change of the portal's history is recorded once (its status and date), under a lock on
    the invoice: two runners reading the same answer record it once.
    """
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update(of=("self",)).select_related("structure").get(pk=pk)
        known = {
            (change.portal_status, change.changed_at)
            for change in invoice.status_changes.filter(source=InvoiceStatusChange.Source.PORTAL)
        }
        new = 0
        for change in status.history or (
            portal.PortalStatusChange(code=status.code, label=status.label, changed_at=None),
        ):
            changed_at = change.changed_at or status.changed_at or timezone.now()
            if (change.code, changed_at) in known:
                continue
            known.add((change.code, changed_at))
            _record_change(invoice, change, changed_at)
            new += 1
        invoice.portal_status = status.code
        invoice.portal_status_at = status.changed_at or invoice.portal_status_at
        invoice.portal_final = status.is_final
        invoice.portal_checked_at = timezone.now()
        invoice.save(
            update_fields=[
                "status",
                "status_changed_at",
                "rejection_reason",
                "portal_status",
                "portal_status_at",
                "portal_final",
                "portal_checked_at",
            ]
        )
    return new


def _record_change(invoice, change, changed_at):
    previous_label = invoice.shown_status
    previous = invoice.status
    ours = STATUS_OF_PORTAL.get(change.code)
    if ours is not None and ours != invoice.status:
        invoice.status = ours
        invoice.status_changed_at = changed_at
        if ours == Status.REJECTED:
            invoice.rejection_reason = change.comment or str(MSG_REJECTED_WITHOUT_REASON)
    InvoiceStatusChange.objects.create(
        invoice=invoice,
        from_status=previous,
        to_status=invoice.status,
        changed_at=changed_at,
        comment=change.comment,
        source=InvoiceStatusChange.Source.PORTAL,
        portal_status=change.code,
    )
    invoice.portal_status = change.code
    if change.code in TOLD_TO_SUPPLIER:
        tell_supplier(invoice, previous=previous_label, current=invoice.shown_status, comment=change.comment)


# --- The city's services ------------------------------------------------------------------------


@dataclass
class ServicesRefresh:
    added: int = 0
    updated: int = 0
    closed: int = 0


def refresh_city_services():
    """The city's services as the portal lists them: new ones added, closed ones no longer offered
    (never deleted: past invoices keep theirs), « engagement obligatoire » as the portal says."""
    city = portal.find_structure(settings.CHORUS_CITY_SIRET)
    if city is None:
        raise portal.PortalRefused(
            _("La Ville (SIRET %(siret)s) est introuvable sur Chorus Pro.") % {"siret": settings.CHORUS_CITY_SIRET},
            reason="city not on the portal",
        )
    listed = {service.code: service for service in portal.list_services(city.id_cpp)}
    counts = ServicesRefresh()
    with transaction.atomic():
        existing = {service.code: service for service in Service.objects.select_for_update()}
        for code, found in listed.items():
            service = existing.get(code)
            if service is None:
                Service.objects.create(
                    code=code,
                    name=found.name[:150],
                    engagement_required=found.engagement_required,
                    is_active=found.active,
                )
                counts.added += 1
                continue
            wanted = {
                "name": found.name[:150],
                "engagement_required": found.engagement_required,
                "is_active": found.active,
            }
            if any(getattr(service, name) != value for name, value in wanted.items()):
                Service.objects.filter(pk=service.pk).update(**wanted)
                counts.updated += 1
        closed = Service.objects.filter(is_active=True).exclude(code__in=listed).update(is_active=False)
        counts.closed = closed
    return counts
