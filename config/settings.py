"""Settings of the supplier onboarding app, read from the environment (django-environ).

With nothing set, the app runs for a demo: SQLite in the project folder, e-mails on the
console. `DJANGO_DEBUG` is off unless set; without debug a real `SECRET_KEY` is required.
"""

import shutil
import warnings
from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-demo-only-never-in-production")
else:
    # No development key without debug. Django refuses any use of an empty key, the server
    # refuses to start (core/checks.py, config/wsgi.py, config/asgi.py), and commands that sign
    # nothing (makemigrations) still run.
    SECRET_KEY = env.str("SECRET_KEY", default="")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])

INSTALLED_APPS = [
    # Django's admin, whose site asks staff for an authenticator app (twofactor/admin_site.py).
    "twofactor.apps.SecuredAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "formtools",
    "captcha",
    "django_countries",
    "phonenumber_field",
    "core",
    "onboarding",
    "structures",
    "simple_history",
    "axes",
    "django_ratelimit",
    "banking",
    "mandates",
    "invoices",
    "chorus",
    # Two-factor login (twofactor/): django-otp's devices for the e-mailed code, the
    # authenticator app (TOTP) and the recovery codes.
    "django_otp",
    "django_otp.plugins.otp_email",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "twofactor",
]

MIDDLEWARE = [
    # Production plumbing (see the « Production » section below): a request id for the logs,
    # /sante/ answered before any redirect or host check, static files by WhiteNoise.
    "core.requestid.RequestIdMiddleware",
    "core.health.HealthMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "twofactor.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "core.middleware.SessionLifetimeMiddleware",
    # After the others: a rate limit reached anywhere becomes the 429 page.
    "django_ratelimit.middleware.RatelimitMiddleware",
    # Last, as django-axes asks: it turns a lockout into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Widgets are rendered through the project's templates too (our captcha widget overrides its own).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "onboarding.User"
# Argon2id at OWASP's minimum cost (core/hashers.py says why); PBKDF2 stays so that the hashes
# made before are checked, then upgraded at the next login.
PASSWORD_HASHERS = [
    "core.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "twofactor:login"
LOGIN_REDIRECT_URL = "onboarding:home"
LOGOUT_REDIRECT_URL = "onboarding:landing"

# E-mail: console for the demo, `smtp://…` or `filemail:///path` elsewhere.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Ville de Grenoble — Inscription des fournisseurs <ne-pas-repondre@grenoble.fr>"
)

# How long the account activation link sent by e-mail stays valid.
ACTIVATION_LINK_MAX_AGE = env.int("ACTIVATION_LINK_MAX_AGE", default=24 * 60 * 60)
# How long the billing mandate's signing link (which also activates a new account) stays valid.
MANDATE_LINK_MAX_AGE = env.int("MANDATE_LINK_MAX_AGE", default=7 * 24 * 60 * 60)

# French for everyone; English only when chosen with the switch in the header (a cookie for the
# browser session), never guessed from the browser's Accept-Language.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")

# Files sent by suppliers (RIB, invoices) and signed mandates: a folder that no URL serves.
# Views that check permissions stream them. There is deliberately no MEDIA_URL for them.
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "private-media")
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
    },
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploads are read no further than their page's limit (core/uploads.py), then as Django does.
FILE_UPLOAD_HANDLERS = [
    "core.uploads.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# django-simple-captcha: 5 characters, as on the public portal.
CAPTCHA_LENGTH = 5
CAPTCHA_TIMEOUT = 10  # minutes
CAPTCHA_IMAGE_SIZE = (150, 50)
CAPTCHA_FONT_SIZE = 34
# The audio version of the captcha (a « Écouter » link) when flite is installed (Debian: flite).
CAPTCHA_FLITE_PATH = env.str("CAPTCHA_FLITE_PATH", default=shutil.which("flite") or "") or None
# For automated journeys only: the captcha then accepts the word PASSED. Never in production.
CAPTCHA_TEST_MODE = env.bool("CAPTCHA_TEST_MODE", default=False)

COUNTRIES_FIRST = ["FR"]
COUNTRIES_FIRST_REPEAT = False
PHONENUMBER_DEFAULT_REGION = "FR"
PHONENUMBER_DB_FORMAT = "E164"

# SIRET directory: "stub" (dataset shipped in structures/) or "insee" (Sirene API).
SIRENE_BACKEND = env.str("SIRENE_BACKEND", default="stub")
SIRENE_API_KEY = env.str("SIRENE_API_KEY", default="")
SIRENE_API_URL = env.str("SIRENE_API_URL", default="https://api.insee.fr/api-sirene/3.11")
SIRENE_TIMEOUT = env.float("SIRENE_TIMEOUT", default=3.0)
# How long an INSEE answer is kept (structures/sirene.py): the wizard reads it several times.
SIRENE_CACHE_SECONDS = env.int("SIRENE_CACHE_SECONDS", default=15 * 60)

# --- Security (see SECURITY.md) -------------------------------------------------------------

# Behind HTTPS in production: redirect, HSTS for a year, Secure cookies with the __Host-
# prefix (no Domain, Path=/: the browser refuses them from any other origin).
HTTPS = env.bool("DJANGO_HTTPS", default=not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_PROXY", default=False) else None
SECURE_HSTS_SECONDS = 365 * 24 * 3600 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_NAME = "__Host-sessionid" if HTTPS else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if HTTPS else "csrftoken"
LANGUAGE_COOKIE_NAME = "__Host-language" if HTTPS else "django_language"
LANGUAGE_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Sessions: closed after 30 idle minutes, and 12 hours after login whatever happens
# (core.middleware.SessionLifetimeMiddleware). Django gives a new session key at login,
# and a password change ends the other sessions (the session's auth hash no longer matches).
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)
SESSION_ABSOLUTE_TIMEOUT = env.int("SESSION_ABSOLUTE_TIMEOUT", default=12 * 3600)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT

# Content-Security-Policy (django-csp): no inline script or style, nothing framed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "media-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Login lockout (django-axes): 5 failures lock the account, and separately the address, for
# 15 minutes; then it opens again by itself.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "twofactor.services.axes_username"
AXES_LOCKOUT_TEMPLATE = "onboarding/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_RESET_ON_SUCCESS = False  # failures expire with the cool-off anyway; saves two queries per login
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = env.int("PROXY_COUNT", default=0) or None
# A wrong second-factor code counts as a failed login (twofactor/views.py): codes and
# passwords share these 5 failures. Neither is written into axes' logs.
AXES_SENSITIVE_PARAMETERS = ["code", "new_password1", "new_password2"]

# Two-factor login (twofactor/): a code is 6 digits, valid 10 minutes, single use; sensitive
# changes ask for a new factor when the last one is older than 15 minutes.
TWOFACTOR_CODE_VALIDITY = 10 * 60
TWOFACTOR_STEP_UP_MAX_AGE = env.int("TWOFACTOR_STEP_UP_MAX_AGE", default=15 * 60)
TWOFACTOR_PENDING_MAX_AGE = 15 * 60  # between the password and the code
OTP_EMAIL_TOKEN_VALIDITY = TWOFACTOR_CODE_VALIDITY
OTP_EMAIL_COOLDOWN_DURATION = 30  # seconds between two « Recevoir un nouveau code »
# django-otp's own back-off (1, 2, 4… s) would refuse a right code typed just after a wrong
# one, with no message: django-axes' lockout replaces it.
OTP_EMAIL_THROTTLE_FACTOR = 0
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
OTP_TOTP_ISSUER = "Ville de Grenoble"

# The cache (CACHE_URL) is in the « Production » section at the end of this file.
RATELIMIT_VIEW = "core.views.rate_limited"
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)

