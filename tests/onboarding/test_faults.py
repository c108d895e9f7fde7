"""Faults injected while the wizard finishes: nothing lost, nothing half-created."""

import smtplib
from pathlib import Path
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.db import DatabaseError
from django.urls import reverse

from banking.models import BankAccount
from core.models import PendingEmail
from core.storage import wizard_file_storage
from mandates.models import BillingMandate
from structures.models import Structure
from tests.wizard import account_data, choose, post_bank_details, post_new_structure, post_step, step_url

pytestmark = pytest.mark.django_db

User = get_user_model()


def up_to_the_last_step(client):
    post_step(client, "compte", account_data())
    choose(client, "siret:46430577000248", identifier="46430577000248")
    post_new_structure(client, verified="46430577000248")
    post_bank_details(client)
    response = post_step(client, "mandat", {}, captcha=None)
    assert response["Location"] == step_url("fin")


def counts():
    return [m.objects.count() for m in (User, Structure, BankAccount, BillingMandate)]


def test_it_saves_the_registration_when_the_mail_server_is_down_and_sends_later(
    client, django_capture_on_commit_callbacks
):
    up_to_the_last_step(client)
    down = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
    with mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=down):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.get(step_url("fin"))
    assert response["Location"] == reverse("onboarding:registration_sent")
    assert counts() == [1, 1, 1, 1]
    html = client.get(reverse("onboarding:registration_sent")).content.decode()
    assert "notre serveur de messagerie n'a pas pu envoyer le courriel tout de suite" in html
    pending = PendingEmail.objects.get()
    assert pending.recipient == "claire.martin@menuiserie-martin.fr"
    assert "Connection unexpectedly closed" in pending.last_error
    assert mail.outbox == []

    call_command("retry_emails")
    pending.refresh_from_db()
    assert pending.sent_at is not None
    (message,) = mail.outbox
    assert "/mandats/signer/" in message.body
    assert message.alternatives[0][1] == "text/html"


def test_it_counts_the_attempts_while_the_mail_server_stays_down():
    from core.emails import build_email, deliver, retry_pending_emails
    from tests.onboarding.factories import PendingSupplierFactory

    user = PendingSupplierFactory(email="a@exemple.fr")
    message = build_email("activation", user.email, {"user": user, "activation_url": "https://x", "valid_hours": 24})
    with mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=OSError("refused")):
        assert deliver(message) is False
        assert retry_pending_emails() == (0, 1)
    assert PendingEmail.objects.get().attempts == 2
    assert retry_pending_emails() == (1, 0)


def test_it_creates_nothing_when_the_database_fails_mid_way_and_can_finish_again(client):
    up_to_the_last_step(client)
    with mock.patch("mandates.services.generate_mandate", side_effect=DatabaseError("connection lost")):
        response = client.get(step_url("fin"), follow=True)
    assert counts() == [0, 0, 0, 0]
    assert response.redirect_chain[-1][0] == step_url("mandat")
    assert "Votre inscription n&#x27;a pas pu être enregistrée" in response.content.decode()
    # Everything typed is still there: the same click finishes it now.
    response = client.get(step_url("fin"))
    assert response["Location"] == reverse("onboarding:registration_sent")
    assert counts() == [1, 1, 1, 1]


def test_it_creates_one_registration_when_the_last_step_is_finished_twice_at_once(
    client, django_capture_on_commit_callbacks
):
    from django.test import Client

    up_to_the_last_step(client)
    # A second request of the same browser that read the session before the first one ended.
    twin = Client()
    twin.cookies = client.cookies
    session_data = dict(client.session)
    # The RIB waiting in the wizard's storage, which the first one to finish removes.
    waiting = {path: path.read_bytes() for path in Path(wizard_file_storage.location).rglob("*") if path.is_file()}
    with django_capture_on_commit_callbacks(execute=True):
        first = client.get(step_url("fin"))
    assert first["Location"] == reverse("onboarding:registration_sent")
    summary = client.session["onboarding_registration"]
    session = twin.session
    session.update(session_data)
    session.save()
    # Read in sequence, the second finds the structure the first created: its step says so,
    # as to anyone typing that SIRET now (the address is not what stops it: the step never
    # tells an address is registered), and nothing more is created nor sent.
    with django_capture_on_commit_callbacks(execute=True):
        second = twin.get(step_url("fin"))
    assert second["Location"] == step_url("nouvelle-structure")
    assert counts() == [1, 1, 1, 1]
    assert len(mail.outbox) == 1
    # Had the structure been typed by someone else in between, the address registered: the
    # page the first one led to, and no e-mail (an account waiting for its activation,
    # registered a moment ago: the same wizard finishing again).
    session = twin.session
    session.update(session_data)
    session.save()
    for path, content in waiting.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    with (
        mock.patch("structures.services.existing_structure", return_value=None),
        django_capture_on_commit_callbacks(execute=True),
    ):
        second = twin.get(step_url("fin"))
    assert second["Location"] == reverse("onboarding:registration_sent")
    assert twin.session["onboarding_registration"] == summary
    assert counts() == [1, 1, 1, 1]
    assert len(mail.outbox) == 1
    # ...and when both passed validation before either committed, the database's unique
    # e-mail stops the second one, which shows the same page.
    session = twin.session
    session.update(session_data)
    session.save()
    for path, content in waiting.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    with (
        mock.patch("onboarding.services.account_with_email", return_value=None),
        mock.patch("structures.services.existing_structure", return_value=None),
        django_capture_on_commit_callbacks(execute=True),
    ):
        third = twin.get(step_url("fin"))
    assert third["Location"] == reverse("onboarding:registration_sent")
    assert twin.session["onboarding_registration"] == summary
    assert counts() == [1, 1, 1, 1]
    assert len(mail.outbox) == 1
