import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from banking.models import BankAccount
from tests.banking.factories import BankAccountFactory
from tests.structures.factories import StructureFactory

pytestmark = pytest.mark.django_db


def test_it_stores_the_rib_under_a_random_name_in_the_private_storage(private_media):
    account = BankAccountFactory(rib_original_name="RIB Menuiserie Martin.pdf")
    assert account.rib_file.name.startswith("rib/") and account.rib_file.name.endswith(".pdf")
    assert "Martin" not in account.rib_file.name
    assert (private_media / account.rib_file.name).read_bytes().startswith(b"%PDF-")


def test_it_names_itself_with_a_masked_iban():
    account = BankAccountFactory.build(account_name="Compte principal")
    assert str(account) == "Compte principal (FR76 **** **** **** **** ***0 189)"
    assert account.iban_grouped == "FR76 3000 6000 0112 3456 7890 189"


def test_it_keeps_one_account_in_use_per_structure_but_any_number_waiting():
    structure = StructureFactory()
    BankAccountFactory(structure=structure, validated=True)
    BankAccountFactory(structure=structure)
    BankAccountFactory(structure=structure)
    BankAccountFactory(
        structure=structure, status="remplacees", reviewed_at=timezone.now(), superseded_at=timezone.now()
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        BankAccountFactory(structure=structure, validated=True)


def test_it_refuses_a_rejection_without_reason():
    with pytest.raises(IntegrityError), transaction.atomic():
        BankAccountFactory(rejected=True, rejection_reason="")


def test_it_refuses_a_replaced_account_without_its_date():
    with pytest.raises(IntegrityError), transaction.atomic():
        BankAccountFactory(status="remplacees", reviewed_at=timezone.now())


def test_it_keeps_a_history_of_every_change():
    account = BankAccountFactory()
    account.status = BankAccount.Status.VALIDATED
    account.reviewed_at = timezone.now()
    account.save()
    assert [record.status for record in account.history.order_by("history_date")] == ["en_attente", "validees"]
