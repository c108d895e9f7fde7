"""Stage C pages of the connected home: add bank details, see them, download their RIB."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from core.files import serve_private_file
from core.ids import parse_id
from core.ratelimit import enforce_rate_limit
from core.uploads import upload_limit
from structures.models import Membership
from structures.services import managed_structures
from twofactor.decorators import fresh_second_factor

from . import services
from .forms import BankAccountForm, ManagedStructureForm
from .models import REVIEW_PERMISSION, BankAccount
from .rib import MAX_RIB_SIZE
from .services import BankDetails

logger = logging.getLogger(__name__)


@upload_limit(MAX_RIB_SIZE)
@login_required
@fresh_second_factor
@require_http_methods(["GET", "POST"])
def add(request):
    """« + Ajouter des coordonnées bancaires », for a main manager (« gestionnaire principal »).

    The structure comes from `?structure=<pk>`, or is the only one the user manages, or is
    chosen in a select when they manage several.
    """
    managed = managed_structures(request.user)
    requested = request.GET.get("structure")
    structure, structure_form = None, None
    if requested is not None:
        if parse_id(requested) is None:
            raise Http404
        structure = get_object_or_404(managed, pk=parse_id(requested))  # someone else's: as if it did not exist
    else:
        choices = list(managed[:2])
        if not choices:
            raise PermissionDenied
        if len(choices) == 1:
            structure = choices[0]
        else:
            structure_form = ManagedStructureForm(request.POST or None, structures=managed)

    form = BankAccountForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        enforce_rate_limit(request, "upload")
        structure_ok = structure_form is None or structure_form.is_valid()
        if form.is_valid() and structure_ok:
            structure = structure or structure_form.cleaned_data["structure"]
            try:
                account = services.submit_bank_account(
                    structure=structure, user=request.user, details=BankDetails.from_cleaned_data(form.cleaned_data)
                )
            except OSError:
                # The storage failed (disk full, network share gone): nothing was recorded.
                logger.exception("Could not store a RIB file")
                form.add_error(
                    None,
                    _(
                        "Votre RIB n'a pas pu être enregistré, à cause d'un incident de notre côté. "
                        "Rien n'a été enregistré : réessayez dans quelques minutes en choisissant à nouveau le fichier."
                    ),
                )
            else:
                if account.is_rib_change:
                    messages.warning(
                        request,
                        _(
                            "Vos nouvelles coordonnées bancaires sont enregistrées. Les coordonnées déjà validées "
                            "restent utilisées jusqu'à la validation des nouvelles par les services financiers de "
                            "la Ville ; les membres de la structure en sont informés par courriel."
                        ),
                    )
                else:
                    messages.success(
                        request,
                        _(
                            "Vos coordonnées bancaires sont enregistrées. Les services financiers de la Ville "
                            "vont les vérifier ; vous recevrez leur réponse par courriel."
                        ),
                    )
                return redirect("banking:detail", pk=account.pk)

    state = services.bank_details_state(structure) if structure else None
    return render(
        request,
        "banking/add.html",
        {"form": form, "structure": structure, "structure_form": structure_form, "state": state},
    )


def _member_accounts(user):
    return BankAccount.objects.filter(structure__memberships__user=user)


@login_required
@require_GET
def detail(request, pk):
    """What was sent, IBAN in groups of 4, and where the review stands; members only."""
    account = get_object_or_404(_member_accounts(request.user).select_related("structure"), pk=pk)
    return render(request, "banking/detail.html", {"account": account})


@never_cache
@login_required
@require_GET
def rib(request, pk):
    """The RIB file, to members of its structure and to finance staff (core/files.py); 404 otherwise."""
    account = get_object_or_404(
        BankAccount.objects.annotate(
            is_member=Exists(Membership.objects.filter(structure=OuterRef("structure"), user=request.user))
        ).only("rib_file", "rib_original_name", "structure"),
        pk=pk,
    )
    return serve_private_file(
        request,
        account.rib_file,
        filename=account.rib_original_name,
        is_member=account.is_member,
        staff_permission=REVIEW_PERMISSION,
    )
