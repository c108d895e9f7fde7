from functools import wraps

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from . import services

# The step-up page's parameter: where to go once the code is given.
NEXT_PARAMETER = "suivant"


def step_up_url(next_url):
    return f"{reverse('twofactor:step_up')}?{urlencode({NEXT_PARAMETER: next_url})}"


def fresh_second_factor(view):
    """Step-up (ASVS V6/V7: re-authenticate before a sensitive change): a second factor given
    less than 15 minutes ago to open the page, 30 to post its form; else the step-up page,
    which comes back here. Put it under login_required."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.user.is_authenticated and not services.is_fresh(request, services.step_up_max_age(request.method)):
            if request.method not in ("GET", "HEAD"):
                messages.warning(
                    request,
                    _(
                        "Pour votre sécurité, confirmez d'abord votre identité avec un nouveau code. "
                        "Ce que vous veniez d'envoyer n'a pas été enregistré : vous pourrez le refaire juste après."
                    ),
                )
            return redirect(step_up_url(request.get_full_path()))
        return view(request, *args, **kwargs)

    return wrapped
