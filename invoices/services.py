"""What the signed billing mandate unlocks: depositing invoices (« + Déposer une facture »), and
the only place that records them and changes their status.

A user may deposit invoices for the structures they belong to whose mandate is signed. When
there is none, `deposit_access` says what is missing, for one structure, so that the refusal
page can link to the step that fixes it. Views, the admin's buttons and the supplier's
« Compléter » call the functions below, so that the checks, the history and the e-mails are
the same everywhere.
"""

import hashlib
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from banking.models import BankAccount
from core.dates import local_datetime, short_date
from core.emails import send_email_on_commit
from core.errors import DomainError
from core.events import log_event
from mandates.models import BillingMandate
from mandates.services import state_of
from structures.models import Membership

from . import facturx
from .models import PROCESS_PERMISSION, Invoice, InvoiceStatusChange, SupportingDocument
from .pdf import render_invoice_pdf


class Missing:
    do_not_call_in_templates = True  # the template reads the constants

    NO_STRUCTURE = "no_structure"
    MANDATE_MISSING = "mandate_missing"
    MANDATE_PENDING = "mandate_pending"
    MANDATE_CANCELLED = "mandate_cancelled"
    MANDATE_EXPIRED = "mandate_expired"


_MISSING_OF = {
    None: Missing.MANDATE_MISSING,
    BillingMandate.Status.GENERATED: Missing.MANDATE_PENDING,
    BillingMandate.Status.CANCELLED: Missing.MANDATE_CANCELLED,
    BillingMandate.Status.EXPIRED: Missing.MANDATE_EXPIRED,
}


@dataclass(frozen=True)
class DepositAccess:
    """`structures`: those the user may deposit invoices for. Otherwise `missing` says why,
    for `structure` (the user's first one they manage, else their first one)."""

    structures: list = field(default_factory=list)
    missing: str = ""
    structure: object = None
    mandate: BillingMandate | None = None
    is_main_manager: bool = False
    managed_ids: frozenset = frozenset()  # the structures the user is the main manager of

    @property
    def allowed(self):
        return bool(self.structures)


def deposit_access(user):
    """Two queries: the user's memberships, and their structures' mandates."""
    memberships = list(
        Membership.objects.filter(user=user).select_related("structure").order_by("structure__raison_sociale")
    )
    if not memberships:
        return DepositAccess(missing=Missing.NO_STRUCTURE)
    latest = {}
    mandates = BillingMandate.objects.filter(structure__in=[m.structure_id for m in memberships]).select_related(
        "signatory"
    )
    for mandate in mandates.order_by("generated_at", "pk"):
        current = latest.get(mandate.structure_id)
        # The one in progress or in force wins over later cancelled or expired ones.
        if current is None or not (current.is_signed or current.is_generated):
            latest[mandate.structure_id] = mandate
    states = {m.structure_id: state_of(latest.get(m.structure_id)) for m in memberships}
    signed = [m.structure for m in memberships if states[m.structure_id].done]
    managed = [m for m in memberships if m.role == Membership.Role.MAIN_MANAGER]
    if signed:
        return DepositAccess(structures=signed, managed_ids=frozenset(m.structure_id for m in managed))
    membership = (managed or memberships)[0]
    state = states[membership.structure_id]
    return DepositAccess(
        missing=_MISSING_OF[state.status],
        structure=membership.structure,
        mandate=state.mandate,
        is_main_manager=membership.role == Membership.Role.MAIN_MANAGER,
    )


def can_deposit(user):
    """Whether « + Déposer une facture » applies: a structure of `user` has a signed mandate."""
    return user.is_authenticated and deposit_access(user).allowed


def can_deposit_for(structure_ids):
    """The same answer as can_deposit(), for structures already loaded: one query, none without any."""
    if not structure_ids:
        return False
    return BillingMandate.objects.filter(structure_id__in=structure_ids, status=BillingMandate.Status.SIGNED).exists()


# Depositing (« Déposer ») and entering (« Saisir ») an invoice

