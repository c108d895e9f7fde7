"""Stage A: the supplier's account. The only place that creates and activates accounts."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from core.emails import send_email_on_commit
from core.errors import DomainError, ReasonError
from core.events import log_event
from mandates import services as mandate_services
from structures import services as structure_services

from .models import SupplierProfile

ACTIVATION_SALT = "onboarding.activation"


@dataclass(frozen=True)
class AccountDetails:
    email: str
    last_name: str
    first_name: str
    address: str
    postcode: str
    city: str
    country: str
    contact_email: str = ""
    address_complement_1: str = ""
    address_complement_2: str = ""
    phone: str = ""
    fax: str = ""

    @classmethod
    def from_cleaned_data(cls, data):
        return cls(**{name: data.get(name) or "" for name in cls.__dataclass_fields__})


class AccountExists(DomainError):
    """The address belongs to an account already. Never shown as such to whoever typed it
    (the wizard tells the account's owner by e-mail, see send_registration_attempt_email)."""

    def __init__(self, account):
        super().__init__()
        self.account = account


def account_with_email(email):
    """The account whose connection address is `email` (whatever its letter case), or None."""
    User = get_user_model()
    return User.objects.filter(email=User.objects.normalize_email(email)).first()


def register_supplier(details: AccountDetails, *, send_activation=True):
    """Create an inactive account without a usable password, and e-mail its activation link.

    AccountExists when the address is registered already (whatever its letter case).

    Run inside the caller's transaction when there is one (the wizard's `done()`), so that the
    account and what the later stages create land together or not at all. With
    `send_activation=False` the caller sends another link that activates the account too (the
    billing mandate's): the supplier gets one e-mail.

    No savepoint: nothing is caught in here, and an error (an e-mail registered at the same
    moment) fails the caller's transaction, which rolls back as a whole.
    """
    User = get_user_model()
    existing = account_with_email(details.email)
    if existing is not None:
        raise AccountExists(existing)
    with transaction.atomic(savepoint=False):
        user = User.objects.create_user(
            email=details.email,
            password=None,
            last_name=details.last_name,
            first_name=details.first_name,
            is_active=False,
            # The language the supplier registered in: the one of the e-mails they get later.
            language=translation.get_language() or settings.LANGUAGE_CODE,
        )
        SupplierProfile.objects.create(
            user=user,
            contact_email=details.contact_email,
            address=details.address,
            address_complement_1=details.address_complement_1,
            address_complement_2=details.address_complement_2,
            postcode=details.postcode,
            city=details.city,
            country=details.country,
            phone=details.phone,
            fax=details.fax,
            terms_accepted_at=timezone.now(),
        )
        if send_activation:
            send_activation_email(user)
        log_event("supplier.registered", user=user.pk)
    return user


def activation_token(user):
    return signing.dumps(user.pk, salt=ACTIVATION_SALT)


def activation_url(user):
    return settings.SITE_URL + reverse("onboarding:activate", args=[activation_token(user)])


def send_activation_email(user):
    send_email_on_commit(
        "activation",
        user.email,
        {
            "user": user,
            "activation_url": activation_url(user),
            "valid_hours": settings.ACTIVATION_LINK_MAX_AGE // 3600,
        },
        language=user.language,
    )


# An account waiting for its activation, registered less than this ago: most likely by the very
# wizard finishing again (a double click, a second tab), whose e-mail is on its way already.
JUST_REGISTERED = timedelta(minutes=5)


def send_registration_attempt_email(account):
    """Someone went through the wizard with the address of `account`: tell its owner, once the
    transaction commits, what to do if it was them (log in, or choose a new password; an
    account still waiting for its activation gets a fresh activation link). The visitor saw
    the same page as for a new registration, and nothing was created."""
    waiting = not account.is_active and not account.has_usable_password()
    if waiting and account.date_joined > timezone.now() - JUST_REGISTERED:
        return
    send_email_on_commit(
        "registration_attempt",
        account.email,
        {
            "user": account,
            "activation_url": activation_url(account) if waiting else "",
            "valid_hours": settings.ACTIVATION_LINK_MAX_AGE // 3600,
            "login_url": settings.SITE_URL + reverse("twofactor:login"),
            "password_reset_url": settings.SITE_URL + reverse("twofactor:password_reset"),
        },
        language=account.language,
    )


class ActivationLinkError(ReasonError):
    """Why a link cannot be used; `reason` is one of the class constants."""

    INVALID = "invalid"
    EXPIRED = "expired"
    USED = "used"


def user_for_activation(token):
    """The inactive account a link points at, or ActivationLinkError.

    The link is single use because it only works on an inactive account.
    """
    try:
        pk = signing.loads(token, salt=ACTIVATION_SALT, max_age=settings.ACTIVATION_LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise ActivationLinkError(ActivationLinkError.EXPIRED) from None
    except signing.BadSignature:
        raise ActivationLinkError(ActivationLinkError.INVALID) from None
    user = get_user_model().objects.filter(pk=pk).first()
    if user is None:
        raise ActivationLinkError(ActivationLinkError.INVALID)
    if user.is_active or user.has_usable_password():
        raise ActivationLinkError(ActivationLinkError.USED)
    return user


def activate_account(user, password):
    """Set the chosen password and activate the account, once.

    One conditional UPDATE: of two tabs posting the same link at once, only one activates it.
    """
    user.set_password(password)
    user.is_active = True
    user.activated_at = timezone.now()
    updated = (
        get_user_model()
        .objects.filter(pk=user.pk, is_active=False)
        .update(password=user.password, is_active=True, activated_at=user.activated_at)
    )
    if not updated:
        raise ActivationLinkError(ActivationLinkError.USED)
    # The address is proven now: the main managers of the structures it asked to join are told.
    structure_services.notify_pending_requests(user)
    return user


def resend_activation_link(email):
    """« Renvoyer le courriel »: send again the link that activates the account of `email`, if
    it waits for its activation; say nothing otherwise. Never fails: the page answers the same
    whatever happens here, so that it tells no one whether an address is registered.

    The link is the pending mandate's while it can be signed (it activates the account too: one
    kind of link); the account's own when the mandate is past its signing period (the supplier
    activates the account, then subscribes a new mandate from the connected home). Nothing is
    sent once the mandate's e-mail was sent 3 times in the hour (no mail bombing).
    """
    User = get_user_model()
    user = User.objects.filter(email=User.objects.normalize_email(email), is_active=False).first()
    if user is None or user.has_usable_password():
        return None  # unknown, active, or switched off by staff
    mandate = mandate_services.pending_mandate_of_inactive_account(user.email)
    if mandate is not None:
        try:
            mandate_services.resend_signing_email(mandate, by=user)
        except mandate_services.ResendLimitReached:
            return user
        except mandate_services.MandateLinkError:
            pass  # past its signing period, not marked « expiré » yet by the nightly job
        else:
            return user
    with transaction.atomic():
        send_activation_email(user)
    return user


# « Mon compte »: the connection and contact addresses. Both changes ask for a fresh second
# factor (the views' step-up), and tell the previous address as well as the new one.

EMAIL_CHANGE_SALT = "onboarding.email-change"
EMAIL_CHANGE_MAX_AGE = 24 * 3600


class EmailChangeError(ReasonError):
    INVALID = "invalid"
    EXPIRED = "expired"
    USED = "used"
    TAKEN = "taken"


def email_taken(email, *, except_user=None):
    others = get_user_model().objects.filter(email__iexact=email)
    if except_user is not None:
        others = others.exclude(pk=except_user.pk)
    return others.exists()


def request_email_change(user, new_email):
    """E-mail a link to the new address: the connection address changes once it is followed.
    The link names the current address, so it stops working once any change is made."""
    token = signing.dumps({"u": user.pk, "from": user.email, "to": new_email}, salt=EMAIL_CHANGE_SALT)
    send_email_on_commit(
        "email_change",
        new_email,
        {
            "user": user,
            "new_email": new_email,
            "url": settings.SITE_URL + reverse("onboarding:confirm_email_change", args=[token]),
            "valid_hours": EMAIL_CHANGE_MAX_AGE // 3600,
        },
        language=user.language,
    )


def email_change_for_token(token):
    """(user, new address) of a confirmation link, or EmailChangeError."""
    try:
        data = signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=EMAIL_CHANGE_MAX_AGE)
    except signing.SignatureExpired:
        raise EmailChangeError(EmailChangeError.EXPIRED) from None
    except signing.BadSignature:
        raise EmailChangeError(EmailChangeError.INVALID) from None
    user = get_user_model().objects.filter(pk=data.get("u")).first()
    if user is None:
        raise EmailChangeError(EmailChangeError.INVALID)
    if user.email != data.get("from"):
        raise EmailChangeError(EmailChangeError.USED)
    return user, data["to"]


def confirm_email_change(user, new_email):
    """The new address proved itself: it becomes the login. Both addresses are told."""
    from twofactor.services import notify

    previous = user.email
    User = get_user_model()
    if email_taken(new_email, except_user=user):
        raise EmailChangeError(EmailChangeError.TAKEN)
    try:
        with transaction.atomic():
            updated = User.objects.filter(pk=user.pk, email=previous).update(email=new_email)
            if not updated:
                raise EmailChangeError(EmailChangeError.USED)
            user.email = new_email
            notify(user, "connection_email_changed", to=[previous], detail=f"{previous} → {new_email}")
    except IntegrityError:  # taken a moment ago, by a registration racing with this click
        user.email = previous
        raise EmailChangeError(EmailChangeError.TAKEN) from None
    return previous


def change_contact_email(user, new_contact_email):
    """The contact address (notifications). Told: the connection address and the previous one."""
    from twofactor.services import notify

    with transaction.atomic():
        profile = SupplierProfile.objects.select_for_update().get(user=user)
        previous = profile.contact_email
        profile.contact_email = new_contact_email
        profile.save(update_fields=["contact_email"])
        notify(
            user,
            "contact_email_changed",
            to=[previous],
            detail=f"{previous or user.email} → {new_contact_email or user.email}",
        )
    return previous
