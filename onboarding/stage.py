"""Stage A, « Création de votre compte », for the wizard and the connected home (core/stages.py).

No password goes through the wizard (its session keeps every step's raw POST): the e-mailed
link proves the address, then the supplier chooses one. The link is the mandate's when the
wizard ends with one (it activates the account too), else the account's own.
"""

from django.utils.translation import gettext_lazy as _

from core.ratelimit import enforce_rate_limit
from core.stages import Person, Stage, StageCard

from .forms import AccountForm
from .services import AccountDetails, register_supplier, send_activation_email

ACCOUNT_STEP = "compte"
# « Nouvelle image » of the captcha: the page again, with what was typed and a new challenge.
REFRESH_CAPTCHA = "nouvelle_image"


class AccountStage(Stage):
    key = "account"
    number = 1
    title = _("Création de votre compte")
    description = _("Votre adresse électronique de connexion, vos coordonnées et votre mot de passe.")
    steps = ((ACCOUNT_STEP, AccountForm),)

    # --- The wizard

    def step_applies(self, step, journey):
        return not journey.request.user.is_authenticated

    def form_kwargs(self, step, journey):
        # The captcha is asked until the step has been validated once in this wizard; coming
        # back to it (« Précédent ») or validating it again at the end does not ask it twice
        # (it is consumed on the first attempt).
        return {"with_captcha": journey.step_data(ACCOUNT_STEP) is None}

    def post(self, step, journey):
        if REFRESH_CAPTCHA in journey.request.POST:
            return journey.render(self._form_with_typed_values(journey))
        enforce_rate_limit(journey.request, "account-creation")
        return None

    def _form_with_typed_values(self, journey):
        """A fresh form (new captcha image, no errors yet) keeping what the supplier typed."""
        typed = journey.form(data=journey.request.POST)
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
            registration.user = register_supplier(details, send_activation=False)
            registration.new_account = True

    def finish(self, registration):
        if registration.new_account and not registration.activation_link_sent:
            send_activation_email(registration.user)

    # --- The connected home

    def home_card(self, facts):
        return StageCard(self, done=True, status=_("Terminée"))


STAGE = AccountStage()
