from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from core.emails import has_pending_email
from core.ratelimit import enforce_rate_limit
from core.stages import HomeFacts
from invoices import services as invoice_services
from mandates import services as mandate_services
from twofactor import services as twofactor_services
from twofactor.decorators import fresh_second_factor

from . import services
from .forms import ConnectionEmailForm, ContactEmailForm
from .models import SupplierProfile
from .stages import STAGES
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
        return redirect("onboarding:landing")
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
        return redirect("onboarding:home")
    return render(request, "onboarding/activate.html", {"form": form, "account": user})


@never_cache
@require_http_methods(["GET", "POST"])
def mandate_password(request, token):
    """The billing mandate's e-mailed link, for an account the wizard created: the password
    first (the link proves the address, as the activation link does), then back to the link,
    which shows the mandate to sign. Anything else is the signing page's to say."""
    sign_url = reverse("mandates:sign", args=[token])
    if request.method == "POST":
        enforce_rate_limit(request, "mandate-signing")
    try:
        mandate = mandate_services.mandate_for_token(token)
    except mandate_services.MandateLinkError:
        return redirect(sign_url)
    signatory = mandate.signatory
    wrong_user = request.user.is_authenticated and request.user.pk != signatory.pk
    if wrong_user or signatory.is_active or signatory.has_usable_password():
        return redirect(sign_url)
    form = SetPasswordForm(signatory, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.activate_account(signatory, form.cleaned_data["new_password1"])
        except services.ActivationLinkError:
            # Activated a moment ago (another tab, stage A's link): log in, then sign.
            return redirect(sign_url)
        # The e-mailed link proved the address: it is this login's second factor.
        twofactor_services.complete_login(request, user, twofactor_services.METHOD_EMAIL_LINK)
        return redirect(sign_url)
    return render(request, "mandates/choose_password.html", {"form": form, "account": signatory, "mandate": mandate})


@require_POST
def resend_activation(request):
    enforce_rate_limit(request, "resend-email")
    form = ResendActivationForm(request.POST)
    if not form.is_valid():
        return render(request, "onboarding/activation_invalid.html", {"resend_form": form}, status=400)
    # The same page whatever happened (sent, nothing to send, too many e-mails already, a
    # mandate past its signing period): it must not tell who is registered.
    services.resend_activation_link(form.cleaned_data["email"])
    return render(request, "onboarding/activation_resent.html", {"email": form.cleaned_data["email"]})


@login_required
def home(request):
    """« Accueil connecté »: a card per stage, in the procedure's order, and the « + » actions."""
    facts = HomeFacts(user=request.user)
    cards = [stage.home_card(facts) for stage in STAGES]
    structure_ids = [membership.structure_id for membership in facts.memberships]
    # A signed current mandate is enough (no query); otherwise another structure's may be.
    can_deposit = facts.mandate_signed or invoice_services.can_deposit_for(structure_ids)
    return render(
        request,
        "onboarding/home.html",
        {
            "stage_states": cards,
            "dashboard": facts.dashboard,
            "can_deposit": can_deposit,
            # Invoices exist only where a mandate was signed, and a signed one stays so: no query otherwise.
            "issued_invoices": invoice_services.recent_invoices(structure_ids) if can_deposit else [],
            "second_factor": twofactor_services.factor_label(request.user),
        },
    )


# « Mon compte »: the addresses (the second factor's part is twofactor/views.py).

EMAIL_CHANGE_ERRORS = {
    services.EmailChangeError.INVALID: (
        400,
        _(
            "Ce lien n'est pas valable : vérifiez qu'il est complet, ou demandez un nouveau changement depuis « Mon "
            "compte »."
        ),
    ),
    services.EmailChangeError.EXPIRED: (
        410,
        _("Ce lien a expiré (il est valable 24 heures) : demandez un nouveau changement depuis « Mon compte »."),
    ),
    services.EmailChangeError.USED: (
        410,
        _("Ce lien a déjà servi, ou l'adresse de connexion a changé depuis : il ne peut plus être utilisé."),
    ),
    services.EmailChangeError.TAKEN: (
        409,
        _("Un compte existe déjà avec cette adresse électronique : elle ne peut pas devenir la vôtre."),
    ),
}


def _email_change_error(request, reason):
    status, message = EMAIL_CHANGE_ERRORS[reason]
    return render(request, "onboarding/email_change_invalid.html", {"message": message}, status=status)


@login_required
@fresh_second_factor
@require_http_methods(["GET", "POST"])
def change_connection_email(request):
    """« Changer d'adresse de connexion »: a link is sent to the new address to prove it."""
    form = ConnectionEmailForm(request.POST or None, user=request.user)
    if request.method == "POST":
        enforce_rate_limit(request, "resend-email")
        if form.is_valid():
            with transaction.atomic():
                services.request_email_change(request.user, form.cleaned_data["email"])
            messages.info(
                request,
                _(
                    "Un lien de confirmation a été envoyé à %(email)s. Votre adresse de connexion ne change "
                    "qu'une fois ce lien suivi (il est valable 24 heures) : d'ici là, connectez-vous avec l'actuelle."
                )
                % {"email": form.cleaned_data["email"]},
            )
            return redirect("twofactor:account")
    return render(request, "onboarding/change_connection_email.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def confirm_email_change(request, token):
    """The link sent to the new address. GET shows (mail scanners follow links); POST changes."""
    try:
        user, new_email = services.email_change_for_token(token)
    except services.EmailChangeError as error:
        return _email_change_error(request, error.reason)
    if user.pk != request.user.pk:
        return render(
            request,
            "onboarding/email_change_invalid.html",
            {"message": _("Ce lien concerne un autre compte que celui avec lequel vous êtes connecté(e).")},
            status=403,
        )
    if request.method == "POST":
        try:
            services.confirm_email_change(request.user, new_email)
        except services.EmailChangeError as error:
            return _email_change_error(request, error.reason)
        messages.success(
            request,
            _("Votre adresse de connexion est désormais %(email)s : utilisez-la pour vous connecter.")
            % {"email": new_email},
        )
        return redirect("twofactor:account")
    return render(request, "onboarding/confirm_email_change.html", {"new_email": new_email})


@login_required
@fresh_second_factor
@require_http_methods(["GET", "POST"])
def change_contact_email(request):
    """« Changer d'adresse de contact »: where the notifications go."""
    profile = get_object_or_404(SupplierProfile, user=request.user)
    form = ContactEmailForm(request.POST or None, instance=profile)
    previous = profile.contact_email
    if request.method == "POST" and form.is_valid():
        new = form.cleaned_data["contact_email"]
        if new != previous:
            services.change_contact_email(request.user, new)
        messages.success(
            request,
            _("Les notifications seront envoyées à %(email)s.") % {"email": new or request.user.email},
        )
        return redirect("twofactor:account")
    return render(request, "onboarding/change_contact_email.html", {"form": form})
