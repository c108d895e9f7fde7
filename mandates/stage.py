"""Stage D, « Souscription d'un mandat de facturation », for the wizard and the connected home
(core/stages.py).

One step with nothing to type: the « Structure » and « Signataire » blocks, read only, from what
the earlier stages know; « Générer » ends the wizard. The mandate's e-mailed signing link also
activates a new account: the account stage then sends no link of its own.
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.dates import local_date
from core.stages import MainManagersStage, StageCard

from . import services
from .forms import MandateGenerationForm, mandate_blocks

MANDATE_STEP = "mandat"


class MandateStage(MainManagersStage):
    key = "mandate"
    number = 4
    title = _("Souscription d'un mandat de facturation")
    description = _("Le mandat signé en ligne qui ouvre le dépôt de vos factures.")
    steps = ((MANDATE_STEP, MandateGenerationForm),)

    # --- The wizard

    def context(self, step, form, journey):
        facts = journey.facts(before=self)
        structure, person = facts.get("structure_details"), facts.get("person")
        return {"blocks": mandate_blocks(structure, person) if structure and person else []}

    def commit(self, forms, registration):
        if MANDATE_STEP in forms and registration.created:
            services.generate_mandate(registration.structure, registration.user, new_structure=True)
            registration.activation_link_sent = not registration.user.is_active

    def describe(self, forms, registration):
        if MANDATE_STEP in forms and registration.created:
            registration.activation_link_sent = True  # a new account's would have been

    # --- The connected home

    requested_detail = _("Une fois votre demande de rattachement acceptée, vous verrez ici où il en est.")

    def manager_card(self, facts):
        state = services.mandate_state(facts.structure)
        facts.mandate_signed = state.done
        if state.mandate is not None and (state.done or state.is_generated):
            status = (
                _("Terminée : mandat signé") if state.done else _("Généré : à signer depuis le lien reçu par courriel")
            )
            return StageCard(
                self,
                done=state.done,
                status=status,
                action_label=_("Voir le mandat"),
                action_url=reverse("mandates:detail", args=[state.mandate.pk]),
            )
        return StageCard(
            self,
            done=False,
            status=_("À faire") if state.status is None else _("Mandat annulé ou expiré : à souscrire de nouveau"),
            action_label=_("+ Souscrire un mandat de facturation"),
            action_url=reverse("mandates:subscribe") + f"?structure={facts.structure.pk}",
        )

    def member_card(self, facts):
        """A member's view: the structure's mandate, subscribed and signed by its main manager."""
        structure = facts.member_structure
        state = services.mandate_state(structure)
        facts.mandate_signed = state.done
        names = {"structure": structure.raison_sociale, "name": facts.main_manager_name}
        if state.mandate is not None and state.done:
            return StageCard(
                self,
                done=True,
                status=_("Terminée : mandat signé"),
                yours=False,
                detail=_("Signé le %(date)s par %(signatory)s.")
                % {"date": local_date(state.mandate.signed_at), "signatory": state.mandate.signatory.get_full_name()},
                action_label=_("Voir le mandat"),
                action_url=reverse("mandates:detail", args=[state.mandate.pk]),
            )
        if state.mandate is not None and state.is_generated:
            return StageCard(
                self,
                done=False,
                status=_("Généré : à signer par le gestionnaire principal"),
                yours=False,
                detail=_("Le lien pour le signer a été envoyé à %(signatory)s.")
                % {"signatory": state.mandate.signatory.get_full_name()},
            )
        return StageCard(
            self,
            done=False,
            status=_("À souscrire par le gestionnaire principal"),
            yours=False,
            detail=_("C'est le gestionnaire principal de « %(structure)s », %(name)s, qui le souscrit et le signe.")
            % names,
        )


STAGE = MandateStage()
