from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, Min, OuterRef, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from twofactor.admin_site import Waiting, changelist_url

from . import services
from .csv_export import csv_bytes
from .forms import RefusalForm
from .identifiers import IdentifierType
from .models import AttachmentRequest, Membership, Structure

# « Actions récentes » and the request's history: the decisions taken here (LogEntry).
MSG_LOG_ACCEPTED = _("Demande de rattachement acceptée.")
MSG_LOG_REFUSED = _("Demande de rattachement refusée.")
MSG_WAITING_NO_MANAGER = _("Demandes de rattachement à une structure sans gestionnaire principal")


def without_main_manager(structure_field="structure"):
    """The rows whose structure has no main manager: only finance staff may decide for them."""
    return ~Exists(Membership.objects.filter(structure=OuterRef(structure_field), role=Membership.Role.MAIN_MANAGER))


class MainManagerFilter(admin.SimpleListFilter):
    """« Sans gestionnaire principal »: the requests nobody but finance staff will decide."""

    title = _("gestionnaire principal de la structure")
    parameter_name = "gestionnaire"
    NONE = "aucun"

    def lookups(self, request, model_admin):
        return [(self.NONE, _("Aucun : à décider par la Ville"))]

    def queryset(self, request, queryset):
        return queryset.filter(without_main_manager()) if self.value() == self.NONE else queryset


def identifier_search(search_term, prefix=""):
    """A SIRET (14 digits) or SIREN (9) typed in an admin search box, spaces allowed: an indexed
    lookup on the structure's identifier, instead of « contains » over every search field, which
    reads the whole table (100 000 rows for a city). None for any other term."""
    compact = "".join(search_term.split())
    if not compact.isdigit() or len(compact) not in (9, 14):
        return None
    lookup = "identifier" if len(compact) == 14 else "identifier__startswith"
    return Q(**{f"{prefix}identifier_type": IdentifierType.SIRET, f"{prefix}{lookup}": compact})


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    readonly_fields = ["created_at"]


