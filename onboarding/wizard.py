"""The onboarding wizard: one URL per step, composed from the stages (onboarding/stages.py).

The wizard only composes. Its steps are the stages' steps, in the procedure's order; a step
applies when its stage says so and no earlier stage ended the wizard; each stage gives its
forms' arguments, handles its own buttons and commits what was gathered. `done()` is a loop
over the stages inside one transaction: e-mails leave after commit. The wizard implements the
`Journey` the stages use (core/stages.py) and knows no stage's models or services.

No password ever goes through it: the session stores every step's raw POST.
"""

import logging

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db import DatabaseError, IntegrityError, transaction
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from formtools.wizard.forms import ManagementForm
from formtools.wizard.views import NamedUrlSessionWizardView

from core.errors import DomainError
from core.stages import Registration
from core.storage import wizard_file_storage

from .stage import ACCOUNT_STEP
from .stages import STAGES

logger = logging.getLogger(__name__)

REGISTRATION_SESSION_KEY = "onboarding_registration"
# In the wizard's storage: what the stages keep (journey.keep).
KEPT_KEY = "kept"

STAGE_OF_STEP = {step: stage for stage in STAGES for step, _form in stage.steps}


class FilesNotSaved(Exception):
    pass


class NotSaved(Exception):
    pass


def step_condition(stage, step):
    def applies(wizard):
        return wizard.step_applies(stage, step)

    return applies


