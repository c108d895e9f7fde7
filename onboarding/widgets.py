"""Form widgets shared by the stage apps' forms."""

import threading
from collections import OrderedDict

from django import forms
from django.utils.formats import localize
from django.utils.functional import Promise
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.translation import get_language


class CachedOptionsSelect(forms.Select):
    """A `<select>` whose `<option>` tags are rendered once per language and list of choices.

    For the long lists (the 249 countries of django-countries, the IBAN countries): Django
    renders each option through the template engine, 9–12 ms a list, on every display of the
    page, for options that never change between requests. Here they are written once per
    (language, choices) in Python, exactly as `django/forms/widgets/select.html` writes them
    (tests/onboarding/test_widgets.py compares both byte for byte), and the selected one is put
    in at each rendering. The `<select>` tag itself (name, id, aria-*, required…) still goes
    through the template, per request.

    The choices are read at each rendering (they follow the active language; the country
    lists are cached by django-countries), so the cache can never serve another list.
    """

    template_name = "onboarding/widgets/cached_select.html"
    # At most a few lists × languages are used; a bound keeps a misuse from growing forever.
    CACHE_SIZE = 32
    _cache = OrderedDict()
    _lock = threading.Lock()

    def get_context(self, name, value, attrs):
        # Widget's context, not ChoiceWidget's: no `optgroups`, the costly part.
        context = forms.Widget.get_context(self, name, value, attrs)
        context["widget"]["options_html"] = self.options_html(context["widget"]["value"])
        return context

    def options_html(self, selected_values):
        """The options' HTML with the first option whose value is in `selected_values` selected."""
        options = self._rendered_options()
        first = min((options.index[value] for value in selected_values if value in options.index), default=None)
        # Safe: every value and label in it was escaped when the options were written (_text, _value).
        if first is None:
            return mark_safe(options.html)  # nosec B308 B703
        start, end = options.spans[first]
        return mark_safe(options.html[:start] + options.selected[first] + options.html[end:])  # nosec B308 B703

    def use_required_attribute(self, initial):
        # Select's rule (`required` only above a placeholder option: valid HTML), from the cache
        # rather than from another reading of the choices.
        return not self.is_hidden and self._rendered_options().first_is_placeholder

    def _rendered_options(self):
        # Read once per rendering of a field (its `required` attribute, then its options): the
        # choices are read again only if they were replaced or the language changed.
        language = get_language()
        memo = self.__dict__.get("_options_memo")
        if memo is not None and memo[0] is self._choices and memo[1] == language:
            return memo[2]
        options = self._cached_options((language, _freeze(self.choices)))
        self._options_memo = (self._choices, language, options)
        return options

    def _cached_options(self, key):
        cls = CachedOptionsSelect
        with cls._lock:
            options = cls._cache.get(key)
            if options is not None:
                cls._cache.move_to_end(key)
                return options
        options = _RenderedOptions(key[1], self.checked_attribute)
        with cls._lock:
            cls._cache[key] = options
            while len(cls._cache) > cls.CACHE_SIZE:
                cls._cache.popitem(last=False)
        return options


class _RenderedOptions:
    """A list of choices written out: `html` with no option selected, `spans[i]` where option i
    is in it, `selected[i]` option i's tag once selected, `index[value]` the first option of a
    value (ChoiceWidget.optgroups selects only the first one of a value)."""

    def __init__(self, choices, checked_attribute):
        parts, self.spans, self.selected, self.index = [], [], [], {}
        # As Select.use_required_attribute reads the first choice.
        first = choices[0][0] if choices else False
        self.first_is_placeholder = first is None or (isinstance(first, str) and not first)
        length = 0

        def add(text):
            nonlocal length
            parts.append(text)
            length += len(text)

        for option_value, option_label in choices:
            if option_value is None:
                option_value = ""
            group = isinstance(option_label, tuple)
            if group:
                add(f'\n  <optgroup label="{_text(option_value)}">')
            for value, label in option_label if group else [(option_value, option_label)]:
                self.index.setdefault(str(value), len(self.spans))  # str(value), as optgroups compares
                tag = f'\n  <option value="{_value(value)}"'
                add(tag + f">{_text(label)}</option>")
                self.spans.append((length - len(parts[-1]), length))
                self.selected.append(tag + _attrs(checked_attribute) + f">{_text(label)}</option>")
            if group:
                add("\n  </optgroup>")
        self.html = "".join(parts)


def _freeze(choices):
    """The choices as a hashable key; lazy labels as text in the active language."""
    frozen = []
    for value, label in choices:
        if isinstance(label, (list, tuple)):
            frozen.append((_hashable(value), tuple((_hashable(v), _hashable(lbl)) for v, lbl in label)))
        else:
            frozen.append((_hashable(value), _hashable(label)))
    return tuple(frozen)


def _hashable(value):
    if type(value) is str or value is None:
        return value
    if isinstance(value, Promise):
        value = str(value)
        if type(value) is str:
            return value
    # Keep what changes the rendering apart: "a&b" marked safe is written as is, "a&b" escaped.
    return _Marked(value) if isinstance(value, SafeData) else value


class _Marked(SafeString):
    """A safe string in a key: equal only to another safe string of the same text."""

    def __eq__(self, other):
        return isinstance(other, _Marked) and str.__eq__(self, other)

    __hash__ = str.__hash__


def _text(value):
    # As {{ value }} writes it: localized, escaped unless marked safe.
    return conditional_escape(localize(value))


def _value(value):
    # As {{ option.value|stringformat:'s' }} writes it.
    text = "%s" % (str(value) if isinstance(value, tuple) else value)
    return text if isinstance(value, SafeData) else conditional_escape(text)


def _attrs(attrs):
    # As django/forms/widgets/attrs.html writes them.
    return "".join(
        f" {conditional_escape(name)}" if value is True else f' {conditional_escape(name)}="{_value(value)}"'
        for name, value in attrs.items()
        if value is not False
    )
