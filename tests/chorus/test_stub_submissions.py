"""The stub portal checks, numbers and finds what it is sent, like the portal."""

import datetime
from decimal import Decimal

import pytest

from chorus import portal
from chorus.models import StubPortalFile, StubPortalInvoice
from chorus.portal import MAX_FILE_BYTES, PortalRefused, PortalUnavailable, SubmissionReceipt
from tests.chorus.conftest import CITY_SIRET, SUPPLIER_ID_CPP, make_submission, upload_and_submit

pytestmark = pytest.mark.usefixtures("stub_portal")


def test_it_accepts_and_numbers_an_invoice(clock):
    receipt = upload_and_submit()

    assert receipt == SubmissionReceipt(
        invoice_id_cpp=receipt.invoice_id_cpp,
        number="F-2026-0042",
        status="DEPOSEE",
        deposited_on=datetime.date(2026, 3, 2),
    )
    assert 4_200_000 < receipt.invoice_id_cpp < 100_000_000
    invoice = StubPortalInvoice.objects.get()
    assert (invoice.service_code, invoice.engagement_number, invoice.amount_incl_tax) == (
        "DSI",
        "EJ-2026-1187",
        Decimal("1250.00"),
    )


def test_it_gives_each_invoice_its_own_number(clock):
    first = upload_and_submit(number="F-1")
    second = upload_and_submit(number="F-2")
    assert second.invoice_id_cpp == first.invoice_id_cpp + 1


@pytest.mark.parametrize(
    "changes, code",
    [
        ({"recipient_siret": "53896404000132"}, "STUB-DESTINATAIRE"),
        ({"recipient_siret": "41234567000019"}, "STUB-DESTINATAIRE"),
        ({"supplier_id_cpp": 1}, "STUB-FOURNISSEUR"),
        ({"supplier_id_cpp": 24960028}, "STUB-FOURNISSEUR"),  # a closed establishment
        ({"service_code": ""}, "STUB-SERVICE-OBLIGATOIRE"),
        ({"service_code": "PISCINES"}, "STUB-SERVICE-INCONNU"),
        ({"service_code": "FETES", "engagement_number": ""}, "STUB-SERVICE-INACTIF"),
        ({"service_code": "VOIRIE", "engagement_number": ""}, "STUB-ENGAGEMENT-OBLIGATOIRE"),
        ({"amount_incl_tax": Decimal("1250.01")}, "STUB-MONTANTS"),
    ],
)
def test_it_refuses_what_the_portal_refuses(clock, changes, code):
    with pytest.raises(PortalRefused) as excinfo:
        upload_and_submit(**changes)
    assert excinfo.value.code == code
    assert excinfo.value.retryable is False
    assert excinfo.value.message.startswith(f"Chorus Pro a refusé la demande (code {code}) : ")
    assert not StubPortalInvoice.objects.exists()


def test_it_accepts_no_engagement_number_where_none_is_required(clock):
    assert upload_and_submit(service_code="CULTURE", engagement_number="").status == "DEPOSEE"


def test_it_refuses_a_main_piece_that_was_not_uploaded(clock):
    with pytest.raises(PortalRefused) as excinfo:
        portal.submit_invoice(make_submission(main_piece_id=10_320_999))
    assert excinfo.value.code == "STUB-PIECE-INCONNUE"


def test_it_refuses_a_flow_as_the_main_piece(clock):
    flow = portal.deposit_flow("facture.pdf", b"%PDF-1.7")
    flow_file = StubPortalFile.objects.get(kind="flux")
    assert flow.flow_number
    with pytest.raises(PortalRefused):
        portal.submit_invoice(make_submission(main_piece_id=flow_file.piece_id))


def test_it_refuses_a_second_invoice_with_the_same_number_from_the_same_supplier(clock):
    upload_and_submit()
    with pytest.raises(PortalRefused) as excinfo:
        upload_and_submit()
    assert excinfo.value.code == "STUB-DOUBLON"
    assert StubPortalInvoice.objects.count() == 1


