"""invoices/facturx.py and invoices/files.py, below the views."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from facturx import generate_cii_xml

from banking.rib import RIB_REFUSALS
from core.pdf import check_pdf_safety
from invoices import facturx
from invoices.files import check_invoice_file
from tests.invoices import pdfs
from tests.invoices.conftest import SIRET
from tests.invoices.factories import InvoiceFactory


def upload(data):
    return SimpleUploadedFile("facture.pdf", data, content_type="application/pdf")


def test_it_reads_what_the_city_needs_in_a_facturx():
    checked = check_invoice_file(upload(pdfs.facturx_pdf(SIRET)))
    summary = checked.facturx
    assert (summary.profile, summary.profile_label, summary.number, summary.issue_date) == (
        "en16931",
        "EN 16931",
        "F-2026-001",
        pdfs.ISSUE_DATE,
    )
    assert (summary.amount_excl_tax, summary.vat_amount, summary.amount_incl_tax) == (
        Decimal("1000.00"),
        Decimal("200.00"),
        Decimal("1200.00"),
    )
    assert (summary.buyer_reference, summary.engagement_number) == ("VOIRIE", "ENG-2026-042")
    assert summary.seller.identifiers == (SIRET,) and summary.buyer.identifiers == (pdfs.CITY_SIRET,)
    assert checked.xml.startswith(b"<?xml")
    # What the session keeps between the two steps comes back the same.
    assert facturx.FacturxInvoice.from_session(summary.to_session()) == summary


def test_it_reads_a_plain_pdf_without_xml():
    checked = check_invoice_file(upload(pdfs.plain_pdf()))
    assert (checked.facturx, checked.xml, checked.page_count) == (None, None, 1)


@pytest.mark.parametrize("profile", ["minimum", "basicwl"])
def test_it_accepts_the_other_profiles_that_pass_their_schema(profile):
    if profile == "basicwl":
        data = generate_cii_xml(pdfs.facturx_data(SIRET), level="basicwl", check_xsd=False, check_schematron=False)
    else:
        data = _minimum_xml()
    summary = facturx.read_facturx(data)
    assert summary.profile == profile and summary.amount_incl_tax == Decimal("1200.00")


def _minimum_xml():
    return f"""<?xml version='1.0' encoding='UTF-8'?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
 xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
 xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
 <rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter>
  <ram:ID>urn:factur-x.eu:1p0:minimum</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
 </rsm:ExchangedDocumentContext>
 <rsm:ExchangedDocument><ram:ID>F-2026-001</ram:ID><ram:TypeCode>380</ram:TypeCode>
  <ram:IssueDateTime><udt:DateTimeString format="102">{pdfs.ISSUE_DATE:%Y%m%d}</udt:DateTimeString></ram:IssueDateTime>
 </rsm:ExchangedDocument>
 <rsm:SupplyChainTradeTransaction>
  <ram:ApplicableHeaderTradeAgreement>
   <ram:SellerTradeParty><ram:Name>Menuiserie Martin</ram:Name>
    <ram:SpecifiedLegalOrganization><ram:ID schemeID="0009">{SIRET}</ram:ID></ram:SpecifiedLegalOrganization>
    <ram:PostalTradeAddress><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress></ram:SellerTradeParty>
   <ram:BuyerTradeParty><ram:Name>Ville de Grenoble</ram:Name>
    <ram:SpecifiedLegalOrganization><ram:ID schemeID="0009">{pdfs.CITY_SIRET}</ram:ID></ram:SpecifiedLegalOrganization>
   </ram:BuyerTradeParty>
  </ram:ApplicableHeaderTradeAgreement>
  <ram:ApplicableHeaderTradeDelivery/>
  <ram:ApplicableHeaderTradeSettlement><ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
   <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    <ram:TaxBasisTotalAmount>1000.00</ram:TaxBasisTotalAmount>
    <ram:TaxTotalAmount currencyID="EUR">200.00</ram:TaxTotalAmount>
    <ram:GrandTotalAmount>1200.00</ram:GrandTotalAmount>
    <ram:DuePayableAmount>1200.00</ram:DuePayableAmount>
   </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
  </ram:ApplicableHeaderTradeSettlement>
 </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>""".encode()


def test_it_never_resolves_entities_in_a_suppliers_xml(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("mot de passe")
    namespace = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
    xml = f"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY s SYSTEM "file://{secret}">]>
<rsm:CrossIndustryInvoice xmlns:rsm="{namespace}">&s;</rsm:CrossIndustryInvoice>"""
    with pytest.raises(ValidationError) as caught:
        facturx.read_facturx(xml.encode())
    assert caught.value.code == "facturx_schema"
    assert "mot de passe" not in str(caught.value.messages)


def test_it_compares_identifiers_whatever_their_spacing():
    summary = facturx.FacturxInvoice(
        profile="en16931",
        seller=facturx.Party("Menuiserie Martin", (facturx.normalize_identifier("464 305 770 00248"),)),
        buyer=facturx.Party("Ville de Grenoble", (facturx.normalize_identifier("213 801 855 00015"),)),
    )
    structure = SimpleNamespace(identifier=SIRET, raison_sociale="Menuiserie Martin")
    assert facturx.check_parties(summary, structure, pdfs.CITY_SIRET) is None


def test_it_knows_the_vat_number_of_a_siret_or_an_eu_structure():
    assert facturx.seller_vat_number(SimpleNamespace(identifier_type="siret", identifier=SIRET)) == "FR38464305770"
    assert facturx.seller_vat_number(SimpleNamespace(identifier_type="tva_ue", identifier="BE0411905847")) == (
        "BE0411905847"
    )
    assert facturx.seller_vat_number(SimpleNamespace(identifier_type="hors_ue", identifier="CHE-123")) == ""


def test_it_lets_a_pdf_carry_only_the_attachments_it_names():
    data = pdfs.facturx_pdf(SIRET)
    safe = check_pdf_safety(upload(data), max_size=10**7, refusals=RIB_REFUSALS, allowed_attachments=["factur-x.xml"])
    assert safe.page_count == 1
    with pytest.raises(ValidationError) as caught:  # a RIB may carry none
        check_pdf_safety(upload(data), max_size=10**7, refusals=RIB_REFUSALS)
    assert caught.value.code == "rib_embedded_file"
    with pytest.raises(ValidationError):  # the XML plus anything else: refused
        check_pdf_safety(
            upload(pdfs.with_other_attachment(SIRET)),
            max_size=10**7,
            refusals=RIB_REFUSALS,
            allowed_attachments=["factur-x.xml"],
        )


@pytest.mark.django_db
def test_it_keeps_numbers_and_files_unique_per_structure_in_the_database(structure, account):
    first = InvoiceFactory(structure=structure, bank_account=account, number="F-1", sha256="a" * 64)
    for duplicate in ({"number": "F-1", "sha256": "b" * 64}, {"number": "F-2", "sha256": "a" * 64}):
        with pytest.raises(IntegrityError), transaction.atomic():
            InvoiceFactory(structure=structure, bank_account=account, service=first.service, **duplicate)
    InvoiceFactory(number="F-1", sha256="a" * 64)  # another structure
