"""Test clients and logins that go through the second factor (twofactor/)."""

import re
import time

from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.onboarding.factories import DEFAULT_PASSWORD

CODE_IN_EMAIL = re.compile(r"^\s+([0-9]{6})\s*$", re.MULTILINE)


class VerifiedClient(Client):
    """Django's test client whose force_login is a complete login: password and second factor,
    given just now. The tests of the second factor itself log in through the pages."""

    def force_login(self, user, backend=None):
        super().force_login(user, backend)
        from twofactor import services

        session = self.session
        session[services.SESSION_VERIFIED_AT] = int(time.time())
        session[services.SESSION_METHOD] = user.second_factor
        session.save()


def last_code_sent_to(email):
    """The 6 digits of the last login code e-mailed to `email`."""
    for message in reversed(mail.outbox):
        if message.to == [email] and (match := CODE_IN_EMAIL.search(message.body)):
            return match.group(1)
    raise AssertionError(f"no login code was e-mailed to {email}")


def log_in_with_code(client, email, password=DEFAULT_PASSWORD, next_url=None):
    """« Se connecter » as a supplier does: the password, then the e-mailed code. The last response."""
    url = reverse("twofactor:login") + (f"?next={next_url}" if next_url else "")
    response = client.post(url, {"username": email, "password": password})
    assert response.status_code == 302 and response["Location"] == reverse("twofactor:login_code"), response
    return client.post(reverse("twofactor:login_code"), {"code": last_code_sent_to(email.lower())})
