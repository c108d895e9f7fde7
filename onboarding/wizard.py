"""The onboarding wizard: one URL per step, composed from the stage apps' forms.

The wizard only composes: each step's form comes from its stage app, conditions skip what
does not apply, and `done()` hands the cleaned data to the stage services inside one
transaction (e-mails leave after commit). No password ever goes through it: the session
stores every step's raw POST.
"""

import logging

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db import DatabaseError, IntegrityError, transaction
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from formtools.wizard.views import NamedUrlSessionWizardView

from banking import services as banking_services
from banking.forms import BankAccountForm
from banking.rib import KnownRibCheck
from core.ratelimit import enforce_rate_limit
from core.storage import wizard_file_storage
from mandates import services as mandate_services
from mandates.forms import MandateGenerationForm, mandate_blocks
from structures import services as structure_services
from structures.forms import NewStructureForm, StructureSearchForm
from structures.models import Structure

from .forms import AccountForm
from .services import AccountDetails, register_supplier
from .stages import STAGES

ACCOUNT_STEP = "compte"
STRUCTURE_STEP = "structure"
NEW_STRUCTURE_STEP = "nouvelle-structure"
BANK_STEP = "coordonnees-bancaires"
MANDATE_STEP = "mandat"

STEP_STAGE = {
    ACCOUNT_STEP: "compte",
    STRUCTURE_STEP: "structure",
    NEW_STRUCTURE_STEP: "structure",
    BANK_STEP: "banque",
    MANDATE_STEP: "mandat",
}

logger = logging.getLogger(__name__)

REFRESH_CAPTCHA = "nouvelle_image"
SEARCH = "rechercher"
JOIN_EXISTING = "rattachement"
REGISTRATION_SESSION_KEY = "onboarding_registration"
# In the wizard's extra data: the RIB's check made when the bank details step was posted.
RIB_CHECK_KEY = "rib_check"


class FilesNotSaved(Exception):
    pass


class NotSaved(Exception):
    pass


def is_anonymous(wizard):
    return not wizard.request.user.is_authenticated


def wants_new_structure(wizard):
    data = wizard.get_cleaned_data_for_step(STRUCTURE_STEP) or {}
    return data.get("choice") == "nouvelle" or bool(data.get("siret"))


