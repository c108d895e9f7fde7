import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from mandates.models import BillingMandate
from tests.mandates.factories import BillingMandateFactory

pytestmark = pytest.mark.django_db


def test_it_allows_one_generated_or_signed_mandate_per_structure(structure, manager):
    BillingMandateFactory(structure=structure, signatory=manager)
    for status in ("genere", "signe"):
        with pytest.raises(IntegrityError), transaction.atomic():
            BillingMandateFactory(structure=structure, signatory=manager, signed=status == "signe")
    assert BillingMandate.objects.count() == 1


def test_it_keeps_any_number_of_cancelled_and_expired_mandates(structure, manager):
    BillingMandateFactory(structure=structure, signatory=manager, cancelled=True)
    BillingMandateFactory(structure=structure, signatory=manager, cancelled=True)
    BillingMandateFactory(structure=structure, signatory=manager, status="expire", expired_at=timezone.now())
    BillingMandateFactory(structure=structure, signatory=manager, signed=True)
    assert BillingMandate.objects.count() == 4


def test_it_refuses_a_signed_mandate_without_its_evidence(structure, manager):
    mandate = BillingMandateFactory(structure=structure, signatory=manager)
    with pytest.raises(IntegrityError), transaction.atomic():
        BillingMandate.objects.filter(pk=mandate.pk).update(status="signe", signed_at=timezone.now())


def test_it_refuses_a_cancelled_mandate_without_its_date(structure, manager):
    mandate = BillingMandateFactory(structure=structure, signatory=manager)
    with pytest.raises(IntegrityError), transaction.atomic():
        BillingMandate.objects.filter(pk=mandate.pk).update(status="annule")


def test_it_names_a_mandate_by_its_reference(structure, manager):
    mandate = BillingMandateFactory(structure=structure, signatory=manager)
    assert mandate.reference == f"M-{mandate.pk:06d}"
    assert str(mandate) == f"M-{mandate.pk:06d} — Menuiserie Martin (Généré)"
