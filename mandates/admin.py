"""Billing mandates for the city's finance staff: to look at, never to edit.

Every field is read only (the status changes through mandates/services.py); a signed mandate is
legal evidence, so nobody may change or delete it here, superusers included. A mandate is
cancelled, never deleted: the action below calls the service.
"""

import re
from datetime import timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Count, Min
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.dates import local_datetime
from structures.admin import identifier_search
from twofactor.admin_site import Waiting, changelist_url

from . import services, texts
from .models import BillingMandate

REFERENCE = re.compile(r"M-?0*([0-9]{1,12})")

# The home's « À traiter »: unsigned mandates whose signing period ends within this time (the
# link expires, the structure cannot deposit invoices): time to remind the signatory.
EXPIRING_WITHIN = timedelta(hours=48)
MSG_WAITING_EXPIRING = _("Mandats non signés dont le délai de signature se termine dans moins de %(hours)s heures")
MSG_FIRST_DEADLINE = _("Premier délai : %(deadline)s")


def expiring(queryset, now=None):
    """The mandates of `queryset` still « généré » whose signing deadline is within
    EXPIRING_WITHIN (not past: the daily job marks those « expiré »)."""
    now = now or timezone.now()
    period = timedelta(seconds=settings.MANDATE_LINK_MAX_AGE)
    return queryset.filter(
        status=BillingMandate.Status.GENERATED,
        generated_at__gt=now - period,
        generated_at__lte=now - period + EXPIRING_WITHIN,
    )


class SigningDeadlineFilter(admin.SimpleListFilter):
    title = _("délai de signature")
    parameter_name = "delai_de_signature"
    SOON = "bientot"

    def lookups(self, request, model_admin):
        hours = int(EXPIRING_WITHIN.total_seconds() // 3600)
        return [(self.SOON, _("Se termine dans moins de %(hours)s heures") % {"hours": hours})]

    def queryset(self, request, queryset):
        return expiring(queryset) if self.value() == self.SOON else queryset


FIELDSETS = [
    (None, {"fields": ["reference", "structure", "signatory", "status", "template_version", "pdf_link"]}),
    (
        _("Dates"),
        {
            "fields": [
                "generated_at",
                "signing_deadline_display",
                "signed_at",
                "cancelled_at",
                "cancelled_by",
                "expired_at",
            ]
        },
    ),
    (
        _("Preuve de signature"),
        {"fields": ["signed_by", "signed_ip", "signed_user_agent", "document_sha256", "signed_pdf_sha256"]},
    ),
    (_("Texte du mandat tel qu'affiché"), {"fields": ["document_display"]}),
]


class TemplateVersionFilter(admin.SimpleListFilter):
    """The versions are known from the code: no SELECT DISTINCT over every mandate (100 000 rows)."""

    title = _("version du modèle de mandat")
    parameter_name = "template_version"

    def lookups(self, request, model_admin):
        return [(version, version) for version in texts.TEMPLATES]

    def queryset(self, request, queryset):
        return queryset.filter(template_version=self.value()) if self.value() else queryset


@admin.register(BillingMandate)
class BillingMandateAdmin(admin.ModelAdmin):
    list_display = ["reference", "structure", "signatory", "status", "generated_at", "signed_at", "pdf_link"]
    list_filter = ["status", SigningDeadlineFilter, TemplateVersionFilter]
    list_select_related = ["structure", "signatory"]
    search_fields = ["structure__raison_sociale", "structure__identifier", "signatory__email"]
    fieldsets = FIELDSETS
    actions = ["cancel_selected"]

    def get_search_results(self, request, queryset, search_term):
        # A reference (M-000123) or a SIRET: an indexed match, not « contains » over every row.
        reference = REFERENCE.fullmatch(search_term.strip().upper())
        if reference:
            return queryset.filter(pk=int(reference[1])), False
        by_identifier = identifier_search(search_term, prefix="structure__")
        if by_identifier is not None:
            return queryset.filter(by_identifier), False
        return super().get_search_results(request, queryset, search_term)

    def get_readonly_fields(self, request, obj=None):
        return [name for _title, options in FIELDSETS for name in options["fields"]]

    def waiting(self, request):
        """The home's « À traiter »: mandates about to expire unsigned, one query."""
        found = expiring(BillingMandate.objects.all()).aggregate(count=Count("pk"), since=Min("generated_at"))
        note = ""
        if found["since"] is not None:
            deadline = found["since"] + timedelta(seconds=settings.MANDATE_LINK_MAX_AGE)
            note = MSG_FIRST_DEADLINE % {"deadline": local_datetime(deadline)}
        url = changelist_url(
            self, request, "generated_at", **{SigningDeadlineFilter.parameter_name: SigningDeadlineFilter.SOON}
        )
        hours = int(EXPIRING_WITHIN.total_seconds() // 3600)
        return [Waiting(MSG_WAITING_EXPIRING % {"hours": hours}, found["count"], found["since"], url, note)]

    def has_add_permission(self, request):
        return False  # generated by the structure's main manager, from the stage D page

    def has_change_permission(self, request, obj=None):
        # A mandate's page is read only (no « Enregistrer »), signed or not: its status changes
        # through the services (the action « Annuler », which needs the change permission).
        if obj is not None:
            return False
        return super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("délai de signature"))
    def signing_deadline_display(self, obj):
        # The signing link works until then (« généré » only: the others are decided).
        return local_datetime(obj.signing_deadline) if obj.is_generated else "—"

    @admin.display(description=_("référence"), ordering="pk")
    def reference(self, obj):
        return obj.reference

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj):
        # The view checks the permission again; never a media URL.
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            reverse("mandates:pdf", args=[obj.pk]),
            _("PDF signé") if obj.is_signed else _("PDF (non signé)"),
        )

    @admin.display(description=_("texte"))
    def document_display(self, obj):
        # Rendered and escaped by the mandate's template when it was generated.
        # Escaped when the mandate was rendered at generation (bandit B308/B703 reviewed).
        return mark_safe(obj.document_html)  # nosec B308 B703

    @admin.action(description=_("Annuler les mandats sélectionnés (non signés)"), permissions=["change"])
    def cancel_selected(self, request, queryset):
        cancelled = 0
        for mandate in queryset.filter(status=BillingMandate.Status.GENERATED):
            try:
                services.cancel_mandate(mandate, by=request.user)
            except services.MandateLinkError:
                continue
            self.log_change(request, mandate, str(_("Mandat annulé.")))
            cancelled += 1
        self.message_user(
            request,
            ngettext("%(count)d mandat annulé.", "%(count)d mandats annulés.", cancelled) % {"count": cancelled},
            messages.SUCCESS if cancelled else messages.WARNING,
        )
