"""Stage D pages: « + Souscrire un mandat de facturation », the mandate's page, its PDF.

The signing page (« Valider un mandat »), reached from the e-mail, is in signing.py.
"""

import logging
from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.files import serve_private_file
from core.ids import parse_id
from structures.models import Membership
from structures.services import managed_structures

from . import services
from .forms import StructureChoiceForm, mandate_blocks
from .models import VIEW_PERMISSION, BillingMandate
from .pdf import render_mandate_pdf

logger = logging.getLogger(__name__)


@login_required
@require_http_methods(["GET", "POST"])
def subscribe(request):
    """« + Souscrire un mandat de facturation », for a main manager.

    The structure comes from `?structure=<pk>`, or is the only one the user manages; with
    several, a select sends the choice back as `?structure=`.
    """
    managed = managed_structures(request.user)
    requested = request.GET.get("structure")
    if requested is not None:
        if parse_id(requested) is None:
            raise Http404
        structure = get_object_or_404(managed, pk=parse_id(requested))  # someone else's: as if it did not exist
    else:
        choices = list(managed[:2])
        if not choices:
            raise PermissionDenied
        if len(choices) > 1:
            form = StructureChoiceForm(structures=managed)
            return render(request, "mandates/choose_structure.html", {"form": form})
        structure = choices[0]

    error, status = "", 200
    if request.method == "POST":
        try:
            mandate = services.generate_mandate(structure, request.user)
        except services.MandateError as failure:
            existing = failure.mandate
            if existing is not None and existing.is_generated and existing.signatory_id == request.user.pk:
                # « Générer » clicked twice: the first click made it; show it, do not fail.
                return redirect("mandates:detail", pk=existing.pk)
            error, status = failure.message, 409
        else:
            messages.success(
                request, _("Le mandat de facturation est généré : un courriel vous a été envoyé pour le signer.")
            )
            return redirect("mandates:detail", pk=mandate.pk)

    return render(
        request,
        "mandates/subscribe.html",
        {
            "structure": structure,
            "blocks": mandate_blocks(structure, request.user),
            "state": services.mandate_state(structure),
            "error": error,
        },
        status=status,
    )


def _member_mandates(user):
    return BillingMandate.objects.filter(
        Exists(Membership.objects.filter(structure=OuterRef("structure"), user=user))
    ).select_related("structure", "signatory")


@login_required
@require_GET
def detail(request, pk):
    """The mandate's page: where it stands; while it waits, where the e-mail went."""
    mandate = get_object_or_404(_member_mandates(request.user), pk=pk)
    return _render_detail(request, mandate)


def _render_detail(request, mandate, *, error="", status=200):
    return render(
        request,
        "mandates/detail.html",
        {
            "mandate": mandate,
            "state": services.state_of(mandate),
            "can_manage": services.can_manage(request.user, mandate),
            "error": error,
        },
        status=status,
    )


@login_required
@require_POST
def resend(request, pk):
    """« Renvoyer le courriel »: a few times an hour at most (HTTP 429 beyond)."""
    mandate = get_object_or_404(_member_mandates(request.user), pk=pk)
    try:
        services.resend_signing_email(mandate, by=request.user)
    except services.ResendLimitReached as failure:
        return _render_detail(request, mandate, error=failure.message, status=429)
    except services.MandateLinkError:
        messages.error(request, _("Ce mandat ne peut plus être signé : le courriel n'a pas été renvoyé."))
    else:
        messages.success(request, _("Le courriel a été renvoyé à %(email)s.") % {"email": mandate.signatory.email})
    return redirect("mandates:detail", pk=mandate.pk)


@never_cache
@login_required
@require_GET
def pdf(request, pk):
    """« Exporter au format PDF », for the structure's members and finance staff (core/files.py).

    A signed mandate's stored PDF is sent unchanged; any other is rendered now, « non signé ».
    """
    mandate = get_object_or_404(
        BillingMandate.objects.select_related("structure", "signatory", "signed_by").annotate(
            is_member=Exists(Membership.objects.filter(structure=OuterRef("structure"), user=request.user))
        ),
        pk=pk,
    )
    filename = services.pdf_filename(mandate)
    if mandate.is_signed:
        source = mandate.signed_pdf
    else:
        source = partial(render_mandate_pdf, mandate)
        filename = filename.removesuffix(".pdf") + "-non-signe.pdf"
    return serve_private_file(
        request, source, filename=filename, is_member=mandate.is_member, staff_permission=VIEW_PERMISSION
    )
