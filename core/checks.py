from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

MSG_MISSING_SIGNING_KEY = (
    "SECRET_KEY must be set when DJANGO_DEBUG is off (a development key is only provided in debug mode)."
)


@register(deploy=True)
def secret_key_is_set(app_configs, **kwargs):
    """`check --deploy` fails without a key; wsgi.py and asgi.py refuse to start the server."""
    try:
        settings.SECRET_KEY  # noqa: B018 (reading it raises when it is missing)
    except ImproperlyConfigured:
        return [Error(MSG_MISSING_SIGNING_KEY, id="onboarding.E001")]
    return []


def require_secret_key():
    try:
        settings.SECRET_KEY  # noqa: B018 (reading it raises when it is missing)
    except ImproperlyConfigured as error:
        raise ImproperlyConfigured(MSG_MISSING_SIGNING_KEY) from error


# --- Production (README « Mise en production ») ---------------------------------------------
# With --deploy only: the demo and the tests run in one process with the captcha's test word.

PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache": "each process keeps its own",
    "django.core.cache.backends.dummy.DummyCache": "it keeps nothing",
    "django.core.cache.backends.filebased.FileBasedCache": "its counters are not atomic, nor shared between machines",
}
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


@register(deploy=True)
def cache_is_shared(app_configs, **kwargs):
    backend = settings.CACHES["default"]["BACKEND"]
    reason = PER_PROCESS_CACHES.get(backend)
    if reason is None:
        return []
    return [
        Error(
            f"The cache ({backend.rsplit('.', 1)[-1]}) is not shared by the processes: {reason}, so rate limits "
            "and login throttling would count per process (a limit of 5 allows 10 with two workers). "
            "Set CACHE_URL=redis://HOST:6379/0, a Redis shared by every process of every machine.",
            id="onboarding.E002",
        )
    ]


@register(deploy=True)
def captcha_test_mode_is_off(app_configs, **kwargs):
    if not settings.CAPTCHA_TEST_MODE or getattr(settings, "SMOKE_RUN_ON_LOOPBACK", False):
        return []
    return [
        Error(
            "CAPTCHA_TEST_MODE is on: the captcha accepts the word PASSED from anyone, robots included. "
            "Remove CAPTCHA_TEST_MODE from the environment (or set CAPTCHA_TEST_MODE=0).",
            id="onboarding.E003",
        )
    ]


@register(deploy=True)
def smoke_run_stays_on_loopback(app_configs, **kwargs):
    """SMOKE_RUN_ON_LOOPBACK lets CI's smoke run pass with plain HTTP and the captcha's test word:
    only where no one else can connect."""
    if not getattr(settings, "SMOKE_RUN_ON_LOOPBACK", False):
        return []
    from urllib.parse import urlsplit

    hosts = set(settings.ALLOWED_HOSTS) | {urlsplit(settings.SITE_URL).hostname or ""}
    foreign = sorted(hosts - LOOPBACK_HOSTS)
    if not foreign:
        return []
    return [
        Error(
            "SMOKE_RUN_ON_LOOPBACK is for CI's smoke run on 127.0.0.1 only, and this server names "
            f"{', '.join(foreign)} (ALLOWED_HOSTS, SITE_URL). Remove SMOKE_RUN_ON_LOOPBACK from the environment.",
            id="onboarding.E004",
        )
    ]
