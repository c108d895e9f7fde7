from django import template

register = template.Library()


@register.filter
def field(form, name):
    """The bound field `name` of `form`, or None when the form does not have it."""
    return form[name] if name in form.fields else None


@register.filter
def minutes(duration):
    """A timedelta in whole minutes (at least 1), for « réessayez dans N minutes »."""
    return max(1, int(duration.total_seconds() // 60))


def shown_as_required(field):
    """A form field that must be filled in: required, or required by its form's rules
    (`shown_as_required`, set by the form on a field its clean() requires)."""
    return field.required or getattr(field, "shown_as_required", False)


@register.filter
def is_required(bound_field):
    """Whether the label says « (obligatoire) »."""
    return shown_as_required(bound_field.field)


@register.filter
def has_required_fields(form):
    """Whether a page of `form` shows a field marked « (obligatoire) » (the note explaining the
    mark is printed only then)."""
    if form is None or not hasattr(form, "visible_fields"):
        return False
    return any(shown_as_required(bound.field) for bound in form.visible_fields())


@register.filter
def notice(bound_field):
    """Information the form gives about a field (its `notices`, by name), not an error."""
    return getattr(bound_field.form, "notices", {}).get(bound_field.name, "")