# Absolute links in e-mails are built from this, never from the request's Host header.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# The buyer: the Ville de Grenoble. Suppliers must never register the city's own SIRET.
CITY_SIRET = env.str("CITY_SIRET", default="21380185500015")
# Rates per client address (django-ratelimit syntax), by group; see core/ratelimit.py.
RATELIMITS = {
    "account-creation": env.str("RATELIMIT_ACCOUNT_CREATION", default="20/h"),
    "directory-search": env.str("RATELIMIT_DIRECTORY_SEARCH", default="60/h"),
    "resend-email": env.str("RATELIMIT_RESEND_EMAIL", default="5/h"),
    "password-reset": env.str("RATELIMIT_PASSWORD_RESET", default="5/h"),
    "mandate-signing": env.str("RATELIMIT_MANDATE_SIGNING", default="20/h"),
    "upload": env.str("RATELIMIT_UPLOAD", default="30/h"),
    "second-factor": env.str("RATELIMIT_SECOND_FACTOR", default="30/h"),
}

# --- Chorus Pro (chorus/) ---
# The national e-invoicing portal, reached through the State's API gateway PISTE. "stub" (the
# default, for the demo and the tests) is an in-process portal kept in the database; "piste"
# calls the real API. See chorus/__init__.py for how to get the credentials below.
CHORUS_BACKEND = env.str("CHORUS_BACKEND", default="stub")
# "sandbox" (PISTE's sandbox, Chorus Pro's qualification portal) or "production".
CHORUS_ENVIRONMENT = env.str("CHORUS_ENVIRONMENT", default="sandbox")
# The PISTE application (OAuth2 client credentials) and the Chorus Pro technical account.
CHORUS_CLIENT_ID = env.str("CHORUS_CLIENT_ID", default="")
CHORUS_CLIENT_SECRET = env.str("CHORUS_CLIENT_SECRET", default="")
CHORUS_TECHNICAL_LOGIN = env.str("CHORUS_TECHNICAL_LOGIN", default="")
CHORUS_TECHNICAL_PASSWORD = env.str("CHORUS_TECHNICAL_PASSWORD", default="")
# Seconds per HTTP call; retries of a failed call (0.5 s, 1 s, 2 s… apart).
CHORUS_TIMEOUT = env.float("CHORUS_TIMEOUT", default=10.0)
CHORUS_MAX_RETRIES = env.int("CHORUS_MAX_RETRIES", default=3)
CHORUS_RETRY_BACKOFF = env.float("CHORUS_RETRY_BACKOFF", default=0.5)
# The buyer on the portal: invoices are addressed to this SIRET.
CHORUS_CITY_SIRET = env.str("CHORUS_CITY_SIRET", default=CITY_SIRET)
# The stub moves an invoice one status further every so many seconds.
CHORUS_STUB_STEP_SECONDS = env.int("CHORUS_STUB_STEP_SECONDS", default=60)
# How often the transmitted invoices' statuses are asked (invoices/transmission.py): every minute
# for the stub (its statuses move each minute), every 15 for the real portal (a few a day).
CHORUS_FOLLOW_SECONDS = env.int("CHORUS_FOLLOW_SECONDS", default=60 if CHORUS_BACKEND == "stub" else 15 * 60)
# --- end of Chorus Pro (chorus/) ---

