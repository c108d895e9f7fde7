"""Invoices for the tests, built in memory: plain PDFs, Factur-X files and broken ones.

Factur-X files are made with the `factur-x` library itself, as a supplier's software would:
its generator writes the XML, `generate_from_binary` embeds it into a text PDF.
"""

import datetime
import io

import facturx
from lxml import etree
from pypdf import PdfReader, PdfWriter

from tests.banking.pdfs import pdf

CITY_SIRET = "21380185500015"
OTHER_SIRET = "73282932000074"
# A few days ago, whatever day the tests run: an issue date may not be in the future.
ISSUE_DATE = datetime.date.today() - datetime.timedelta(days=5)


def invoice_lines(number="F-2026-001", total="1 200,00"):
    return [
        "MENUISERIE MARTIN — 12 rue Félix Poulat, 38000 Grenoble",
        f"FACTURE N° {number}",
        "Client : Ville de Grenoble",
        "Pose de 4 fenêtres, école Jean Jaurès",
        f"Total TTC : {total} EUR",
    ]


def plain_pdf(number="F-2026-001"):
    """A text PDF as invoicing software prints one, without XML."""
    return pdf(invoice_lines(number))


def facturx_data(seller_siret, **overrides):
    """The data of a one-line EN 16931 invoice of 1 000 € HT + 200 € of VAT."""
    data = {
        "BT-1": "F-2026-001",
        "BT-2": ISSUE_DATE,
        "BT-3": "380",
        "BT-5": "EUR",
        "BT-10": "VOIRIE",
        "BT-13": "ENG-2026-042",
        "BT-72": ISSUE_DATE - datetime.timedelta(days=5),
        "BG-4": {
            "name": "Menuiserie Martin",
            "legal_identifier": seller_siret,
            "legal_identifier_schemeid": "0009",
            "country_code": "FR",
        },
        "BG-7": {
            "name": "Ville de Grenoble",
            "legal_identifier": CITY_SIRET,
            "legal_identifier_schemeid": "0009",
            "country_code": "FR",
        },
        "BG-23": [{"BT-116": "1000.00", "BT-117": "200.00", "BT-118": "S", "BT-119": "20"}],
        "BG-25": [
            {
                "BT-126": "1",
                "BT-129": "1",
                "BT-130": "C62",
                "BT-131": "1000.00",
                "BT-146": "1000.00",
                "BT-151": "S",
                "BT-152": "20",
                "BT-153": "Pose de 4 fenêtres",
            }
        ],
        "BT-106": "1000.00",
        "BT-109": "1000.00",
        "BT-110": "200.00",
        "BT-112": "1200.00",
        "BT-115": "1200.00",
    }
    data.update(overrides)
    return data


def facturx_xml(seller_siret, **overrides):
    return facturx.generate_cii_xml(
        facturx_data(seller_siret, **overrides), level="en16931", check_xsd=False, check_schematron=False
    )


def facturx_pdf(seller_siret=None, *, xml=None, attachments=None, **overrides):
    """A Factur-X PDF: the text invoice with its XML as factur-x.xml."""
    xml = xml if xml is not None else facturx_xml(seller_siret, **overrides)
    number = overrides.get("BT-1", "F-2026-001")
    return facturx.generate_from_binary(
        plain_pdf(number),
        xml,
        flavor="factur-x",
        level="en16931",
        check_xsd=False,
        attachments=attachments,
        # Given, so that the library does not read them from an XML the test may have broken.
        pdf_metadata={"author": "Menuiserie Martin", "keywords": "Factur-X", "title": number, "subject": number},
    )


def schema_invalid_xml(seller_siret):
    """A Factur-X XML whose invoice has no number: the schema requires ram:ID in the document."""
    root = etree.fromstring(facturx_xml(seller_siret))
    ns = {
        "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
        "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    }
    number = root.find("rsm:ExchangedDocument/ram:ID", ns)
    number.getparent().remove(number)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def with_other_attachment(seller_siret):
    """A Factur-X PDF that also carries a program."""
    return facturx_pdf(seller_siret, attachments={"outil.exe": {"filedata": b"MZ pretend this is a program"}})


def encrypted(data):
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password="secret", algorithm="RC4-128")  # RC4: no crypto library needed
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_text(data):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
