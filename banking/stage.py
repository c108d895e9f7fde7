"""Stage C, « Coordonnées bancaires », for the wizard and the connected home (core/stages.py).

The RIB's check is the costly part of validating the step again at the wizard's end: its result
is kept with the wizard's data when the step is posted, and reused only for the very same bytes
and IBAN (banking.rib.KnownRibCheck).
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.ratelimit import enforce_rate_limit
from core.stages import Stage, StageCard

from . import services
from .forms import BankAccountForm
from .models import BankAccount
from .rib import KnownRibCheck

BANK_STEP = "coordonnees-bancaires"
# In the wizard's storage: the RIB's check made when the step was posted.
RIB_CHECK_KEY = "rib_check"


class BankingStage(Stage):
    key = "banking"
    number = 3
    title = _("Coordonnées bancaires")
    description = _("L'IBAN, le BIC et le RIB au format PDF sur lesquels la Ville vous paiera.")
    steps = ((BANK_STEP, BankAccountForm),)

    # --- The wizard

    def form_kwargs(self, step, journey):
        return {"known_rib_check": KnownRibCheck.from_dict(journey.extra(RIB_CHECK_KEY))}

    def post(self, step, journey):
        enforce_rate_limit(journey.request, "upload")
        return None

    def step_valid(self, step, form, journey):
        if form.rib_check_done is not None:
            # Kept with the file's digest: reused at the end only for the very same bytes.
            journey.keep(RIB_CHECK_KEY, form.rib_check_done.as_dict())

    def commit(self, forms, registration):
        # A structure created by someone else at the same moment became an attachment request:
        # its bank details are its main manager's to give, not the requester's.
        if BANK_STEP in forms and registration.created:
            services.submit_bank_account(
                structure=registration.structure,
                user=registration.user,
                details=services.BankDetails.from_cleaned_data(forms[BANK_STEP].cleaned_data),
                new_structure=True,
            )

    # --- The connected home

    def home_card(self, facts):
        add = {
            "action_label": _("+ Ajouter des coordonnées bancaires"),
            "action_url": reverse("banking:add"),
        }
        if facts.structure is None:
            if facts.memberships:
                return StageCard(self, done=False, status=_("Gérées par le gestionnaire principal de votre structure"))
            return StageCard(self, done=False, status=_("À faire"))
        state = services.bank_details_state(facts.structure)
        if state.done:
            if state.change_pending:
                status = _("Validées — nouvelles coordonnées en attente de validation")
            else:
                status = _("Validées")
            return StageCard(self, done=True, status=status, **add)
        if state.status == BankAccount.Status.PENDING:
            return StageCard(self, done=False, status=_("En attente de validation par la Ville"))
        if state.status == BankAccount.Status.REJECTED:
            return StageCard(self, done=False, status=_("Rejetées : ajoutez de nouvelles coordonnées bancaires"), **add)
        return StageCard(self, done=False, status=_("À faire"), **add)


STAGE = BankingStage()
