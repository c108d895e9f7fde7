"""The PDF of an invoice entered in the form (« Saisir »): A4, in French, rendered by WeasyPrint.

What the supplier typed goes through the template's autoescaping. The stylesheet is inline and
WeasyPrint's fetcher (core/pdf_rendering.py) serves nothing but this app's static folder: a
value typed as `url(file:///etc/passwd)` or an intranet address fetches nothing.
The PDF is a PDF/A-3b, the form Factur-X requires before its XML is embedded (facturx.py).
"""

from pathlib import Path

from django.template.loader import render_to_string
from django.utils import timezone, translation

from core.pdf_rendering import PARIS, render_pdf

STATIC_DIR = (Path(__file__).resolve().parent / "static").resolve()


def render_invoice_html(entered, *, issued_at):
    context = {
        "invoice": entered,
        "structure": entered.structure,
        "account": entered.bank_account,
        "issued_at": issued_at,
    }
    with translation.override("fr"), timezone.override(PARIS):
        return render_to_string("invoices/pdf.html", context)


def render_invoice_pdf(entered, *, issued_at):
    return render_pdf(render_invoice_html(entered, issued_at=issued_at), static_dir=STATIC_DIR, pdf_variant="pdf/a-3b")
