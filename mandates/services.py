"""Stage D: the only place that creates billing mandates and changes their status.

Views, the wizard's `done()`, the admin and the `expire_mandates` command call these functions,
so that the checks, the evidence and the e-mails are the same everywhere.

Signing links are django.core.signing tokens of the mandate's pk, salted, valid
MANDATE_LINK_MAX_AGE seconds. They are single use because they only work on a mandate that is
still « généré »: the state of the row, not the token, says whether a link may still act.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Case, IntegerField, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.emails import build_email, deliver, send_email_on_commit
from core.errors import DomainError, ReasonError
from core.events import log_event
from structures.models import Membership
from twofactor.services import notify

from . import texts
from .models import BillingMandate
from .pdf import render_mandate_pdf

logger = logging.getLogger(__name__)

Status = BillingMandate.Status

SIGNING_SALT = "mandates.signing"
RESEND_LIMIT = 3
RESEND_WINDOW = 60 * 60  # seconds

MSG_STRUCTURE_INACTIVE = _("Cette structure est inactive : aucun mandat de facturation ne peut être souscrit.")
MSG_NOT_MAIN_MANAGER = _("Seul le gestionnaire principal de la structure peut souscrire son mandat de facturation.")
MSG_ALREADY_SIGNED = _("Cette structure a déjà un mandat de facturation signé.")
MSG_ALREADY_GENERATED = _(
    "Un mandat de facturation de cette structure attend déjà d'être signé : "
    "renvoyez le courriel depuis sa page, ou annulez-le pour en générer un nouveau."
)
MSG_RESEND_LIMIT = _(
    "Le courriel a déjà été renvoyé 3 fois en une heure : réessayez plus tard. "
    "Pensez à regarder dans vos courriers indésirables."
)


class MandateError(DomainError):
    """A request that cannot be granted; `message` says why, in the supplier's words."""

    def __init__(self, message, mandate=None):
        super().__init__(message)
        self.mandate = mandate


class ResendLimitReached(MandateError):
    pass


class MandateLinkError(ReasonError):
    """Why a signing link (or a mandate's state) does not allow signing; `reason` is a constant."""

    INVALID = "invalid"
    EXPIRED = "expired"
    USED = "used"
    CANCELLED = "cancelled"


# Generating


def is_main_manager(user, structure):
    return Membership.objects.filter(user=user, structure=structure, role=Membership.Role.MAIN_MANAGER).exists()


def generate_mandate(structure, signatory, *, notify=True, new_structure=False):
    """Generate the mandate of `structure` for `signatory` (its main manager) to sign.

    Runs in the caller's transaction when there is one (the wizard's `done()`); the signing
    e-mail leaves once it commits. `notify=False` leaves the e-mail to the caller.
    Raises MandateError when the structure already has a mandate generated or signed: the
    database's partial unique constraint settles two clicks at the same moment.

    `new_structure=True`: `structure` was created by `signatory` (its main manager, then) in the
    caller's transaction (the wizard's `done()`), which rolls back as a whole if anything here
    fails. It cannot have a mandate yet, nor can another transaction give it one before this
    one commits: the checks that read mandates are skipped, and no savepoint is set.
    """
    if not structure.is_active:
        raise MandateError(MSG_STRUCTURE_INACTIVE)
    now = timezone.now()
    if new_structure:
        if structure.created_by_id != signatory.pk:
            raise MandateError(MSG_NOT_MAIN_MANAGER)
        with transaction.atomic(savepoint=False):
            mandate = _create_mandate(structure, signatory, now)
            if notify:
                send_signing_email(mandate)
        return mandate
    if not is_main_manager(signatory, structure):
        raise MandateError(MSG_NOT_MAIN_MANAGER)
    with transaction.atomic():
        # An overdue one must not block a new one until the nightly command has run.
        expire_mandates(now=now, structure=structure)
        current = _current_mandate(structure)
        if current is not None:
            raise _already_exists(current)
        try:
            with transaction.atomic():
                mandate = _create_mandate(structure, signatory, now)
        except IntegrityError:
            raise _already_exists(_current_mandate(structure)) from None
        if notify:
            send_signing_email(mandate)
    return mandate


def _create_mandate(structure, signatory, now):
    return BillingMandate.objects.create(
        structure=structure,
        signatory=signatory,
        status=Status.GENERATED,
        template_version=texts.CURRENT_VERSION,
        document_html=texts.render_document(structure=structure, signatory=signatory, generated_at=now),
        generated_at=now,
    )


def _current_mandate(structure):
    return BillingMandate.objects.filter(structure=structure, status__in=[Status.GENERATED, Status.SIGNED]).first()


def _already_exists(current):
    if current is not None and current.is_signed:
        return MandateError(MSG_ALREADY_SIGNED, mandate=current)
    return MandateError(MSG_ALREADY_GENERATED, mandate=current)


# Signing links


