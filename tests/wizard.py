"""Helpers to drive the onboarding wizard from tests, as a browser would post it."""

import re

from captcha.models import CaptchaStore
from django.urls import reverse

MANAGEMENT_PREFIX = "onboarding_wizard"


def step_url(step):
    return reverse("onboarding_step", args=[step])


def account_data(**overrides):
    data = {
        "email": "claire.martin@menuiserie-martin.fr",
        "email_confirmation": "claire.martin@menuiserie-martin.fr",
        "contact_email": "",
        "last_name": "Martin",
        "first_name": "Claire",
        "address": "12 rue Félix Poulat",
        "address_complement_1": "Bâtiment B",
        "address_complement_2": "",
        "postcode": "38000",
        "city": "Grenoble",
        "country": "FR",
        "phone": "04 76 76 36 36",
        "fax": "",
        "accept_terms": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def solved_captcha():
    """A fresh challenge and its answer, as the supplier would read it in the image."""
    key = CaptchaStore.generate_key()
    return key, CaptchaStore.objects.get(hashkey=key).response


def post_step(client, step, data, *, captcha="solve", extra=None):
    payload = {f"{MANAGEMENT_PREFIX}-current_step": step}
    payload.update({f"{step}-{name}": value for name, value in data.items()})
    if captcha == "solve":
        key, answer = solved_captcha()
        payload.update({f"{step}-captcha_0": key, f"{step}-captcha_1": answer})
    elif captcha is not None:
        key, _ = solved_captcha()
        payload.update({f"{step}-captcha_0": key, f"{step}-captcha_1": captcha})
    payload.update(extra or {})
    return client.post(step_url(step), payload)


def field_errors(response, step, name):
    """The error messages shown next to a field of the wizard's current form."""
    form = response.context["wizard"]["form"]
    return [str(error) for error in form.errors.get(name, [])]


def activation_link(message):
    match = re.search(r"https?://\S+/activation/[^/\s]+/", message.body)
    assert match, message.body
    return match.group(0)
