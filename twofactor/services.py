"""Two-factor login and step-up checks: the state of a user's second factor, and of a session.

The devices and the codes are django-otp's: an e-mailed code (otp_email), an authenticator
app (otp_totp) and single-use recovery codes (otp_static). What is ours:

- `User.second_factor` says which factor the login asks for, so that pages know it without
  a query; the functions below keep it in step with the devices, in one transaction.
- The session says when the last factor was given and which one (`SESSION_VERIFIED_AT`,
  `SESSION_METHOD`); a step-up asks for a new one when it is older than 15 minutes.
- Failed codes count as failed logins for django-axes (the views send the signal): the same
  lockout, per account and per address, as for passwords.
"""

import enum
import re
import secrets
import time
from binascii import unhexlify
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model, login
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from core.emails import send_email, send_email_on_commit
from core.errors import ReasonError

from .models import UsedCode

SESSION_PENDING = "twofactor_pending"
SESSION_VERIFIED_AT = "twofactor_verified_at"
SESSION_METHOD = "twofactor_method"
SESSION_TOTP_KEY = "twofactor_totp_key"
SESSION_NEW_RECOVERY_CODES = "twofactor_recovery_codes"

# The values of User.second_factor (onboarding.models), which says which factor a login asks for.
METHOD_EMAIL = "email"  # a code e-mailed to the connection address
METHOD_TOTP = "totp"  # an authenticator app
METHOD_RECOVERY = "recovery"  # one of the recovery codes
METHOD_EMAIL_LINK = "email-link"  # the e-mailed activation or mandate link: it proves the address too

CODE_DIGITS = 6
RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: a recovery code is copied by hand from paper.
RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
SIX_DIGITS = re.compile(r"^[0-9]{6}$")
RECOVERY_FORMAT = re.compile(r"^[a-z0-9]{8}$")

TOTP_ISSUER = "Ville de Grenoble"


def code_validity():
    return settings.TWOFACTOR_CODE_VALIDITY


def step_up_max_age(method="GET"):
    """How old the last factor may be: 15 minutes to open a sensitive page; a form posted
    from it gets as much again, so that typing it never loses it."""
    age = settings.TWOFACTOR_STEP_UP_MAX_AGE
    return age if method in ("GET", "HEAD") else 2 * age


# --- Which factor -----------------------------------------------------------------------

FACTOR_LABELS = {
    METHOD_EMAIL: _("un code à 6 chiffres envoyé par courriel à votre adresse de connexion"),
    METHOD_TOTP: _("un code à 6 chiffres donné par votre application d'authentification"),
}


def factor_label(user):
    return FACTOR_LABELS[user.second_factor]


def uses_authenticator(user):
    return user.second_factor == METHOD_TOTP


def recovery_codes_left(user):
    return StaticToken.objects.filter(device__user=user).count()


# --- Sessions -----------------------------------------------------------------------------


def start_pending_login(request, user, backend, next_url):
    """The password was right: remember who, until the second factor (not logged in yet)."""
    request.session.cycle_key()
    request.session[SESSION_PENDING] = {
        "user": user.pk,
        "backend": backend,
        "at": int(time.time()),
        "next": next_url,
    }


class PendingLoginError(ReasonError):
    MISSING = "missing"
    EXPIRED = "expired"


def pending_login(request):
    """(user, pending dict) of the login waiting for its second factor; or PendingLoginError."""
    pending = request.session.get(SESSION_PENDING)
    if not isinstance(pending, dict) or "user" not in pending:
        raise PendingLoginError(PendingLoginError.MISSING)
    if time.time() - pending.get("at", 0) > settings.TWOFACTOR_PENDING_MAX_AGE:
        del request.session[SESSION_PENDING]
        raise PendingLoginError(PendingLoginError.EXPIRED)
    user = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    if user is None:
        del request.session[SESSION_PENDING]
        raise PendingLoginError(PendingLoginError.MISSING)
    return user, pending


def complete_login(request, user, method, backend="django.contrib.auth.backends.ModelBackend"):
    """Log in (Django gives a new session key) with the second factor just given."""
    request.session.pop(SESSION_PENDING, None)
    login(request, user, backend=backend)
    mark_verified(request, method)


def mark_verified(request, method):
    request.session[SESSION_VERIFIED_AT] = int(time.time())
    request.session[SESSION_METHOD] = method


def verified_method(request):
    return request.session.get(SESSION_METHOD)


def is_fresh(request, max_age):
    verified_at = request.session.get(SESSION_VERIFIED_AT)
    return isinstance(verified_at, int) and time.time() - verified_at <= max_age


