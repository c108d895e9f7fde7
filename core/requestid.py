"""A request id for every request, for the logs (README « Journaux »).

Taken from the load balancer's `X-Request-ID` header when it sends a sane one, else made here;
sent back in the response's `X-Request-ID` header. Log lines written while the request runs
carry it (core/logs.py reads the contextvar), and so does gunicorn's access line: this
middleware puts the id, and the route that answered, in the WSGI environ, where
gunicorn.conf.py's `access_log_format` reads them.

The route is the URL's pattern (`activation/<str:token>/`), never the path: signing links carry
a token in their path, and no token may reach a log.
"""

import json
import re
import uuid

from .logs import current_request_id, request_id_var, scrub

__all__ = ["RequestIdMiddleware", "current_request_id"]

HEADER = "X-Request-ID"
# What gunicorn's access line reads (gunicorn.conf.py): already escaped for a JSON string.
ENVIRON_REQUEST_ID = "onboarding.request_id"
ENVIRON_ROUTE = "onboarding.route"
SANE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def json_string_content(value, limit=200):
    """`value` as the inside of a JSON string, for gunicorn to paste between two quotes. gunicorn
    escapes the quotes itself (glogging.SafeAtoms): escape the rest (backslashes, control
    characters) and leave the quotes to it."""
    return json.dumps(str(value)[:limit], ensure_ascii=False)[1:-1].replace('\\"', '"')


def route_of(request):
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.route or match.view_name or "-"
    # Not one of our routes (a static file, a 404): the path, any signed token in it masked.
    return scrub(request.path)


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(HEADER, "")
        request_id = incoming if SANE_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        request.META[ENVIRON_REQUEST_ID] = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        request.META[ENVIRON_ROUTE] = json_string_content(route_of(request))
        response[HEADER] = request_id
        return response