class OnboardingWizard(NamedUrlSessionWizardView):
    form_list = [
        (ACCOUNT_STEP, AccountForm),
        (STRUCTURE_STEP, StructureSearchForm),
        (NEW_STRUCTURE_STEP, NewStructureForm),
        (BANK_STEP, BankAccountForm),
        (MANDATE_STEP, MandateGenerationForm),
    ]
    # Joining an existing structure ends the wizard there: its bank details (and its mandate)
    # belong to its main manager.
    condition_dict = {
        ACCOUNT_STEP: is_anonymous,
        NEW_STRUCTURE_STEP: wants_new_structure,
        BANK_STEP: wants_new_structure,
        MANDATE_STEP: wants_new_structure,
    }
    # The RIB waits here between steps, never under a served URL; formtools removes it when
    # the wizard ends, `purge_wizard_files` when it is abandoned.
    file_storage = wizard_file_storage
    storage_name = "onboarding.storage.WizardSessionStorage"

    def get_template_names(self):
        return [f"onboarding/wizard_{self.steps.current}.html", "onboarding/wizard.html"]

    def get_form_kwargs(self, step=None):
        kwargs = super().get_form_kwargs(step)
        if step == ACCOUNT_STEP:
            # The captcha is asked until the account step has been validated once in this
            # wizard; coming back to it (« Précédent ») or validating it again at the end
            # does not ask it twice (it is consumed on the first attempt).
            kwargs["with_captcha"] = self.storage.get_step_data(ACCOUNT_STEP) is None
        elif step == STRUCTURE_STEP:
            kwargs["user"] = self.request.user
        elif step == BANK_STEP:
            # The RIB's check made when the step was posted, for the end's revalidation.
            kwargs["known_rib_check"] = KnownRibCheck.from_dict(self.storage.extra_data.get(RIB_CHECK_KEY))
        return kwargs

    def process_step(self, form):
        if self.steps.current == BANK_STEP and getattr(form, "rib_check_done", None) is not None:
            # Kept with the file's digest: reused at the end only for the very same bytes.
            self.storage.extra_data = {**self.storage.extra_data, RIB_CHECK_KEY: form.rib_check_done.as_dict()}
        return super().process_step(form)

    def get_form_initial(self, step):
        initial = super().get_form_initial(step)
        if step == NEW_STRUCTURE_STEP:
            siret = (self.get_cleaned_data_for_step(STRUCTURE_STEP) or {}).get("siret")
            if siret:
                initial = {**initial, "has_siret": NewStructureForm.HAS_SIRET, "identifier": siret}
        return initial

    def post(self, *args, **kwargs):
        post = self.request.POST
        current = self.steps.current
        if "wizard_goto_step" in post and current != ACCOUNT_STEP:
            # « Précédent » keeps what was typed on this page, valid or not yet: it is
            # validated again when the supplier comes back and at the end.
            self.storage.set_step_data(current, post)
        elif REFRESH_CAPTCHA in post:
            return self.render(self._form_with_typed_values())
        elif SEARCH in post and current == STRUCTURE_STEP:
            enforce_rate_limit(self.request, "directory-search")
            form = self.get_form(data=post)
            form.searching = True
            return self.render(form)
        elif JOIN_EXISTING in post and current == NEW_STRUCTURE_STEP:
            return self._join_existing_instead(post[JOIN_EXISTING])
        elif current == ACCOUNT_STEP:
            enforce_rate_limit(self.request, "account-creation")
        elif current == BANK_STEP:
            enforce_rate_limit(self.request, "upload")
        elif current == NEW_STRUCTURE_STEP:
            enforce_rate_limit(self.request, "directory-search")
            form = self.get_form(data=post)
            if form.is_valid() and form.needs_confirmation:
                # Show what the INSEE directory knows before going on.
                return self.render(form.confirmation_form())
        return super().post(*args, **kwargs)

    def _form_with_typed_values(self):
        """A fresh form (new captcha image, no errors yet) keeping what the supplier typed."""
        typed = self.get_form(data=self.request.POST)
        form = self.get_form()
        form.initial = {name: typed[name].data for name in form.fields if name != "captcha"}
        return form

    def _join_existing_instead(self, structure_pk):
        """« Demander un rattachement » from the new-structure page, when the structure exists."""
        prefix = self.get_form_prefix(STRUCTURE_STEP)
        # Stored as a browser would have posted it (formtools keeps lists of values).
        self.storage.set_step_data(
            STRUCTURE_STEP,
            {f"{prefix}-identifier_type": ["siret"], f"{prefix}-choice": [f"structure:{structure_pk}"]},
        )
        self.storage.set_step_data(NEW_STRUCTURE_STEP, None)
        # Every step is validated again on the way to the end: an unknown pk sends the
        # supplier back to the search with its message.
        return redirect(self.get_step_url(self.done_step_name))

    def get_context_data(self, form, **kwargs):
        context = super().get_context_data(form=form, **kwargs)
        stage_key = STEP_STAGE[self.steps.current]
        stage = next(s for s in STAGES if s.key == stage_key)
        context.update(stage=stage, stages=STAGES, stage_count=len(STAGES))
        if self.steps.current == STRUCTURE_STEP:
            context.update(search=form.search_outcome(), export_query=form.export_query())
        elif self.steps.current == MANDATE_STEP:
            context["blocks"] = self._mandate_blocks()
        return context

    def _mandate_blocks(self):
        """The « Structure » and « Signataire » blocks from what the earlier steps hold."""
        new_structure = self.get_form(NEW_STRUCTURE_STEP, data=self.storage.get_step_data(NEW_STRUCTURE_STEP))
        if not new_structure.is_valid():
            return []
        details = new_structure.structure_details()
        structure = Structure(**{f: getattr(details, f) for f in details.__dataclass_fields__})
        if self.request.user.is_authenticated:
            signatory = self.request.user
        else:
            account = self.get_cleaned_data_for_step(ACCOUNT_STEP) or {}
            signatory = get_user_model()(
                email=account.get("email", ""),
                last_name=account.get("last_name", ""),
                first_name=account.get("first_name", ""),
            )
        return mandate_blocks(structure, signatory)

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
            return redirect(self.get_step_url(BANK_STEP))
        except NotSaved:
            messages.error(
                self.request,
                _(
                    "Votre inscription n'a pas pu être enregistrée, à cause d'un incident de notre côté : rien n'a "
                    "été créé. Vos informations sont conservées : réessayez dans un instant."
                ),
            )
            return redirect(self.get_step_url(self.steps.last))

    def done(self, form_list, form_dict, **kwargs):
        user = self.request.user
        try:
            with transaction.atomic():
                if ACCOUNT_STEP in form_dict:
                    details = AccountDetails.from_cleaned_data(form_dict[ACCOUNT_STEP].cleaned_data)
                    # A new structure ends with the mandate, whose e-mailed link also
                    # activates the account: one e-mail. Joining one ends with activation.
                    user = register_supplier(details, send_activation=MANDATE_STEP not in form_dict)
                if NEW_STRUCTURE_STEP in form_dict:
                    outcome = structure_services.create_structure(
                        user, form_dict[NEW_STRUCTURE_STEP].structure_details()
                    )
                    # Created by someone else at the same moment: the bank details are
                    # its main manager's to give, not the requester's.
                    if outcome.created and BANK_STEP in form_dict:
                        bank = form_dict[BANK_STEP].cleaned_data
                        banking_services.submit_bank_account(
                            structure=outcome.structure,
                            user=user,
                            cleaned_data=bank,
                            rib_file=bank["rib_file"],
                            new_structure=True,
                        )
                    if outcome.created and MANDATE_STEP in form_dict:
                        mandate_services.generate_mandate(outcome.structure, user, new_structure=True)
                else:
                    outcome = structure_services.join_structure(
                        user, form_dict[STRUCTURE_STEP].cleaned_data["structure"]
                    )
        except OSError as error:
            # The private file storage failed while saving the RIB.
            raise FilesNotSaved from error
        except IntegrityError:
            # The same wizard finished twice at once (double click): the first one created
            # everything and sent the e-mail; this one has nothing left to do.
            if ACCOUNT_STEP not in form_dict:
                raise NotSaved from None
            email = form_dict[ACCOUNT_STEP].cleaned_data["email"]
            if not get_user_model().objects.filter(email=email, is_active=False).exists():
                raise NotSaved from None
            self.request.session[REGISTRATION_SESSION_KEY] = {
                "email": email,
                "structure": "",
                "created": False,
                "requested": False,
                "mandate": MANDATE_STEP in form_dict,
            }
            return redirect("onboarding:registration_sent")
        except DatabaseError as error:
            # The database failed mid-way: the transaction rolled everything back.
            logger.exception("The wizard could not be saved")
            raise NotSaved from error
        except structure_services.AttachmentError as error:
            # Only a race gets here (the form checked it): say it, lose nothing else.
            messages.error(self.request, error.message)
            return redirect("onboarding:home" if user.is_authenticated else "onboarding:landing")

        summary = {
            "structure": outcome.structure.raison_sociale,
            "created": outcome.created,
            "requested": outcome.request is not None,
            "mandate": outcome.created and MANDATE_STEP in form_dict,
        }
        if not self.request.user.is_authenticated:
            self.request.session[REGISTRATION_SESSION_KEY] = {"email": user.email, **summary}
            return redirect("onboarding:registration_sent")
        if outcome.created:
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