# --- Production (README « Mise en production »): static files, shared cache and files, logs ---
# One code for the demo (SQLite, one process) and for several machines behind a load balancer:
# what every process must share comes from the environment (DATABASE_URL, CACHE_URL,
# PRIVATE_STORAGE_URL or a shared PRIVATE_MEDIA_ROOT); `manage.py check --deploy` refuses the
# per-process defaults (core/checks.py).

# Static files: WhiteNoise serves them from gunicorn. `collectstatic` (bin/serve) writes them
# under hashed names, compressed (gzip, brotli), so they are cached for ever (max-age ten years,
# immutable). STATIC_HASHED=0 keeps the plain names: `make demo` (DEBUG), the tests and the
# benchmarks, which run no collectstatic.
STATIC_HASHED = env.bool("STATIC_HASHED", default=not DEBUG)
STORAGES["staticfiles"] = {
    "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    if STATIC_HASHED
    else "django.contrib.staticfiles.storage.StaticFilesStorage"
}
if not STATIC_HASHED:
    # No collectstatic here (runserver and the test server find the files themselves): WhiteNoise's
    # warning about the missing STATIC_ROOT says nothing useful.
    warnings.filterwarnings("ignore", message="No directory at", module="whitenoise.base")

# Cache: the rate limits (account creation, searches, e-mails, second-factor codes, uploads,
# signing), the mandate link's resend counter, the INSEE answers and the PISTE token live in it,
# so every process of every machine must share it: CACHE_URL=redis://…
# (Django's own RedisCache; `rediss://` for TLS). The local-memory default is for the demo and
# the tests; `check --deploy` fails on it (core.E002).
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # A Redis that stops answering fails a request within seconds instead of holding a worker.
    CACHES["default"].setdefault("OPTIONS", {}).setdefault("socket_connect_timeout", 2)
    CACHES["default"]["OPTIONS"].setdefault("socket_timeout", 2)
