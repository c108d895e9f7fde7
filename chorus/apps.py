from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChorusConfig(AppConfig):
    name = "chorus"
    verbose_name = _("Chorus Pro")
