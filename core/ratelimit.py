"""Rate limits per client address (django-ratelimit), by group: `settings.RATELIMITS` (see SECURITY.md)."""

from django.conf import settings
from django_ratelimit.core import is_ratelimited
from django_ratelimit.exceptions import Ratelimited


def rate_of(group, request):
    return settings.RATELIMITS[group]


def enforce_rate_limit(request, group, key="ip"):
    """Count this request in `group`; past the group's rate, raise Ratelimited (→ the 429 page)."""
    if is_ratelimited(request, group=group, key=key, rate=rate_of, method=is_ratelimited.ALL, increment=True):
        request.ratelimit_group = group
        raise Ratelimited()


PERIOD_MINUTES = {"s": 1, "m": 1, "h": 60, "d": 24 * 60}


def retry_minutes(group):
    """How long to wait, in minutes, at most, once the rate of `group` is reached."""
    rate = settings.RATELIMITS.get(group, "1/h")
    period = rate.split("/")[1]
    digits = "".join(c for c in period if c.isdigit()) or "1"
    return max(1, int(digits) * PERIOD_MINUTES.get(period[-1], 60))
