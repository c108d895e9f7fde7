"""The text of the billing mandate, one template per version and language.

A version is never edited once mandates were signed with it: a new wording is a new template
and a new version string, and CURRENT_VERSION moves to it. Mandates keep the version and the
rendered text they were generated with.

The text is legal wording. French is the reference and the default; a version may also have a
faithful English translation, same structure, for suppliers from outside France. The language
is the signatory's (`User.language`, chosen when they registered, the language of their e-mails),
not the language of the request that generates the mandate: a staff member browsing in French
generates an English supplier's mandate in English, and the same mandate always gives the same
bytes. Dates are in Europe/Paris. The rendered HTML is stored with the mandate, so the language
it was shown in needs no field of its own.
"""

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django_countries import countries

from core.pdf_rendering import PARIS
from structures.identifiers import IdentifierType

CURRENT_VERSION = "2026-01"

DEFAULT_LANGUAGE = "fr"

TEMPLATES = {
    "2026-01": {
        "fr": "mandates/documents/mandat-2026-01.html",
        "en": "mandates/documents/mandat-2026-01.en.html",
    },
}


def document_language(signatory, version=CURRENT_VERSION):
    """The language `signatory` reads the mandate in: theirs if the version has it, else French."""
    language = (getattr(signatory, "language", None) or DEFAULT_LANGUAGE).split("-")[0].lower()
    return language if language in TEMPLATES[version] else DEFAULT_LANGUAGE


def parties(structure, signatory, language=DEFAULT_LANGUAGE):
    """The « Structure » and « Signataire » blocks, as plain text frozen at generation.

    `structure`: a Structure, or the StructureDetails of one being created (the wizard);
    `signatory`: a User, or the core.stages.Person registering.

    The identifier type and the country are names in `language` (French by default).
    """
    with translation.override(language):
        return {
            "raison_sociale": structure.raison_sociale,
            "identifier_type": str(IdentifierType(structure.identifier_type).label),
            "identifier": structure.identifier,
            "address_lines": [
                line
                for line in (
                    structure.address,
                    structure.address_complement,
                    f"{structure.postcode} {structure.city}".strip(),
                    str(countries.name(str(structure.country))),
                )
                if line
            ],
            "signatory_name": signatory.get_full_name() or signatory.email,
            "signatory_email": signatory.email,
        }


def render_document(*, structure, signatory, generated_at, version=CURRENT_VERSION, language=None):
    """The mandate as the signatory will read it: an HTML fragment, escaped by the template.

    In `language` when the version has it, else in the signatory's (see document_language).
    """
    templates = TEMPLATES[version]
    if language not in templates:
        language = document_language(signatory, version)
    context = {
        "version": version,
        "parties": parties(structure, signatory, language),
        "generated_at": generated_at,
    }
    with translation.override(language), timezone.override(PARIS):
        return render_to_string(templates[language], context).strip()
