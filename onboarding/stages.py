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


def stage_states(user):
    """Where `user` stands in the procedure, stage by stage, in the procedure's order."""
    states = []
    for stage in STAGES:
        if stage.key == "compte":
            states.append(StageState(stage, done=True, status=_("Terminée")))
        else:
            states.append(StageState(stage, done=False, status=_("À faire")))
    return states
