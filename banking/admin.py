"""Review of bank details by the city's finance staff (group « Finance »).

The admin only shows: every change goes through banking/services.py (buttons « Valider » /
« Rejeter (motif) » on the change page, and the same as bulk actions), so the anti-fraud rule,
the e-mails and the history are the same as everywhere else. Staff without the review
permission may look (if given the view permission) but see IBANs masked and cannot decide.

« Titulaire du RIB » (conforme / différent / illisible) sets the holder's name read in the RIB
beside the structure's: the first person to register a SIRET becomes its main manager, and this
review is the city's check. Pending details whose holder differs are flagged in the list.
"""

import re
from collections import Counter

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, Min, Q, Value, When
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from structures.admin import identifier_search
from twofactor.admin_site import Waiting, changelist_url

from . import services
from .iban import format_iban, mask_iban
from .models import REVIEW_PERMISSION, BankAccount
from .rib import RibHolderCheck, holder_names

Status = BankAccount.Status
IBAN_SHAPE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}")

MSG_WAITING = _("Coordonnées bancaires à valider")
MSG_WAITING_HOLDER_DIFFERS = _("Titulaire du RIB différent : à vérifier avant de valider")

MSG_ALREADY_REVIEWED = _("Ces coordonnées bancaires ne sont plus en attente de validation (statut : %(status)s).")


class RejectionForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif du rejet"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_("Le fournisseur le lit dans le courriel qui lui annonce le rejet : dites-lui quoi corriger."),
        error_messages={"required": _("Indiquez le motif du rejet : le fournisseur doit savoir quoi corriger.")},
    )


class MaskedIbanHistoryHelper(HistoricalRecordContextHelper):
    """The history's « changes » column, with IBANs masked."""

    def prepare_delta_change_value(self, change, value):
        if change.field == "iban":
            return mask_iban(value) if value else value
        if change.field == "rib_found_ibans":
            return [mask_iban(iban) for iban in value or []]
        return super().prepare_delta_change_value(change, value)


FIELDSETS = [
    (None, {"fields": ["structure", "status", "is_rib_change"]}),
    (
        _("Coordonnées bancaires"),
        {"fields": ["account_name", "account_type", "country_code", "iban_masked_display", "bic"]},
    ),
    (
        _("RIB"),
        {
            "fields": [
                "rib_link",
                "attachment_type",
                "rib_check_status",
                "found_ibans_masked_display",
                "rib_holder_check",
                "rib_holder_display",
                "names_compared_display",
            ]
        },
    ),
    (
        _("Affactureur"),
        {"fields": ["factor_raison_sociale", "factor_country", "factor_identifier_type", "factor_identifier"]},
    ),
    (
        _("Validation"),
        {"fields": ["reviewed_by", "reviewed_at", "rejection_reason", "superseded_at", "superseded_by"]},
    ),
    (_("Envoi"), {"fields": ["created_by", "contact_email", "created_at", "updated_at"]}),
]


