"""Pages of the second factor: the login's code, the step-up, the account's factor settings."""

import segno
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import signals
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ObjectDoesNotExist
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from core.ratelimit import enforce_rate_limit

from . import services
from .decorators import NEXT_PARAMETER, fresh_second_factor, step_up_url
from .forms import AdminLoginForm, AuthenticatorForm, CodeForm, LoginForm
from .services import Outcome

RESEND = "renvoyer"


def outcome_message(outcome, user):
    minutes = services.code_validity() // 60
    by_app = services.uses_authenticator(user)
    if outcome is Outcome.WRONG:
        if by_app:
            return _(
                "Ce code n'est pas le bon. Saisissez le code affiché en ce moment par votre application "
                "d'authentification : il change toutes les 30 secondes."
            )
        return _(
            "Ce code n'est pas le bon. Vérifiez les 6 chiffres : seul le dernier code envoyé par courriel est valable."
        )
    if outcome is Outcome.EXPIRED:
        return _(
            "Ce code a expiré : un code n'est valable que %(minutes)s minutes. "
            "Demandez un nouveau code avec le bouton « Recevoir un nouveau code »."
        ) % {"minutes": minutes}
    if outcome is Outcome.USED:
        if by_app:
            return _(
                "Ce code a déjà été utilisé : chaque code ne sert qu'une fois. Attendez le code suivant de votre "
                "application."
            )
        return _("Ce code a déjà été utilisé : chaque code ne sert qu'une fois. Demandez un nouveau code.")
    if outcome is Outcome.RECOVERY_WRONG:
        return _(
            "Ce code de secours n'est pas valable. Vérifiez-le : il compte 8 lettres ou chiffres (par exemple "
            "4f7k-9m2p)."
        )
    if outcome is Outcome.RECOVERY_USED:
        return _(
            "Ce code de secours a déjà été utilisé : chacun ne sert qu'une fois. Utilisez-en un autre de la liste."
        )
    if by_app:
        return _(
            "Saisissez les 6 chiffres du code (par exemple 123456), ou l'un de vos codes de secours (par exemple "
            "4f7k-9m2p)."
        )
    return _("Saisissez les 6 chiffres du code reçu par courriel (par exemple 123456).")


def _safe_next(request, value, default="onboarding:home"):
    if value and url_has_allowed_host_and_scheme(value, {request.get_host()}, request.is_secure()):
        return value
    return reverse(default)


def _send_new_code(request, user):
    wait = services.send_email_code(user)
    if wait:
        messages.warning(
            request,
            _("Un code vient de vous être envoyé. Vous pourrez en demander un nouveau dans %(seconds)s secondes.")
            % {"seconds": wait},
        )
    else:
        messages.info(request, _("Un nouveau code vous a été envoyé à %(email)s.") % {"email": user.email})


def _check(request, user, form):
    """(method or None): the code of `form` checked for `user`, failures counted by django-axes."""
    outcome, method = services.check_code(user, form.cleaned_data["code"])
    if outcome is Outcome.OK:
        return method
    form.add_error("code", outcome_message(outcome, user))
    if outcome is not Outcome.FORMAT:
        # Counted with the passwords' failures: the same lockout, per account and per address.
        signals.user_login_failed.send(sender=__name__, credentials={"username": user.email}, request=request)
    return None


def _post_code(request, user, form, here):
    """A code posted, at login or at a step-up: (method, None) when right; (None, response) for
    « Recevoir un nouveau code » or a lockout; (None, None) when the form shows the error."""
    enforce_rate_limit(request, "second-factor")
    if request.POST.get("action") == RESEND and not services.uses_authenticator(user):
        _send_new_code(request, user)
        return None, redirect(here)
    locked = _locked_out(request, user)
    if locked:
        return None, locked
    if form.is_valid():
        return _check(request, user, form), None
    return None, None


def _locked_out(request, user):
    credentials = {"username": user.email}
    if AxesProxyHandler.is_locked(request, credentials):
        return get_lockout_response(request, None, credentials)
    return None


class LoginView(auth_views.LoginView):
    """« Se connecter », first factor: the password. Nothing is unlocked until the second."""

    authentication_form = LoginForm
    code_url = "twofactor:login_code"

    def form_valid(self, form):
        user = form.get_user()
        services.start_pending_login(self.request, user, user.backend, self.get_success_url())
        if not services.uses_authenticator(user):
            services.send_email_code(user)
        return redirect(self.code_url)


