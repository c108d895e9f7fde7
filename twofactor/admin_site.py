"""The admin, for finance staff whose login's second factor is an authenticator app.

Its login is its own page, in the admin's look and without the supplier's links: the password
(staff accounts only), then the app's code (or a recovery code), with the site's services,
lockouts and rate limits (twofactor/views.py AdminLoginView, admin_login_code).

Its home triages: « À traiter » lists what waits for finance staff, the oldest first, each line
a link to its change list filtered and sorted oldest first. A ModelAdmin says what waits in its
model with a `waiting(request)` method returning `Waiting` lines (one query per model admin,
whatever the number of rows); the site shows those of the lists the user may see.
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _

from . import services, views

ADMIN_METHODS = {services.METHOD_TOTP, services.METHOD_RECOVERY}


@dataclass(frozen=True)
class Waiting:
    """A line of the home's « À traiter »: what waits, how many, since when (the oldest one's
    date, on which the lines are sorted), the filtered list, and a note."""

    label: str
    count: int
    since: datetime | None
    url: str
    note: str = ""


def changelist_url(model_admin, request, oldest_first_by=None, **filters):
    """`model_admin`'s change list with `filters`, sorted ascending on the column of
    `oldest_first_by` (the admin's « o » parameter: that column's position in the list)."""
    opts = model_admin.opts
    params = dict(filters)
    if oldest_first_by:
        columns = list(model_admin.get_list_display(request))
        if model_admin.get_actions(request):
            columns = ["action_checkbox", *columns]  # as ModelAdmin.get_changelist_instance does
        params["o"] = columns.index(oldest_first_by)
    return f"{reverse(f'admin:{opts.app_label}_{opts.model_name}_changelist')}?{urlencode(params)}"


def admin_factor_ok(request):
    """An app is the account's factor, and this session's login gave it (or a recovery code)."""
    return services.uses_authenticator(request.user) and services.verified_method(request) in ADMIN_METHODS


class SecuredAdminSite(admin.AdminSite):
    # No navigation column beside every page: at 1280 px the lists need its 300 px for their
    # columns (statuses, IBANs); the breadcrumbs and the home lead everywhere.
    enable_nav_sidebar = False

    def has_permission(self, request):
        return super().has_permission(request) and admin_factor_ok(request)

    def index(self, request, extra_context=None):
        return super().index(request, {"triage": self.triage(request), **(extra_context or {})})

    def triage(self, request):
        """The home's « À traiter »: the lines of the lists `request.user` may see, those that
        wait for something first, the oldest first; then the empty ones, in the admin's order."""
        lines = []
        for model_admin in self._registry.values():
            waiting = getattr(model_admin, "waiting", None)
            if waiting is not None and model_admin.has_view_permission(request):
                lines.extend(waiting(request))
        return sorted(lines, key=lambda line: (0, line.since) if line.count and line.since else (1,))

    def get_urls(self):
        return [path("login/code/", self.login_code, name="login_code"), *super().get_urls()]

    def _next_url(self, request):
        next_url = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME, "")
        if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
            next_url = reverse("admin:index")
        return next_url

    def login(self, request, extra_context=None):
        """The admin's password step for a visitor; for a session already logged in, what it
        still lacks to open the admin (the app set up, or its code given at this login)."""
        next_url = self._next_url(request)
        user = request.user
        if not user.is_authenticated:
            context = {
                **self.each_context(request),
                "title": _("Se connecter"),
                "app_path": request.get_full_path(),
                REDIRECT_FIELD_NAME: next_url,
                **(extra_context or {}),
            }
            request.current_app = self.name
            return views.AdminLoginView.as_view(extra_context=context)(request)
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

    def login_code(self, request):
        """The admin's second step: the app's code (or a recovery code) after the password."""
        request.current_app = self.name
        context = {**self.each_context(request), "title": _("Saisir le code de vérification")}
        return views.admin_login_code(request, extra_context=context)