# --- E-mailed codes ---------------------------------------------------------------------


def email_device(user):
    device = EmailDevice.objects.filter(user=user).first()
    if device is None:
        device = EmailDevice.objects.create(user=user, name="Courriel", confirmed=True)
    return device


def has_live_email_code(device):
    return bool(device.token) and device.valid_until is not None and device.valid_until > timezone.now()


def send_email_code(user, device=None):
    """E-mail a new 6-digit code (the previous one stops working). Returns the seconds to wait
    before another can be sent: 0 when this one was sent."""
    device = device or email_device(user)
    allowed, data = device.generate_is_allowed()
    if not allowed:
        next_at = data.get("next_generation_at")
        return max(1, int((next_at - timezone.now()).total_seconds())) if next_at else 60
    device.cooldown_set(commit=False)
    device.generate_token(length=CODE_DIGITS, valid_secs=code_validity(), commit=True)
    # Now, not on commit: the token is saved already, and the person is waiting for it.
    send_email(
        "login_code",
        user.email,
        {"user": user, "code": device.token, "minutes": code_validity() // 60},
        language=user.language,
    )
    return 0


# --- Checking a code ----------------------------------------------------------------------


class Outcome(enum.Enum):
    OK = "ok"
    FORMAT = "format"
    WRONG = "wrong"
    EXPIRED = "expired"
    USED = "used"
    RECOVERY_WRONG = "recovery_wrong"
    RECOVERY_USED = "recovery_used"


def normalize(code):
    return "".join((code or "").split()).replace("-", "").lower()


def _digest(user, kind, code):
    return salted_hmac("twofactor.used-code", f"{user.pk}:{kind}:{code}").hexdigest()


def _was_used(user, kind, code):
    return UsedCode.objects.filter(user=user, digest=_digest(user, kind, code)).exists()


def _remember_use(user, kind, code):
    UsedCode.objects.create(user=user, digest=_digest(user, kind, code))


def check_code(user, typed, *, allow_recovery=True):
    """(Outcome, method) for a code typed by `user`: their factor's 6 digits, or a recovery code."""
    code = normalize(typed)
    if SIX_DIGITS.match(code):
        method = user.second_factor
        if method == METHOD_TOTP:
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            if device is not None and device.verify_token(code):
                _remember_use(user, method, code)
                return Outcome.OK, method
        else:
            # One UPDATE consumes the code: two requests racing with it cannot both succeed.
            now = timezone.now()
            consumed = EmailDevice.objects.filter(user=user, token=code, valid_until__gt=now).update(
                token=None, valid_until=now, last_used_at=now, last_generated_timestamp=None
            )
            if consumed:
                _remember_use(user, method, code)
                return Outcome.OK, method
            if EmailDevice.objects.filter(user=user, token=code).exists():
                return Outcome.EXPIRED, method
        return (Outcome.USED if _was_used(user, method, code) else Outcome.WRONG), method
    if allow_recovery and RECOVERY_FORMAT.match(code):
        # Deleted by one statement: a recovery code cannot serve two requests racing with it.
        consumed, _ = StaticToken.objects.filter(device__user=user, token=code).delete()
        if consumed:
            _remember_use(user, METHOD_RECOVERY, code)
            notify(user, "recovery_used", left=recovery_codes_left(user))
            return Outcome.OK, METHOD_RECOVERY
        used = _was_used(user, METHOD_RECOVERY, code)
        return (Outcome.RECOVERY_USED if used else Outcome.RECOVERY_WRONG), METHOD_RECOVERY
    return Outcome.FORMAT, user.second_factor


def purge_used_codes(older_than=timedelta(days=30)):
    """Forget old digests: an e-mailed or app code is worth remembering for minutes, a recovery
    code for as long as its set is likely in use (`manage.py purge_used_codes`, daily)."""
    return UsedCode.objects.filter(used_at__lt=timezone.now() - older_than).delete()[0]


# --- Authenticator app ----------------------------------------------------------------------


def new_totp_key():
    return random_hex(20)


def totp_uri(user, key):
    """The otpauth:// address the QR code holds (what the app records: issuer, account, secret)."""
    device = TOTPDevice(user=user, key=key, name=TOTP_ISSUER)
    return device.config_url


def manual_key(key):
    """The secret as an app asks for it typed by hand: base32, in groups of 4."""
    from base64 import b32encode

    secret = b32encode(unhexlify(key)).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def totp_matches(key, typed):
    """The 6 digits an app shows now for `key` (one step of clock drift either way); the step or None."""
    code = normalize(typed)
    if not SIX_DIGITS.match(code):
        return None
    totp = TOTP(unhexlify(key), step=30, digits=CODE_DIGITS)
    now_t = totp.t()
    for drift in (0, -1, 1):
        totp.drift = drift
        if constant_time_compare(f"{totp.token():06d}", code):
            return now_t + drift
    return None


def new_recovery_codes():
    return ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(8)) for _ in range(RECOVERY_CODE_COUNT)]


