"""Stage B, « Rattachement à une structure », for the wizard and the connected home (core/stages.py).

Two steps: the search (join a structure found, or « + Saisir une nouvelle structure ») and the
new structure, pre-filled from the INSEE directory. Joining an existing structure ends the
wizard: its bank details and mandate are its main manager's.
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.ratelimit import enforce_rate_limit
from core.stages import Stage, StageCard

from . import services
from .forms import (
    CANCEL,
    CHANGE_IDENTIFIER,
    JOIN_EXISTING,
    NEW_STRUCTURE,
    NewStructureForm,
    StructureSearchForm,
    wants_new_structure,
)

SEARCH_STEP = "structure"
NEW_STRUCTURE_STEP = "nouvelle-structure"
# The search button of the first step (the results come on the same page).
SEARCH = "rechercher"
# In the wizard's storage: the INSEE directory's answers, by SIRET (a few at most).
DIRECTORY_KEY = "directory"
DIRECTORY_ANSWERS_KEPT = 5


class WizardDirectory:
    """The directory, as the new structure's form asks it within a wizard: each SIRET is looked
    up once, and its answer kept with the wizard's data (an outage is not kept: asked again)."""

    def __init__(self, journey):
        self.journey = journey

    def __call__(self, siret):
        answers = self.journey.kept(DIRECTORY_KEY) or {}
        kept = services.DirectoryAnswer.from_dict(answers.get(siret)) if isinstance(answers, dict) else None
        if kept is not None and kept.siret == siret:
            return kept
        answer = services.look_up_siret(siret)
        if answer.outcome != answer.UNAVAILABLE:
            others = [(key, value) for key, value in (answers or {}).items() if key != siret]
            kept_answers = dict(others[-(DIRECTORY_ANSWERS_KEPT - 1) :])
            self.journey.keep(DIRECTORY_KEY, {**kept_answers, siret: answer.as_dict()})
        return answer


def new_structure_context(form):
    """Once the directory's values are shown: whether the structure is on Chorus Pro already."""
    siret = form["verified"].value()
    return {"on_portal": services.on_portal(siret) if siret else None}


