"""One e-mail per event and per address: no one receives two messages in the same second for
the same thing (the RIB change's case is tests/banking/test_services.py's). The attachment
e-mails end with the « ne répondez pas » line the others have."""

from collections import Counter

import pytest
from django.core import mail

from mandates import services as mandates
from structures import services as structures
from structures.models import AttachmentRequest
from tests.mandates.factories import BillingMandateFactory
from tests.onboarding.factories import SupplierFactory
from tests.structures.factories import MainManagerFactory, MembershipFactory

pytestmark = pytest.mark.django_db

NO_REPLY = "Ce courriel est envoyé automatiquement : n'y répondez pas. Une question ? fournisseurs@grenoble.fr"


def assert_one_each():
    counts = Counter(address for message in mail.outbox for address in message.to)
    assert counts and max(counts.values()) == 1, counts


def test_signing_a_mandate_sends_one_e_mail(django_capture_on_commit_callbacks):
    mandate = BillingMandateFactory()
    with django_capture_on_commit_callbacks(execute=True):
        mandates.sign_mandate(mandate, user=mandate.signatory, ip="203.0.113.7", user_agent="Firefox")
    assert_one_each()
    assert len(mail.outbox) == 1


def test_with_a_contact_address_the_connection_address_is_told_once_too(django_capture_on_commit_callbacks):
    """The signed PDF goes to the contact address; the connection address (the one a stolen
    session cannot change silently) gets the security notice: two addresses, one each."""
    mandate = BillingMandateFactory()
    mandate.signatory.profile.contact_email = "compta@exemple.fr"
    mandate.signatory.profile.save()
    with django_capture_on_commit_callbacks(execute=True):
        mandates.sign_mandate(mandate, user=mandate.signatory, ip="203.0.113.7", user_agent="Firefox")
    assert_one_each()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(["compta@exemple.fr", mandate.signatory.email])


def test_an_attachment_request_and_its_decision_send_one_e_mail_each(django_capture_on_commit_callbacks):
    manager = MainManagerFactory(user__email="gerant@exemple.fr")
    requester = SupplierFactory(email="demandeur@exemple.fr")
    with django_capture_on_commit_callbacks(execute=True):
        request = structures.request_attachment(requester, manager.structure)
    assert_one_each()
    (asked,) = mail.outbox
    assert asked.to == ["gerant@exemple.fr"] and NO_REPLY in asked.body
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        structures.accept_request(request, by=manager.user)
    assert_one_each()
    (decided,) = mail.outbox
    assert decided.to == ["demandeur@exemple.fr"] and NO_REPLY in decided.body
    assert AttachmentRequest.objects.get().is_accepted


def test_handing_over_the_main_manager_role_tells_each_person_once(django_capture_on_commit_callbacks):
    manager = MainManagerFactory()
    member = MembershipFactory(structure=manager.structure).user
    with django_capture_on_commit_callbacks(execute=True):
        structures.hand_over_main_manager(manager.structure, by=manager.user, to=member)
    assert_one_each()
    assert len(mail.outbox) == 2
