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