class AdminLoginView(LoginView):
    """The admin's own « Se connecter » for finance staff (SecuredAdminSite.login): the same
    password step, in the admin's look and without the supplier's links, for staff accounts only;
    then the admin's code page (admin_login_code)."""

    authentication_form = AdminLoginForm
    template_name = "twofactor/admin_login.html"
    code_url = "admin:login_code"

    def get_default_redirect_url(self):
        return reverse("admin:index")


@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request):
    """« Se connecter », second factor: the e-mailed code, the app's code or a recovery code."""
    return _code_step(
        request, template="twofactor/login_code.html", login_url="twofactor:login", code_url="twofactor:login_code"
    )


@never_cache
@require_http_methods(["GET", "POST"])
def admin_login_code(request, extra_context=None):
    """The admin's code page, after its password step (AdminLoginView): staff only."""
    return _code_step(
        request,
        template="twofactor/admin_login_code.html",
        login_url="admin:login",
        code_url="admin:login_code",
        staff_only=True,
        extra_context=extra_context,
    )


def _code_step(request, *, template, login_url, code_url, staff_only=False, extra_context=None):
    try:
        user, pending = services.pending_login(request)
        if staff_only and not user.is_staff:
            # A supplier's login started on the site's page: it goes on there, never here.
            raise services.PendingLoginError(services.PendingLoginError.MISSING)
    except services.PendingLoginError as error:
        if error.reason == services.PendingLoginError.EXPIRED:
            messages.warning(
                request, _("Le délai pour saisir le code est dépassé : saisissez à nouveau votre mot de passe.")
            )
        else:
            messages.info(
                request, _("Saisissez d'abord votre adresse électronique de connexion et votre mot de passe.")
            )
        return redirect(login_url)

    form = CodeForm(request.POST or None, user=user)
    if request.method == "POST":
        method, response = _post_code(request, user, form, reverse(code_url))
        if response:
            return response
        if method:
            services.complete_login(request, user, method, pending["backend"])
            _after_recovery_code(request, user, method)
            return redirect(pending["next"])
    return render(
        request,
        template,
        {
            **(extra_context or {}),
            "form": form,
            "email": user.email,
            "by_app": services.uses_authenticator(user),
            "resend": RESEND,
        },
    )


def _after_recovery_code(request, user, method):
    if method == services.METHOD_RECOVERY:
        messages.warning(
            request,
            _(
                "Vous vous êtes connecté(e) avec un code de secours ; il ne servira plus. "
                "Il vous en reste %(left)s. Vous pouvez en créer de nouveaux depuis « Mon compte »."
            )
            % {"left": services.recovery_codes_left(user)},
        )


@never_cache
@require_http_methods(["GET", "POST"])
def step_up(request):
    """« Confirmer votre identité »: a new second factor before a sensitive change."""
    next_url = _safe_next(request, request.POST.get(NEXT_PARAMETER) or request.GET.get(NEXT_PARAMETER))
    if not request.user.is_authenticated:
        messages.info(
            request, _("Connectez-vous d'abord : cette page confirme l'identité d'une personne déjà connectée.")
        )
        return redirect_to_login(request.get_full_path())
    user = request.user
    form = CodeForm(request.POST or None, user=user)
    if request.method == "POST":
        method, response = _post_code(request, user, form, step_up_url(next_url))
        if response:
            return response
        if method:
            services.mark_verified(request, method)
            _after_recovery_code(request, user, method)
            return redirect(next_url)
    elif not services.uses_authenticator(user):
        device = services.email_device(user)
        if not services.has_live_email_code(device):
            services.send_email_code(user, device)
    return render(
        request,
        "twofactor/step_up.html",
        {
            "form": form,
            "email": user.email,
            "by_app": services.uses_authenticator(user),
            "next_url": next_url,
            "next_parameter": NEXT_PARAMETER,
            "resend": RESEND,
        },
    )


@login_required
@require_http_methods(["GET"])
def account(request):
    """« Mon compte »: which second factor protects the login, and how to change it."""
    user = request.user
    by_app = services.uses_authenticator(user)
    return render(
        request,
        "twofactor/account.html",
        {
            "factor": services.factor_label(user),
            "by_app": by_app,
            "recovery_codes_left": services.recovery_codes_left(user) if by_app else None,
            # Suppliers only (staff have no profile): None hides the line.
            "contact_email": _contact_email(user),
        },
    )


