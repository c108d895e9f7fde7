"""Factories of banking's models: bank details and their RIB."""

import factory
from django.utils import timezone

from tests.onboarding.factories import SupplierFactory
from tests.structures.factories import StructureFactory


class BankAccountFactory(factory.django.DjangoModelFactory):
    """Pending bank details with the RIB of tests/banking/pdfs.py (IBAN found in it).

    `BankAccountFactory(validated=True)` / `(rejected=True)` for reviewed ones.
    """

    class Meta:
        model = "banking.BankAccount"

    class Params:
        validated = factory.Trait(status="validees", reviewed_at=factory.LazyFunction(timezone.now))
        rejected = factory.Trait(
            status="rejetees", reviewed_at=factory.LazyFunction(timezone.now), rejection_reason="RIB illisible."
        )

    structure = factory.SubFactory(StructureFactory)
    account_name = "Compte principal"
    country_code = "FR"
    iban = "FR7630006000011234567890189"
    bic = "AGRIFRPP881"
    rib_file = factory.django.FileField(filename="rib.pdf", data=factory.LazyFunction(lambda: _rib_pdf()))
    rib_original_name = "rib.pdf"
    rib_check_status = "iban_found"
    rib_found_ibans = factory.LazyAttribute(lambda account: [account.iban])
    contact_email = factory.LazyAttribute(
        lambda account: account.created_by.notification_email if account.created_by else ""
    )
    created_by = factory.SubFactory(SupplierFactory)


def _rib_pdf():
    from tests.banking.pdfs import rib_pdf

    return rib_pdf()
