"""Form pieces shared by the stage apps: forms parse and display, they decide no business rule."""

from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import CountryField, LazyTypedChoiceField


class CountryChoiceField(LazyTypedChoiceField):
    """django-countries' choice field, with a code checked by a dictionary lookup.

    Django's ChoiceField checks a value by reading every choice; django-countries' choices are a
    callable that builds the sorted, translated list of 249 countries at each reading: 0.5 ms per
    validation, and the wizard validates the account and the structure steps on every later
    page. The codes are the same in every language: `countries` holds them (with
    COUNTRIES_ONLY/COUNTRIES_OVERRIDE applied, as the choices are).
    """

    def valid_value(self, value):
        return str(value) in countries


def country_field(*, blank=False, blank_label=None, **kwargs):
    """The form field of a `CountryField`, as `CountryField(blank=…).formfield(**kwargs)` gives it.

    An optional select's empty choice reads « Sélectionner une option », as on the national
    portal (`blank_label` for another one), never django-countries' « --------- ».
    """
    label = blank_label if blank_label is not None else _("Sélectionner une option")
    return CountryField(blank=blank, blank_label=label).formfield(choices_form_class=CountryChoiceField, **kwargs)
