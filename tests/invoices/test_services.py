from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from invoices.services import Missing, can_deposit, deposit_access
from tests.mandates.factories import BillingMandateFactory
from tests.onboarding.factories import SupplierFactory
from tests.structures.factories import MainManagerFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def test_it_opens_deposit_to_members_of_a_structure_with_a_signed_mandate(django_assert_num_queries):
    mandate = BillingMandateFactory(signed=True)
    member = MembershipFactory(structure=mandate.structure).user
    for user in (mandate.signatory, member):
        with django_assert_num_queries(2):
            access = deposit_access(user)
        assert access.allowed and access.structures == [mandate.structure]
        assert can_deposit(user)


def test_it_lists_only_the_structures_with_a_signed_mandate():
    manager = MainManagerFactory(structure__raison_sociale="A").user
    signed = BillingMandateFactory(signed=True, structure__raison_sociale="B", signatory=manager).structure
    assert deposit_access(manager).structures == [signed]


@pytest.mark.parametrize(
    "traits, missing",
    [
        (None, Missing.MANDATE_MISSING),
        ({}, Missing.MANDATE_PENDING),
        ({"cancelled": True}, Missing.MANDATE_CANCELLED),
        ({"status": "expire", "expired_at": timezone.now()}, Missing.MANDATE_EXPIRED),
        ({"generated_at": timezone.now() - timedelta(days=8)}, Missing.MANDATE_EXPIRED),
    ],
)
def test_it_says_what_is_missing(traits, missing):
    membership = MainManagerFactory()
    if traits is not None:
        BillingMandateFactory(structure=membership.structure, signatory=membership.user, **traits)
    access = deposit_access(membership.user)
    assert not access.allowed and not can_deposit(membership.user)
    assert (access.missing, access.structure, access.is_main_manager) == (missing, membership.structure, True)


def test_it_prefers_the_mandate_in_progress_over_an_older_cancelled_one():
    membership = MainManagerFactory()
    BillingMandateFactory(
        structure=membership.structure,
        signatory=membership.user,
        cancelled=True,
        generated_at=timezone.now() - timedelta(days=1),
    )
    BillingMandateFactory(structure=membership.structure, signatory=membership.user)
    assert deposit_access(membership.user).missing == Missing.MANDATE_PENDING


def test_it_refuses_users_without_a_structure():
    assert deposit_access(SupplierFactory()).missing == Missing.NO_STRUCTURE
    assert not can_deposit(AnonymousUser())
