"""Invoices for the city's finance staff (group « Finance »), and the services they keep.

An invoice is never edited here: its page shows the file, the Factur-X data and the history,
with one button per status the current one may move to (invoices/services.py TRANSITIONS).
Each button opens a confirmation with a comment — required to reject (the reason) or to suspend
(the documents asked for) — and calls services.change_status, which records and e-mails it.
"""

import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Min, Q
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from chorus.portal import PortalError
from core.amounts import euros, percent
from core.ids import parse_id
from structures.admin import identifier_search
from structures.csv_export import csv_bytes
from structures.models import Structure
from twofactor.admin_site import Waiting, changelist_url

from . import services, transmission
from .models import Invoice, InvoiceStatusChange, Service, SupportingDocument, portal_status_label

Status = Invoice.Status

COMMENT_MESSAGES = {
    Status.REJECTED: _("Indiquez le motif du rejet : le fournisseur doit savoir quoi corriger."),
    Status.SUSPENDED: _("Indiquez les pièces demandées au fournisseur."),
}
# The list's words for the transmission (the filter and the page say it in full): the list
# fits 1280 px, its rows stay short.
TRANSMISSION_SHORT = {
    Invoice.Transmission.PENDING: _("À transmettre"),
    Invoice.Transmission.TRANSMITTED: _("Transmise"),
    Invoice.Transmission.REFUSED: _("Refusée : à reprendre"),
}

# The home's « À traiter »: what waits for finance staff, not for the supplier nor the jobs.
MSG_WAITING_REFUSED = _("Factures refusées par Chorus Pro, à reprendre puis à transmettre de nouveau")
MSG_WAITING_COMPLETED = _("Factures complétées par le fournisseur (pièces ajoutées), à reprendre")

BUTTON_LABELS = {
    Status.MADE_AVAILABLE: _("Mettre à disposition"),
    Status.SERVICE_DONE: _("Constater le service fait"),
    Status.MANDATED: _("Mandater"),
    Status.PAYMENT: _("Mettre en paiement"),
    Status.REJECTED: _("Rejeter (motif)"),
    Status.SUSPENDED: _("Suspendre (pièces demandées)"),
}


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    change_list_template = "admin/invoices/service/change_list.html"
    list_display = ["code", "name", "engagement_required", "is_active"]
    list_filter = ["engagement_required", "is_active"]
    search_fields = ["code", "name"]

    def has_delete_permission(self, request, obj=None):
        return False  # invoices point at it: untick « proposé aux fournisseurs » instead

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "actualiser/",
                self.admin_site.admin_view(self.refresh_view),
                name="{}_{}_refresh".format(*info),
            ),
            *super().get_urls(),
        ]

    def refresh_view(self, request):
        """« Actualiser depuis Chorus Pro » (POST): the services as the portal lists them."""
        changelist = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        if request.method != "POST" or not self.has_change_permission(request):
            raise PermissionDenied
        try:
            counts = transmission.refresh_city_services()
        except PortalError as error:
            self.message_user(request, error.message, messages.ERROR)
        else:
            message = _(
                "Services actualisés depuis Chorus Pro : %(added)s ajouté(s), %(updated)s modifié(s), "
                "%(closed)s fermé(s)."
            ) % {"added": counts.added, "updated": counts.updated, "closed": counts.closed}
            # « Actions récentes »: a change of the services' list as a whole (no one object).
            LogEntry.objects.create(
                user_id=request.user.pk,
                content_type=ContentType.objects.get_for_model(Service),
                object_repr=str(capfirst(Service._meta.verbose_name_plural)),
                action_flag=CHANGE,
                change_message=str(message),
            )
            self.message_user(request, message)
        return HttpResponseRedirect(changelist)