def show(code):
    return f"{code[:4]}-{code[4:]}"


def _replace_recovery_codes(user):
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Codes de secours", confirmed=True)
    codes = new_recovery_codes()
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return [show(code) for code in codes]


@transaction.atomic
def enable_authenticator(user, key, step):
    """The app gave the right code: it becomes the login's second factor. Returns the new
    recovery codes (to be shown once; the old ones stop working)."""
    TOTPDevice.objects.filter(user=user).delete()
    TOTPDevice.objects.create(user=user, key=key, name=TOTP_ISSUER, confirmed=True, last_t=step)
    user.second_factor = METHOD_TOTP
    user.save(update_fields=["second_factor"])
    codes = _replace_recovery_codes(user)
    notify(user, "authenticator_added")
    return codes


@transaction.atomic
def regenerate_recovery_codes(user):
    codes = _replace_recovery_codes(user)
    notify(user, "recovery_regenerated")
    return codes


@transaction.atomic
def disable_authenticator(user):
    """Back to the e-mailed code: the app and the recovery codes stop working."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    user.second_factor = METHOD_EMAIL
    user.save(update_fields=["second_factor"])
    notify(user, "authenticator_removed")


@transaction.atomic
def reset_second_factor(user, *, by):
    """Staff, for someone who lost their app and their recovery codes: back to the e-mailed code.
    The admin records who did it (LogEntry)."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    user.second_factor = METHOD_EMAIL
    user.save(update_fields=["second_factor"])
    notify(user, "reset_by_staff")


# --- Notifications ------------------------------------------------------------------------

EVENTS = {
    "authenticator_added": _(
        "Une application d'authentification a été ajoutée à votre compte. Elle donne désormais le code demandé "
        "après votre mot de passe."
    ),
    "authenticator_removed": _(
        "L'application d'authentification a été retirée de votre compte : le code demandé après votre mot de passe "
        "vous est de nouveau envoyé par courriel."
    ),
    "recovery_used": _("Un code de secours a été utilisé pour vous connecter."),
    "recovery_regenerated": _(
        "De nouveaux codes de secours ont été créés pour votre compte ; les anciens ne fonctionnent plus."
    ),
    "reset_by_staff": _(
        "Les services financiers de la Ville ont réinitialisé la double authentification de votre compte, à votre "
        "demande : le code demandé après votre mot de passe vous est de nouveau envoyé par courriel."
    ),
    "bank_details": _("De nouvelles coordonnées bancaires ont été envoyées depuis votre compte."),
    "mandate_signed": _("Un mandat de facturation a été signé depuis votre compte."),
    "connection_email_changed": _("L'adresse électronique de connexion de votre compte a été changée."),
    "contact_email_changed": _(
        "L'adresse électronique de contact de votre compte a été changée : les notifications y sont désormais envoyées."
    ),
    "main_manager_handed_over": _(
        "Vous avez transmis le rôle de gestionnaire principal d'une structure ; vous en restez membre."
    ),
    "main_manager_received": _(
        "Vous êtes désormais gestionnaire principal d'une structure : c'est à vous de gérer ses coordonnées "
        "bancaires et ses mandats de facturation."
    ),
}


def notify(user, event, *, to=None, **details):
    """A security notice to the connection address (and `to`, e.g. a previous address)."""
    recipients = [user.email] + [address for address in (to or []) if address and address != user.email]
    for address in recipients:
        send_email_on_commit(
            "security_notice",
            address,
            {
                "user": user,
                "event": event,
                "event_text": EVENTS[event],
                "factor": FACTOR_LABELS[user.second_factor],
                "when": timezone.now(),
                "left": None,
                "detail": "",
                **details,
            },
            language=user.language,
        )


# --- Lockout (django-axes) ---------------------------------------------------------------


def axes_username(request, credentials=None):
    """The login typed, as the app compares it: lockouts count per account whatever the case."""
    value = (credentials or {}).get("username") or request.POST.get("username", "")
    return value.strip().lower()
