"""The step protocol: what each stage app tells the wizard and the connected home of its stage.

In the spirit of pretix's checkout steps. Each stage of the procedure (the account, the
structure, the bank details, the mandate) is a `Stage` defined in its own app (`<app>/stage.py`)
and listed once, in the procedure's order, by onboarding/stages.py. The wizard and the connected
home only loop over that list: they know no stage's forms' insides, models or services.

A stage tells:
- the wizard: its steps (name in the URL, form class), whether a step applies, its form's
  arguments and initial values, what a button of its own does (search, new captcha…) and what
  a GET of its step shows, what it keeps once a step is valid, what its template needs, what
  it knows for the later stages (`facts`), whether it ends the wizard, how it commits what the
  wizard gathered, and how it describes it without creating anything (`describe`: the address
  typed is registered already, and the page must not tell);
- the connected home: its card (done or not, where it stands, the next action).
"""

from dataclasses import dataclass, field
from typing import Any, Protocol

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Person:
    """Who goes through the wizard, before an account exists: what the account step gave."""

    email: str
    last_name: str
    first_name: str

    def get_full_name(self):
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(frozen=True)
class StageCard:
    """A stage on the connected home: done or not, where it stands, the next action if any."""

    stage: "Stage"
    done: bool
    status: str
    action_label: str = ""
    action_url: str = ""
    detail: str = ""  # a sentence: what the status means, what happens next, who acts
    yours: bool = True  # False: the structure's state, another person acts (its main manager)


@dataclass
class HomeFacts:
    """What the connected home learned of the user so far, stage by stage, in order."""

    user: Any
    memberships: list = field(default_factory=list)  # the user's Membership rows, with their structure
    structure: Any = None  # the first structure the user is the main manager of
    # Without one: the first structure the user is a member of, and its main manager (who acts).
    member_structure: Any = None
    main_manager: Any = None
    dashboard: Any = None  # structures.services.Dashboard: requests to decide, pending ones
    mandate_signed: bool = False  # the current mandate of `structure` is signed

    @property
    def main_manager_name(self):
        """Who acts for `member_structure`: its main manager, or the city's finance staff."""
        if self.main_manager is None:
            return _("la direction des finances de la Ville")
        return self.main_manager.get_full_name()


@dataclass
class Registration:
    """What the wizard's end created so far, stage by stage, inside its one transaction.

    When the address typed in the account step belongs to an account already, nothing is
    created: `existing_account` is that account, its owner is told by e-mail, and the stages
    only `describe` what they would have done, so that the visitor sees the very page a new
    registration shows (the wizard never tells whether an address is registered).
    """

    user: Any = None  # the user logged in, or the account registered by the account stage
    new_account: bool = False  # the account stage registered `user` in this transaction
    existing_account: Any = None  # or the account the typed address already belongs to
    # The structure created or joined; when nothing is created, what it would have been (a
    # structure found, or the new one's details: anything with a `raison_sociale`).
    structure: Any = None
    created: bool = False  # the structure was created: its main manager goes on with the next stages
    request: Any = None  # or an attachment request to join it
    requested: bool = False  # an attachment request was made (or would have been)
    # An e-mailed link that also activates a new account is on its way (the mandate's): the
    # account stage then sends no activation link of its own.
    activation_link_sent: bool = False


class Journey(Protocol):
    """What the wizard offers the stages (onboarding/wizard.py implements it)."""

    request: Any

    def cleaned_data(self, step) -> dict | None:
        """A step's stored data, validated (None when the step was not done or is invalid)."""

    def facts(self, before) -> dict:
        """What the stages before `before` know (each stage's `facts`), merged."""

    def step_data(self, step) -> dict | None:
        """A step's stored data, as posted (None when nothing is stored)."""

    def checks_stored_data(self) -> bool:
        """Whether the form being built checks a step's data stored at an earlier request (the
        end's revalidation, a later step reading it), rather than what the browser posts now or
        an empty form to show."""

    def kept(self, key):
        """A value a stage kept in the wizard's storage (None when none)."""

    def keep(self, key, value):
        """Keep a value in the wizard's storage until it ends."""

    def set_step_data(self, step, data):
        """Replace a step's stored data, as a browser would have posted it (or None)."""

    def form_prefix(self, step) -> str: ...

    def form(self, data=None, files=None):
        """The current step's form, bound to `data` when given."""

    def render(self, form):
        """The current step's page showing `form`."""

    def finish(self):
        """Go to the wizard's end: every step is validated again, then committed."""

    def goto(self, step):
        """Go to another step (« Annuler » of a stage's own)."""


class Stage:
    """One stage of the procedure. Subclasses override what applies to them."""

    key = ""  # the stage's one name in code and templates: account, structure, banking, mandate
    number = 0
    title = ""
    description = ""
    steps: tuple = ()  # ((step name, form class), …) in the wizard's order

    # --- The wizard --------------------------------------------------------------------------

    def step_applies(self, step, journey):
        return True

    def ends_wizard(self, journey):
        """Whether the wizard stops after this stage (joining an existing structure does)."""
        return False

    def form_kwargs(self, step, journey):
        return {}

    def form_initial(self, step, journey):
        return {}

    def get(self, step, journey):
        """A GET of one of this stage's steps, now the current step: a response of its own (the
        account's page shown again with a new captcha), or None for the wizard's page."""
        return None

    def post(self, step, journey):
        """A POST to one of this stage's steps, before the wizard validates it: a response for a
        button of the stage's own (search, new captcha…), or None to go on."""
        return None

    def step_valid(self, step, form, journey):
        """The step was posted and is valid: keep what the end will need (journey.keep)."""

    def context(self, step, form, journey):
        return {}

    def facts(self, journey):
        """What this stage knows for the later ones (e.g. the person, the structure's details)."""
        return {}

    def commit(self, forms, registration):
        """Create what `forms` (this stage's validated forms, by step) describe; inside the
        wizard's transaction, after the earlier stages committed into `registration`."""

    def describe(self, forms, registration):
        """What `commit` would tell `registration`, creating nothing: the address typed in the
        account step is registered already (`registration.existing_account`), and the page
        must be the same as for a new registration."""

    def finish(self, registration):
        """After every stage committed, still inside the transaction (e-mails leave on commit)."""

    # --- The connected home ------------------------------------------------------------------

    def home_card(self, facts):
        raise NotImplementedError


class MainManagersStage(Stage):
    """A stage a structure's main manager does (the bank details, the mandate): the card tells a
    main manager what to do, a member what the structure's main manager did, a requester who
    acts once the request is accepted."""

    # What a requester reads while the attachment request waits for its decision.
    requested_detail = ""

    def home_card(self, facts):
        if facts.structure is not None:
            return self.manager_card(facts)
        if facts.member_structure is not None:
            return self.member_card(facts)
        if facts.dashboard is not None and facts.dashboard.pending_requests:
            return StageCard(
                self,
                done=False,
                status=_("Par le gestionnaire principal de la structure demandée"),
                yours=False,
                detail=self.requested_detail,
            )
        return StageCard(self, done=False, status=_("À faire"))

    def manager_card(self, facts):
        """The card of the main manager of `facts.structure`."""
        raise NotImplementedError

    def member_card(self, facts):
        """The card of a member of `facts.member_structure`: its main manager acts."""
        raise NotImplementedError
