"""Pages every app may answer with."""

from django.shortcuts import render

from .ratelimit import retry_minutes


def rate_limited(request, exception):
    """django-ratelimit's view: a page that says when to try again, with HTTP 429."""
    return rate_limited_response(request, minutes=retry_minutes(getattr(request, "ratelimit_group", "")))


def rate_limited_response(request, minutes):
    response = render(request, "core/rate_limited.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
