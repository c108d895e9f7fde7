"""Rate limits per client address (django-ratelimit), by group: `settings.RATELIMITS` (see SECURITY.md).

They count in the shared cache (Redis in production). When the cache does not answer, the
request goes on uncounted and the outage is logged: a page must not fail because its abuse
counter is out of reach (`/sante/` reports the cache; login lockouts live in the database).
"""

import logging

from django.conf import settings
from django_ratelimit.core import is_ratelimited
from django_ratelimit.exceptions import Ratelimited

logger = logging.getLogger(__name__)

try:  # Django's RedisCache raises the client's errors
    from redis.exceptions import RedisError
except ImportError:  # pragma: no cover - redis is a dependency; kept for a cache without it
    RedisError = OSError

CACHE_ERRORS = (RedisError, OSError)


def rate_of(group, request):
    return settings.RATELIMITS[group]


def enforce_rate_limit(request, group, key="ip"):
    """Count this request in `group`; past the group's rate, raise Ratelimited (→ the 429 page)."""
    try:
        limited = is_ratelimited(request, group=group, key=key, rate=rate_of, method=is_ratelimited.ALL, increment=True)
    except CACHE_ERRORS:
        logger.exception("Rate limit %s not counted: the cache does not answer", group)
        return
    if limited:
        request.ratelimit_group = group
        raise Ratelimited()


PERIOD_MINUTES = {"s": 1, "m": 1, "h": 60, "d": 24 * 60}


def retry_minutes(group):
    """How long to wait, in minutes, at most, once the rate of `group` is reached."""
    rate = settings.RATELIMITS.get(group, "1/h")
    period = rate.split("/")[1]
    digits = "".join(c for c in period if c.isdigit()) or "1"
    return max(1, int(digits) * PERIOD_MINUTES.get(period[-1], 60))