MSG_NUMBER_USED = _(
    "La facture n° %(number)s a déjà été déposée pour cette structure le %(deposited)s : une facture corrigée "
    "doit porter un nouveau numéro."
)
MSG_SAME_FILE = _(
    "Ce fichier a déjà été déposé le %(deposited)s : c'est la facture n° %(number)s du %(date)s. "
    "Une facture corrigée doit être un nouveau fichier, avec un nouveau numéro."
)
MSG_NO_BANK_ACCOUNT = _("Choisissez les coordonnées bancaires sur lesquelles la facture sera payée.")
MSG_COMMENT_REQUIRED = _(
    "Indiquez un commentaire : le fournisseur doit savoir pourquoi la facture est rejetée, ou ce qui lui est demandé."
)


class InvoiceError(DomainError):
    """A deposit or a change refused; `field` names the form field `message` belongs to."""


def validated_bank_accounts(structure):
    """The bank details an invoice of `structure` may be paid on: the validated ones (one at most)."""
    return BankAccount.objects.filter(structure=structure, status=BankAccount.Status.VALIDATED)


@dataclass(frozen=True)
class InvoiceData:
    """What the supplier says of an invoice (« Déposer »: the data form's cleaned data)."""

    number: str
    issue_date: object
    amount_excl_tax: object
    vat_amount: object
    amount_incl_tax: object
    service: object
    bank_account: object
    engagement_number: str = ""

    @classmethod
    def from_cleaned_data(cls, data):
        fields = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**{**fields, "engagement_number": data.get("engagement_number") or ""})


@dataclass(frozen=True)
class EnteredInvoiceData(InvoiceData):
    """An invoice entered with « Saisir »: what the app needs to issue it besides."""

    delivery_date: object = None
    description: str = ""
    vat_rate: object = None


def deposit_invoice(*, structure, user, data: InvoiceData, content, original_name, facturx_xml=b"", facturx_profile=""):
    """Record a deposited file (plain PDF or Factur-X), already checked by invoices.files."""
    return _record(
        structure=structure,
        user=user,
        data=data,
        content=content,
        original_name=original_name,
        source=Invoice.Source.DEPOSITED,
        facturx_xml=facturx_xml,
        facturx_profile=facturx_profile,
    )


def enter_invoice(*, structure, user, data: EnteredInvoiceData):
    """Issue an entered invoice in the structure's name: its Factur-X PDF, then the record."""
    _check_depositor(user, structure)
    mandate = BillingMandate.objects.filter(structure=structure, status=BillingMandate.Status.SIGNED).first()
    entered = facturx.EnteredInvoice(
        structure=structure,
        bank_account=data.bank_account,
        service=data.service,
        mandate_reference=mandate.reference if mandate else "",
        number=data.number,
        issue_date=data.issue_date,
        delivery_date=data.delivery_date,
        description=data.description,
        amount_excl_tax=data.amount_excl_tax,
        vat_rate=data.vat_rate,
        vat_amount=data.vat_amount,
        amount_incl_tax=data.amount_incl_tax,
        engagement_number=data.engagement_number,
        city_siret=settings.CITY_SIRET,
    )
    xml = facturx.build_xml(entered)
    title = f"Facture {entered.number} — {structure.raison_sociale}"
    content = facturx.embed_xml(
        render_invoice_pdf(entered, issued_at=timezone.now()), xml, title=title, author=structure.raison_sociale
    )
    return _record(
        structure=structure,
        user=user,
        data=data,
        content=content,
        # The number may hold « / » or spaces: not in a file name.
        original_name="facture-" + re.sub(r"[^A-Za-z0-9_.-]+", "-", entered.number) + ".pdf",
        source=Invoice.Source.ENTERED,
        facturx_xml=xml,
        facturx_profile=facturx.GENERATED_PROFILE,
        extra={"vat_rate": entered.vat_rate, "description": entered.description},
    )


