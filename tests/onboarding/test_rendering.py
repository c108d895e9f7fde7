"""The empty fields of the wizard rendered once per process (onboarding/rendering.py): the same
HTML as rendered each time, and nothing one visitor typed or was given ever shown to another."""

import re
from unittest import mock

import pytest
from django import forms
from django.template.loader import get_template
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation

from banking.forms import BankAccountForm
from onboarding import rendering
from onboarding.forms import AccountForm
from structures.forms import NewStructureForm
from tests.wizard import COMPANY_SIRET, account_data, choose, post_step, step_url

pytestmark = pytest.mark.django_db

FORMS = [
    lambda: AccountForm(prefix="compte"),
    lambda: NewStructureForm(prefix="nouvelle-structure"),
    lambda: BankAccountForm(prefix="coordonnees-bancaires"),
]


@pytest.fixture(autouse=True)
def empty_cache():
    rendering.clear_cache()
    yield
    rendering.clear_cache()


def rendered_by_template(bound_field):
    return get_template(rendering.FIELD_TEMPLATE).render({"field": bound_field})


def captcha_key(html):
    return re.search(r'name="compte-captcha_0" value="([0-9a-f]+)"', html).group(1)


@pytest.mark.parametrize("make_form", FORMS)
@pytest.mark.parametrize("language", ["fr", "en"])
def test_it_gives_the_html_of_the_template_byte_for_byte(make_form, language):
    with translation.override(language):
        for name in make_form().fields:
            if name == "captcha":
                continue  # a new challenge each time: test_it_gives_each_display_of_the_account_step_its_own_captcha
            first = rendering.field_html(make_form()[name])  # rendered, then kept
            again = rendering.field_html(make_form()[name])  # from the cache
            assert first == again == rendered_by_template(make_form()[name]), name


def test_it_renders_an_empty_field_once_per_language():
    with mock.patch.object(rendering, "get_template", wraps=get_template) as template:
        for language in ["fr", "fr", "en", "en"]:
            with translation.override(language):
                html = rendering.field_html(BankAccountForm(prefix="coordonnees-bancaires")["bic"])
        assert template.call_count == 2
    assert "BIC" in html and 'name="coordonnees-bancaires-bic"' in html


def test_it_never_reuses_a_bound_field_nor_an_initial_value_nor_the_captcha():
    bound = AccountForm({"compte-last_name": "Zorglub"}, prefix="compte")
    given = NewStructureForm(prefix="nouvelle-structure", initial={"identifier": COMPANY_SIRET})
    assert rendering.cache_key(bound["last_name"]) is None
    assert rendering.cache_key(given["identifier"]) is None
    assert rendering.cache_key(given["raison_sociale"]) is not None  # the others of that form are
    assert rendering.cache_key(AccountForm(prefix="compte")["captcha"]) is None
    # A form that does not say its fields are the same for everyone is never cached.
    assert rendering.cache_key(OtherForm()["name"]) is None


class OtherForm(forms.Form):
    name = forms.CharField()


def test_it_never_shows_what_a_visitor_typed_to_the_next_one(client):
    typed = account_data(last_name="Zorglub", first_name="Zoé", email_confirmation="autre@exemple.fr")
    response = post_step(client, "compte", typed)
    html = response.content.decode()
    mismatch = "Les deux adresses électroniques de connexion ne sont pas identiques."
    assert 'value="Zorglub"' in html and 'value="Zoé"' in html and mismatch in html
    other = Client().get(step_url("compte")).content.decode()
    assert "Zorglub" not in other and "Zoé" not in other and mismatch not in other
    assert 'name="compte-last_name"' in other and "field--error" not in other


def test_it_never_shows_the_siret_given_to_a_visitor_to_the_next_one(client):
    post_step(client, "compte", account_data())
    choose(client, f"siret:{COMPANY_SIRET}", identifier=COMPANY_SIRET)
    assert f'value="{COMPANY_SIRET}"' in client.get(step_url("nouvelle-structure")).content.decode()

    other = Client()
    post_step(other, "compte", account_data(email="autre@exemple.fr", email_confirmation="autre@exemple.fr"))
    choose(other, "nouvelle", identifier="")
    assert COMPANY_SIRET not in other.get(step_url("nouvelle-structure")).content.decode()


def test_it_gives_each_display_of_the_account_step_its_own_captcha(client):
    first = client.get(step_url("compte")).content.decode()
    second = Client().get(step_url("compte")).content.decode()
    assert captcha_key(first) != captcha_key(second)


def test_it_follows_the_language_of_the_visitor(client):
    assert "Adresse électronique de connexion" in client.get(step_url("compte")).content.decode()
    english = Client()
    english.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = english.get(step_url("compte")).content.decode()
    assert "Login email address" in html and "Adresse électronique de connexion" not in html


def test_it_renders_every_time_with_debug_on():
    with override_settings(DEBUG=True):
        assert rendering.cache_key(BankAccountForm(prefix="coordonnees-bancaires")["bic"]) is None
    assert rendering.cache_key(BankAccountForm(prefix="coordonnees-bancaires")["bic"]) is not None


def test_it_forgets_everything_when_a_setting_changes():
    rendering.field_html(BankAccountForm(prefix="coordonnees-bancaires")["bic"])
    assert rendering._cache
    with override_settings(LANGUAGE_CODE="en"):
        assert not rendering._cache