@admin.register(Structure)
class StructureAdmin(admin.ModelAdmin):
    list_display = ["raison_sociale", "identifier", "identifier_type", "status", "postcode", "city", "verified"]
    list_filter = ["identifier_type", "status", "verified_by_directory"]
    search_fields = ["identifier", "raison_sociale"]
    readonly_fields = ["created_by", "created_at", "updated_at"]
    inlines = [MembershipInline]
    actions = ["export_csv"]
    list_per_page = 50

    def get_search_results(self, request, queryset, search_term):
        by_identifier = identifier_search(search_term)
        if by_identifier is not None:
            return queryset.filter(by_identifier), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("vérifiée par l'INSEE"), boolean=True, ordering="verified_by_directory")
    def verified(self, obj):
        return obj.verified_by_directory

    @admin.action(description=_("Exporter les structures sélectionnées (CSV)"))
    def export_csv(self, request, queryset):
        header = [
            _("Type d'identifiant"),
            _("Identifiant"),
            _("Raison sociale"),
            _("Statut"),
            _("Adresse"),
            _("Code postal"),
            _("Ville"),
            _("Pays"),
            _("Vérifiée par l'INSEE"),
            _("Créée le"),
        ]
        rows = (
            [
                s.get_identifier_type_display(),
                s.identifier,
                s.raison_sociale,
                s.get_status_display(),
                s.address,
                s.postcode,
                s.city,
                s.country.code,
                _("oui") if s.verified_by_directory else _("non vérifié"),
                s.created_at.strftime("%d/%m/%Y"),
            ]
            for s in queryset.order_by("raison_sociale").iterator()
        )
        response = HttpResponse(csv_bytes(header, rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="structures.csv"'
        return response


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "structure", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "user__last_name", "structure__raison_sociale", "structure__identifier"]
    list_select_related = ["user", "structure"]
    autocomplete_fields = ["user", "structure"]


@admin.register(AttachmentRequest)
class AttachmentRequestAdmin(admin.ModelAdmin):
    list_display = ["user", "structure", "status", "created_at", "decided_by", "decided_at"]
    list_filter = ["status", MainManagerFilter]
    search_fields = ["user__email", "user__last_name", "structure__raison_sociale", "structure__identifier"]
    list_select_related = ["user", "structure", "decided_by"]
    readonly_fields = [
        "user",
        "structure",
        "main_manager_display",
        "status",
        "created_at",
        "decided_by",
        "decided_at",
        "refusal_reason",
    ]
    fields = readonly_fields
    actions = ["accept_selected"]
    # « Accepter » / « Refuser (motif) » sit in the object tools, outside the change form.
    change_form_template = "admin/structures/attachmentrequest/change_form.html"

    def has_add_permission(self, request):
        return False  # requests come from suppliers

    def waiting(self, request):
        """The home's « À traiter »: pending requests to a structure without a main manager."""
        found = AttachmentRequest.objects.filter(without_main_manager(), status=AttachmentRequest.Status.PENDING)
        found = found.aggregate(count=Count("pk"), since=Min("created_at"))
        url = changelist_url(
            self,
            request,
            "created_at",
            status__exact=AttachmentRequest.Status.PENDING,
            **{MainManagerFilter.parameter_name: MainManagerFilter.NONE},
        )
        return [Waiting(str(MSG_WAITING_NO_MANAGER), found["count"], found["since"], url)]

    @admin.display(description=_("gestionnaire principal de la structure"))
    def main_manager_display(self, obj):
        # Who else may decide: nobody but the Ville when there is none.
        manager = obj.structure.main_manager
        return f"{manager} ({manager.email})" if manager else _("Aucun : à décider par la Ville")

    def has_change_permission(self, request, obj=None):
        # A request's page is read only (no « Enregistrer »): it is decided with « Accepter » /
        # « Refuser (motif) ». The permission itself stays the one that decides (and the action).
        if obj is not None:
            return False
        return super().has_change_permission(request)

    def get_urls(self):
        return [
            path(
                "<int:pk>/accepter/",
                self.admin_site.admin_view(self.accept_view),
                name="structures_attachmentrequest_accept",
            ),
            path(
                "<int:pk>/refuser/",
                self.admin_site.admin_view(self.refuse_view),
                name="structures_attachmentrequest_refuse",
            ),
        ] + super().get_urls()

    def _decidable(self, request, pk):
        attachment = get_object_or_404(AttachmentRequest.objects.select_related("user", "structure"), pk=pk)
        if not request.user.has_perm("structures.change_attachmentrequest"):
            raise PermissionDenied
        return attachment

    def accept_view(self, request, pk):
        if request.method != "POST":
            return redirect("admin:structures_attachmentrequest_change", pk)
        attachment = self._decidable(request, pk)
        try:
            decided = services.accept_request(attachment, by=request.user)
        except services.AttachmentError as error:
            self.message_user(request, error.message, messages.ERROR)
        else:
            self.log_change(request, decided, str(MSG_LOG_ACCEPTED))
            self.message_user(request, _("Demande acceptée ; le demandeur est prévenu par courriel."), messages.SUCCESS)
        return redirect("admin:structures_attachmentrequest_change", pk)

    def refuse_view(self, request, pk):
        attachment = self._decidable(request, pk)
        form = RefusalForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                decided = services.refuse_request(attachment, by=request.user, reason=form.cleaned_data["reason"])
            except services.AttachmentError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                self.log_change(request, decided, str(MSG_LOG_REFUSED))
                self.message_user(
                    request, _("Demande refusée ; le demandeur est prévenu par courriel."), messages.SUCCESS
                )
            return redirect("admin:structures_attachmentrequest_change", pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Refuser la demande de rattachement"),
            "attachment": attachment,
            "form": form,
            "opts": self.model._meta,
        }
        return render(request, "admin/structures/refuse_request.html", context)

    @admin.action(description=_("Accepter les demandes sélectionnées"), permissions=["change"])
    def accept_selected(self, request, queryset):
        accepted = 0
        for attachment in queryset.filter(status=AttachmentRequest.Status.PENDING):
            try:
                decided = services.accept_request(attachment, by=request.user)
            except services.AttachmentError:
                continue
            self.log_change(request, decided, str(MSG_LOG_ACCEPTED))
            accepted += 1
        self.message_user(request, _("%d demande(s) acceptée(s).") % accepted, messages.SUCCESS)
