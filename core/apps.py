from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """What every stage app uses and that knows no stage: e-mails and their outbox, domain
    errors, rate limits, storages, PDF checks, private file downloads, the step protocol."""

    name = "core"
    verbose_name = _("Socle commun")

    def ready(self):
        from . import checks, middleware  # noqa: F401  (registers the checks; the session clock)
