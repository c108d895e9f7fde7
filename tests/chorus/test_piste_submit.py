"""Submitting an invoice whose PDF was uploaded: factures/v1/soumettre."""

import datetime
from decimal import Decimal

import pytest

from chorus import portal
from chorus.piste import INVOICE_SUBMIT
from chorus.portal import PortalRefused, PortalUnavailable, SubmissionReceipt
from tests.chorus.conftest import CITY_SIRET, SUPPLIER_ID_CPP, answer, calls_to, make_submission, sent, url


def test_it_submits_the_invoice_as_the_portal_wants_it(api):
    api.post(url(INVOICE_SUBMIT), json=answer("soumettre.json"))

    receipt = portal.submit_invoice(make_submission(main_piece_id=10321512, supplier_bank_details_id=144050))

    assert receipt == SubmissionReceipt(
        invoice_id_cpp=8316848, number="F-2026-0042", status="DEPOSEE", deposited_on=datetime.date(2026, 3, 2)
    )
    assert sent(calls_to(api, INVOICE_SUBMIT)[0]) == {
        "modeDepot": "DEPOT_PDF_API",
        "numeroFactureSaisi": "F-2026-0042",
        "dateFacture": "2026-02-27",
        "destinataire": {"codeDestinataire": CITY_SIRET, "codeServiceExecutant": "DSI"},
        "fournisseur": {"idFournisseur": SUPPLIER_ID_CPP, "codeCoordonneesBancairesFournisseur": 144050},
        "cadreDeFacturation": {"codeCadreFacturation": "A1_FACTURE_FOURNISSEUR"},
        "references": {
            "deviseFacture": "EUR",
            "typeFacture": "FACTURE",
            "typeTva": "TVA_SUR_DEBIT",
            "modePaiement": "VIREMENT",
            "numeroBonCommande": "EJ-2026-1187",
        },
        "montantTotal": {
            "montantHtTotal": 1041.67,
            "montantTVA": 208.33,
            "montantTtcTotal": 1250.0,
            "montantAPayer": 1250.0,
        },
        "ligneTva": [
            {"ligneTvaTauxManuel": 20.0, "ligneTvaMontantBaseHtParTaux": 1041.67, "ligneTvaMontantTvaParTaux": 208.33}
        ],
        "pieceJointePrincipale": [{"pieceJointePrincipaleDesignation": "Facture", "pieceJointePrincipaleId": 10321512}],
    }


def test_it_sends_only_what_the_invoice_has(api):
    api.post(url(INVOICE_SUBMIT), json=answer("soumettre.json"))

    portal.submit_invoice(
        make_submission(
            service_code="",
            engagement_number="",
            vat_rate=None,
            vat_type="EXONERATION",
            vat_amount=Decimal("0.00"),
            amount_excl_tax=Decimal("1250.00"),
            comment="Prestation de mars",
            main_piece_id=10321512,
        )
    )

    body = sent(calls_to(api, INVOICE_SUBMIT)[0])
    assert body["destinataire"] == {"codeDestinataire": CITY_SIRET}
    assert "numeroBonCommande" not in body["references"]
    assert body["references"]["typeTva"] == "EXONERATION"
    assert "ligneTva" not in body
    assert body["fournisseur"] == {"idFournisseur": SUPPLIER_ID_CPP}
    assert body["commentaire"] == "Prestation de mars"


def test_it_keeps_the_portals_refusal(api, sleeps):
    api.post(url(INVOICE_SUBMIT), status=400, json=answer("soumettre_refus.json"))

    with pytest.raises(PortalRefused) as excinfo:
        portal.submit_invoice(make_submission(main_piece_id=10321512))

    error = excinfo.value
    assert (error.code, error.http_status, error.retryable) == ("20003", 400, False)
    assert error.label == "Le code service renseigné n'est pas actif pour ce destinataire."
    assert error.message == (
        "Chorus Pro a refusé la demande (code 20003) : Le code service renseigné n'est pas actif pour ce destinataire."
    )
    assert len(calls_to(api, INVOICE_SUBMIT)) == 1
    assert sleeps == []


def test_it_reads_a_refusal_sent_with_http_200(api):
    api.post(url(INVOICE_SUBMIT), json={"codeRetour": 20003, "libelle": "GCU_MSG_09_011"})
    with pytest.raises(PortalRefused) as excinfo:
        portal.submit_invoice(make_submission(main_piece_id=10321512))
    assert (excinfo.value.code, excinfo.value.label) == ("20003", "GCU_MSG_09_011")


def test_it_cannot_follow_an_accepted_invoice_without_its_identifier(api):
    api.post(url(INVOICE_SUBMIT), json={"codeRetour": 0, "libelle": "GCU_MSG_01_000"})
    with pytest.raises(PortalUnavailable) as excinfo:
        portal.submit_invoice(make_submission(main_piece_id=10321512))
    assert excinfo.value.outcome_unknown is True
