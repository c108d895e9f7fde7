from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class TwoFactorConfig(AppConfig):
    default = True
    name = "twofactor"
    verbose_name = _("Double authentification")


class SecuredAdminConfig(admin_apps.AdminConfig):
    """Django's admin, whose site asks finance staff for an authenticator app (admin_site.py)."""

    default = False

    default_site = "twofactor.admin_site.SecuredAdminSite"
