"""Stage C, « Coordonnées bancaires », for the wizard and the connected home (core/stages.py).

The RIB's check is the costly part of validating the step again at the wizard's end: its result
is kept with the wizard's data when the step is posted, and reused only for the very same bytes
and IBAN (banking.rib.KnownRibCheck).
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.dates import local_date
from core.ratelimit import enforce_rate_limit
from core.stages import MainManagersStage, StageCard

from . import services
from .forms import BankAccountForm
from .models import BankAccount
from .rib import KnownRibCheck

BANK_STEP = "coordonnees-bancaires"
# In the wizard's storage: the RIB's check made when the step was posted.
RIB_CHECK_KEY = "rib_check"


class BankingStage(MainManagersStage):
    key = "banking"
    number = 3
    title = _("Coordonnées bancaires")
    description = _("L'IBAN, le BIC et le RIB au format PDF sur lesquels la Ville vous paiera.")
    steps = ((BANK_STEP, BankAccountForm),)

    # --- The wizard

    def form_kwargs(self, step, journey):
        return {"known_rib_check": KnownRibCheck.from_dict(journey.kept(RIB_CHECK_KEY))}

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

    requested_detail = _("Une fois votre demande de rattachement acceptée, vous verrez ici où elles en sont.")

    def manager_card(self, facts):
        state = services.bank_details_state(facts.structure)
        add = {
            "action_label": _("+ Ajouter des coordonnées bancaires"),
            "action_url": reverse("banking:add"),
        }
        pending = state.latest if state.latest is not None and state.latest.is_pending else None
        # « + Ajouter des coordonnées bancaires » is offered when none wait for the city: the
        # card says why it is not, and what comes next.
        waiting = (
            _(
                "Le RIB envoyé le %(date)s (IBAN %(iban)s) attend la validation des services financiers de la Ville : "
                "vous recevrez un courriel de leur décision. D'autres coordonnées pourront être ajoutées ensuite."
            )
            % {"date": local_date(pending.created_at), "iban": pending.iban_masked}
            if pending
            else ""
        )
        if state.done:
            if pending:
                return StageCard(
                    self,
                    done=True,
                    status=_("Validées — nouvelles coordonnées en attente de validation"),
                    detail=waiting,
                )
            return StageCard(self, done=True, status=_("Validées"), **add)
        if pending:
            return StageCard(self, done=False, status=_("En attente de validation par la Ville"), detail=waiting)
        if state.status == BankAccount.Status.REJECTED:
            return StageCard(self, done=False, status=_("Rejetées : ajoutez de nouvelles coordonnées bancaires"), **add)
        return StageCard(self, done=False, status=_("À faire"), **add)

    def member_card(self, facts):
        """A member's view: the structure's bank details, given by its main manager."""
        structure = facts.member_structure
        names = {"structure": structure.raison_sociale, "name": facts.main_manager_name}
        state = services.bank_details_state(structure)
        if state.done:
            return StageCard(
                self,
                done=True,
                status=_("Validées"),
                yours=False,
                detail=_("Les coordonnées bancaires de « %(structure)s » sont validées par la Ville.") % names,
            )
        if state.status == BankAccount.Status.PENDING:
            return StageCard(
                self,
                done=False,
                status=_("En attente de validation par la Ville"),
                yours=False,
                detail=_("Envoyées le %(date)s par le gestionnaire principal de « %(structure)s », %(name)s.")
                % {**names, "date": local_date(state.latest.created_at)},
            )
        if state.status == BankAccount.Status.REJECTED:
            status = _("Rejetées : à renvoyer par le gestionnaire principal")
        else:
            status = _("À faire par le gestionnaire principal")
        return StageCard(
            self,
            done=False,
            status=status,
            yours=False,
            detail=_("C'est le gestionnaire principal de « %(structure)s », %(name)s, qui les ajoute.") % names,
        )


STAGE = BankingStage()