class OnboardingWizard(NamedUrlSessionWizardView):
    form_list = [(step, form_class) for stage in STAGES for step, form_class in stage.steps]
    condition_dict = {step: step_condition(stage, step) for stage in STAGES for step, _form in stage.steps}
    # Files wait here between steps, never under a served URL; formtools removes them when the
    # wizard ends, `purge_wizard_files` when it is abandoned.
    file_storage = wizard_file_storage
    storage_name = "onboarding.storage.WizardSessionStorage"

    # --- What a step is ------------------------------------------------------------------------

    def step_applies(self, stage, step):
        for earlier in STAGES[: STAGES.index(stage)]:
            if earlier.ends_wizard(self):
                return False
        return stage.step_applies(step, self)

    def get_template_names(self):
        return [f"onboarding/wizard_{self.steps.current}.html", "onboarding/wizard.html"]

    def get_form_kwargs(self, step=None):
        kwargs = super().get_form_kwargs(step)
        return {**kwargs, **STAGE_OF_STEP[step].form_kwargs(step, self)}

    def get_form_initial(self, step):
        return {**super().get_form_initial(step), **STAGE_OF_STEP[step].form_initial(step, self)}

    def process_step(self, form):
        STAGE_OF_STEP[self.steps.current].step_valid(self.steps.current, form, self)
        return super().process_step(form)

    def get_form_step_files(self, form):
        # formtools keeps every file posted with a valid step: only the step's own file fields
        # here (the bank details' RIB). Replacing one removes the previous (WizardSessionStorage):
        # a wizard holds one RIB at most, and only once its account step passed a captcha
        # (no later step before, onboarding/stage.py).
        own = {form.add_prefix(name) for name, field in form.fields.items() if isinstance(field, forms.FileField)}
        return {name: uploaded for name, uploaded in form.files.items() if name in own}

    def get_context_data(self, form, **kwargs):
        context = super().get_context_data(form=form, **kwargs)
        step = self.steps.current
        stage = STAGE_OF_STEP[step]
        context.update(stage=stage, stages=STAGES, stage_count=len(STAGES))
        context.update(stage.context(step, form, self))
        return context

    def get(self, *args, **kwargs):
        step = kwargs.get("step")
        if step in STAGE_OF_STEP and step not in self.get_form_list():
            # A step the wizard's conditions skip now (formtools would show it when it is the
            # stored current step, and fail on it): its first step instead, as for an unknown name.
            self.storage.current_step = self.steps.first
            return redirect(self.get_step_url(self.steps.first))
        if step in STAGE_OF_STEP:
            if step != self.steps.current:
                self.storage.current_step = step  # as formtools does for a step chosen by its URL
            response = STAGE_OF_STEP[step].get(step, self)
            if response is not None:
                return response
        return super().get(*args, **kwargs)

    def get_form(self, step=None, data=None, files=None):
        # Tells the stages' form_kwargs what this form checks (journey.checks_stored_data):
        # data stored at an earlier request, or what the browser posts now. Restored after, as
        # building a form may build others (the conditions read earlier steps).
        outer = self._checks_stored_data
        self._checks_stored_data = data is not None and data is not self.request.POST
        try:
            return super().get_form(step, data, files)
        finally:
            self._checks_stored_data = outer

    def post(self, *args, **kwargs):
        step = self._posted_step()
        if step is None:
            # The page's hidden step is missing, unknown, or one the conditions skip (a crafted
            # page, or a tab left open on a step another tab made pointless): the current step's
            # page again; nothing is read nor stored.
            return redirect(self.get_step_url(self._step_to_show()))
        if step != self.steps.current:
            # As formtools does next ("form refreshed"): the step the page shows is posted. Done
            # here so that the stage of this very step handles its buttons and rate limits.
            self.storage.current_step = step
        post = self.request.POST
        if "wizard_goto_step" in post:
            # « Précédent » keeps what was typed on this page, valid or not yet: it is validated
            # again when the supplier comes back and at the end. Not on the first step: the
            # account's data counts as validated once stored (its captcha is not asked again).
            if step != self.steps.first:
                self.storage.set_step_data(step, post)
                self._data_changed()
        else:
            response = STAGE_OF_STEP[step].post(step, self)
            if response is not None:
                return response
        return super().post(*args, **kwargs)

    def _posted_step(self):
        """The step the posted page says it shows (formtools' management form), when the
        wizard has it now; None otherwise. formtools takes it as is: an unknown step, or one
        its conditions skip, was a KeyError (a 500)."""
        management = ManagementForm(self.request.POST, prefix=self.prefix)
        if not management.is_valid():
            return None
        if self.storage.current_step is None:
            return self.steps.current  # a wizard not started yet: its first step (formtools' rule)
        step = management.cleaned_data["current_step"]
        return step if step in self.get_form_list() else None

    def _step_to_show(self):
        current = self.steps.current
        return current if current in self.get_form_list() else self.steps.first

    # --- The Journey the stages use (core/stages.py) -----------------------------------------

    def cleaned_data(self, step):
        return self.get_cleaned_data_for_step(step)

    def step_data(self, step):
        return self.storage.get_step_data(step)

    _checks_stored_data = False

    def checks_stored_data(self):
        return self._checks_stored_data

    def facts(self, before):
        merged = {}
        for stage in STAGES[: STAGES.index(before)]:
            merged.update(stage.facts(self))
        return merged

    def kept(self, key):
        kept = self.storage.extra_data.get(KEPT_KEY)
        return kept.get(key) if isinstance(kept, dict) else None

    def keep(self, key, value):
        kept = self.storage.extra_data.get(KEPT_KEY)
        kept = dict(kept) if isinstance(kept, dict) else {}
        self.storage.extra_data = {**self.storage.extra_data, KEPT_KEY: {**kept, key: value}}

    def set_step_data(self, step, data):
        self.storage.set_step_data(step, data)
        self._data_changed()

    def form_prefix(self, step):
        return self.get_form_prefix(step)

    def form(self, data=None, files=None):
        return self.get_form(data=data, files=files)

    def finish(self):
        return redirect(self.get_step_url(self.done_step_name))

    def goto(self, step):
        return redirect(self.get_step_url(step))

    def _data_changed(self):
        # formtools keeps the conditions and each step's cleaned data for the request.
        self.__dict__.pop("_resolved_form_list", None)
        self.__dict__.pop("_cache_signature", None)
        for name in [name for name in self.__dict__ if name.startswith("_cleaned_data_cache_")]:
            del self.__dict__[name]

    # --- The end ---------------------------------------------------------------------------------

    def render_done(self, form, **kwargs):
        try:
            return super().render_done(form, **kwargs)
        except FilesNotSaved:
            # Raised from done() after its transaction rolled back, and before formtools
            # resets the wizard: everything typed is still there for another try.
            messages.error(
                self.request,
                _(
                    "Votre RIB n'a pas pu être enregistré, à cause d'un incident de notre côté : rien n'a été créé. "
                    "Vos informations sont conservées : cliquez de nouveau sur « Valider » dans un instant."
                ),
            )
            return redirect(self.get_step_url(self._step_with_files()))
        except NotSaved:
            messages.error(
                self.request,
                _(
                    "Votre inscription n'a pas pu être enregistrée, à cause d'un incident de notre côté : rien n'a "
                    "été créé. Vos informations sont conservées : réessayez dans un instant."
                ),
            )
            return redirect(self.get_step_url(self.steps.last))

    def _step_with_files(self):
        return next(
            (step for step in self.get_form_list() if self.storage.get_step_files(step)),
            self.steps.last,
        )

    def done(self, form_list, form_dict, **kwargs):
        registration = Registration(user=self.request.user if self.request.user.is_authenticated else None)
        try:
            with transaction.atomic():
                for stage in STAGES:
                    forms = self._forms_of(stage, form_dict)
                    if forms and registration.existing_account is None:
                        stage.commit(forms, registration)
                    elif forms:
                        # The address is registered already (the account stage said so):
                        # nothing is created, the page must not differ (core/stages.py).
                        stage.describe(forms, registration)
                for stage in STAGES:
                    stage.finish(registration)
        except OSError as error:
            # The private file storage failed while saving a file (the RIB).
            raise FilesNotSaved from error
        except IntegrityError:
            return self._finished_twice(form_dict)
        except DatabaseError as error:
            # The database failed mid-way: the transaction rolled everything back.
            logger.exception("The wizard could not be saved")
            raise NotSaved from error
        except DomainError as error:
            # Only a race gets here (the forms checked it): say it, lose nothing else.
            messages.error(self.request, error.message)
            return redirect("onboarding:home" if self.request.user.is_authenticated else "onboarding:landing")
        return self._registered(registration)

    @staticmethod
    def _forms_of(stage, form_dict):
        return {step: form_dict[step] for step, _form in stage.steps if step in form_dict}

    def _finished_twice(self, form_dict):
        """The address was registered a moment ago by another transaction: most often the same
        wizard finished twice at once (a double click), whose first request created everything
        and sent the e-mail. The same page as a new registration; nothing more to do."""
        if ACCOUNT_STEP not in form_dict:
            raise NotSaved
        email = form_dict[ACCOUNT_STEP].cleaned_data["email"]
        account = get_user_model().objects.filter(email=email).first()
        if account is None:
            raise NotSaved
        registration = Registration(existing_account=account)
        for stage in STAGES:
            forms = self._forms_of(stage, form_dict)
            if forms:
                stage.describe(forms, registration)
        return self._registered(registration)

    def _registered(self, registration):
        user = registration.user or registration.existing_account
        summary = {
            "structure": registration.structure.raison_sociale,
            "created": registration.created,
            "requested": registration.requested,
            "mandate": registration.activation_link_sent,
        }
        if not self.request.user.is_authenticated:
            self.request.session[REGISTRATION_SESSION_KEY] = {"email": user.email, **summary}
            return redirect("onboarding:registration_sent")
        if registration.created:
            messages.success(
                self.request,
                _(
                    "La structure « %(structure)s » est créée : vous en êtes le gestionnaire principal. "
                    "Un courriel vous est envoyé à %(email)s pour signer le mandat de facturation."
                )
                % {"structure": summary["structure"], "email": user.email},
            )
        else:
            messages.success(
                self.request,
                _("Votre demande de rattachement à « %s » est envoyée à son gestionnaire principal.")
                % summary["structure"],
            )
        return redirect("onboarding:home")
