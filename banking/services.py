"""Stage C: the only place that creates bank details and changes their review status.

Views, the wizard's `done()` and the admin's buttons and actions call these functions, so that
the anti-fraud rule, the e-mails and the audit history happen the same way everywhere.
"""

import os
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import TextChoices
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.emails import send_email_on_commit
from structures.models import Membership

from .models import REVIEW_PERMISSION, BankAccount
from .rib import check_holder

Status = BankAccount.Status


class BankAccountStateError(Exception):
    """The bank details were already validated or rejected (by someone else, or twice)."""


def submit_bank_account(*, structure, user, cleaned_data, rib_file, new_structure=False):
    """Record the bank details of `structure` sent by `user`, pending review by finance staff.

    `cleaned_data` is a valid BankAccountForm's; `rib_file` the checked RIB (an upload or a File
    re-opened from the wizard's storage). One transaction: if the file cannot be stored, no row
    is left and no e-mail goes. When the structure already has bank details in use or waiting,
    the new ones are flagged « changement de RIB » and the structure's known contacts are told
    once the transaction commits; the details in use stay so until staff validate new ones.

    `new_structure=True`: `structure` was created in the caller's transaction (the wizard's
    `done()`), which rolls back as a whole if anything here fails. It cannot have bank details
    yet: none are read or locked, and no savepoint is set.
    """
    with transaction.atomic(savepoint=not new_structure):
        if new_structure:
            previous = []
        else:
            # Lock the structure's accounts: two submissions at once both see each other's flag.
            previous = list(
                BankAccount.objects.select_for_update()
                .filter(structure=structure, status__in=[Status.VALIDATED, Status.PENDING])
                .order_by("-created_at")
            )
        rib_check = cleaned_data["rib_check"]
        account = BankAccount(
            structure=structure,
            account_name=cleaned_data["account_name"],
            account_type=cleaned_data.get("account_type") or BankAccount.AccountType.IBAN,
            country_code=cleaned_data["iban"][:2],
            iban=cleaned_data["iban"],
            bic=cleaned_data["bic"],
            rib_original_name=cleaned_data.get("rib_original_name") or _original_name(rib_file),
            attachment_type=cleaned_data.get("attachment_type") or BankAccount.AttachmentType.BANK_DETAILS,
            rib_check_status=rib_check.status,
            rib_found_ibans=list(rib_check.found_ibans),
            rib_holder=rib_check.holder,
            rib_holder_check=check_holder(
                rib_check.holder,
                structure=structure,
                user=user,
                factor_raison_sociale=cleaned_data.get("factor_raison_sociale") or "",
            ),
            factor_raison_sociale=cleaned_data.get("factor_raison_sociale") or "",
            factor_country=cleaned_data.get("factor_country") or "",
            factor_identifier=cleaned_data.get("factor_identifier") or "",
            factor_identifier_type=cleaned_data.get("factor_identifier_type") or "",
            is_rib_change=bool(previous),
            contact_email=user.notification_email,
            created_by=user,
        )
        account._history_user = user
        # The file first: if the storage fails, the exception leaves before any row exists.
        # (upload_to gives the stored name; the original one is only kept in rib_original_name)
        account.rib_file.save(account.rib_original_name, rib_file, save=False)
        try:
            account.save()
        except BaseException:
            # Nothing will point at the stored file: remove it rather than leave an orphan.
            account.rib_file.storage.delete(account.rib_file.name)
            raise
        if account.is_rib_change:
            _alert_known_contacts(account, previous)
    return account


def _original_name(rib_file):
    return os.path.basename((rib_file.name or "").replace("\\", "/"))[-255:] or "rib.pdf"


def _alert_known_contacts(account, previous):
    """« Fraude au changement de RIB »: every member of the structure, and the contact e-mail
    given with the details already on file (an attacker who took over an account and changed
    its contact address still cannot silence the previous one)."""
    members = Membership.objects.filter(structure=account.structure).select_related("user__profile")
    recipients = {membership.user.notification_email for membership in members if membership.user.is_active}
    recipients |= {other.contact_email for other in previous if other.contact_email}
    context = {
        "account": account,
        "structure": account.structure,
        "submitted_by": account.created_by,
        "home_url": _absolute(reverse("onboarding:home")),
    }
    for email in sorted(recipients):  # one e-mail each: members do not see each other's address
        send_email_on_commit("bank_details_change", email, context)


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
    return account


def reject_bank_account(account, by, reason):
    """Reject pending bank details with the reason the supplier will read."""
    _check_reviewer(by)
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("A rejection needs a reason: the supplier must know what to fix.")
    with transaction.atomic():
        account = _lock_pending(account)
        account.status = Status.REJECTED
        account.reviewed_by = by
        account.reviewed_at = timezone.now()
        account.rejection_reason = reason
        account._history_user = by
        account.save(update_fields=["status", "reviewed_by", "reviewed_at", "rejection_reason", "updated_at"])
        _send_decision(account, "bank_details_rejected")
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


class BankDetailsStatus(TextChoices):
    NONE = "none", _("À faire")
    PENDING = "pending", _("En attente de validation")
    VALIDATED = "validated", _("Validées")
    REJECTED = "rejected", _("Rejetées")


@dataclass(frozen=True)
class BankDetailsState:
    """Where a structure stands at stage C, for the connected home.

    `status` is the validated details' when there are some (they are the ones in use, even with
    a change pending), else the latest details'. `change_pending`: new details wait for review
    while validated ones are in use.
    """

    status: BankDetailsStatus
    in_use: BankAccount | None = None
    latest: BankAccount | None = None
    change_pending: bool = False

    @property
    def done(self):
        return self.status == BankDetailsStatus.VALIDATED


_STATE_OF = {
    Status.PENDING: BankDetailsStatus.PENDING,
    Status.VALIDATED: BankDetailsStatus.VALIDATED,
    Status.REJECTED: BankDetailsStatus.REJECTED,
}


def bank_details_state(structure):
    """One query: the structure's bank details that are not « remplacées », newest first."""
    accounts = list(
        BankAccount.objects.filter(structure=structure).exclude(status=Status.SUPERSEDED).order_by("-created_at")
    )
    if not accounts:
        return BankDetailsState(BankDetailsStatus.NONE)
    latest = accounts[0]
    in_use = next((account for account in accounts if account.status == Status.VALIDATED), None)
    if in_use is None:
        return BankDetailsState(_STATE_OF[latest.status], latest=latest)
    change_pending = any(account.status == Status.PENDING for account in accounts)
    return BankDetailsState(BankDetailsStatus.VALIDATED, in_use=in_use, latest=latest, change_pending=change_pending)
