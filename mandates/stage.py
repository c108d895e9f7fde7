"""Stage D, « Souscription d'un mandat de facturation », for the wizard and the connected home
(core/stages.py).

One step with nothing to type: the « Structure » and « Signataire » blocks, read only, from what
the earlier stages know; « Générer » ends the wizard. The mandate's e-mailed signing link also
activates a new account: the account stage then sends no link of its own.
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.stages import Stage, StageCard

from . import services
from .forms import MandateGenerationForm, mandate_blocks

MANDATE_STEP = "mandat"


class MandateStage(Stage):
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

    def home_card(self, facts):
        if facts.structure is None:
            if facts.memberships:
                return StageCard(
                    self, done=False, status=_("Souscrit par le gestionnaire principal de votre structure")
                )
            return StageCard(self, done=False, status=_("À faire"))
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


STAGE = MandateStage()