def test_it_simulates_an_outage_for_a_number_saying_panne(clock):
    with pytest.raises(PortalUnavailable) as excinfo:
        upload_and_submit(number="F-PANNE-1")
    assert excinfo.value.retryable is True
    assert excinfo.value.outcome_unknown is False
    assert excinfo.value.message == "Chorus Pro ne répond pas pour le moment. Nouvel essai plus tard."
    assert not StubPortalInvoice.objects.exists()


def test_it_loses_the_answer_for_a_number_saying_perdu_and_the_search_finds_the_invoice(clock):
    with pytest.raises(PortalUnavailable) as excinfo:
        upload_and_submit(number="F-PERDU-1")
    assert excinfo.value.outcome_unknown is True
    assert "la facture a pu être reçue" in excinfo.value.message

    found = portal.search_supplier_invoices(number="F-PERDU-1", recipient_siret=CITY_SIRET)

    assert [invoice.number for invoice in found] == ["F-PERDU-1"]
    assert found[0].invoice_id_cpp == StubPortalInvoice.objects.get().invoice_id_cpp
    assert found[0].status == "DEPOSEE"
    assert found[0].amount_incl_tax == Decimal("1250.00")


def test_it_searches_by_number_and_recipient(clock):
    receipt = upload_and_submit()
    clock.advance(minutes=2)

    assert portal.search_supplier_invoices(number="F-2026-0042")[0].status == "MISE_A_DISPOSITION"
    assert portal.search_supplier_invoices(number="F-2026-0042", recipient_siret=CITY_SIRET)[0].invoice_id_cpp == (
        receipt.invoice_id_cpp
    )
    assert portal.search_supplier_invoices(number="F-2026-0042", recipient_siret="53896404000132") == []
    assert portal.search_supplier_invoices(number="F-2026-0043") == []


def test_it_finds_no_invoice_by_flow_number(clock):
    flow = portal.deposit_flow("facture.pdf", b"%PDF-1.7")
    assert portal.search_supplier_invoices(flow_number=flow.flow_number) == []


def test_it_numbers_uploads_and_keeps_no_content(clock):
    first = portal.upload_file("a.pdf", b"%PDF-1.7 first")
    second = portal.upload_file("b.pdf", b"%PDF-1.7 second")
    assert second == first + 1
    piece = StubPortalFile.objects.get(name="a.pdf")
    assert (piece.kind, piece.mime, piece.size) == ("piece", "application/pdf", 14)
    assert len(piece.sha256) == 64


def test_it_numbers_flows_like_the_portal(clock):
    receipt = portal.deposit_flow("facture-F-2026-0042.pdf", b"%PDF-1.7 factur-x")
    assert receipt.syntax == "IN_DP_E2_CII_FACTURX"
    assert receipt.deposited_on == datetime.date(2026, 3, 2)
    assert receipt.flow_number.startswith("CPP2026") and len(receipt.flow_number) == 25


def test_it_refuses_a_file_over_10_mo_before_sending_it(clock):
    with pytest.raises(PortalRefused) as excinfo:
        portal.upload_file("big.pdf", b"0" * (MAX_FILE_BYTES + 1))
    assert excinfo.value.message == "Le fichier dépasse 10 Mo, la taille maximale acceptée par Chorus Pro."
    assert not StubPortalFile.objects.exists()


def test_it_refuses_the_status_of_an_unknown_invoice():
    with pytest.raises(PortalRefused) as excinfo:
        portal.invoice_status(1)
    assert excinfo.value.code == "STUB-FACTURE-INCONNUE"


def test_it_names_the_supplier_it_was_given(clock):
    upload_and_submit()
    assert StubPortalInvoice.objects.get().supplier_id_cpp == SUPPLIER_ID_CPP