# W001 only says that Django's own Redis backend is not on django-ratelimit's list: its
# counters are atomic all the same. E003 (a cache not shared between processes) runs with every
# command, also `migrate` and `runserver` of the demo: it is silenced for the local-memory
# default, and core.E002 says the same with --deploy, where it matters, whatever DEBUG says.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
if "LocMemCache" in CACHES["default"]["BACKEND"]:
    SILENCED_SYSTEM_CHECKS.append("django_ratelimit.E003")

# Sessions stay in the database (Django's default, said here on purpose): they hold the
# wizard's steps between pages and the second factor's proof; the database is shared, backed up
# and survives a restart, while a cache may evict a key under memory pressure and lose a
# registration half-way. It costs one indexed read per request; `clearsessions` (a daily job)
# removes the expired ones.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Supplier files: a local folder by default (PRIVATE_MEDIA_ROOT, above), which may be a folder
# shared by every machine; or an S3-compatible object store: PRIVATE_STORAGE_URL=s3://bucket/prefix
# ?endpoint_url=https://…&region_name=… with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
# Private objects (no ACL: the bucket's own, private), never a URL: the app's views stream them.
PRIVATE_STORAGE_URL = env.str("PRIVATE_STORAGE_URL", default="")
if PRIVATE_STORAGE_URL:
    from core.storage_url import private_storage_from_url

    STORAGES["private"] = STORAGES["default"] = private_storage_from_url(PRIVATE_STORAGE_URL)

# Logs: JSON lines on the standard error (LOG_FORMAT=json, the default without DEBUG), each with
# the request's id (core/requestid.py); business events (core/events.py) at INFO on the
# "onboarding.events" logger. gunicorn writes one JSON line per request (gunicorn.conf.py).
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.logs.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "core.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
    "loggers": {
        "onboarding.events": {"level": env.str("EVENT_LOG_LEVEL", default="INFO")},
        "core.jobs": {"level": env.str("EVENT_LOG_LEVEL", default="INFO")},
    },
}

# Scheduled jobs (`manage.py run_jobs`): their list and periods are in config/jobs.py.
SCHEDULED_JOBS = "config.jobs.JOBS"

# The production smoke run of .ci/run (.ci/smoke.py) serves on 127.0.0.1 over plain HTTP with the
# captcha's test word. SMOKE_RUN_ON_LOOPBACK=1 tells `check --deploy` so: it then accepts
# CAPTCHA_TEST_MODE and plain HTTP, and fails unless ALLOWED_HOSTS and SITE_URL name only this
# machine's loopback (core.E005), so a production that set it by mistake still fails.
SMOKE_RUN_ON_LOOPBACK = env.bool("SMOKE_RUN_ON_LOOPBACK", default=False)
if SMOKE_RUN_ON_LOOPBACK and not HTTPS:
    # HSTS, HTTPS redirect, Secure cookies: what plain HTTP on loopback cannot have.
    SILENCED_SYSTEM_CHECKS += ["security.W004", "security.W008", "security.W012", "security.W016"]
# --- end of Production ---
