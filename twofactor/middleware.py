from django.contrib.auth import logout

from .services import SESSION_VERIFIED_AT


class SecondFactorMiddleware:
    """A logged-in session always has its second factor: one without (made before two-factor
    login existed, or by any path that forgot it) is logged out, so nothing is unlocked by a
    password alone. Costs no query: it reads the session only."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        if "_auth_user_id" in session and SESSION_VERIFIED_AT not in session:
            logout(request)
        return self.get_response(request)
