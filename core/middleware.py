import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

SEEN_AT = "_seen_at"
STARTED_AT = "_started_at"
# Writing the session on every request would cost a query each time: once a minute is enough
# to measure 30 idle minutes.
SEEN_AT_RESOLUTION = 60


@receiver(user_logged_in)
def start_session_clock(sender, request, user, **kwargs):
    # Set at login, in the session Django saves anyway: the next requests need not write it.
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[STARTED_AT] = now
        request.session[SEEN_AT] = now


class SessionLifetimeMiddleware:
    """Close a logged-in session after an idle time, and after an absolute lifetime."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            session = request.session
            started = session.setdefault(STARTED_AT, now)
            seen = session.get(SEEN_AT, now)
            if now - seen > settings.SESSION_IDLE_TIMEOUT or now - started > settings.SESSION_ABSOLUTE_TIMEOUT:
                logout(request)
                messages.info(request, _("Votre session a expiré : reconnectez-vous pour continuer."))
            elif now - seen >= SEEN_AT_RESOLUTION or SEEN_AT not in session:
                session[SEEN_AT] = now
        return self.get_response(request)


class LanguageMiddleware:
    """French unless the supplier chose English with the header's switch (set_language's cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language: a French supplier
    with an English browser would get English pages they did not ask for.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ["Cookie"])
        response.headers.setdefault("Content-Language", language)
        return response
