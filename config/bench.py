"""The benchmark's floor (issue 9): what Django itself costs for a page of this app.

Mounted only when the BENCHMARK_FLOOR setting is on (benchmarks/settings.py sets it; the
production settings do not have it): a view that reads the session and renders a one-line
template, through the same middleware as every page. `make bench` divides each page's median
by this one's, measured in the same run.
"""

from functools import cache

from django.http import HttpResponse
from django.template import engines
from django.views.decorators.http import require_GET


@cache
def floor_template():
    # Compiled once, as the cached template loader does for the app's own templates; at the
    # first request, not at import: building the template engine at import time would fix its
    # options before the test suite sets them (--fail-on-template-vars).
    return engines["django"].from_string("<p>{{ count }}</p>\n")


@require_GET
def floor(request):
    count = len(request.session.keys())  # reads the session: one query when there is a cookie
    return HttpResponse(floor_template().render({"count": count}, request))
