"""A supplier's invoices by number (factures/v1/rechercher/fournisseur), for idempotence."""

import datetime
from decimal import Decimal

import responses

from chorus import portal
from chorus.piste import SUPPLIER_INVOICES_SEARCH
from chorus.portal import PortalInvoice
from tests.chorus.conftest import CITY_SIRET, answer, calls_to, sent, url


def test_it_finds_the_invoices_of_a_number(api):
    api.post(url(SUPPLIER_INVOICES_SEARCH), json=answer("rechercher_fournisseur.json"))

    found = portal.search_supplier_invoices(number="F-2026-0042")

    assert [invoice.invoice_id_cpp for invoice in found] == [8316848, 7700112]
    assert found[0] == PortalInvoice(
        invoice_id_cpp=8316848,
        number="F-2026-0042",
        status="MISE_A_DISPOSITION",
        recipient_siret=CITY_SIRET,
        invoice_date=datetime.date(2026, 2, 27),
        deposited_on=datetime.date(2026, 3, 2),
        amount_incl_tax=Decimal("1250.00"),
        flow_number="",
    )
    assert sent(calls_to(api, SUPPLIER_INVOICES_SEARCH)[0]) == {
        "numeroFacture": "F-2026-0042",
        "rechercheFactureParFournisseur": {"nbResultatsParPage": 100, "pageResultatDemandee": 1},
    }


def test_it_keeps_only_the_invoices_sent_to_the_buyer_asked(api):
    api.post(url(SUPPLIER_INVOICES_SEARCH), json=answer("rechercher_fournisseur.json"))
    found = portal.search_supplier_invoices(number="F-2026-0042", recipient_siret=CITY_SIRET)
    assert [invoice.invoice_id_cpp for invoice in found] == [8316848]


def test_it_searches_a_flows_invoices(api):
    api.post(url(SUPPLIER_INVOICES_SEARCH), json=answer("rechercher_fournisseur.json"))
    portal.search_supplier_invoices(flow_number="CPP0021100000000000000023")
    assert sent(calls_to(api, SUPPLIER_INVOICES_SEARCH)[0])["numeroFluxDepot"] == "CPP0021100000000000000023"


def test_it_reads_every_page(api):
    first, second = answer("rechercher_fournisseur.json"), answer("rechercher_fournisseur.json")
    first["listeFactures"] = first["listeFactures"][:1]
    second["listeFactures"] = second["listeFactures"][1:]
    first["parametresRetour"] = {"nbResultatsParPage": 1, "pageCourante": 1, "pages": 2, "total": 2}
    second["parametresRetour"] = {"nbResultatsParPage": 1, "pageCourante": 2, "pages": 2, "total": 2}
    api.add(responses.POST, url(SUPPLIER_INVOICES_SEARCH), json=first)
    api.add(responses.POST, url(SUPPLIER_INVOICES_SEARCH), json=second)

    found = portal.search_supplier_invoices(number="F-2026-0042")

    assert [invoice.invoice_id_cpp for invoice in found] == [8316848, 7700112]
    requests = calls_to(api, SUPPLIER_INVOICES_SEARCH)
    assert [sent(request)["rechercheFactureParFournisseur"]["pageResultatDemandee"] for request in requests] == [1, 2]


def test_it_finds_nothing_for_an_unknown_number(api):
    api.post(
        url(SUPPLIER_INVOICES_SEARCH),
        json={"codeRetour": 0, "libelle": "TRA_MSG_00.000", "listeFactures": [], "parametresRetour": {"pages": 0}},
    )
    assert portal.search_supplier_invoices(number="F-9999") == []
