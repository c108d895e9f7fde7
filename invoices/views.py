"""« + Déposer une facture » and « Factures émises »: the supplier's invoice pages.

Depositing a file takes two steps: the file is checked (and its Factur-X XML read), then the
city's data are completed in a form pre-filled from the XML (invoices/pending.py keeps the file
in between). Entering an invoice takes one: the app issues it as a Factur-X PDF. Each invoice's
pages are for the members of its structure; anyone else gets a 404, as if it did not exist.
"""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from banking.services import bank_details_state
from core.files import serve_private_file
from core.ids import parse_id
from core.ratelimit import enforce_rate_limit
from core.uploads import upload_limit
from structures.models import Membership

from . import facturx, pending, services
from .files import MAX_INVOICE_SIZE
from .forms import (
    InvoiceDataForm,
    InvoiceEntryForm,
    InvoiceFileForm,
    StructureChoiceForm,
    SupportingDocumentsForm,
    initial_from,
)
from .models import VIEW_PERMISSION, Invoice, Service, SupportingDocument

logger = logging.getLogger(__name__)

PAGE_SIZE = 25


def _refused(request, access):
    return render(request, "invoices/deposit_refused.html", {"access": access, "missing": services.Missing}, status=403)


def _chosen_structure(request, access):
    """`?structure=<pk>` among those open to deposit, or the only one; None when to be chosen."""
    requested = request.GET.get("structure")
    if requested is not None:
        if parse_id(requested) is None:
            raise Http404
        structure = next((s for s in access.structures if s.pk == parse_id(requested)), None)
        if structure is None:
            raise Http404  # someone else's, or without a signed mandate: as if it did not exist
        return structure
    return access.structures[0] if len(access.structures) == 1 else None


def _choose_structure(request, access, title):
    form = StructureChoiceForm(structures=access.structures)
    return render(request, "invoices/choose_structure.html", {"form": form, "title": title})


def _bank_details(access, structure):
    """Whether invoices of `structure` can be paid (validated bank details), and otherwise what is
    true: details sent and awaiting the finance staff's review, or rejected, or none. One query.
    « + Ajouter des coordonnées bancaires » is offered to the main manager when none are waiting."""
    state = bank_details_state(structure)
    latest = state.latest
    pending = latest if latest is not None and latest.is_pending else None
    return {
        "has_bank_account": state.in_use is not None,
        "pending_bank_account": pending,
        "rejected_bank_account": latest if latest is not None and latest.status == latest.Status.REJECTED else None,
        "can_add_bank_account": structure.pk in access.managed_ids and pending is None,
    }


def _posted(request):
    # A form posted empty is still bound: it must say what is missing, not show itself again.
    return (request.POST, request.FILES) if request.method == "POST" else (None, None)


def _storage_failed(form):
    # The storage failed (disk full, network share gone): nothing was recorded.
    logger.exception("Could not store an invoice")
    form.add_error(
        None,
        _(
            "La facture n'a pas pu être enregistrée, à cause d'un incident de notre côté. Rien n'a été "
            "enregistré : réessayez dans quelques minutes."
        ),
    )


