"""Stage C: the only place that creates bank details and changes their review status.

Views, the wizard's `done()` and the admin's buttons and actions call these functions, so that
the anti-fraud rule, the e-mails and the audit history happen the same way everywhere.
"""

import os
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.emails import send_email_on_commit
from core.errors import DomainError
from core.events import log_event
from structures.models import Membership
from twofactor.services import notify

from .models import REVIEW_PERMISSION, BankAccount
from .rib import check_holder

Status = BankAccount.Status


MSG_REJECTION_REASON_REQUIRED = _("Indiquez le motif du rejet : il sera envoyé au fournisseur.")


class BankAccountError(DomainError):
    """A change of bank details refused; `message` says why."""


class BankAccountStateError(BankAccountError):
    """The bank details were already validated or rejected (by someone else, or twice)."""


@dataclass(frozen=True)
class BankDetails:
    """What a supplier gives at stage C: a valid BankAccountForm's data, the RIB checked.

    `rib_file` is the checked RIB (an upload, or a File re-opened from the wizard's storage);
    `rib_check` what its check found (banking.rib.RibCheck).
    """

    account_name: str
    iban: str
    bic: str
    rib_file: object
    rib_original_name: str
    rib_check: object
    account_type: str = BankAccount.AccountType.IBAN
    attachment_type: str = BankAccount.AttachmentType.BANK_DETAILS
    factor_raison_sociale: str = ""
    factor_country: str = ""
    factor_identifier: str = ""
    factor_identifier_type: str = ""

    @classmethod
    def from_cleaned_data(cls, data):
        return cls(
            account_name=data["account_name"],
            iban=data["iban"],
            bic=data["bic"],
            rib_file=data["rib_file"],
            rib_original_name=data.get("rib_original_name") or _original_name(data["rib_file"]),
            rib_check=data["rib_check"],
            account_type=data.get("account_type") or BankAccount.AccountType.IBAN,
            attachment_type=data.get("attachment_type") or BankAccount.AttachmentType.BANK_DETAILS,
            factor_raison_sociale=data.get("factor_raison_sociale") or "",
            factor_country=str(data.get("factor_country") or ""),
            factor_identifier=data.get("factor_identifier") or "",
            factor_identifier_type=data.get("factor_identifier_type") or "",
        )


def submit_bank_account(*, structure, user, details: BankDetails, new_structure=False):
    """Record the bank details of `structure` sent by `user`, pending review by finance staff.

    One transaction: if the file cannot be stored, no row is left and no e-mail goes. When the
    structure already has bank details in use or waiting, the new ones are flagged « changement
    de RIB » and the structure's known contacts are told once the transaction commits; the
    details in use stay so until staff validate new ones. `user` gets a security notice.

    `new_structure=True`: `structure` was created in the caller's transaction (the wizard's
    `done()`), which rolls back as a whole if anything here fails. It cannot have bank details
    yet: none are read or locked, and no savepoint is set; `user` is the account registering
    (no security notice: the account is not active yet).
    """
    with transaction.atomic(savepoint=not new_structure):
        if new_structure:
            previous = []
        else:
            # Lock the structure's accounts: two submissions at once both see each other's flag.
            # of=("self",): PostgreSQL cannot lock the nullable side of the join to the sender.
            previous = list(
                BankAccount.objects.select_for_update(of=("self",))
                .select_related("created_by")
                .filter(structure=structure, status__in=[Status.VALIDATED, Status.PENDING])
                .order_by("-created_at")
            )
        account = BankAccount(
            structure=structure,
            account_name=details.account_name,
            account_type=details.account_type,
            country_code=details.iban[:2],
            iban=details.iban,
            bic=details.bic,
            rib_original_name=details.rib_original_name,
            attachment_type=details.attachment_type,
            rib_check_status=details.rib_check.status,
            rib_found_ibans=list(details.rib_check.found_ibans),
            rib_holder=details.rib_check.holder,
            rib_holder_check=check_holder(
                details.rib_check.holder,
                structure=structure,
                user=user,
                factor_raison_sociale=details.factor_raison_sociale,
            ),
            factor_raison_sociale=details.factor_raison_sociale,
            factor_country=details.factor_country,
            factor_identifier=details.factor_identifier,
            factor_identifier_type=details.factor_identifier_type,
            is_rib_change=bool(previous),
            contact_email=user.notification_email,
            created_by=user,
        )
        account._history_user = user
        # The file first: if the storage fails, the exception leaves before any row exists.
        # (upload_to gives the stored name; the original one is only kept in rib_original_name)
        account.rib_file.save(account.rib_original_name, details.rib_file, save=False)
        try:
            account.save()
        except BaseException:
            # Nothing will point at the stored file: remove it rather than leave an orphan.
            account.rib_file.storage.delete(account.rib_file.name)
            raise
        alerted = _alert_known_contacts(account, previous) if account.is_rib_change else set()
        # One e-mail per event and person: the alert already tells the sender's connection address.
        if not new_structure and user.email not in alerted:
            notify(user, "bank_details", detail=f"{structure.raison_sociale} — IBAN {account.iban_masked}")
        log_event("bank_account.submitted", bank_account=account.pk, structure=structure.pk, by=user.pk)
    return account


def _original_name(rib_file):
    return os.path.basename((rib_file.name or "").replace("\\", "/"))[-255:] or "rib.pdf"


