from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from banking import services as banking_services
from invoices import services as invoice_services
from mandates import services as mandate_services
from structures import services as structure_services
from twofactor import services as twofactor_services

from . import services
from .emails import has_pending_email
from .security import enforce_rate_limit, retry_minutes
from .stages import STAGES, stage_states
from .wizard import REGISTRATION_SESSION_KEY


def landing(request):
    return render(request, "onboarding/landing.html", {"stages": STAGES})


def terms(request):
    return render(request, "onboarding/terms.html")


def accessibility(request):
    return render(request, "onboarding/accessibility.html")


def registration_sent(request):
    registration = request.session.get(REGISTRATION_SESSION_KEY)
    if not registration:
        return redirect("landing")
    email = registration["email"]
    return render(
        request,
        "onboarding/registration_sent.html",
        {
            "email": email,
            "registration": registration,
            "valid_hours": settings.ACTIVATION_LINK_MAX_AGE // 3600,
            "mandate_days": settings.MANDATE_LINK_MAX_AGE // (24 * 3600),
            "email_delayed": has_pending_email(email),
            "resend_form": ResendActivationForm(initial={"email": email}),
        },
    )


class ResendActivationForm(forms.Form):
    email = forms.EmailField(
        label=_("Adresse électronique de connexion"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


LINK_ERROR_STATUS = {
    services.ActivationLinkError.INVALID: 400,
    services.ActivationLinkError.EXPIRED: 410,
    services.ActivationLinkError.USED: 410,
}


@require_http_methods(["GET", "POST"])
def activate(request, token):
    try:
        user = services.user_for_activation(token)
    except services.ActivationLinkError as error:
        return render(
            request,
            "onboarding/activation_invalid.html",
            {"reason": error.reason, "resend_form": ResendActivationForm()},
            status=LINK_ERROR_STATUS[error.reason],
        )

    form = SetPasswordForm(user, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.activate_account(user, form.cleaned_data["new_password1"])
        except services.ActivationLinkError as error:
            return render(
                request,
                "onboarding/activation_invalid.html",
                {"reason": error.reason, "resend_form": ResendActivationForm()},
                status=LINK_ERROR_STATUS[error.reason],
            )
        # The e-mailed link proved the address: it is this login's second factor.
        twofactor_services.complete_login(request, user, twofactor_services.METHOD_EMAIL_LINK)
        return redirect("home")
    return render(request, "onboarding/activate.html", {"form": form, "account": user})


@require_POST
def resend_activation(request):
    enforce_rate_limit(request, "resend-email")
    form = ResendActivationForm(request.POST)
    if not form.is_valid():
        return render(request, "onboarding/activation_invalid.html", {"resend_form": form}, status=400)
    email = form.cleaned_data["email"]
    mandate = mandate_services.pending_mandate_of_inactive_account(email)
    if mandate is not None:
        # Its link activates the account too: send it again rather than a second kind of link.
        try:
            mandate_services.resend_signing_email(mandate, by=mandate.signatory)
        except mandate_services.ResendLimitReached:
            return rate_limited_response(request, minutes=60)
    else:
        services.resend_activation_link(email)
    # The same answer whether or not an account exists: this page must not tell who is registered.
    return render(request, "onboarding/activation_resent.html", {"email": form.cleaned_data["email"]})


@login_required
def home(request):
    board = structure_services.dashboard(request.user)
    managed = board.managed_structures
    structure = managed[0] if managed else None
    bank_state = banking_services.bank_details_state(structure) if structure else None
    mandate_state = mandate_services.mandate_state(structure) if structure else None
    structure_ids = [m.structure_id for m in board.memberships]
    can_deposit = invoice_services.can_deposit_for(structure_ids)
    return render(
        request,
        "onboarding/home.html",
        {
            "stage_states": stage_states(request.user, board, bank_state, mandate_state, structure),
            "dashboard": board,
            "can_deposit": can_deposit,
            # Invoices exist only where a mandate was signed, and a signed one stays so: no query otherwise.
            "issued_invoices": invoice_services.recent_invoices(structure_ids) if can_deposit else [],
            "second_factor": twofactor_services.factor_label(request.user),
        },
    )


class PasswordResetView(auth_views.PasswordResetView):
    """Django's view, with our e-mail templates and links built from SITE_URL, not the Host header."""

    subject_template_name = "emails/password_reset_subject.txt"
    email_template_name = "emails/password_reset.txt"
    html_email_template_name = "emails/password_reset.html"
    template_name = "registration/password_reset_form.html"

    @property
    def extra_email_context(self):
        return {"site_url": settings.SITE_URL}

    def post(self, request, *args, **kwargs):
        enforce_rate_limit(request, "password-reset")
        return super().post(request, *args, **kwargs)


def rate_limited(request, exception):
    """django-ratelimit's view: a page that says when to try again, with HTTP 429."""
    return rate_limited_response(request, minutes=retry_minutes(getattr(request, "ratelimit_group", "")))


def rate_limited_response(request, minutes):
    response = render(request, "onboarding/rate_limited.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