def _record(*, structure, user, data, content, original_name, source, facturx_xml, facturx_profile, extra=None):
    """One transaction: the file, the row « Déposée », its first history line; the e-mail after.

    The file is stored first; if anything after fails, it is removed, so that neither a row
    without its file nor a file without its row is left behind.
    """
    _check_depositor(user, structure)
    account = data.bank_account
    if account.structure_id != structure.pk or account.status != BankAccount.Status.VALIDATED:
        raise InvoiceError(MSG_NO_BANK_ACCOUNT, field="bank_account")
    sha256 = hashlib.sha256(content).hexdigest()
    now = timezone.now()
    invoice = Invoice(
        structure=structure,
        number=data.number,
        issue_date=data.issue_date,
        amount_excl_tax=data.amount_excl_tax,
        vat_amount=data.vat_amount,
        amount_incl_tax=data.amount_incl_tax,
        engagement_number=data.engagement_number,
        service=data.service,
        bank_account=account,
        original_name=original_name,
        sha256=sha256,
        facturx_xml=facturx_xml.decode("utf-8", errors="replace") if facturx_xml else "",
        facturx_profile=facturx_profile,
        source=source,
        status=Invoice.Status.DEPOSITED,
        status_changed_at=now,
        deposited_by=user,
        deposited_at=now,
        **(extra or {}),
    )
    with transaction.atomic():
        check_not_deposited(structure, number=invoice.number, sha256=sha256)
        invoice.file.save(original_name, ContentFile(content), save=False)
        try:
            with transaction.atomic():
                invoice.save()
                InvoiceStatusChange.objects.create(
                    invoice=invoice,
                    from_status="",
                    to_status=invoice.status,
                    changed_at=now,
                    changed_by=user,
                    source=InvoiceStatusChange.Source.DEPOSIT,
                )
        except BaseException as error:
            invoice.file.storage.delete(invoice.file.name)
            if isinstance(error, IntegrityError):
                check_not_deposited(structure, number=invoice.number, sha256=sha256)  # the other one won
            raise
        send_email_on_commit(
            "invoice_deposited",
            user.notification_email,
            {"invoice": invoice, "structure": structure, "invoice_url": _absolute(invoice)},
            language=user.language,
        )
        log_event("invoice.deposited", invoice=invoice.pk, structure=structure.pk, by=user.pk, source=source)
    return invoice


def _check_depositor(user, structure):
    # Views check it too; this is the last line, whatever calls the service.
    if structure.pk not in {s.pk for s in deposit_access(user).structures}:
        raise PermissionDenied("Depositing needs a membership of a structure whose mandate is signed.")


def check_not_deposited(structure, *, number=None, sha256=None):
    """InvoiceError naming the invoice of `structure` that already has this number, or this file."""
    wanted = Q(pk__in=[])
    if number is not None:
        wanted |= Q(number=number)
    if sha256 is not None:
        wanted |= Q(sha256=sha256)
    for existing in Invoice.objects.filter(wanted, structure=structure).only(
        "number", "sha256", "issue_date", "deposited_at"
    ):
        if existing.sha256 == sha256:
            raise InvoiceError(
                MSG_SAME_FILE
                % {
                    "number": existing.number,
                    "date": short_date(existing.issue_date),
                    "deposited": _paris(existing.deposited_at),
                },
                field="file",
            )
        raise InvoiceError(
            MSG_NUMBER_USED % {"number": number, "deposited": _paris(existing.deposited_at)}, field="number"
        )


def _paris(moment):
    """The moment in the city's time zone, in the active language's format."""
    return local_datetime(moment)


def _absolute(invoice):
    # E-mail links are built from SITE_URL, never from a request's Host header.
    return settings.SITE_URL + reverse("invoices:detail", args=[invoice.pk])


# Following an invoice: the status machine

Status = Invoice.Status

# Which status may follow which, for finance staff. « Complétée » is reached by the supplier
# only (complete_invoice), once they add the documents a suspension asked for.
TRANSITIONS = {
    Status.DEPOSITED: (Status.MADE_AVAILABLE, Status.SUSPENDED, Status.REJECTED),
    Status.MADE_AVAILABLE: (Status.SERVICE_DONE, Status.SUSPENDED, Status.REJECTED),
    Status.COMPLETED: (Status.MADE_AVAILABLE, Status.SERVICE_DONE, Status.SUSPENDED, Status.REJECTED),
    Status.SUSPENDED: (Status.REJECTED,),
    Status.SERVICE_DONE: (Status.MANDATED, Status.SUSPENDED),
    Status.MANDATED: (Status.PAYMENT,),
    Status.PAYMENT: (),
    Status.REJECTED: (),
}
# The supplier must read why: the reason of a rejection, the documents a suspension asks for.
COMMENT_REQUIRED = (Status.REJECTED, Status.SUSPENDED)


class InvoiceStateError(InvoiceError):
    """The invoice's status no longer allows this change (someone else changed it, or twice)."""


def allowed_transitions(invoice):
    return TRANSITIONS[invoice.status]