def _contact_email(user):
    """The supplier's contact address ("" when none); None for staff, who have no profile."""
    try:
        return user.profile.contact_email
    except ObjectDoesNotExist:
        return None


@never_cache
@login_required
@fresh_second_factor
@require_http_methods(["GET", "POST"])
def authenticator(request):
    """« Utiliser une application d'authentification »: scan, then type the first code."""
    user = request.user
    key = request.session.get(services.SESSION_TOTP_KEY)
    if not key:
        key = request.session[services.SESSION_TOTP_KEY] = services.new_totp_key()
    form = AuthenticatorForm(request.POST or None)
    if request.method == "POST":
        enforce_rate_limit(request, "second-factor")
        if form.is_valid():
            step = services.totp_matches(key, form.cleaned_data["code"])
            if step is None:
                form.add_error(
                    "code",
                    _(
                        "Ce code ne correspond pas. Vérifiez que votre téléphone est à l'heure exacte, "
                        "puis saisissez le code affiché en ce moment par l'application (6 chiffres)."
                    ),
                )
            else:
                codes = services.enable_authenticator(user, key, step)
                del request.session[services.SESSION_TOTP_KEY]
                services.mark_verified(request, services.METHOD_TOTP)
                request.session[services.SESSION_NEW_RECOVERY_CODES] = codes
                messages.success(
                    request,
                    _(
                        "Votre application d'authentification est enregistrée : elle donnera désormais le code "
                        "demandé après votre mot de passe."
                    ),
                )
                return redirect("twofactor:recovery_codes")
    uri = services.totp_uri(user, key)
    qr = segno.make(uri, error="m")
    return render(
        request,
        "twofactor/authenticator.html",
        {
            "form": form,
            # segno writes the SVG from the otpauth address alone: no user text is interpolated.
            "qr_svg": mark_safe(qr.svg_inline(scale=5, border=2, dark="#000", light="#fff", omitsize=True)),  # nosec B308 B703
            "manual_key": services.manual_key(key),
            "otpauth_uri": uri,
            "issuer": services.TOTP_ISSUER,
            "replacing": services.uses_authenticator(user),
        },
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def recovery_codes(request):
    """Recovery codes: shown once, right after they are made; « Créer de nouveaux codes »."""
    if request.method == "POST":
        return _regenerate_recovery_codes(request)
    user = request.user
    codes = request.session.pop(services.SESSION_NEW_RECOVERY_CODES, None)
    return render(
        request,
        "twofactor/recovery_codes.html",
        {
            "codes": codes,
            "by_app": services.uses_authenticator(user),
            "left": None if codes else services.recovery_codes_left(user),
            "continue_to_admin": user.is_staff,
        },
    )


@fresh_second_factor
def _regenerate_recovery_codes(request):
    if not services.uses_authenticator(request.user):
        return redirect("twofactor:account")
    request.session[services.SESSION_NEW_RECOVERY_CODES] = services.regenerate_recovery_codes(request.user)
    return redirect("twofactor:recovery_codes")


@login_required
@require_POST
@fresh_second_factor
def remove_authenticator(request):
    """« Revenir au code par courriel »."""
    if services.uses_authenticator(request.user):
        services.disable_authenticator(request.user)
        messages.success(
            request,
            _(
                "L'application d'authentification est retirée : le code vous sera envoyé par courriel à chaque "
                "connexion."
            ),
        )
    return redirect("twofactor:account")


class PasswordResetView(auth_views.PasswordResetView):
    """Django's view, with our e-mail templates and links built from SITE_URL, not the Host header."""

    subject_template_name = "emails/password_reset_subject.txt"
    email_template_name = "emails/password_reset.txt"
    html_email_template_name = "emails/password_reset.html"
    template_name = "registration/password_reset_form.html"
    success_url = reverse_lazy("twofactor:password_reset_done")

    @property
    def extra_email_context(self):
        return {"site_url": settings.SITE_URL}

    def post(self, request, *args, **kwargs):
        enforce_rate_limit(request, "password-reset")
        return super().post(request, *args, **kwargs)
