"""The PDF of an invoice entered in the form (« Saisir »): A4, in French, rendered by WeasyPrint.

What the supplier typed goes through the template's autoescaping. The stylesheet is inline and
WeasyPrint gets the mandates' URL fetcher, which serves nothing but that app's static files:
a value typed as `url(file:///etc/passwd)` or an intranet address fetches nothing.
The PDF is a PDF/A-3b, the form Factur-X requires before its XML is embedded (facturx.py).
"""

from django.template.loader import render_to_string
from django.utils import timezone, translation
from weasyprint import HTML

from mandates.pdf import BASE_URL, StaticFilesOnlyFetcher, font_config
from mandates.texts import PARIS


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
    html = HTML(
        string=render_invoice_html(entered, issued_at=issued_at),
        base_url=BASE_URL,
        url_fetcher=StaticFilesOnlyFetcher(),
    )
    return html.write_pdf(pdf_variant="pdf/a-3b", font_config=font_config())
