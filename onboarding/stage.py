"""Stage A, « Création de votre compte », for the wizard and the connected home (core/stages.py).

No password goes through the wizard (its session keeps every step's raw POST): the e-mailed
link proves the address, then the supplier chooses one. The link is the mandate's when the
wizard ends with one (it activates the account too), else the account's own.

The step never tells whether an address is registered (SECURITY.md): every submission asks a
new captcha, and the answer is the same for any address. At the end, an address registered
already creates nothing (no account, nor the structure, bank details or mandate the visitor
typed: they are the account owner's to give, once logged in); its owner gets an e-mail saying
someone tried to register with it, and the visitor the same page as for a new registration.

Until this step passed a captcha, an anonymous wizard has no later step: nothing is searched,
shown or kept (no file) for a visitor who has not solved one, whatever they post.
"""

import hashlib
import json

from django.utils.translation import gettext_lazy as _

from core.ratelimit import enforce_rate_limit
from core.stages import Person, Stage, StageCard

from .forms import AccountForm
from .services import (
    AccountDetails,
    AccountExists,
    register_supplier,
    send_activation_email,
    send_registration_attempt_email,
)

ACCOUNT_STEP = "compte"
# « Nouvelle image » of the captcha: the page again, with what was typed and a new challenge.
REFRESH_CAPTCHA = "nouvelle_image"
# In the wizard's storage: the digest of the step's data that passed a captcha, as stored.
CAPTCHA_PASSED_KEY = "captcha_passed"


def data_digest(data):
    """The SHA-256 of a step's data, as formtools stores it (lists of values by name)."""
    values = dict(data.lists()) if hasattr(data, "lists") else dict(data)
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()


class AccountStage(Stage):
    key = "account"
    number = 1
    title = _("Création de votre compte")
    description = _("Votre adresse électronique de connexion, vos coordonnées et votre mot de passe.")
    steps = ((ACCOUNT_STEP, AccountForm),)

    # --- The wizard

    def step_applies(self, step, journey):
        return not journey.request.user.is_authenticated

    def passed_captcha(self, journey):
        """Whether the step's stored data is the very data that passed a captcha."""
        stored = journey.step_data(ACCOUNT_STEP)
        kept = journey.kept(CAPTCHA_PASSED_KEY)
        return stored is not None and kept == data_digest(stored)

    def ends_wizard(self, journey):
        # No later step for an anonymous wizard whose account step did not pass a captcha.
        return not journey.request.user.is_authenticated and not self.passed_captcha(journey)

    def form_kwargs(self, step, journey):
        # A new captcha at every submission of the step, « Précédent » back to it included.
        # Only the data that passed one is validated again without it (a later step reads it,
        # the wizard's end): that captcha was consumed when the step was posted.
        return {"with_captcha": not (journey.checks_stored_data() and self.passed_captcha(journey))}

    def get(self, step, journey):
        stored = journey.step_data(step)
        if stored is None:
            return None  # the first visit: the wizard's empty page
        # Back on the step: what was typed, and a new captcha to solve before posting it again.
        return journey.render(self._form_with_typed_values(journey, stored))

    def post(self, step, journey):
        if REFRESH_CAPTCHA in journey.request.POST:
            return journey.render(self._form_with_typed_values(journey, journey.request.POST))
        enforce_rate_limit(journey.request, "account-creation")
        return None

    def step_valid(self, step, form, journey):
        # formtools stores form.data next: this is the data that passed the captcha.
        journey.keep(CAPTCHA_PASSED_KEY, data_digest(form.data))

    def _form_with_typed_values(self, journey, data):
        """A fresh form (new captcha image, no errors yet) keeping what the supplier typed."""
        typed = journey.form(data=data)
        form = journey.form()
        form.initial = {name: typed[name].data for name in form.fields if name != "captcha"}
        return form

    def facts(self, journey):
        user = journey.request.user
        if user.is_authenticated:
            return {"person": user}
        data = journey.cleaned_data(ACCOUNT_STEP) or {}
        return {
            "person": Person(
                email=data.get("email", ""), last_name=data.get("last_name", ""), first_name=data.get("first_name", "")
            )
        }

    def commit(self, forms, registration):
        if ACCOUNT_STEP in forms:
            details = AccountDetails.from_cleaned_data(forms[ACCOUNT_STEP].cleaned_data)
            try:
                registration.user = register_supplier(details, send_activation=False)
            except AccountExists as exists:
                # Nothing is created for this wizard; the later stages only describe it.
                registration.existing_account = exists.account
                return
            registration.new_account = True

    def finish(self, registration):
        if registration.existing_account is not None:
            send_registration_attempt_email(registration.existing_account)
        elif registration.new_account and not registration.activation_link_sent:
            send_activation_email(registration.user)

    # --- The connected home

    def home_card(self, facts):
        return StageCard(self, done=True, status=_("Terminée"))


STAGE = AccountStage()
