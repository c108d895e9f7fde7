"""`/sante/`: 200 when the database, the cache and the private storage answer, else 503 with
the one that failed. For the load balancer and the container's health check.

Answered by a middleware placed before the others: the load balancer asks each machine by its
own address over plain HTTP, so neither the HTTPS redirect nor ALLOWED_HOSTS may stand in the
way, and nothing here reads the Host header. No session, no personal data, no error text (the
failure's details go to the log), no rate limit.
"""

import logging
import uuid

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.utils.cache import add_never_cache_headers

from .storage import private_storage

logger = logging.getLogger(__name__)

PATH = "/sante/"


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache():
    key = f"sante:{uuid.uuid4().hex}"
    cache.set(key, "1", 10)
    try:
        if cache.get(key) != "1":
            raise RuntimeError("the cache did not give back what it was given")
    finally:
        cache.delete(key)


def check_storage():
    # A listing reads without writing (the load balancer asks every few seconds). A missing
    # local folder fails it: `manage.py check_services` creates it when the server starts.
    private_storage.listdir("")


CHECKS = {"database": check_database, "cache": check_cache, "storage": check_storage}


def run_checks():
    """{"database": "ok", "cache": "ok", "storage": "ok"}, "échec" for those that failed."""
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as error:  # whatever the service raises: it did not answer
            logger.error("Health check: the %s does not answer (%s: %s)", name, type(error).__name__, error)
            results[name] = "échec"
        else:
            results[name] = "ok"
    return results


def health_response():
    results = run_checks()
    healthy = all(result == "ok" for result in results.values())
    response = JsonResponse(
        {"statut": "ok" if healthy else "échec", **results},
        status=200 if healthy else 503,
        json_dumps_params={"ensure_ascii": False},
    )
    add_never_cache_headers(response)
    response["X-Content-Type-Options"] = "nosniff"
    return response


class HealthMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == PATH:
            if request.method not in ("GET", "HEAD"):
                response = JsonResponse({"statut": "méthode non permise"}, status=405)
                response["Allow"] = "GET, HEAD"
                return response
            return health_response()
        return self.get_response(request)