class StatusChangeForm(forms.Form):
    comment = forms.CharField(
        label=_("Commentaire"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_("Le fournisseur le lit dans le courriel qui lui annonce le changement."),
    )

    def __init__(self, *args, to, **kwargs):
        super().__init__(*args, **kwargs)
        if to in COMMENT_MESSAGES:
            field = self.fields["comment"]
            field.required = True
            field.label = _("Motif du rejet") if to == Status.REJECTED else _("Pièces demandées")
            field.error_messages["required"] = COMMENT_MESSAGES[to]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class StatusChangeInline(ReadOnlyInline):
    model = InvoiceStatusChange
    fields = readonly_fields = [
        "changed_at",
        "from_status",
        "to_status",
        "portal_label",
        "source",
        "changed_by",
        "comment",
    ]

    @admin.display(description=_("statut sur Chorus Pro"))
    def portal_label(self, obj):
        return portal_status_label(obj.portal_status) if obj.source == obj.Source.PORTAL else "—"


class SupportingDocumentInline(ReadOnlyInline):
    model = SupportingDocument
    fields = readonly_fields = ["document_link", "added_at", "added_by", "sha256"]

    @admin.display(description=_("fichier"))
    def document_link(self, obj):
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            reverse("invoices:document", args=[obj.invoice_id, obj.pk]),
            obj.original_name,
        )


FIELDSETS = [
    (None, {"fields": ["structure", "number", "status", "status_changed_at", "rejection_reason", "source"]}),
    (
        _("Données de la facture"),
        {
            "fields": [
                "issue_date",
                "amount_excl_tax_display",
                "vat_amount_display",
                "amount_incl_tax_display",
                "vat_rate_display",
                "description",
                "service",
                "engagement_number",
                "bank_account",
            ]
        },
    ),
    (_("Fichier"), {"fields": ["file_link", "original_name", "sha256", "deposited_by", "deposited_at"]}),
    (
        _("Chorus Pro"),
        {
            "fields": [
                "transmission",
                "portal_invoice_id",
                "portal_status_display",
                "portal_status_at",
                "transmitted_at",
                "transmission_attempts",
                "transmission_error",
                "transmission_next_at",
            ]
        },
    ),
    (_("Factur-X"), {"fields": ["facturx_profile", "facturx_xml_display"]}),
]


# An invoice or engagement number typed in the search box: one word, with a digit.
NUMBER_SHAPE = re.compile(r"\S*\d\S*")