def _alert_known_contacts(account, previous):
    """« Fraude au changement de RIB »: every member of the structure, and the contact e-mail
    given with the details already on file (an attacker who took over an account and changed
    its contact address still cannot silence the previous one). Returns who is told."""
    members = Membership.objects.filter(structure=account.structure).select_related("user__profile")
    # Each in their own language: a member's, else that of who gave the details on file.
    recipients = {
        other.contact_email: other.created_by.language if other.created_by else None
        for other in previous
        if other.contact_email
    }
    for membership in members:
        if membership.user.is_active:
            recipients[membership.user.notification_email] = membership.user.language
    context = {
        "account": account,
        "structure": account.structure,
        "submitted_by": account.created_by,
        "home_url": _absolute(reverse("onboarding:home")),
    }
    for email in sorted(recipients):  # one e-mail each: members do not see each other's address
        send_email_on_commit(
            "bank_details_change", email, context, language=recipients[email] or settings.LANGUAGE_CODE
        )
    return set(recipients)


def validate_bank_account(account, by):
    """Validate pending bank details: they become the ones in use, the previous ones are
    « remplacées ». The supplier's contact e-mail is told."""
    _check_reviewer(by)
    with transaction.atomic():
        account = _lock_pending(account)
        now = timezone.now()
        in_use = BankAccount.objects.select_for_update().filter(
            structure_id=account.structure_id, status=Status.VALIDATED
        )
        for old in in_use:  # one at most (database constraint)
            old.status = Status.SUPERSEDED
            old.superseded_at = now
            old.superseded_by = account
            old._history_user = by
            old.save(update_fields=["status", "superseded_at", "superseded_by", "updated_at"])
        account.status = Status.VALIDATED
        account.reviewed_by = by
        account.reviewed_at = now
        account._history_user = by
        account.save(update_fields=["status", "reviewed_by", "reviewed_at", "updated_at"])
        _send_decision(account, "bank_details_validated")
        log_event("bank_account.validated", bank_account=account.pk, structure=account.structure_id, by=by.pk)
    return account


def reject_bank_account(account, by, reason):
    """Reject pending bank details with the reason the supplier will read."""
    _check_reviewer(by)
    reason = (reason or "").strip()
    if not reason:
        raise BankAccountError(MSG_REJECTION_REASON_REQUIRED, field="reason")
    with transaction.atomic():
        account = _lock_pending(account)
        account.status = Status.REJECTED
        account.reviewed_by = by
        account.reviewed_at = timezone.now()
        account.rejection_reason = reason
        account._history_user = by
        account.save(update_fields=["status", "reviewed_by", "reviewed_at", "rejection_reason", "updated_at"])
        _send_decision(account, "bank_details_rejected")
        log_event("bank_account.rejected", bank_account=account.pk, structure=account.structure_id, by=by.pk)
    return account


def _check_reviewer(user):
    # Views and admin check too; this is the last line, whatever calls the service.
    if not (user and user.is_active and user.is_staff and user.has_perm(REVIEW_PERMISSION)):
        raise PermissionDenied("Reviewing bank details needs the banking.review_bankaccount permission.")


def _lock_pending(account):
    """The row, locked and fresh: of two reviewers deciding at once, the second one is told."""
    # of=("self",): PostgreSQL cannot lock the nullable side of the join to the sender.
    account = (
        BankAccount.objects.select_for_update(of=("self",)).select_related("structure", "created_by").get(pk=account.pk)
    )
    if account.status != Status.PENDING:
        raise BankAccountStateError(account.get_status_display())
    return account


def _send_decision(account, template):
    recipient = _supplier_contact(account)
    if recipient:
        # Decided by staff browsing in French: the supplier reads it in their own language.
        language = account.created_by.language if account.created_by else None
        send_email_on_commit(
            template,
            recipient,
            {
                "account": account,
                "structure": account.structure,
                "details_url": _absolute(reverse("banking:detail", args=[account.pk])),
                "add_url": _absolute(reverse("banking:add") + f"?structure={account.structure_id}"),
            },
            language=language,
        )


def _supplier_contact(account):
    """Who sent the details, else the structure's main manager (the sender may have left)."""
    user = account.created_by
    if user is None or not user.is_active:
        user = account.structure.main_manager
    return user.notification_email if user else None


def _absolute(path):
    # E-mail links are built from SITE_URL, never from a request's Host header.
    return settings.SITE_URL + path


@dataclass(frozen=True)
class BankDetailsState:
    """Where a structure stands at stage C, for the connected home.

    `status` (a BankAccount.Status, None when the structure has no bank details) is the
    validated details' when there are some (they are the ones in use, even with a change
    pending), else the latest details'. `change_pending`: new details wait for review while
    validated ones are in use.
    """

    status: str | None
    in_use: BankAccount | None = None
    latest: BankAccount | None = None
    change_pending: bool = False

    @property
    def done(self):
        return self.status == Status.VALIDATED


def bank_details_state(structure):
    """One query: the structure's bank details that are not « remplacées », newest first."""
    accounts = list(
        BankAccount.objects.filter(structure=structure).exclude(status=Status.SUPERSEDED).order_by("-created_at")
    )
    if not accounts:
        return BankDetailsState(None)
    latest = accounts[0]
    in_use = next((account for account in accounts if account.status == Status.VALIDATED), None)
    if in_use is None:
        return BankDetailsState(latest.status, latest=latest)
    change_pending = any(account.status == Status.PENDING for account in accounts)
    return BankDetailsState(Status.VALIDATED, in_use=in_use, latest=latest, change_pending=change_pending)
