"""Files: an attachment (transverses/v1/ajouter/fichier) and a flow (factures/v1/deposer/flux)."""

import base64
import datetime

import pytest

from chorus import portal
from chorus.piste import FILE_UPLOAD, FLOW_DEPOSIT
from chorus.portal import FlowReceipt, PortalRefused
from tests.chorus.conftest import answer, calls_to, sent, url

PDF = b"%PDF-1.7\n% a supplier's invoice\n"


def test_it_uploads_a_file_in_base64_and_returns_its_id(api):
    api.post(url(FILE_UPLOAD), json=answer("ajouter_fichier.json"))

    piece_id = portal.upload_file("facture-F-2026-0042.pdf", PDF)

    assert piece_id == 10321512
    body = sent(calls_to(api, FILE_UPLOAD)[0])
    assert body == {
        "pieceJointeFichier": base64.b64encode(PDF).decode(),
        "pieceJointeNom": "facture-F-2026-0042.pdf",
        "pieceJointeTypeMime": "application/pdf",
        "pieceJointeExtension": "PDF",
    }


def test_it_shortens_a_long_name_to_the_portals_50_characters(api):
    api.post(url(FILE_UPLOAD), json=answer("ajouter_fichier.json"))
    portal.upload_file("/tmp/uploads/" + "facture-" * 10 + ".pdf", PDF)
    name = sent(calls_to(api, FILE_UPLOAD)[0])["pieceJointeNom"]
    assert len(name) == 50 and name.endswith(".pdf") and "/" not in name


def test_it_names_the_extension_from_the_mime_type_of_a_nameless_file(api):
    api.post(url(FILE_UPLOAD), json=answer("ajouter_fichier.json"))
    portal.upload_file("facture", b"<Invoice/>", mime="application/xml")
    assert sent(calls_to(api, FILE_UPLOAD)[0])["pieceJointeExtension"] == "XML"


def test_it_deposits_a_factur_x_flow(api):
    api.post(url(FLOW_DEPOSIT), json=answer("deposer_flux.json"))

    receipt = portal.deposit_flow("facture-F-2026-0042.pdf", PDF)

    assert receipt == FlowReceipt(
        flow_number="CPP0021100000000000000023", syntax="IN_DP_E2_CII_FACTURX", deposited_on=datetime.date(2026, 3, 2)
    )
    assert sent(calls_to(api, FLOW_DEPOSIT)[0]) == {
        "fichierFlux": base64.b64encode(PDF).decode(),
        "nomFichier": "facture-F-2026-0042.pdf",
        "syntaxeFlux": "IN_DP_E2_CII_FACTURX",
        "avecSignature": False,
    }


def test_it_deposits_an_ubl_flow(api):
    api.post(url(FLOW_DEPOSIT), json={**answer("deposer_flux.json"), "syntaxeFlux": "IN_DP_E1_UBL_INVOICE"})
    assert portal.deposit_flow("facture.xml", b"<Invoice/>", syntax="UBL").syntax == "IN_DP_E1_UBL_INVOICE"
    assert sent(calls_to(api, FLOW_DEPOSIT)[0])["syntaxeFlux"] == "IN_DP_E1_UBL_INVOICE"


def test_it_keeps_the_portals_code_and_label_of_a_refused_flow(api, sleeps):
    api.post(url(FLOW_DEPOSIT), status=400, json=answer("deposer_flux_trop_gros.json"))

    with pytest.raises(PortalRefused) as excinfo:
        portal.deposit_flow("facture.pdf", PDF)

    assert (excinfo.value.code, excinfo.value.label, excinfo.value.http_status) == ("20001", "GDP_MSG_11.022", 400)
    assert excinfo.value.message == "Chorus Pro a refusé la demande (code 20001) : GDP_MSG_11.022"
    assert len(calls_to(api, FLOW_DEPOSIT)) == 1
    assert sleeps == []
