"""The onboarding wizard: one URL per step, composed from the stage apps' forms.

The wizard only composes: each step's form comes from its stage, and `done()` hands the
cleaned data to the stage services inside one transaction. No password ever goes through
it (the session stores every step's raw POST).
"""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.shortcuts import redirect
from formtools.wizard.views import NamedUrlSessionWizardView

from .forms import AccountForm
from .services import AccountDetails, register_supplier
from .stages import STAGES

ACCOUNT_STEP = "compte"
REFRESH_CAPTCHA = "nouvelle_image"
REGISTERED_EMAIL_SESSION_KEY = "onboarding_registered_email"


class OnboardingWizard(NamedUrlSessionWizardView):
    form_list = [(ACCOUNT_STEP, AccountForm)]
    template_name = "onboarding/wizard.html"

    def dispatch(self, request, *args, **kwargs):
        # Stage A is the only step so far: a logged-in supplier has nothing left to do here.
        if request.user.is_authenticated:
            return redirect("home")
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self, step=None):
        kwargs = super().get_form_kwargs(step)
        if step == ACCOUNT_STEP:
            # The captcha is asked until the account step has been validated once in this
            # wizard; coming back to it (« Précédent ») or validating it again at the end
            # does not ask it twice (it is consumed on the first attempt).
            kwargs["with_captcha"] = self.storage.get_step_data(ACCOUNT_STEP) is None
        return kwargs

    def post(self, *args, **kwargs):
        if REFRESH_CAPTCHA in self.request.POST:
            return self.render(self._form_with_typed_values())
        return super().post(*args, **kwargs)

    def _form_with_typed_values(self):
        """A fresh form (new captcha image, no errors yet) keeping what the supplier typed."""
        typed = self.get_form(data=self.request.POST)
        form = self.get_form()
        form.initial = {name: typed[name].data for name in form.fields if name != "captcha"}
        return form

    def get_context_data(self, form, **kwargs):
        context = super().get_context_data(form=form, **kwargs)
        stage = next(s for s in STAGES if s.key == self.steps.current)
        context.update(stage=stage, stages=STAGES, stage_count=len(STAGES))
        return context

    def done(self, form_list, form_dict, **kwargs):
        details = AccountDetails.from_cleaned_data(form_dict[ACCOUNT_STEP].cleaned_data)
        try:
            with transaction.atomic():
                user = register_supplier(details)
        except IntegrityError:
            # The same wizard finished twice at once (double click): the first one created
            # the account and sent the e-mail; this one has nothing left to do.
            user = get_user_model().objects.filter(email=details.email, is_active=False).first()
            if user is None:
                raise
        self.request.session[REGISTERED_EMAIL_SESSION_KEY] = user.email
        return redirect("registration_sent")