def signing_token(mandate):
    return signing.dumps(mandate.pk, salt=SIGNING_SALT)


def signing_url(mandate):
    # From SITE_URL, never from a request's Host header.
    return settings.SITE_URL + reverse("mandates:sign", args=[signing_token(mandate)])


def send_signing_email(mandate):
    """E-mail the signing link once the current transaction commits.

    Always to the connection e-mail, never to the contact one: for an account created by the
    wizard this link is also how the password is chosen, so it must prove that address.
    """
    signatory = mandate.signatory
    send_email_on_commit(
        "mandate_signing",
        signatory.email,
        {
            "signatory": signatory,
            "structure": mandate.structure,
            "signing_url": signing_url(mandate),
            "valid_days": settings.MANDATE_LINK_MAX_AGE // (24 * 3600),
            "deadline": mandate.signing_deadline,
            "activates_account": not signatory.is_active and not signatory.has_usable_password(),
        },
        language=signatory.language,
    )


def resend_signing_email(mandate, *, by):
    """« Renvoyer le courriel »: at most RESEND_LIMIT times per hour and mandate.

    Counted in the cache (shared by the processes in production, see CACHE_URL).
    """
    if not can_manage(by, mandate):
        raise PermissionDenied
    check_signable(mandate)
    key = f"mandates:resend:{mandate.pk}"
    cache.add(key, 0, RESEND_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # the window ended between add() and incr()
        cache.set(key, 1, RESEND_WINDOW)
        count = 1
    if count > RESEND_LIMIT:
        raise ResendLimitReached(MSG_RESEND_LIMIT, mandate=mandate)
    with transaction.atomic():
        send_signing_email(mandate)


def check_signable(mandate, now=None):
    """MandateLinkError unless `mandate` is « généré » and within its signing period."""
    if mandate.status == Status.SIGNED:
        raise MandateLinkError(MandateLinkError.USED)
    if mandate.status == Status.CANCELLED:
        raise MandateLinkError(MandateLinkError.CANCELLED)
    if mandate.status == Status.EXPIRED or (now or timezone.now()) > mandate.signing_deadline:
        raise MandateLinkError(MandateLinkError.EXPIRED)


def mandate_for_token(token):
    """The mandate a signing link points at, still to sign; or MandateLinkError.

    The signature is checked first without an age, so that a link to a mandate already signed
    or cancelled says so even once it is old.
    """
    try:
        pk = signing.loads(token, salt=SIGNING_SALT)
    except signing.BadSignature:
        raise MandateLinkError(MandateLinkError.INVALID) from None
    mandate = BillingMandate.objects.select_related("structure", "signatory__profile").filter(pk=pk).first()
    if mandate is None:
        raise MandateLinkError(MandateLinkError.INVALID)
    check_signable(mandate)
    try:
        signing.loads(token, salt=SIGNING_SALT, max_age=settings.MANDATE_LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise MandateLinkError(MandateLinkError.EXPIRED) from None
    return mandate


# Signing and cancelling


def sign_mandate(mandate, *, user, ip, user_agent):
    """Sign: record the evidence, render and store the signed PDF once, e-mail it after commit.

    The row is locked: of two « Signer le mandat » posted at once, the second one finds it
    signed (MandateLinkError USED) and changes nothing.
    """
    with transaction.atomic():
        locked = _lock(mandate)
        check_signable(locked)
        if user.pk != locked.signatory_id:
            raise PermissionDenied
        if not is_main_manager(user, locked.structure):
            raise MandateError(MSG_NOT_MAIN_MANAGER, mandate=locked)
        locked.status = Status.SIGNED
        locked.signed_at = timezone.now()
        locked.signed_by = user
        # REMOTE_ADDR only: a forwarded-for header is whatever the client wants it to be.
        locked.signed_ip = ip or None
        locked.signed_user_agent = (user_agent or "")[:512]
        locked.document_sha256 = locked.compute_document_sha256()
        pdf = render_mandate_pdf(locked)
        locked.signed_pdf_sha256 = hashlib.sha256(pdf).hexdigest()
        locked.signed_pdf.save(f"{locked.reference}.pdf", ContentFile(pdf), save=False)
        try:
            locked.save(
                update_fields=[
                    "status",
                    "signed_at",
                    "signed_by",
                    "signed_ip",
                    "signed_user_agent",
                    "document_sha256",
                    "signed_pdf",
                    "signed_pdf_sha256",
                ]
            )
        except BaseException:
            # Nothing will point at the stored file: remove it rather than leave an orphan.
            locked.signed_pdf.storage.delete(locked.signed_pdf.name)
            raise
        transaction.on_commit(partial(_send_signed_confirmation, locked.pk))
        # `mandate.signatory` is `user`, as the caller loaded it (the signing page: with its profile).
        signatory = mandate.signatory
        if signatory.notification_email != signatory.email:
            # The signed PDF goes to the contact address: the connection address is told too.
            notify(signatory, "mandate_signed", detail=f"{locked.reference} — {locked.structure.raison_sociale}")
        log_event("mandate.signed", mandate=locked.pk, structure=locked.structure_id, by=user.pk)
    return locked


def pdf_filename(mandate):
    return f"mandat-de-facturation-{mandate.reference}.pdf"


def _send_signed_confirmation(pk):
    mandate = BillingMandate.objects.select_related("structure", "signatory").get(pk=pk)
    try:
        message = build_email(
            "mandate_signed",
            mandate.signatory.notification_email,
            {
                "signatory": mandate.signatory,
                "structure": mandate.structure,
                "mandate": mandate,
                "mandate_url": settings.SITE_URL + reverse("mandates:detail", args=[mandate.pk]),
            },
        )
        with mandate.signed_pdf.open("rb") as handle:
            message.attach(pdf_filename(mandate), handle.read(), "application/pdf")
    except Exception:
        # The signature is committed: a failure here must not show the signatory an error
        # page that suggests it failed. The PDF stays downloadable from the mandate's page.
        logger.exception("Could not prepare the signed mandate %s", pk)
        return
    deliver(message)  # a mail server down: kept in the outbox, sent by retry_emails


def can_manage(user, mandate):
    """The signatory, or a main manager of the mandate's structure."""
    return user.is_authenticated and (user.pk == mandate.signatory_id or is_main_manager(user, mandate.structure_id))


def cancel_mandate(mandate, by):
    """« Annuler »: a mandate not signed yet is cancelled; a new one can then be generated."""
    if not (can_manage(by, mandate) or by.has_perm("mandates.change_billingmandate")):
        raise PermissionDenied
    with transaction.atomic():
        locked = _lock(mandate)
        check_signable(locked)
        locked.status = Status.CANCELLED
        locked.cancelled_at = timezone.now()
        locked.cancelled_by = by
        locked.save(update_fields=["status", "cancelled_at", "cancelled_by"])
    return locked


def _lock(mandate):
    # of=("self",): lock the mandate's row only, not its structure's and user's.
    return (
        BillingMandate.objects.select_for_update(of=("self",))
        .select_related("structure", "signatory")
        .get(pk=mandate.pk)
    )


def expire_mandates(now=None, structure=None):
    """Mark « expiré » the mandates left unsigned past their signing period; how many."""
    now = now or timezone.now()
    overdue = BillingMandate.objects.filter(
        status=Status.GENERATED, generated_at__lt=now - timedelta(seconds=settings.MANDATE_LINK_MAX_AGE)
    )
    if structure is not None:
        overdue = overdue.filter(structure=structure)
    return overdue.update(status=Status.EXPIRED, expired_at=now)


# What the connected home and the invoice gate show


@dataclass(frozen=True)
class MandateState:
    """Where a structure stands at stage D: `status` is a BillingMandate.Status (EXPIRED for a
    generated one past its deadline, before the nightly command marks it), None without any."""

    status: str | None
    mandate: BillingMandate | None = None

    # What the supplier reads of it: where it stands for them, not the row's raw status.
    LABELS = {
        None: _("À faire"),
        Status.GENERATED: _("En attente de signature"),
        Status.SIGNED: _("Signé"),
        Status.CANCELLED: _("Annulé"),
        Status.EXPIRED: _("Expiré"),
    }

    @property
    def label(self):
        return self.LABELS[self.status]

    @property
    def done(self):
        return self.status == Status.SIGNED

    @property
    def is_generated(self):
        return self.status == Status.GENERATED

    @property
    def is_signed(self):
        return self.status == Status.SIGNED

    @property
    def is_cancelled(self):
        return self.status == Status.CANCELLED

    @property
    def is_expired(self):
        return self.status == Status.EXPIRED


def state_of(mandate, now=None):
    if mandate is None:
        return MandateState(None)
    status = mandate.status
    if status == Status.GENERATED and (now or timezone.now()) > mandate.signing_deadline:
        status = Status.EXPIRED  # the command has not run yet
    return MandateState(status, mandate)


def mandate_state(structure):
    """Where `structure` stands at stage D, in one query: its current mandate, else its latest."""
    mandate = (
        BillingMandate.objects.filter(structure=structure)
        .select_related("signatory")
        .order_by(
            Case(
                When(status__in=[Status.GENERATED, Status.SIGNED], then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            "-generated_at",
            "-pk",
        )
        .first()
    )
    return state_of(mandate)


def pending_mandate_of_inactive_account(email):
    """The mandate waiting for the signature of an account not activated yet, if any.

    Its signing link is also that account's activation link (the wizard's single e-mail).
    """
    User = get_user_model()
    return (
        BillingMandate.objects.filter(
            signatory__email=User.objects.normalize_email(email),
            signatory__is_active=False,
            status=Status.GENERATED,
        )
        .select_related("signatory", "structure")
        .first()
    )