@upload_limit(MAX_INVOICE_SIZE)
@login_required
@require_http_methods(["GET", "POST"])
def deposit(request):
    """« + Déposer une facture »: the two ways in, « Déposer » a file (here) and « Saisir » it.

    Open once a structure of the user has a signed mandate; anyone else gets a page (403) that
    says what is missing and links to the step to do.
    """
    access = services.deposit_access(request.user)
    if not access.allowed:
        return _refused(request, access)
    structure = _chosen_structure(request, access)
    if structure is None:
        return _choose_structure(request, access, _("Déposer une facture"))
    bank = _bank_details(access, structure)
    has_bank_account = bank["has_bank_account"]
    form = InvoiceFileForm(*_posted(request), structure=structure, city_siret=settings.CITY_SIRET)
    if request.method == "POST" and has_bank_account:
        enforce_rate_limit(request, "upload")
        if form.is_valid():
            try:
                token = pending.keep(request, structure, form.checked, form.cleaned_data["original_name"])
            except OSError:
                _storage_failed(form)
            else:
                return redirect("invoices:deposit_file", token=token)
    return render(
        request,
        "invoices/deposit.html",
        {
            "structure": structure,
            "several": len(access.structures) > 1,
            "form": form,
            "city_siret": settings.CITY_SIRET,
            **bank,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def deposit_file(request, token):
    """Second step of « Déposer »: the city's data, pre-filled from the Factur-X XML if any."""
    access = services.deposit_access(request.user)
    if not access.allowed:
        return _refused(request, access)
    waiting = pending.get(request, token)
    if waiting is None:
        messages.error(request, _("Le fichier n'est plus disponible : déposez-le à nouveau."))
        return redirect("invoices:deposit")
    structure = next((s for s in access.structures if s.pk == waiting.structure_id), None)
    if structure is None:
        raise Http404
    accounts = services.validated_bank_accounts(structure)
    initial = {}
    if waiting.facturx is not None:
        initial = initial_from(waiting.facturx, Service.objects.filter(is_active=True), accounts)
    form = InvoiceDataForm(
        *_posted(request)[:1],
        structure=structure,
        bank_accounts=accounts,
        facturx_summary=waiting.facturx,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            content = waiting.read()
            invoice = services.deposit_invoice(
                structure=structure,
                user=request.user,
                data=services.InvoiceData.from_cleaned_data(form.cleaned_data),
                content=content,
                original_name=waiting.original_name,
                facturx_xml=(facturx.extract_xml(content) or b"") if waiting.facturx else b"",
                facturx_profile=waiting.facturx.profile if waiting.facturx else "",
            )
        except services.InvoiceError as error:
            if error.field == "file":  # deposited meanwhile, from another tab
                pending.discard(request, token)
                messages.error(request, error.message)
                return redirect(reverse("invoices:deposit") + f"?structure={structure.pk}")
            error.add_to(form)
        except OSError:
            _storage_failed(form)
        else:
            pending.discard(request, token)
            return redirect("invoices:acknowledgement", pk=invoice.pk)
    return render(
        request,
        "invoices/deposit_file.html",
        {"structure": structure, "form": form, "waiting": waiting, "summary": waiting.facturx},
    )


@login_required
@require_http_methods(["GET", "POST"])
def enter(request):
    """« Saisir »: the app issues the invoice in the structure's name, as a Factur-X PDF."""
    access = services.deposit_access(request.user)
    if not access.allowed:
        return _refused(request, access)
    structure = _chosen_structure(request, access)
    if structure is None:
        return _choose_structure(request, access, _("Saisir une facture"))
    accounts = services.validated_bank_accounts(structure)
    form = InvoiceEntryForm(*_posted(request)[:1], structure=structure, bank_accounts=accounts)
    bank = _bank_details(access, structure)
    has_bank_account = bank["has_bank_account"]
    if request.method == "POST" and has_bank_account:
        enforce_rate_limit(request, "upload")
        if form.is_valid():
            try:
                invoice = services.enter_invoice(
                    structure=structure,
                    user=request.user,
                    data=services.EnteredInvoiceData.from_cleaned_data(form.cleaned_data),
                )
            except services.InvoiceError as error:
                error.add_to(form)
            except OSError:
                _storage_failed(form)
            else:
                return redirect("invoices:acknowledgement", pk=invoice.pk)
    return render(
        request,
        "invoices/enter.html",
        {"structure": structure, "form": form, **bank},
    )


def _member_invoice(request, pk):
    return get_object_or_404(services.member_invoices(request.user).select_related("bank_account"), pk=pk)


@login_required
@require_GET
def acknowledgement(request, pk):
    """« Accusé de réception »: the deposit's date and time start the payment period."""
    return render(request, "invoices/acknowledgement.html", {"invoice": _member_invoice(request, pk)})


@login_required
@require_GET
def invoice_list(request):
    """« Factures émises »: every invoice of the user's structures, newest first."""
    page = Paginator(services.member_invoices(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "invoices/list.html", {"page": page, "invoices": page.object_list})


@login_required
@require_GET
def detail(request, pk):
    invoice = _member_invoice(request, pk)
    return _render_detail(request, invoice, SupportingDocumentsForm())


def _render_detail(request, invoice, form, status=200):
    history = list(invoice.status_changes.select_related("changed_by"))
    # What the latest suspension asked for: the supplier reads it next to the form.
    asked = next((c.comment for c in reversed(history) if c.to_status == Invoice.Status.SUSPENDED), "")
    return render(
        request,
        "invoices/detail.html",
        {
            "invoice": invoice,
            "history": history,
            "documents": invoice.documents.all(),
            "form": form,
            "documents_asked": asked,
        },
        status=status,
    )


@upload_limit(MAX_INVOICE_SIZE, max_files=5)  # SupportingDocumentsForm takes 5 at most
@login_required
@require_POST
def complete(request, pk):
    """« Compléter »: the documents asked for by a suspension; the invoice becomes « Complétée »."""
    invoice = _member_invoice(request, pk)
    enforce_rate_limit(request, "upload")
    form = SupportingDocumentsForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_detail(request, invoice, form)
    try:
        services.complete_invoice(
            invoice, by=request.user, documents=form.cleaned_data["checked_files"], comment=form.cleaned_data["comment"]
        )
    except services.InvoiceStateError:
        messages.error(request, _("Cette facture n'attend plus de pièces : rien n'a été ajouté."))
    except OSError:
        _storage_failed(form)
        return _render_detail(request, invoice, form)
    else:
        messages.success(request, _("Les pièces sont ajoutées : la facture est « Complétée »."))
    return redirect("invoices:detail", pk=invoice.pk)


def _member_annotated(request, queryset, pk):
    """The row with `is_member`: whether the user is a member of its invoice's structure; 404 if none."""
    structure = "structure" if queryset.model is Invoice else "invoice__structure"
    return get_object_or_404(
        queryset.annotate(
            is_member=Exists(Membership.objects.filter(structure=OuterRef(structure), user=request.user))
        ),
        pk=pk,
    )


@never_cache
@login_required
@require_GET
def download(request, pk):
    """What was deposited (or generated), byte for byte, with its original name."""
    invoice = _member_annotated(request, Invoice.objects.only("file", "original_name", "structure"), pk)
    return serve_private_file(
        request,
        invoice.file,
        filename=invoice.original_name,
        is_member=invoice.is_member,
        staff_permission=VIEW_PERMISSION,
    )


@never_cache
@login_required
@require_GET
def document(request, pk, document_pk):
    documents = SupportingDocument.objects.filter(invoice_id=pk).only("file", "original_name", "invoice")
    document = _member_annotated(request, documents, document_pk)
    return serve_private_file(
        request,
        document.file,
        filename=document.original_name,
        is_member=document.is_member,
        staff_permission=VIEW_PERMISSION,
    )
