from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.ratelimit import enforce_rate_limit
from twofactor.decorators import fresh_second_factor

from . import services
from .csv_export import csv_bytes
from .forms import CHANGE_IDENTIFIER, JOIN_EXISTING, HandOverForm, NewStructureForm, RefusalForm, StructureSearchForm
from .identifiers import IdentifierType
from .models import AttachmentRequest
from .stage import new_structure_context


@login_required
@require_http_methods(["GET", "POST"])
def request_attachment(request):
    """« + Demander un rattachement »: search by GET, choose by POST."""
    if request.method == "POST" or request.GET:
        enforce_rate_limit(request, "directory-search")
    if request.method == "POST":
        form = StructureSearchForm(request.POST, user=request.user)
        if form.is_valid():
            if form.wants_new_structure:
                # The SIRET chosen in the directory's results, else the identifier searched.
                data = form.cleaned_data
                if data["siret"]:
                    query = urlencode({"identifier_type": IdentifierType.SIRET, "identifier": data["siret"]})
                elif data.get("identifier"):
                    query = urlencode({"identifier_type": data["identifier_type"], "identifier": data["identifier"]})
                else:
                    query = ""
                return redirect(reverse("structures:new") + (f"?{query}" if query else ""))
            if form.needs_join_confirmation(request.POST):
                form.confirming = True
                return render(
                    request, "structures/request_attachment.html", {"form": form, "export_query": form.export_query()}
                )
            try:
                outcome = services.join_structure(request.user, form.cleaned_data["structure"])
            except services.AttachmentError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    _("Votre demande de rattachement à « %s » est envoyée à son gestionnaire principal.")
                    % outcome.structure.raison_sociale,
                )
                return redirect("onboarding:home")
    else:
        form = StructureSearchForm(request.GET or None, user=request.user, searching=True)
    return render(
        request,
        "structures/request_attachment.html",
        {"form": form, "search": form.search_outcome(), "export_query": form.export_query()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def new_structure(request):
    """« + Saisir une nouvelle structure » for a logged-in supplier."""
    if request.method == "POST":
        if JOIN_EXISTING in request.POST:
            # Only the structure the page offered: the one the identifier typed belongs to.
            checked = NewStructureForm(request.POST)
            checked.is_valid()
            structure = checked.existing
            if structure is None or str(structure.pk) != request.POST[JOIN_EXISTING]:
                raise Http404  # a tampered or stale button: as for an unknown structure
            try:
                services.join_structure(request.user, structure)
            except services.AttachmentError as error:
                messages.error(request, error.message)
            else:
                messages.success(
                    request,
                    _("Votre demande de rattachement à « %s » est envoyée à son gestionnaire principal.")
                    % structure.raison_sociale,
                )
            return redirect("onboarding:home")
        form = NewStructureForm(request.POST)
        if CHANGE_IDENTIFIER in request.POST:
            return _new_structure_page(request, form.identification_form())
        enforce_rate_limit(request, "directory-search")
        page = form.next_page()
        if page is not None:
            return _new_structure_page(request, page)
        with transaction.atomic():
            outcome = services.create_structure(request.user, form.structure_details())
        if outcome.created:
            messages.success(
                request,
                _("La structure « %s » est créée : vous en êtes le gestionnaire principal.")
                % outcome.structure.raison_sociale,
            )
        else:
            messages.success(
                request,
                _(
                    "La structure « %s » venait d'être créée : votre demande de rattachement est envoyée à "
                    "son gestionnaire principal."
                )
                % outcome.structure.raison_sociale,
            )
        return redirect("onboarding:home")
    initial = {}
    identifier_type = request.GET.get("identifier_type", IdentifierType.SIRET)
    identifier = (request.GET.get("identifier") or request.GET.get("siret") or "")[:100]
    if identifier and identifier_type in IdentifierType.values:
        initial = NewStructureForm.initial_for(identifier_type, identifier)
    return _new_structure_page(request, NewStructureForm(initial=initial))


def _new_structure_page(request, form):
    return render(request, "structures/new_structure.html", {"form": form, **new_structure_context(form)})


def export_search(request):
    """« Exporter les résultats »: the same search, as a CSV file."""
    enforce_rate_limit(request, "directory-search")
    # The same search as the page's, for the same visitor: what it shows, no more.
    form = StructureSearchForm(request.GET, user=request.user, searching=True)
    outcome = form.search_outcome()
    results = outcome.results if outcome else []
    body = csv_bytes(
        [_("Identifiant"), _("Type d'identifiant"), _("Raison sociale"), _("Code postal"), _("Ville"), _("Statut")],
        [[r.identifier, r.identifier_type_label, r.raison_sociale, r.postcode, r.city, r.status] for r in results],
    )
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="structures.csv"'
    return response


def _request_to_decide(request, pk):
    attachment = get_object_or_404(AttachmentRequest.objects.select_related("structure", "user"), pk=pk)
    if not services.can_decide(request.user, attachment):
        raise Http404  # as for an unknown request: nothing to learn by guessing ids
    return attachment


@login_required
@require_POST
def accept_request(request, pk):
    attachment = _request_to_decide(request, pk)
    try:
        services.accept_request(attachment, by=request.user)
    except services.AttachmentError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(user)s est rattaché(e) à « %(structure)s ».")
            % {"user": attachment.user, "structure": attachment.structure.raison_sociale},
        )
    return redirect("onboarding:home")


@login_required
@require_http_methods(["GET", "POST"])
def refuse_request(request, pk):
    attachment = _request_to_decide(request, pk)
    form = RefusalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.refuse_request(attachment, by=request.user, reason=form.cleaned_data["reason"])
        except services.AttachmentError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("La demande de %s est refusée ; le demandeur en est informé.") % attachment.user
            )
        return redirect("onboarding:home")
    return render(request, "structures/refuse_request.html", {"form": form, "attachment": attachment})


@login_required
@fresh_second_factor
@require_http_methods(["GET", "POST"])
def hand_over(request, pk):
    """« Transmettre le rôle de gestionnaire principal »: a step-up first (the new manager will
    give the bank details and sign the mandates); both people are told by e-mail."""
    structure = get_object_or_404(services.managed_structures(request.user), pk=pk)
    form = HandOverForm(request.POST or None, structure=structure, user=request.user)
    if request.method == "POST" and form.is_valid():
        new_manager = form.cleaned_data["new_manager"].user
        try:
            services.hand_over_main_manager(structure, by=request.user, to=new_manager)
        except services.AttachmentError as error:
            error.add_to(form)
        else:
            messages.success(
                request,
                _("%(name)s est désormais gestionnaire principal de « %(structure)s » ; vous en restez membre.")
                % {"name": new_manager.get_full_name(), "structure": structure.raison_sociale},
            )
            return redirect("onboarding:home")
    return render(
        request,
        "structures/hand_over.html",
        {"form": form, "structure": structure, "has_members": form.fields["new_manager"].queryset.exists()},
    )