def is_finance_staff(user):
    return bool(user and user.is_active and user.is_staff and user.has_perm(PROCESS_PERMISSION))


def change_status(invoice, to, *, by, comment=""):
    """Finance staff move `invoice` to `to`; recorded in its history and e-mailed to the supplier."""
    if not is_finance_staff(by):
        raise PermissionDenied("Changing an invoice's status needs the invoices.process_invoice permission.")
    comment = (comment or "").strip()
    if to in COMMENT_REQUIRED and not comment:
        raise InvoiceError(MSG_COMMENT_REQUIRED, field="comment")
    with transaction.atomic():
        locked = _lock(invoice)
        if to not in TRANSITIONS[locked.status]:
            raise InvoiceStateError(locked.get_status_display())
        _move(locked, to, by=by, comment=comment, source=InvoiceStatusChange.Source.STAFF)
    return locked


def complete_invoice(invoice, *, by, documents, comment=""):
    """« Complétée »: a member of the structure adds the documents a suspension asked for.

    `documents`: (file, original name, SHA-256) of PDFs checked by invoices.files. One
    transaction; the files stored before a failure are removed.
    """
    if not Membership.objects.filter(user=by, structure_id=invoice.structure_id).exists():
        raise PermissionDenied("Only a member of the invoice's structure may complete it.")
    stored = []
    with transaction.atomic():
        locked = _lock(invoice)
        if locked.status != Status.SUSPENDED:
            raise InvoiceStateError(locked.get_status_display())
        now = timezone.now()
        try:
            for uploaded, name, sha256 in documents:
                document = SupportingDocument(
                    invoice=locked, original_name=name, sha256=sha256, added_by=by, added_at=now
                )
                document.file.save(name, uploaded, save=False)
                stored.append(document.file)
                document.save()
            _move(
                locked,
                Status.COMPLETED,
                by=by,
                comment=(comment or "").strip(),
                source=InvoiceStatusChange.Source.SUPPLIER,
            )
        except BaseException:
            for stored_file in stored:
                stored_file.storage.delete(stored_file.name)
            raise
    return locked


def _lock(invoice):
    # of=("self",): lock the invoice's row only, not its structure's nor its service's.
    return Invoice.objects.select_for_update(of=("self",)).select_related("structure").get(pk=invoice.pk)


def _move(invoice, to, *, by, comment, source):
    previous = invoice.status
    invoice.status = to
    invoice.status_changed_at = timezone.now()
    fields = ["status", "status_changed_at"]
    if to == Status.REJECTED:
        invoice.rejection_reason = comment
        fields.append("rejection_reason")
    invoice.save(update_fields=fields)
    InvoiceStatusChange.objects.create(
        invoice=invoice,
        from_status=previous,
        to_status=to,
        changed_at=invoice.status_changed_at,
        changed_by=by,
        comment=comment,
        source=source,
    )
    tell_supplier(invoice, previous=Status(previous).label, current=Status(to).label, comment=comment)


def tell_supplier(invoice, *, previous, current, comment):
    """E-mail the change of an invoice's status to who deposited it (after commit)."""
    supplier = _supplier(invoice)
    if supplier is not None:
        # In the supplier's language, not in that of whoever changed it.
        with translation.override(supplier.language):
            previous, current = str(previous), str(current)
        send_email_on_commit(
            "invoice_status_changed",
            supplier.notification_email,
            {
                "invoice": invoice,
                "structure": invoice.structure,
                "previous": previous,
                "current": current,
                "comment": comment,
                "invoice_url": _absolute(invoice),
            },
            language=supplier.language,
        )


def _supplier(invoice):
    """Who deposited the invoice, else the structure's main manager (the depositor may have left)."""
    user = invoice.deposited_by
    if user is None or not user.is_active:
        user = invoice.structure.main_manager
    return user


# What the supplier's pages and the connected home show


def member_invoices(user):
    """The invoices of the structures `user` belongs to, newest first."""
    return Invoice.objects.filter(
        Exists(Membership.objects.filter(structure=OuterRef("structure"), user=user))
    ).select_related("structure", "service")


def recent_invoices(structure_ids, limit=5):
    """« Factures émises » on the connected home: one query, none without a structure."""
    if not structure_ids:
        return []
    return list(Invoice.objects.filter(structure_id__in=structure_ids).select_related("service")[:limit])
