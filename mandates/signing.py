"""« Valider un mandat »: the page the e-mailed link opens.

GET only shows (mail scanners follow links); POST acts. For an account the wizard created and
that has no password yet, the link first sends to stage A's page that asks for one (the link
proves the address, as the activation link does: onboarding.views.mandate_password), which
comes back here. A link that cannot be used shows why, and changes nothing.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core.ratelimit import enforce_rate_limit
from twofactor import services as twofactor_services
from twofactor.decorators import step_up_url

from . import services
from .forms import SignForm

Reason = services.MandateLinkError
WRONG_USER = "wrong_user"
ACCOUNT_DISABLED = "account_disabled"

LINK_ERROR_STATUS = {
    Reason.INVALID: 400,
    Reason.EXPIRED: 410,
    Reason.USED: 410,
    Reason.CANCELLED: 410,
    WRONG_USER: 403,
    ACCOUNT_DISABLED: 403,
}

CANCEL = "annuler"


def _link_error(request, reason):
    return render(
        request,
        "mandates/link_invalid.html",
        {"reason": reason, "valid_days": settings.MANDATE_LINK_MAX_AGE // (24 * 3600)},
        status=LINK_ERROR_STATUS[reason],
    )


@never_cache
@require_http_methods(["GET", "POST"])
def sign(request, token):
    if request.method == "POST":
        enforce_rate_limit(request, "mandate-signing")
    try:
        mandate = services.mandate_for_token(token)
    except services.MandateLinkError as error:
        return _link_error(request, error.reason)

    signatory = mandate.signatory
    if request.user.is_authenticated and request.user.pk != signatory.pk:
        return _link_error(request, WRONG_USER)
    if not signatory.is_active:
        if signatory.has_usable_password():
            return _link_error(request, ACCOUNT_DISABLED)  # switched off by staff, not new
        return redirect(reverse("onboarding:mandate_password", args=[token]))
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not twofactor_services.is_fresh(request, twofactor_services.step_up_max_age(request.method)):
        # Signing commits the structure: a second factor of less than 15 minutes (30 to post).
        return step_up_url_redirect(request)

    form = SignForm(request.POST or None, mandate=mandate)
    if request.method == "POST":
        if request.POST.get("action") == CANCEL:
            return _cancel(request, mandate)
        if form.is_valid():
            try:
                services.sign_mandate(
                    mandate,
                    user=request.user,
                    ip=request.META.get("REMOTE_ADDR"),
                    user_agent=request.META.get("HTTP_USER_AGENT", ""),
                )
            except services.MandateLinkError as error:
                return _link_error(request, error.reason)  # signed by a click a moment earlier
            except services.MandateError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    _(
                        "Le mandat de facturation est signé. Vous pouvez déposer vos factures ; "
                        "le mandat signé vous est envoyé par courriel, au format PDF."
                    ),
                )
                return redirect("mandates:detail", pk=mandate.pk)
    return render(
        request,
        "mandates/sign.html",
        # The stored text was escaped when it was rendered; it is shown byte for byte.
        {"mandate": mandate, "document": mark_safe(mandate.document_html), "form": form},  # nosec B308 B703
    )


def step_up_url_redirect(request):
    if request.method == "POST":
        messages.warning(
            request,
            _("Pour votre sécurité, confirmez d'abord votre identité avec un nouveau code, puis signez le mandat."),
        )
    return redirect(step_up_url(request.path))


def _cancel(request, mandate):
    try:
        services.cancel_mandate(mandate, by=request.user)
    except services.MandateLinkError as error:
        return _link_error(request, error.reason)
    messages.info(
        request,
        _("Le mandat est annulé. Vous pouvez en générer un nouveau depuis votre accueil connecté."),
    )
    return redirect("mandates:detail", pk=mandate.pk)
