import subprocess
import sys

import pytest
from django import forms
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy
from django_countries.widgets import LazySelect

from banking.forms import BankAccountForm
from onboarding.forms import AccountForm
from onboarding.widgets import CachedOptionsSelect
from structures.forms import NewStructureForm

# Each country list, and the widget it had before its options were cached.
COUNTRY_LISTS = [
    (lambda **kw: AccountForm(with_captcha=False, **kw), "country", forms.Select),
    (NewStructureForm, "country", LazySelect),
    (BankAccountForm, "country_code", forms.Select),
    (BankAccountForm, "factor_country", LazySelect),
]


@pytest.fixture(autouse=True)
def empty_widget_cache():
    CachedOptionsSelect._cache.clear()
    yield
    CachedOptionsSelect._cache.clear()


def render_before(make_form, name, widget_class, **kwargs):
    """The field as Django's own widget renders it, with the same attributes and choices."""
    form = make_form(**kwargs)
    field = form.fields[name]
    field.widget = widget_class(attrs=field.widget.attrs, choices=field.widget.choices)
    return str(form[name])


def render(make_form, name, **kwargs):
    return str(make_form(**kwargs)[name])


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("make_form, name, widget_class", COUNTRY_LISTS)
def test_it_renders_each_country_list_as_django_does(make_form, name, widget_class, language):
    with translation.override(language):
        assert isinstance(make_form().fields[name].widget, CachedOptionsSelect)
        for posted in ["FR", "BE", "DE", "", "XX", "<b>"]:
            data = {name: posted, f"compte-{name}": posted}
            for kwargs in [{}, {"data": data}, {"data": data, "prefix": "compte"}, {"initial": {name: posted}}]:
                expected = render_before(make_form, name, widget_class, **kwargs)
                # Twice: the first rendering builds the cache, the second one reads it.
                assert render(make_form, name, **kwargs) == expected
                assert render(make_form, name, **kwargs) == expected


def test_it_keeps_the_selected_option_and_the_field_attributes():
    html = render(
        lambda **kw: AccountForm(with_captcha=False, **kw), "country", data={"compte-country": "BE"}, prefix="compte"
    )
    assert html.startswith('<select name="compte-country" autocomplete="country" id="id_compte-country">\n')
    assert '<option value="BE" selected>Belgique</option>' in html
    assert '<option value="FR">France</option>' in html
    assert html.count(" selected") == 1


def test_it_renders_the_options_once_per_language_and_list(monkeypatch):
    built = []
    original = CachedOptionsSelect._rendered_options

    def counting(self):
        before = len(CachedOptionsSelect._cache)
        options = original(self)
        if len(CachedOptionsSelect._cache) > before:
            built.append(translation.get_language())
        return options

    monkeypatch.setattr(CachedOptionsSelect, "_rendered_options", counting)
    with translation.override("fr"):
        french = [str(BankAccountForm(data={"factor_country": code})["factor_country"]) for code in ["FR", "BE", ""]]
    with translation.override("en"):
        english = str(BankAccountForm()["factor_country"])
    assert built == ["fr", "en"]
    assert '<option value="BE" selected>Belgique</option>' in french[1]
    assert '<option value="DE">Germany</option>' in english


CHOICES = [
    ("", "---------"),
    ("a'b", "L'Haÿ-les-Roses & <Cie>"),
    ("safe", mark_safe("<em>déjà sûr</em>")),
    ("lazy", gettext_lazy("Pays")),
    (3, 1234),
    ("Groupe <1>", [("g1", "Un"), ("g2", "Deux & trois")]),
    ("a'b", "le même code une seconde fois"),
    (None, "aucun"),
]


@pytest.mark.parametrize("value", [None, "", "a'b", "safe", "lazy", "3", 3, "g2", "inconnu", ["g1", "a'b"]])
def test_it_escapes_groups_and_selects_as_django_does(value):
    for language in ["fr", "en"]:
        with translation.override(language):
            expected = forms.Select(attrs={"class": "x"}, choices=CHOICES).render("champ", value, {"id": "id_champ"})
            assert (
                CachedOptionsSelect(attrs={"class": "x"}, choices=CHOICES).render("champ", value, {"id": "id_champ"})
                == expected
            )


@pytest.mark.parametrize(
    "choices", [[("", "Choisir"), ("a", "A")], [("a", "A"), ("", "Aucun")], [], [("Groupe", [("", "-"), ("a", "A")])]]
)
@pytest.mark.parametrize("required", [True, False])
def test_it_writes_the_required_attribute_as_django_does(choices, required):
    def form(widget_class):
        class Form(forms.Form):
            champ = forms.ChoiceField(choices=choices, required=required, widget=widget_class)

        return str(Form()["champ"])

    assert form(CachedOptionsSelect) == form(forms.Select)


def test_it_does_not_take_a_safe_label_for_an_escaped_one():
    plain = CachedOptionsSelect(choices=[("x", "<b>")]).render("champ", "")
    safe = CachedOptionsSelect(choices=[("x", mark_safe("<b>"))]).render("champ", "")
    assert '<option value="x">&lt;b&gt;</option>' in plain
    assert '<option value="x"><b></option>' in safe


def test_it_keeps_a_bounded_cache():
    for number in range(CachedOptionsSelect.CACHE_SIZE + 10):
        CachedOptionsSelect(choices=[(str(number), "x")]).render("champ", "")
    assert len(CachedOptionsSelect._cache) == CachedOptionsSelect.CACHE_SIZE


def test_it_builds_nothing_at_import():
    # Neither the options nor a template engine: the test suite sets the engines' options
    # (--fail-on-template-vars) after the apps are imported.
    code = (
        "import django; django.setup(); "
        "import onboarding.forms, structures.forms, banking.forms, onboarding.wizard; "
        "from django.template import engines; from onboarding.widgets import CachedOptionsSelect; "
        "assert not CachedOptionsSelect._cache, 'options rendered at import'; "
        "assert not engines._engines, 'template engine built at import'"
    )
    subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "onboarding.settings"},
    )