class StructureStage(Stage):
    key = "structure"
    number = 2
    title = _("Rattachement à une structure")
    description = _("Votre entreprise, association ou activité, retrouvée par son SIRET.")
    steps = ((SEARCH_STEP, StructureSearchForm), (NEW_STRUCTURE_STEP, NewStructureForm))

    # --- The wizard

    def creates_structure(self, journey):
        return wants_new_structure(journey.cleaned_data(SEARCH_STEP) or {})

    def step_applies(self, step, journey):
        return step != NEW_STRUCTURE_STEP or self.creates_structure(journey)

    def ends_wizard(self, journey):
        return not self.creates_structure(journey)

    def form_kwargs(self, step, journey):
        if step == SEARCH_STEP:
            return {"user": journey.request.user}
        return {"directory": WizardDirectory(journey)}

    def form_initial(self, step, journey):
        if step == NEW_STRUCTURE_STEP:
            search = journey.cleaned_data(SEARCH_STEP) or {}
            if search.get("siret"):  # « Créer cette structure » on a result of the directory
                return {"has_siret": NewStructureForm.HAS_SIRET, "identifier": search["siret"]}
            if search.get("choice") == NEW_STRUCTURE and search.get("identifier"):
                # « + Saisir une nouvelle structure » after a search by identifier: carried over.
                return NewStructureForm.initial_for(search["identifier_type"], search["identifier"])
        return {}

    def post(self, step, journey):
        request = journey.request
        if step == SEARCH_STEP and SEARCH in request.POST:
            enforce_rate_limit(request, "directory-search")
            form = journey.form(data=request.POST)
            form.searching = True
            return journey.render(form)
        if step == SEARCH_STEP:
            form = journey.form(data=request.POST)
            if form.needs_join_confirmation(request.POST):
                # What will happen, who decides, and that the wizard ends there: then « Confirmer ».
                form.confirming = True
                return journey.render(form)
        if step == NEW_STRUCTURE_STEP:
            if CANCEL in request.POST:
                # « Annuler »: the new structure is left; the search is as it was.
                journey.set_step_data(NEW_STRUCTURE_STEP, None)
                return journey.goto(SEARCH_STEP)
            if JOIN_EXISTING in request.POST:
                response = self._join_instead(request.POST[JOIN_EXISTING], journey)
                if response is not None:
                    return response
            form = journey.form(data=request.POST)
            if CHANGE_IDENTIFIER in request.POST:
                return journey.render(form.identification_form())
            enforce_rate_limit(request, "directory-search")
            page = form.next_page()
            if page is not None and page is not form:
                # « Étape suivante »: the blocks, pre-filled from INSEE, before « Enregistrer ».
                return journey.render(page)
        return None

    def _join_instead(self, structure_pk, journey):
        """« Demander un rattachement » on the new structure's page, when the structure exists:
        the search step now chooses it, as a search by its identifier would, and the wizard
        ends (every step is validated again on the way: an unknown structure sends the supplier
        back to the search with its message)."""
        form = journey.form(data=journey.request.POST)
        form.is_valid()
        if form.existing is None or str(form.existing.pk) != structure_pk:
            return None  # a stale or tampered button: the page shows the form's own errors
        prefix = journey.form_prefix(SEARCH_STEP)
        journey.set_step_data(SEARCH_STEP, StructureSearchForm.data_to_join(prefix, form.existing))
        journey.set_step_data(NEW_STRUCTURE_STEP, None)
        return journey.finish()

    def context(self, step, form, journey):
        if step == SEARCH_STEP:
            if getattr(form, "confirming", False):
                return {"ends_here": True, "registering": not journey.request.user.is_authenticated}
            return {"search": form.search_outcome(), "export_query": form.export_query()}
        return new_structure_context(form)

    def facts(self, journey):
        if not self.creates_structure(journey):
            return {}
        data = journey.cleaned_data(NEW_STRUCTURE_STEP)
        if data is None:
            return {}
        return {"structure_details": services.StructureDetails.from_cleaned_data(data)}

    def commit(self, forms, registration):
        if NEW_STRUCTURE_STEP in forms:
            details = services.StructureDetails.from_cleaned_data(forms[NEW_STRUCTURE_STEP].cleaned_data)
            outcome = services.create_structure(registration.user, details)
        else:
            outcome = services.join_structure(registration.user, forms[SEARCH_STEP].cleaned_data["structure"])
        registration.structure = outcome.structure
        registration.created = outcome.created
        registration.request = outcome.request
        registration.requested = outcome.request is not None

    def describe(self, forms, registration):
        if NEW_STRUCTURE_STEP in forms:
            details = services.StructureDetails.from_cleaned_data(forms[NEW_STRUCTURE_STEP].cleaned_data)
            registration.structure, registration.created = details, True
        else:
            registration.structure, registration.requested = forms[SEARCH_STEP].cleaned_data["structure"], True

    # --- The connected home

    def home_card(self, facts):
        board = services.dashboard(facts.user)
        facts.dashboard = board
        facts.memberships = board.memberships
        managed = board.managed_structures
        facts.structure = managed[0] if managed else None
        if facts.structure is None and board.memberships:
            # Stages C and D are its main manager's: the home shows where the structure stands.
            facts.member_structure = board.memberships[0].structure
            facts.main_manager = facts.member_structure.main_manager
        request_one = {
            "action_label": _("+ Demander un rattachement"),
            "action_url": reverse("structures:request_attachment"),
        }
        if board.memberships:
            return StageCard(self, done=True, status=_("Terminée"), **request_one)
        if board.pending_requests:
            return StageCard(self, done=False, status=_("En attente de la décision du gestionnaire principal"))
        return StageCard(self, done=False, status=_("À faire"), **request_one)


STAGE = StructureStage()
