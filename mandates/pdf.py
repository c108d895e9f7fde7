"""The billing mandate as a PDF: A4, in French, rendered by WeasyPrint (core/pdf_rendering.py).

The mandate's text is the stored `document_html`, escaped when it was rendered; everything
else the supplier typed goes through the template's autoescaping. Its stylesheet is the one
file WeasyPrint may load: the fetcher serves this app's static folder and nothing else.
"""

from pathlib import Path

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from core.pdf_rendering import PARIS, render_pdf

STATIC_DIR = (Path(__file__).resolve().parent / "static").resolve()
BASE_URL = STATIC_DIR.as_uri() + "/"


def render_mandate_html(mandate):
    """The HTML given to WeasyPrint; the signed one includes the « Preuve de signature »."""
    context = {
        "mandate": mandate,
        # Rendered and escaped at generation (bandit B308/B703 reviewed).
        "document": mark_safe(mandate.document_html),  # nosec B308 B703
        "signed": mandate.is_signed,
    }
    with translation.override("fr"), timezone.override(PARIS):
        return render_to_string("mandates/pdf.html", context)


def render_mandate_pdf(mandate):
    return render_pdf(render_mandate_html(mandate), static_dir=STATIC_DIR)
