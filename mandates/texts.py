"""The text of the billing mandate, one template per version.

A version is never edited once mandates were signed with it: a new wording is a new template
and a new version string, and CURRENT_VERSION moves to it. Mandates keep the version and the
rendered text they were generated with.

The text is legal wording in French: it is rendered in French whatever the interface language,
with dates in Europe/Paris, so that the same mandate always gives the same bytes.
"""

from zoneinfo import ZoneInfo

from django.template.loader import render_to_string
from django.utils import timezone, translation

CURRENT_VERSION = "2026-01"

TEMPLATES = {
    "2026-01": "mandates/documents/mandat-2026-01.html",
}

PARIS = ZoneInfo("Europe/Paris")


def parties(structure, signatory):
    """The « Structure » and « Signataire » blocks, as plain text frozen at generation."""
    with translation.override("fr"):
        return {
            "raison_sociale": structure.raison_sociale,
            "identifier_type": str(structure.get_identifier_type_display()),
            "identifier": structure.identifier,
            "address_lines": [
                line
                for line in (
                    structure.address,
                    structure.address_complement,
                    f"{structure.postcode} {structure.city}".strip(),
                    str(structure.country.name),
                )
                if line
            ],
            "signatory_name": signatory.get_full_name() or signatory.email,
            "signatory_email": signatory.email,
        }


def render_document(*, structure, signatory, generated_at, version=CURRENT_VERSION):
    """The mandate as the signatory will read it: an HTML fragment, escaped by the template."""
    context = {
        "version": version,
        "parties": parties(structure, signatory),
        "generated_at": generated_at,
    }
    with translation.override("fr"), timezone.override(PARIS):
        return render_to_string(TEMPLATES[version], context).strip()
