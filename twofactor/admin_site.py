"""The admin, for finance staff whose login's second factor is an authenticator app."""

from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _

from . import services

ADMIN_METHODS = {services.METHOD_TOTP, services.METHOD_RECOVERY}


def admin_factor_ok(request):
    """An app is the account's factor, and this session's login gave it (or a recovery code)."""
    return services.uses_authenticator(request.user) and services.verified_method(request) in ADMIN_METHODS


class SecuredAdminSite(admin.AdminSite):
    def has_permission(self, request):
        return super().has_permission(request) and admin_factor_ok(request)

    def login(self, request, extra_context=None):
        """Not a login form of its own: the site's login (password, then code), then the app."""
        next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
        if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
            next_url = reverse("admin:index")
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(next_url)
        if not (user.is_active and user.is_staff):
            return render(request, "twofactor/admin_refused.html", status=403)
        if self.has_permission(request):
            return redirect(next_url)
        if not services.uses_authenticator(user):
            messages.warning(
                request,
                _(
                    "L'administration n'est ouverte qu'aux comptes protégés par une application "
                    "d'authentification. Configurez la vôtre ci-dessous, puis vous y accéderez."
                ),
            )
            return redirect(f"{reverse('twofactor:authenticator')}?{urlencode({'suivant': next_url})}")
        messages.info(
            request, _("Pour ouvrir l'administration, saisissez le code de votre application d'authentification.")
        )
        return redirect(f"{reverse('twofactor:step_up')}?{urlencode({'suivant': next_url})}")
