"""A deposited file between the two steps of « Déposer »: checked, then completed by the form.

The file waits in the private temporary storage of the wizard (`manage.py purge_wizard_files`
removes what is abandoned there), and the session remembers it under a random token, with what
its Factur-X XML said. No invoice row exists until the second step succeeds.
"""

import secrets
from dataclasses import dataclass

from django.core.files.base import ContentFile

from core.storage import wizard_file_storage

from .facturx import FacturxInvoice

SESSION_KEY = "invoices.pending_deposits"
MAX_PENDING = 3  # per session: several tabs at once, never an unbounded session


@dataclass(frozen=True)
class PendingDeposit:
    token: str
    structure_id: int
    name: str  # in wizard_file_storage
    original_name: str
    sha256: str
    facturx: FacturxInvoice | None

    def read(self):
        with wizard_file_storage.open(self.name, "rb") as handle:
            return handle.read()


def keep(request, structure, checked, original_name):
    """Store a checked file for the next step; its token."""
    token = secrets.token_urlsafe(16)
    name = wizard_file_storage.save(f"factures/{token}.pdf", ContentFile(checked.data))
    pending = dict(request.session.get(SESSION_KEY, {}))
    for old in list(pending)[: max(0, len(pending) - MAX_PENDING + 1)]:
        _delete(pending.pop(old)["name"])
    pending[token] = {
        "structure_id": structure.pk,
        "name": name,
        "original_name": original_name,
        "sha256": checked.sha256,
        "facturx": checked.facturx.to_session() if checked.facturx else None,
    }
    request.session[SESSION_KEY] = pending
    return token


def get(request, token):
    """The pending deposit of this session under `token`, if its file is still there."""
    entry = request.session.get(SESSION_KEY, {}).get(token)
    if entry is None or not wizard_file_storage.exists(entry["name"]):
        return None
    summary = entry["facturx"]
    return PendingDeposit(
        token=token,
        structure_id=entry["structure_id"],
        name=entry["name"],
        original_name=entry["original_name"],
        sha256=entry["sha256"],
        facturx=FacturxInvoice.from_session(summary) if summary else None,
    )


def discard(request, token):
    pending = dict(request.session.get(SESSION_KEY, {}))
    entry = pending.pop(token, None)
    if entry is not None:
        _delete(entry["name"])
        request.session[SESSION_KEY] = pending


def _delete(name):
    try:
        wizard_file_storage.delete(name)
    except OSError:
        pass  # the nightly purge removes it
