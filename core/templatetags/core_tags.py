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
