"""A form field's HTML (`includes/field.html`), rendered once per process for the fields that
are the same for every visitor.

The wizard's account, new-structure and bank details pages show 16 to 20 empty fields. Django
renders each of them through three or four templates (the field, its widget, the widget's
attributes), about 0.2 ms a field, on every display, though nothing in an empty field differs
from one visitor to the next: that was most of these pages' time (benchmarks/notes.md).

A field's HTML is reused only when everything it is made of is the same for every visitor:

- its form class says so (`cache_unbound_fields = True`): its fields do not depend on the
  request (no per-user choices), which is checked by reading the class, not guessed;
- the form is not bound: no typed value, no error;
- the field has no initial value given to this form instance (`form.initial`), and its own
  initial value is not computed at each display (a callable);
- the field is not in the form's `uncached_fields` (the captcha: a new challenge each time).

The key is the form class, its prefix and id format, the field's name and the active language:
whatever a visitor typed is never part of the HTML reused, so it can never be served to
another. The cache is per process, emptied when a setting changes (tests) and never used with
DEBUG on (templates edited while runserver runs).
"""

import threading

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.loader import get_template
from django.utils.translation import get_language

FIELD_TEMPLATE = "includes/field.html"

_cache = {}
_lock = threading.Lock()


def field_html(bound_field):
    """`includes/field.html` rendered for `bound_field`, from the cache when it can be."""
    key = cache_key(bound_field)
    if key is not None:
        html = _cache.get(key)
        if html is not None:
            return html
    html = get_template(FIELD_TEMPLATE).render({"field": bound_field})
    if key is not None:
        with _lock:
            _cache[key] = html
    return html


def cache_key(bound_field):
    """The key under which this field's HTML is the same for every visitor, or None."""
    form = bound_field.form
    if settings.DEBUG or not getattr(form, "cache_unbound_fields", False) or form.is_bound:
        return None
    name = bound_field.name
    if name in form.initial or name in getattr(form, "uncached_fields", ()) or callable(bound_field.field.initial):
        return None
    return (type(form), form.prefix, form.auto_id, form.use_required_attribute, name, get_language())


@receiver(setting_changed)
def clear_cache(**kwargs):
    with _lock:
        _cache.clear()
