from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnboardingConfig(AppConfig):
    name = "onboarding"
    verbose_name = _("Inscription des fournisseurs")

    def ready(self):
        from . import middleware  # noqa: F401  (connects the session clock to user_logged_in)
