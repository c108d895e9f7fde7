"""The form renderer writes the plain <input> tag itself (onboarding/renderers.py): byte for byte
what Django's templates write, on every kind of value and attribute."""

import datetime
import decimal

import pytest
from django import forms
from django.forms.renderers import TemplatesSetting
from django.test import override_settings
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from banking.forms import BankAccountForm
from onboarding.forms import AccountForm
from onboarding.renderers import INPUT_TEMPLATES, InputFastRenderer
from structures.forms import NewStructureForm

WIDGETS = [
    forms.TextInput(),
    forms.TextInput(attrs={"maxlength": 254, "readonly": True, "disabled": False, "class": 'a"b<c>&d'}),
    forms.TextInput(attrs={"placeholder": gettext_lazy("Rechercher"), "data-x": mark_safe("<b>&amp;</b>")}),
    forms.EmailInput(attrs={"autocomplete": "email", "aria-describedby": "id_email_helptext"}),
    forms.NumberInput(attrs={"step": decimal.Decimal("0.01"), "min": 0, "max": 1.5}),
    forms.PasswordInput(render_value=True),
    forms.PasswordInput(),
    forms.URLInput(),
    forms.HiddenInput(),
    forms.DateInput(),
    forms.DateInput(attrs={"type": "date"}),
    forms.DateTimeInput(),
    forms.TimeInput(),
    forms.CheckboxInput(),
    forms.CheckboxInput(attrs={"required": True}),
    forms.TelInput(),
    forms.ColorInput(),
    forms.SearchInput(),
]
VALUES = [
    None,
    "",
    "Menuiserie Dauphinoise",
    'O\'Brien & "fils" <script>',
    mark_safe("<em>déjà sûr</em>"),
    gettext_lazy("Rechercher"),
    0,
    42,
    decimal.Decimal("1200.50"),
    1.5,
    True,
    False,
    datetime.date(2026, 11, 30),
    datetime.datetime(2026, 11, 30, 4, 5, 6),
    datetime.time(4, 5),
    ("a", "b"),
]


@pytest.fixture
def renderers():
    fast = InputFastRenderer()
    assert fast.fast_inputs  # else both would go through the templates
    return fast, TemplatesSetting()


@pytest.mark.parametrize("widget", WIDGETS, ids=lambda widget: f"{type(widget).__name__}-{sorted(widget.attrs)}")
@pytest.mark.parametrize("language", ["fr", "en"])
def test_it_writes_the_input_as_the_templates_do(widget, language, renderers):
    fast, django_own = renderers
    with translation.override(language):
        for value in VALUES:
            for attrs in [None, {"id": "id_champ", "required": True}]:
                expected = widget.render("champ", value, attrs, renderer=django_own)
                assert widget.render("champ", value, attrs, renderer=fast) == expected, (value, attrs)


@pytest.mark.django_db  # a bound field shows its errors: the form is validated
@pytest.mark.parametrize("make_form", [AccountForm, NewStructureForm, BankAccountForm])
def test_it_renders_the_wizard_forms_as_django_does(make_form, renderers):
    fast, django_own = renderers
    data = {
        "email": "claire@exemple.fr",
        "last_name": "O'Brien & fils",
        "identifier": "464 305 770 00248",
        "bic": "agrifrpp",
        "accept_terms": "on",
    }
    for kwargs in [{}, {"data": data}]:
        with_fast = make_form(prefix=None, renderer=fast, **kwargs)
        with_django = make_form(prefix=None, renderer=django_own, **kwargs)
        for name in with_fast.fields:
            if name != "captcha":  # a new challenge at each rendering
                assert str(with_fast[name]) == str(with_django[name]), name


def test_it_is_the_renderer_of_the_forms(settings):
    assert settings.FORM_RENDERER == "onboarding.renderers.InputFastRenderer"
    assert isinstance(AccountForm().renderer, InputFastRenderer)
    assert InputFastRenderer().fast_inputs


def test_it_leaves_an_overridden_template_to_the_engine(tmp_path, settings):
    overridden = tmp_path / "django" / "forms" / "widgets"
    overridden.mkdir(parents=True)
    (overridden / "text.html").write_text('<input class="surcharge" name="{{ widget.name }}">')
    templates = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    with override_settings(TEMPLATES=templates):
        renderer = InputFastRenderer()
        assert not renderer.fast_inputs
        assert forms.TextInput().render("nom", "x", renderer=renderer) == '<input class="surcharge" name="nom">'
        # The others then go through the engine too: one switch for the whole set.
        assert forms.EmailInput().render("courriel", "a@b.fr", renderer=renderer) == (
            '<input type="email" name="courriel" value="a@b.fr">'
        )


def test_it_covers_only_templates_that_include_the_input_template():
    django_own = TemplatesSetting()
    for name in INPUT_TEMPLATES - {"django/forms/widgets/input.html"}:
        source = django_own.get_template(name).template.source
        assert source.strip() == '{% include "django/forms/widgets/input.html" %}', name
