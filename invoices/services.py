"""What the signed billing mandate unlocks: depositing invoices (« + Déposer une facture »).

A user may deposit invoices for the structures they belong to whose mandate is signed. When
there is none, `deposit_access` says what is missing, for one structure, so that the refusal
page can link to the step that fixes it.
"""

from dataclasses import dataclass, field

from mandates.models import BillingMandate
from mandates.services import MandateStatus, state_of
from structures.models import Membership


class Missing:
    do_not_call_in_templates = True  # the template reads the constants

    NO_STRUCTURE = "no_structure"
    MANDATE_MISSING = "mandate_missing"
    MANDATE_PENDING = "mandate_pending"
    MANDATE_CANCELLED = "mandate_cancelled"
    MANDATE_EXPIRED = "mandate_expired"


_MISSING_OF = {
    MandateStatus.NONE: Missing.MANDATE_MISSING,
    MandateStatus.GENERATED: Missing.MANDATE_PENDING,
    MandateStatus.CANCELLED: Missing.MANDATE_CANCELLED,
    MandateStatus.EXPIRED: Missing.MANDATE_EXPIRED,
}


@dataclass(frozen=True)
class DepositAccess:
    """`structures`: those the user may deposit invoices for. Otherwise `missing` says why,
    for `structure` (the user's first one they manage, else their first one)."""

    structures: list = field(default_factory=list)
    missing: str = ""
    structure: object = None
    mandate: BillingMandate | None = None
    is_main_manager: bool = False

    @property
    def allowed(self):
        return bool(self.structures)


def deposit_access(user):
    """Two queries: the user's memberships, and their structures' mandates."""
    memberships = list(
        Membership.objects.filter(user=user).select_related("structure").order_by("structure__raison_sociale")
    )
    if not memberships:
        return DepositAccess(missing=Missing.NO_STRUCTURE)
    latest = {}
    mandates = BillingMandate.objects.filter(structure__in=[m.structure_id for m in memberships]).select_related(
        "signatory"
    )
    for mandate in mandates.order_by("generated_at", "pk"):
        current = latest.get(mandate.structure_id)
        # The one in progress or in force wins over later cancelled or expired ones.
        if current is None or not (current.is_signed or current.is_generated):
            latest[mandate.structure_id] = mandate
    states = {m.structure_id: state_of(latest.get(m.structure_id)) for m in memberships}
    signed = [m.structure for m in memberships if states[m.structure_id].done]
    if signed:
        return DepositAccess(structures=signed)
    managed = [m for m in memberships if m.role == Membership.Role.MAIN_MANAGER]
    membership = (managed or memberships)[0]
    state = states[membership.structure_id]
    return DepositAccess(
        missing=_MISSING_OF[state.status],
        structure=membership.structure,
        mandate=state.mandate,
        is_main_manager=membership.role == Membership.Role.MAIN_MANAGER,
    )


def can_deposit(user):
    """Whether « + Déposer une facture » applies: a structure of `user` has a signed mandate."""
    return user.is_authenticated and deposit_access(user).allowed


def can_deposit_for(structure_ids):
    """The same answer as can_deposit(), for structures already loaded: one query, none without any."""
    if not structure_ids:
        return False
    return BillingMandate.objects.filter(structure_id__in=structure_ids, status=BillingMandate.Status.SIGNED).exists()