@admin.register(BankAccount)
class BankAccountAdmin(SimpleHistoryAdmin):
    change_form_template = "admin/banking/bankaccount/change_form.html"
    list_display = [
        "structure",
        "iban_bic_masked_display",
        "status",
        "rib_change_flag",
        "rib_check_status",
        "rib_holder_flag",
        "rib_link",
        "created_at",
    ]
    list_filter = ["status", "country_code", "rib_check_status", "rib_holder_check", "is_rib_change"]
    list_select_related = ["structure"]
    search_fields = ["structure__raison_sociale", "structure__identifier", "account_name"]
    # Pending ones first: they are the work to do.
    ordering = [Case(When(status=Status.PENDING, then=Value(0)), default=Value(1)).asc(), "-created_at"]
    actions = ["validate_selected", "reject_selected"]

    # --- who may do what -------------------------------------------------------------------

    def has_review_permission(self, request, obj=None):
        return request.user.has_perm(REVIEW_PERMISSION)

    def has_add_permission(self, request):
        return False  # suppliers send bank details, with their RIB, from their own pages

    def has_change_permission(self, request, obj=None):
        return False  # decisions go through the buttons, i.e. the services

    def has_delete_permission(self, request, obj=None):
        return False  # payments were made on them: they stay, with their history

    # --- the home's « À traiter » (twofactor/admin_site.py) -----------------------------------

    def waiting(self, request):
        """Pending details, and among them those whose RIB holder differs: one query."""
        differs = Q(rib_holder_check=RibHolderCheck.DIFFERS)
        found = BankAccount.objects.filter(status=Status.PENDING).aggregate(
            count=Count("pk"),
            since=Min("created_at"),
            differs=Count("pk", filter=differs),
            differs_since=Min("created_at", filter=differs),
        )
        pending = {"status__exact": Status.PENDING}
        return [
            Waiting(
                str(MSG_WAITING),
                found["count"],
                found["since"],
                changelist_url(self, request, "created_at", **pending),
            ),
            Waiting(
                str(MSG_WAITING_HOLDER_DIFFERS),
                found["differs"],
                found["differs_since"],
                changelist_url(self, request, "created_at", **pending, rib_holder_check__exact=RibHolderCheck.DIFFERS),
            ),
        ]

    # --- the IBAN, full for reviewers, masked for others -------------------------------------

    # Masked by default; reviewers get the full IBAN in place of the masked one.
    FULL_IBAN_NAMES = {
        "iban_masked_display": "iban_grouped_display",
        "iban_bic_masked_display": "iban_bic_display",
        "found_ibans_masked_display": "found_ibans_display",
    }

    def _with_iban_names(self, request, names):
        if not self.has_review_permission(request):
            return list(names)
        return [self.FULL_IBAN_NAMES.get(name, name) for name in names]

    def get_list_display(self, request):
        return self._with_iban_names(request, self.list_display)

    def get_search_fields(self, request):
        # Searching by IBAN would let anyone who may only look confirm a guessed number.
        return [*self.search_fields, "iban"] if self.has_review_permission(request) else self.search_fields

    def get_search_results(self, request, queryset, search_term):
        # An IBAN or a SIRET: an indexed exact match, not « contains » over 100 000 rows.
        compact = "".join(search_term.split()).upper()
        if self.has_review_permission(request) and IBAN_SHAPE.fullmatch(compact):
            return queryset.filter(iban=compact), False
        by_identifier = identifier_search(search_term, prefix="structure__")
        if by_identifier is not None:
            return queryset.filter(by_identifier), False
        return super().get_search_results(request, queryset, search_term)

    def get_fieldsets(self, request, obj=None):
        return [
            (title, {**options, "fields": self._with_iban_names(request, options["fields"])})
            for title, options in FIELDSETS
        ]

    def get_readonly_fields(self, request, obj=None):
        return [name for _title, options in self.get_fieldsets(request, obj) for name in options["fields"]]

    def get_historical_record_context_helper(self, request, historical_record):
        if self.has_review_permission(request):
            return super().get_historical_record_context_helper(request, historical_record)
        return MaskedIbanHistoryHelper(self.model, historical_record)

    @admin.display(description=_("IBAN"), ordering="iban")
    def iban_grouped_display(self, obj):
        return obj.iban_grouped

    @admin.display(description=_("IBAN"))
    def iban_masked_display(self, obj):
        return obj.iban_masked

    # The list's column: the IBAN on one line, the BIC under it (one column less: the list fits
    # 1280 px with its statuses).

    @admin.display(description=_("IBAN et BIC"), ordering="iban")
    def iban_bic_display(self, obj):
        return format_html('<span class="iban">{}</span><br><span class="bic">{}</span>', obj.iban_grouped, obj.bic)

    @admin.display(description=_("IBAN et BIC"))
    def iban_bic_masked_display(self, obj):
        return format_html('<span class="iban">{}</span><br><span class="bic">{}</span>', obj.iban_masked, obj.bic)

    @admin.display(description=_("IBAN lus dans le RIB"))
    def found_ibans_display(self, obj):
        return ", ".join(format_iban(iban) for iban in obj.rib_found_ibans) or "—"

    @admin.display(description=_("IBAN lus dans le RIB"))
    def found_ibans_masked_display(self, obj):
        return ", ".join(mask_iban(iban) for iban in obj.rib_found_ibans) or "—"

    @admin.display(description=BankAccount._meta.get_field("is_rib_change").verbose_name, ordering="is_rib_change")
    def rib_change_flag(self, obj):
        # Not Django's boolean icons: a red cross for « not a change of RIB », the usual case,
        # read as an alarm; a change is the one to see.
        return format_html("<strong>{}</strong>", _("oui")) if obj.is_rib_change else "—"

    @admin.display(description=_("titulaire du RIB"), ordering="rib_holder_check")
    def rib_holder_flag(self, obj):
        label = obj.get_rib_holder_check_display()
        if obj.is_pending and obj.rib_holder_check == RibHolderCheck.DIFFERS:
            # The work to do first: pending details whose holder is not the structure.
            return format_html(
                '<img src="{}" alt=""> <strong>{}</strong>',
                static("admin/img/icon-alert.svg"),
                _("%(check)s — à vérifier avant de valider") % {"check": label},
            )
        return label

    @admin.display(description=_("titulaire lu dans le RIB"))
    def rib_holder_display(self, obj):
        return obj.rib_holder or "—"

    @admin.display(description=_("comparé à"))
    def names_compared_display(self, obj):
        return " ; ".join(holder_names(obj.structure, obj.created_by, obj.factor_raison_sociale)) or "—"

    @admin.display(description=_("RIB"))
    def rib_link(self, obj):
        # The view checks the permission again; never a media URL.
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            reverse("banking:rib", args=[obj.pk]),
            _("Ouvrir le RIB"),
        )

    # --- « Valider » / « Rejeter (motif) » on the change page --------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/valider/",
                self.admin_site.admin_view(self.validate_view),
                name="{}_{}_validate".format(*info),
            ),
            path(
                "<path:object_id>/rejeter/",
                self.admin_site.admin_view(self.reject_view),
                name="{}_{}_reject".format(*info),
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_review": self.has_review_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def _reviewable(self, request, object_id):
        if not self.has_review_permission(request):
            raise PermissionDenied
        account = self.get_object(request, unquote(object_id))
        if account is None:
            raise Http404
        return account

    def _change_url(self, account):
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[account.pk])

    def validate_view(self, request, object_id):
        return require_POST(self._validate)(request, object_id)

    def _validate(self, request, object_id):
        account = self._reviewable(request, object_id)
        try:
            services.validate_bank_account(account, by=request.user)
        except services.BankAccountStateError:
            self.message_user(request, MSG_ALREADY_REVIEWED % {"status": account.get_status_display()}, messages.ERROR)
        else:
            self.log_change(request, account, str(_("Coordonnées bancaires validées.")))
            self.message_user(request, _("Coordonnées bancaires validées : %(account)s.") % {"account": account})
        return HttpResponseRedirect(self._change_url(account))

    def reject_view(self, request, object_id):
        account = self._reviewable(request, object_id)
        form = RejectionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.reject_bank_account(account, by=request.user, reason=form.cleaned_data["reason"])
            except services.BankAccountStateError:
                self.message_user(
                    request, MSG_ALREADY_REVIEWED % {"status": account.get_status_display()}, messages.ERROR
                )
            else:
                self.log_change(request, account, str(_("Coordonnées bancaires rejetées.")))
                self.message_user(request, _("Coordonnées bancaires rejetées : %(account)s.") % {"account": account})
            return HttpResponseRedirect(self._change_url(account))
        return self._render_rejection(request, form, [account], single=True)

    def _render_rejection(self, request, form, accounts, single):
        context = {
            **self.admin_site.each_context(request),
            "title": _("Rejeter des coordonnées bancaires"),
            "opts": self.opts,
            "form": form,
            "accounts": accounts,
            "single": single,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/banking/bankaccount/reject.html", context)

    # --- the same as bulk actions ------------------------------------------------------------

    @admin.action(description=_("Valider les coordonnées bancaires sélectionnées"), permissions=["review"])
    def validate_selected(self, request, queryset):
        pending = list(queryset.filter(status=Status.PENDING).order_by("created_at"))
        # Two new sets for the same structure: which one is right is a decision, not a batch.
        per_structure = Counter(account.structure_id for account in pending)
        ambiguous = [account for account in pending if per_structure[account.structure_id] > 1]
        validated = 0
        for account in pending:
            if account in ambiguous:
                continue
            try:
                services.validate_bank_account(account, by=request.user)
            except services.BankAccountStateError:
                continue
            self.log_change(request, account, str(_("Coordonnées bancaires validées.")))
            validated += 1
        self._report(
            request,
            validated,
            queryset.count() - len(ambiguous),
            ngettext(
                "%(count)d coordonnées bancaires validées.", "%(count)d coordonnées bancaires validées.", validated
            ),
        )
        if ambiguous:
            self.message_user(
                request,
                _(
                    "Plusieurs coordonnées en attente ont été sélectionnées pour une même structure : "
                    "validez-les une par une, depuis leur page (%(accounts)s)."
                )
                % {"accounts": ", ".join(str(account) for account in ambiguous)},
                messages.WARNING,
            )

    @admin.action(description=_("Rejeter les coordonnées bancaires sélectionnées (motif)"), permissions=["review"])
    def reject_selected(self, request, queryset):
        form = RejectionForm(request.POST if "apply" in request.POST else None)
        if not form.is_bound or not form.is_valid():
            # The intermediate page: it posts back the same action and selection, plus the reason.
            return self._render_rejection(request, form, list(queryset.select_related("structure")), single=False)
        rejected = 0
        for account in queryset.filter(status=Status.PENDING):
            try:
                services.reject_bank_account(account, by=request.user, reason=form.cleaned_data["reason"])
            except services.BankAccountStateError:
                continue
            self.log_change(request, account, str(_("Coordonnées bancaires rejetées.")))
            rejected += 1
        self._report(
            request,
            rejected,
            queryset.count(),
            ngettext(
                "%(count)d coordonnées bancaires rejetées.", "%(count)d coordonnées bancaires rejetées.", rejected
            ),
        )
        return None

    def _report(self, request, done, selected, message):
        self.message_user(request, message % {"count": done}, messages.SUCCESS if done else messages.WARNING)
        if done < selected:
            self.message_user(
                request,
                ngettext(
                    "%(count)d sélection ignorée : elle n'est plus en attente de validation.",
                    "%(count)d sélections ignorées : elles ne sont plus en attente de validation.",
                    selected - done,
                )
                % {"count": selected - done},
                messages.WARNING,
            )
