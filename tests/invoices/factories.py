"""Factories of invoices' models: the city's services, invoices."""

import hashlib

import factory
from django.utils import timezone

from tests.banking.factories import BankAccountFactory
from tests.structures.factories import StructureFactory


class ServiceFactory(factory.django.DjangoModelFactory):
    """A service of the city that orders; `engagement_required=True` for those that need a number."""

    class Meta:
        model = "invoices.Service"
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"SERV-{n:03d}")
    name = factory.Sequence(lambda n: f"Service {n}")
    engagement_required = False


class InvoiceFactory(factory.django.DjangoModelFactory):
    """An invoice of a structure whose bank details are validated (a tiny text PDF), « Déposée »
    unless `status` says otherwise, with the first line of its history (its deposit)."""

    class Meta:
        model = "invoices.Invoice"
        skip_postgeneration_save = True

    structure = factory.SubFactory(StructureFactory)
    number = factory.Sequence(lambda n: f"F-2026-{n:04d}")
    issue_date = factory.LazyFunction(lambda: timezone.localdate())
    amount_excl_tax = "1000.00"
    vat_amount = "200.00"
    amount_incl_tax = "1200.00"
    service = factory.SubFactory(ServiceFactory)
    bank_account = factory.SubFactory(
        BankAccountFactory, structure=factory.SelfAttribute("..structure"), validated=True
    )
    file = factory.django.FileField(filename="facture.pdf", data=factory.LazyFunction(lambda: _invoice_pdf()))
    original_name = "facture.pdf"
    sha256 = factory.LazyAttribute(lambda invoice: _sha256(invoice.number))
    source = "deposee"
    status = "deposee"
    status_changed_at = factory.LazyFunction(timezone.now)
    deposited_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def history(invoice, create, extracted, **kwargs):
        if create:
            invoice.status_changes.create(
                from_status="",
                to_status="deposee",
                changed_at=invoice.deposited_at,
                changed_by=invoice.deposited_by,
                source="depot",
            )


def _invoice_pdf():
    from tests.invoices.pdfs import plain_pdf

    return plain_pdf()


def _sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
