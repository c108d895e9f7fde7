"""The four stages of the procedure, as the supplier sees them.

Each stage knows its title and whether it is done for a given user; the connected home and
the wizard's step indicator both read this list, so they can never disagree. The stage apps
fill in `is_done` / actions as they arrive.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Stage:
    key: str
    number: int
    title: str
    description: str


STAGES = [
    Stage(
        "compte",
        1,
        _("Création de votre compte"),
        _("Votre adresse électronique de connexion, vos coordonnées et votre mot de passe."),
    ),
    Stage(
        "structure",
        2,
        _("Rattachement à une structure"),
        _("Votre entreprise, association ou activité, retrouvée par son SIRET."),
    ),
    Stage(
        "banque",
        3,
        _("Coordonnées bancaires"),
        _("L'IBAN, le BIC et le RIB au format PDF sur lesquels la Ville vous paiera."),
    ),
    Stage(
        "mandat",
        4,
        _("Souscription d'un mandat de facturation"),
        _("Le mandat signé en ligne qui ouvre le dépôt de vos factures."),
    ),
]


@dataclass(frozen=True)
class StageState:
    stage: Stage
    done: bool
    status: str
    action_label: str = ""
    action_url: str = ""


def stage_states(user, dashboard, bank_state=None, mandate_state=None, structure=None):
    """Where `user` stands in the procedure, stage by stage, in the procedure's order.

    `dashboard` is the structures app's view of the user (structures, requests);
    `bank_state` and `mandate_state` the banking and mandates apps' views of `structure`, the
    first structure the user manages.
    """
    from django.urls import reverse

    account_stage, structure_stage, bank_stage, mandate_stage = STAGES
    states = [StageState(account_stage, done=True, status=_("Terminée"))]
    if dashboard.memberships:
        states.append(
            StageState(
                structure_stage,
                done=True,
                status=_("Terminée"),
                action_label=_("+ Demander un rattachement"),
                action_url=reverse("structures:request_attachment"),
            )
        )
    elif dashboard.pending_requests:
        states.append(
            StageState(
                structure_stage,
                done=False,
                status=_("En attente de la décision du gestionnaire principal"),
            )
        )
    else:
        states.append(
            StageState(
                structure_stage,
                done=False,
                status=_("À faire"),
                action_label=_("+ Demander un rattachement"),
                action_url=reverse("structures:request_attachment"),
            )
        )
    states.append(_bank_stage(bank_stage, dashboard, bank_state))
    states.append(_mandate_stage(mandate_stage, dashboard, mandate_state, structure))
    return states


def _bank_stage(stage, dashboard, bank_state):
    from django.urls import reverse

    add = {"action_label": _("+ Ajouter des coordonnées bancaires"), "action_url": reverse("banking:add")}
    if bank_state is None:
        if dashboard.memberships:
            return StageState(stage, done=False, status=_("Gérées par le gestionnaire principal de votre structure"))
        return StageState(stage, done=False, status=_("À faire"))
    if bank_state.done:
        status = (
            _("Validées — nouvelles coordonnées en attente de validation")
            if bank_state.change_pending
            else _("Validées")
        )
        return StageState(stage, done=True, status=status, **add)
    if bank_state.status == "pending":
        return StageState(stage, done=False, status=_("En attente de validation par la Ville"))
    if bank_state.status == "rejected":
        return StageState(stage, done=False, status=_("Rejetées : ajoutez de nouvelles coordonnées bancaires"), **add)
    return StageState(stage, done=False, status=_("À faire"), **add)


def _mandate_stage(stage, dashboard, mandate_state, structure):
    from django.urls import reverse

    if mandate_state is None:
        if dashboard.memberships:
            return StageState(stage, done=False, status=_("Souscrit par le gestionnaire principal de votre structure"))
        return StageState(stage, done=False, status=_("À faire"))
    if mandate_state.done:
        return StageState(
            stage,
            done=True,
            status=_("Terminée : mandat signé"),
            action_label=_("Voir le mandat"),
            action_url=reverse("mandates:detail", args=[mandate_state.mandate.pk]),
        )
    if mandate_state.status == "generated":
        return StageState(
            stage,
            done=False,
            status=_("Généré : à signer depuis le lien reçu par courriel"),
            action_label=_("Voir le mandat"),
            action_url=reverse("mandates:detail", args=[mandate_state.mandate.pk]),
        )
    return StageState(
        stage,
        done=False,
        status=_("À faire")
        if mandate_state.status == "none"
        else _("Mandat annulé ou expiré : à souscrire de nouveau"),
        action_label=_("+ Souscrire un mandat de facturation"),
        action_url=reverse("mandates:subscribe") + f"?structure={structure.pk}",
    )
