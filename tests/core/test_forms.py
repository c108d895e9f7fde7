"""The country fields check a code by a lookup (core/forms.py): the same answers as
Django's ChoiceField, which reads every choice."""

import pytest
from django import forms
from django.test import override_settings
from django.utils import translation
from django_countries import countries

from banking.forms import BankAccountForm
from core.forms import CountryChoiceField
from onboarding.forms import AccountForm
from structures.forms import NewStructureForm

COUNTRY_FIELDS = [
    (lambda: AccountForm(with_captcha=False), "country"),
    (NewStructureForm, "country"),
    (BankAccountForm, "factor_country"),
]
NOT_CODES = ["XX", "fr", "FRA", "250", " FR", "France", "ZZ"]


def read_every_choice(field, value):
    return forms.ChoiceField.valid_value(field, value)


@pytest.mark.parametrize("make_form, name", COUNTRY_FIELDS)
@pytest.mark.parametrize("language", ["fr", "en"])
def test_it_accepts_the_same_codes_as_the_choices(make_form, name, language):
    field = make_form().fields[name]
    assert isinstance(field, CountryChoiceField)
    with translation.override(language):
        for value in [code for code, _ in countries] + NOT_CODES:
            assert field.valid_value(value) == read_every_choice(field, value), value


def test_it_follows_the_countries_setting():
    # django-countries reads its settings once (`del countries.countries` forgets them).
    try:
        with override_settings(COUNTRIES_ONLY=["FR", "BE"]):
            del countries.countries
            field = NewStructureForm().fields["country"]
            assert field.valid_value("BE") and read_every_choice(field, "BE")
            assert not field.valid_value("DE") and not read_every_choice(field, "DE")
    finally:
        del countries.countries


def test_it_says_which_code_is_not_a_country():
    form = NewStructureForm({"country": "XX"})
    assert form.errors["country"] == ["Sélectionnez un choix valide. XX n’en fait pas partie."]
