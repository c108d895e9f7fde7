from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import services


@login_required
@require_GET
def deposit(request):
    """« + Déposer une facture »: open once a structure of the user has a signed mandate.

    Anyone else gets a page (403) that says what is missing and links to the step to do.
    What depositing means is the next stage's work; for now the page says it is open.
    """
    access = services.deposit_access(request.user)
    if not access.allowed:
        return render(
            request, "invoices/deposit_refused.html", {"access": access, "missing": services.Missing}, status=403
        )
    return render(request, "invoices/deposit.html", {"access": access})