class StructureFilter(admin.SimpleListFilter):
    """« Par structure », without listing every structure that has invoices: for a city, tens of
    thousands of links, read from every invoice on each display of the list. The structure is
    chosen from a row (its name links here) or found by the search; the filter then shows it,
    with « Tout » to leave it."""

    title = _("structure")
    parameter_name = "structure__id__exact"

    def lookups(self, request, model_admin):
        value = self.value()
        structure = Structure.objects.filter(pk=parse_id(value)).first() if parse_id(value) is not None else None
        return [(str(structure.pk), str(structure))] if structure else []

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        return queryset.filter(structure_id=parse_id(value)) if parse_id(value) is not None else queryset.none()


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    change_form_template = "admin/invoices/invoice/change_form.html"
    list_display = [
        "number",
        "structure_link",
        "issue_date",
        "amount_incl_tax_display",
        "service",
        "status",
        "transmission_display",
        "deposited_at",
        "file_link",
    ]
    list_filter = ["status", "transmission", "service", StructureFilter, "source"]
    list_select_related = ["structure", "service"]
    search_fields = ["number", "engagement_number", "structure__raison_sociale", "structure__identifier"]
    fieldsets = FIELDSETS
    inlines = [StatusChangeInline, SupportingDocumentInline]
    actions = ["export_csv"]

    def get_readonly_fields(self, request, obj=None):
        return [name for _title, options in FIELDSETS for name in options["fields"]]

    def waiting(self, request):
        """What waits for finance staff, in one query: the invoices Chorus Pro refused (fixed,
        then « Transmettre de nouveau »: no job retries them), and those their supplier completed
        after a suspension (the documents are here only). Not the suspended ones (they wait for
        the supplier), nor those « À transmettre » (the jobs send them, retrying an outage). The
        lists are sorted by deposit: the payment period runs from it."""
        refused = Q(transmission=Invoice.Transmission.REFUSED)
        completed = Q(status=Status.COMPLETED)
        found = Invoice.objects.filter(refused | completed).aggregate(
            refused=Count("pk", filter=refused),
            refused_since=Min("deposited_at", filter=refused),
            completed=Count("pk", filter=completed),
            completed_since=Min("status_changed_at", filter=completed),
        )
        return [
            Waiting(
                str(MSG_WAITING_REFUSED),
                found["refused"],
                found["refused_since"],
                changelist_url(self, request, "deposited_at", transmission__exact=Invoice.Transmission.REFUSED),
            ),
            Waiting(
                str(MSG_WAITING_COMPLETED),
                found["completed"],
                found["completed_since"],
                changelist_url(self, request, "deposited_at", status__exact=Status.COMPLETED),
            ),
        ]

    def has_add_permission(self, request):
        return False  # suppliers deposit invoices from their own pages

    def has_change_permission(self, request, obj=None):
        return False  # statuses change through the buttons, i.e. the services

    def has_delete_permission(self, request, obj=None):
        return False  # an invoice received is kept, with its history

    def has_process_permission(self, request):
        return services.is_finance_staff(request.user)

    def get_search_results(self, request, queryset, search_term):
        # A SIRET or SIREN, an invoice or engagement number: indexed exact matches, not
        # « contains » over every search field, which reads every invoice (100 000 rows).
        by_identifier = identifier_search(search_term, prefix="structure__")
        if by_identifier is not None:
            return queryset.filter(by_identifier), False
        term = search_term.strip()
        if NUMBER_SHAPE.fullmatch(term) and len(term) <= Invoice._meta.get_field("engagement_number").max_length:
            return queryset.filter(Q(number__iexact=term) | Q(engagement_number__iexact=term)), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("structure"), ordering="structure__raison_sociale")
    def structure_link(self, obj):
        # Its invoices: the structure filter, which lists no structure by itself. The name only
        # (the filter, the search and the invoice's page give the SIRET): the list fits 1280 px.
        return format_html(
            '<a href="?{}={}">{}</a>', StructureFilter.parameter_name, obj.structure_id, obj.structure.raison_sociale
        )

    @admin.display(description=_("Chorus Pro"), ordering="transmission")
    def transmission_display(self, obj):
        return TRANSMISSION_SHORT.get(obj.transmission, obj.get_transmission_display())

    @admin.display(description=_("fichier"))
    def file_link(self, obj):
        # The view checks the permission again; never a media URL.
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>', reverse("invoices:download", args=[obj.pk]), _("PDF")
        )

    @admin.display(description=_("statut sur Chorus Pro"))
    def portal_status_display(self, obj):
        return portal_status_label(obj.portal_status) if obj.portal_status else "—"

    @admin.display(description=_("XML Factur-X"))
    def facturx_xml_display(self, obj):
        if not obj.facturx_xml:
            return "—"
        # Folded: a page of XML would push the history and the documents far down.
        return format_html(
            '<details class="facturx-xml"><summary>{}</summary><pre>{}</pre></details>',
            _("Voir le XML"),
            obj.facturx_xml,
        )

    # Amounts and the VAT rate in the active language's format: « 1 234,56 € », « 5,5 % ».

    @admin.display(description=Invoice._meta.get_field("amount_excl_tax").verbose_name, ordering="amount_excl_tax")
    def amount_excl_tax_display(self, obj):
        return euros(obj.amount_excl_tax)

    @admin.display(description=Invoice._meta.get_field("vat_amount").verbose_name, ordering="vat_amount")
    def vat_amount_display(self, obj):
        return euros(obj.vat_amount)

    @admin.display(description=Invoice._meta.get_field("amount_incl_tax").verbose_name, ordering="amount_incl_tax")
    def amount_incl_tax_display(self, obj):
        return euros(obj.amount_incl_tax)

    @admin.display(description=Invoice._meta.get_field("vat_rate").verbose_name)
    def vat_rate_display(self, obj):
        return percent(obj.vat_rate) if obj.vat_rate is not None else "—"

    # --- one button per allowed transition -----------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/statut/<str:to>/",
                self.admin_site.admin_view(self.change_status_view),
                name="{}_{}_change_status".format(*info),
            ),
            path(
                "<path:object_id>/transmettre/",
                self.admin_site.admin_view(self.transmit_again_view),
                name="{}_{}_transmit_again".format(*info),
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        transitions = []
        invoice = self.get_object(request, unquote(object_id))
        if invoice is not None and self.has_process_permission(request):
            transitions = [
                (to, BUTTON_LABELS[to], to == Status.REJECTED) for to in services.allowed_transitions(invoice)
            ]
        can_transmit_again = (
            invoice is not None
            and invoice.transmission == Invoice.Transmission.REFUSED
            and self.has_process_permission(request)
        )
        extra_context = {**(extra_context or {}), "transitions": transitions, "can_transmit_again": can_transmit_again}
        return super().change_view(request, object_id, form_url, extra_context)

    def transmit_again_view(self, request, object_id):
        """« Transmettre de nouveau à Chorus Pro » (POST), once what the portal refused is fixed."""
        if request.method != "POST" or not self.has_process_permission(request):
            raise PermissionDenied
        invoice = self.get_object(request, unquote(object_id))
        if invoice is None:
            raise Http404
        if transmission.transmit_again(invoice, by=request.user):
            self.log_change(request, invoice, str(_("À transmettre de nouveau à Chorus Pro.")))
            self.message_user(request, _("La facture sera transmise de nouveau à Chorus Pro dans quelques minutes."))
        return HttpResponseRedirect(
            reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[invoice.pk])
        )

    def change_status_view(self, request, object_id, to):
        if not self.has_process_permission(request):
            raise PermissionDenied
        invoice = self.get_object(request, unquote(object_id))
        if invoice is None or to not in Status.values:
            raise Http404
        change_url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[invoice.pk])
        if to not in services.allowed_transitions(invoice):
            self._refuse(request, invoice, to)
            return HttpResponseRedirect(change_url)
        form = StatusChangeForm(request.POST or None, to=to)
        if request.method == "POST" and form.is_valid():
            try:
                services.change_status(invoice, to, by=request.user, comment=form.cleaned_data["comment"])
            except services.InvoiceStateError:
                self._refuse(request, invoice, to)
            else:
                self.log_change(request, invoice, str(_("Statut : %(status)s.") % {"status": Status(to).label}))
                self.message_user(
                    request,
                    _(
                        "%(invoice)s : %(status)s (changement manuel, noté comme tel dans l'historique). "
                        "Le fournisseur en est informé par courriel."
                    )
                    % {"invoice": invoice, "status": Status(to).label},
                )
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": _("%(invoice)s : %(action)s") % {"invoice": invoice, "action": BUTTON_LABELS[to]},
            "opts": self.opts,
            "original": invoice,
            "form": form,
            "target": Status(to).label,
            "button": BUTTON_LABELS[to],
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/invoices/invoice/change_status.html", context)

    def _refuse(self, request, invoice, to):
        invoice.refresh_from_db(fields=["status"])
        self.message_user(
            request,
            _("Cette facture ne peut pas passer au statut « %(to)s » depuis le statut « %(status)s ».")
            % {"to": Status(to).label, "status": invoice.get_status_display()},
            messages.ERROR,
        )

    # --- for the finance team's spreadsheets ---------------------------------------------

    @admin.action(description=_("Exporter les factures sélectionnées (CSV)"))
    def export_csv(self, request, queryset):
        header = [
            _("Structure"),
            _("Identifiant"),
            _("Numéro de facture"),
            _("Date d'émission"),
            _("Montant HT"),
            _("TVA"),
            _("Montant TTC"),
            _("Code service"),
            _("Service"),
            _("Numéro d'engagement"),
            _("Statut"),
            _("Origine"),
            _("Déposée le"),
            _("Dernier changement"),
        ]
        rows = (
            [
                invoice.structure.raison_sociale,
                invoice.structure.identifier,
                invoice.number,
                invoice.issue_date.strftime("%d/%m/%Y"),
                _decimal_comma(invoice.amount_excl_tax),
                _decimal_comma(invoice.vat_amount),
                _decimal_comma(invoice.amount_incl_tax),
                invoice.service.code,
                invoice.service.name,
                invoice.engagement_number,
                invoice.get_status_display(),
                invoice.get_source_display(),
                _paris(invoice.deposited_at),
                _paris(invoice.status_changed_at),
            ]
            for invoice in queryset.select_related("structure", "service").order_by("deposited_at", "pk").iterator()
        )
        response = HttpResponse(csv_bytes(header, rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="factures.csv"'
        return response


def _decimal_comma(amount):
    # A French spreadsheet reads « 1234,56 » as a number, « 1234.56 » as text.
    return format(amount, "f").replace(".", ",")


def _paris(moment):
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M")
