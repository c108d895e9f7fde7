"""The form renderer: Django's `TemplatesSetting`, with its plain `<input>` written in Python.

Each text, e-mail, number, hidden… field is rendered by Django through three templates
(`text.html` includes `input.html`, which includes `attrs.html`): about a third of a form page's
time in the template engine, for one tag (benchmarks/notes.md). `InputFastRenderer` writes that
tag itself, exactly as those templates write it (tests/onboarding/test_renderers.py compares
both byte for byte on every kind of value and attribute), and leaves every other template
(select, textarea, our own widgets, the field's `includes/field.html`) to the template engine.

If the project ever overrides one of those templates (a file of the same name in `templates/`),
the fast path turns itself off and Django's templates are used, so an override is never
silently ignored.
"""

from pathlib import Path

import django
from django.forms.renderers import TemplatesSetting
from django.utils.formats import localize
from django.utils.functional import cached_property
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, SafeString

# Django's widgets whose template is only `{% include "django/forms/widgets/input.html" %}`.
INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "input",
        "text",
        "email",
        "number",
        "password",
        "url",
        "tel",
        "search",
        "hidden",
        "date",
        "datetime",
        "time",
        "checkbox",
        "color",
    )
)
DJANGO_FORM_TEMPLATES = Path(django.__file__).parent / "forms" / "templates"


class InputFastRenderer(TemplatesSetting):
    def render(self, template_name, context, request=None):
        if template_name in INPUT_TEMPLATES and self.fast_inputs:
            return render_input(context["widget"])
        return super().render(template_name, context, request)

    @cached_property
    def fast_inputs(self):
        """Whether each of those templates, and the two they include, are Django's own."""
        names = INPUT_TEMPLATES | {"django/forms/widgets/attrs.html"}
        for name in names:
            try:
                origin = Path(self.get_template(name).origin.name)
            except Exception:  # a template Django 5.2 does not have: use the engine for all
                return False
            if DJANGO_FORM_TEMPLATES not in origin.parents:
                return False
        return True


def render_input(widget):
    """`django/forms/widgets/input.html` for a widget's context, as the template engine writes it."""
    html = f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"'
    if widget["value"] is not None:
        html += f' value="{_formatted(widget["value"])}"'
    # Safe: the type, name, value and every attribute were escaped above (_text, _formatted),
    # unless marked safe by the caller, as the template does.
    return SafeString(html + render_attrs(widget["attrs"]) + ">")  # nosec B703


def render_attrs(attrs):
    """`django/forms/widgets/attrs.html`."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(f" {_text(name)}" if value is True else f' {_text(name)}="{_formatted(value)}"')
    return "".join(parts)


def _text(value):
    # {{ value }}: localized, as text, escaped unless marked safe.
    value = localize(value)
    return conditional_escape(value if isinstance(value, str) else str(value))


def _formatted(value):
    # {{ value|stringformat:'s' }}: "%s" formatting (a tuple as its repr), kept safe only when
    # the value was marked safe (the filter is is_safe), then escaped.
    try:
        text = "%s" % (str(value) if isinstance(value, tuple) else value)
    except (ValueError, TypeError):
        text = ""
    return text if isinstance(value, SafeData) else conditional_escape(text)
