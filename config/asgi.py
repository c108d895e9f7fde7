import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_asgi_application()

from core.checks import require_secret_key  # noqa: E402  (settings are loaded now)

require_secret_key()  # the server refuses to start without a real key
