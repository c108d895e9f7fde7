"""Dates and times follow the reader's language: one e-mail and one page per language, with the
locale's own formats (never a French pattern such as « 7 décembre 2026 à 12:44 » in English)."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import formats, timezone, translation

from mandates import services
from tests.structures.factories import MainManagerFactory

pytestmark = pytest.mark.django_db


def expected(moment, language, format_name="DATETIME_FORMAT"):
    with translation.override(language):
        return formats.date_format(timezone.localtime(moment), format_name)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_mandate_e_mail_gives_its_deadline_in_the_signatory_s_language(
    language, django_capture_on_commit_callbacks
):
    membership = MainManagerFactory(user__language=language)
    with django_capture_on_commit_callbacks(execute=True):
        mandate = services.generate_mandate(membership.structure, membership.user)
    (message,) = mail.outbox
    deadline = expected(mandate.signing_deadline, language)
    html = message.alternatives[0][0]
    assert deadline in message.body and deadline in html
    assert f'<html lang="{language}">' in html
    assert "Chorus Pro" in message.body and "Chorus Pro" in html  # the portal it leads to, named
    assert "Ce courriel est envoyé automatiquement" in message.body or language == "en"
    if language == "en":
        assert " à " not in message.body and "décembre" not in message.body.lower()
        assert f"until {deadline}." in message.body
    else:
        assert f"jusqu'au {deadline}." in message.body


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_mandate_page_gives_its_deadline_in_the_reader_s_language(client, language):
    membership = MainManagerFactory()
    mandate = services.generate_mandate(membership.structure, membership.user, notify=False)
    client.force_login(membership.user)
    client.cookies["django_language"] = language
    html = client.get(reverse("mandates:detail", args=[mandate.pk]), HTTP_ACCEPT_LANGUAGE=language)
    html = html.content.decode()
    assert expected(mandate.signing_deadline, language) in html
    if language == "en":
        assert " à " not in html.split("<main")[1].split("</main>")[0]


def test_an_invoice_status_changed_by_staff_reaches_the_supplier_in_their_language(
    django_capture_on_commit_callbacks,
):
    from invoices import services as invoices
    from tests.invoices.factories import InvoiceFactory
    from tests.onboarding.factories import SupplierFactory, UserFactory

    supplier = SupplierFactory(language="en")
    invoice = InvoiceFactory(deposited_by=supplier)
    finance = UserFactory(is_staff=True, is_superuser=True)
    with translation.override("fr"), django_capture_on_commit_callbacks(execute=True):
        invoices.change_status(invoice, invoices.Status.MADE_AVAILABLE, by=finance)
    (message,) = mail.outbox
    assert message.to == [supplier.notification_email]
    assert "Bonjour" not in message.body and "Hello" in message.body
