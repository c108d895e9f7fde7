import io

import facturx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from lxml import etree
from pypdf import PdfReader

from invoices.files import check_invoice_file
from invoices.models import Invoice
from tests.invoices import pdfs
from tests.invoices.conftest import SIRET
from tests.invoices.helpers import ENTER_URL, entry_data

pytestmark = pytest.mark.django_db

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}


def stored(invoice):
    with invoice.file.open("rb") as handle:
        return handle.read()


def test_it_shows_the_entry_form(logged_in, service, django_assert_num_queries):
    logged_in.get(reverse("onboarding:home"))  # the session's first request writes it; not this page's cost
    # Session, user, memberships, mandates, whether there are bank details, the services; the bank
    # details twice: with no empty choice, Django reads the first one for the `required` attribute.
    with django_assert_num_queries(8):
        response = logged_in.get(ENTER_URL)
    html = response.content.decode()
    assert "<h1>Saisir une facture</h1>" in html
    assert "au nom de Menuiserie Martin (autofacturation)" in html
    assert 'name="delivery_date"' in html and 'name="vat_rate"' in html


def test_it_issues_an_entered_invoice_as_a_valid_facturx_pdf(
    logged_in, structure, engagement_service, account, mandate, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in.post(ENTER_URL, entry_data(engagement_service, account, engagement_number="ENG-2026-7"))
    invoice = Invoice.objects.get()
    assert response["Location"] == reverse("invoices:acknowledgement", args=[invoice.pk])
    assert (invoice.source, invoice.status, invoice.facturx_profile) == ("saisie", "deposee", "en16931")
    assert (str(invoice.vat_rate), invoice.description) == ("20.00", "Pose de 4 fenêtres, école Jean Jaurès")
    assert invoice.original_name == "facture-F-2026-001.pdf"
    assert mailoutbox[0].subject == "Facture n° F-2026-001 de Menuiserie Martin : accusé de réception"

    # Read back as the city's software would: the XML is there, valid, profile EN 16931.
    data = stored(invoice)
    filename, xml = facturx.get_facturx_xml_from_pdf(data, check_xsd=True)
    assert filename == "factur-x.xml"
    root = etree.fromstring(xml)
    assert facturx.get_level(root, "factur-x") == "en16931"
    assert facturx.xml_check_xsd(root, flavor="factur-x", level="en16931")
    assert xml.decode() == invoice.facturx_xml
    parsed = facturx.parse_ubl_cii_xml(xml)
    assert (parsed["BT-1"], parsed["BT-2"], parsed["BT-3"]) == ("F-2026-001", pdfs.ISSUE_DATE, "389")
    assert (parsed["BT-10"], parsed["BT-13"]) == ("ECOLES", "ENG-2026-7")
    assert (parsed["BT-109"], parsed["BT-110"], parsed["BT-112"], parsed["BT-115"]) == (
        "1000.00",
        "200.00",
        "1200.00",
        "1200.00",
    )
    assert parsed["BG-4"]["legal_identifier"] == SIRET
    assert parsed["BG-4"]["vat_identifier"] == "FR38464305770"  # derived from the SIREN
    assert parsed["BG-7"]["legal_identifier"] == "21380185500015"
    assert parsed["BT-84"] == account.iban
    assert root.find("rsm:ExchangedDocument/ram:IncludedNote/ram:Content", NS).text == (
        f"Autofacturation — mandat de facturation {mandate.reference}"
    )

    # A PDF/A-3 whose text a person reads, that the deposit's own checks accept.
    reader = PdfReader(io.BytesIO(data))
    assert b"<pdfaid:part>3</pdfaid:part>" in reader.xmp_metadata.stream.get_data()
    text = " ".join(pdfs.pdf_text(data).split())
    assert "Facture n° F-2026-001" in text
    assert (
        "Autofacturation — facture émise par la Ville de Grenoble au nom et pour le compte de Menuiserie Martin" in text
    )
    assert "1 200,00 €" in text
    checked = check_invoice_file(SimpleUploadedFile("facture.pdf", data))
    assert checked.facturx.number == "F-2026-001" and checked.sha256 == invoice.sha256


def test_it_issues_an_invoice_without_vat(logged_in, service, account):
    response = logged_in.post(
        ENTER_URL, entry_data(service, account, vat_rate="0", vat_amount="0", amount_incl_tax="1000,00")
    )
    assert response.status_code == 302
    invoice = Invoice.objects.get()
    xml = facturx.get_facturx_xml_from_pdf(stored(invoice), check_xsd=True)[1]
    breakdown = facturx.parse_ubl_cii_xml(xml)["BG-23"][0]
    assert (breakdown["BT-118"], breakdown["BT-120"]) == ("E", "TVA non applicable, art. 293 B du CGI")
    assert "TVA non applicable, art. 293 B du CGI." in pdfs.pdf_text(stored(invoice))


def test_it_prints_typed_text_as_text_and_fetches_nothing(logged_in, service, account):
    typed = '<img src="file:///etc/passwd"> Pose <b>fenêtres</b>\x0b'
    assert logged_in.post(ENTER_URL, entry_data(service, account, description=typed)).status_code == 302
    invoice = Invoice.objects.get()
    assert invoice.description == '<img src="file:///etc/passwd"> Pose <b>fenêtres</b>'  # one line, printable
    text = "".join(pdfs.pdf_text(stored(invoice)).split())  # the column wraps the line anywhere
    assert '<imgsrc="file:///etc/passwd">Pose<b>fenêtres</b>' in text
    assert "root:" not in text
