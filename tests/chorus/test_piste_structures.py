"""Structures and their services, from the portal's directory (structures/v1/…)."""

import json

import pytest
import responses

from chorus import portal
from chorus.piste import SERVICE_DETAILS, SERVICES_SEARCH, STRUCTURE_DETAILS, STRUCTURES_SEARCH
from chorus.portal import PortalService, PortalStructure
from tests.chorus.conftest import CITY_ID_CPP, CITY_SIRET, answer, calls_to, sent, url


def test_it_finds_a_structure_by_siret(api):
    api.post(url(STRUCTURES_SEARCH), json=answer("structures_rechercher.json"))

    structure = portal.find_structure("213 801 855 00015")

    assert structure == PortalStructure(
        id_cpp=CITY_ID_CPP, identifier=CITY_SIRET, identifier_type="SIRET", name="COMMUNE DE GRENOBLE", active=True
    )
    assert sent(calls_to(api, STRUCTURES_SEARCH)[0]) == {
        "restreindreStructuresPrivees": False,
        "structure": {"identifiantStructure": CITY_SIRET, "typeIdentifiantStructure": "SIRET"},
        "parametres": {"nbResultatsParPage": 10, "pageResultatDemandee": 1},
    }


def test_it_finds_nothing_when_the_portal_lists_nothing(api):
    api.post(url(STRUCTURES_SEARCH), json=answer("structures_rechercher_vide.json"))
    assert portal.find_structure("85774552500116") is None


def test_it_keeps_only_the_structure_with_the_identifier_asked(api):
    """The search may match more than the SIRET typed: another structure is not an answer."""
    api.post(url(STRUCTURES_SEARCH), json=answer("structures_rechercher.json"))
    assert portal.find_structure("21380185500023") is None


def test_it_knows_an_inactive_structure(api):
    body = answer("structures_rechercher.json")
    body["listeStructures"][0]["statut"] = "INACTIF"
    api.post(url(STRUCTURES_SEARCH), json=body)
    assert portal.find_structure(CITY_SIRET).active is False


def test_it_sends_another_identifier_type(api):
    api.post(url(STRUCTURES_SEARCH), json=answer("structures_rechercher_vide.json"))
    portal.find_structure("DE811907980", identifier_type="UE_HORS_FRANCE")
    assert sent(calls_to(api, STRUCTURES_SEARCH)[0])["structure"] == {
        "identifiantStructure": "DE811907980",
        "typeIdentifiantStructure": "UE_HORS_FRANCE",
    }


@pytest.fixture
def services(api):
    api.add(responses.POST, url(SERVICES_SEARCH), json=answer("services_page_1.json"))
    api.add(responses.POST, url(SERVICES_SEARCH), json=answer("services_page_2.json"))
    api.post(url(STRUCTURE_DETAILS), json=answer("structures_consulter.json"))
    return api


def wants_engagement(services, service_ids):
    """consulter/service answers: an engagement number for these services only."""

    def callback(request):
        body = sent(request)
        name = (
            "service_consulter_ej_true.json" if body["idService"] in service_ids else "service_consulter_ej_false.json"
        )
        return 200, {}, json.dumps(answer(name))

    services.add_callback(responses.POST, url(SERVICE_DETAILS), callback=callback, content_type="application/json")


def test_it_lists_the_services_of_every_page(services):
    wants_engagement(services, {27946101, 27946102})

    listed = portal.list_services(CITY_ID_CPP)

    assert [service.code for service in listed] == ["DSI", "CULTURE", "VOIRIE", "FETES"]
    assert listed[0] == PortalService(
        id_cpp=27946101, code="DSI", name="Direction des systèmes d'information", engagement_required=True, active=True
    )
    assert [(s.code, s.engagement_required, s.active) for s in listed] == [
        ("DSI", True, True),
        ("CULTURE", False, True),
        ("VOIRIE", True, True),
        ("FETES", False, False),
    ]
    pages = [sent(request) for request in calls_to(services, SERVICES_SEARCH)]
    assert pages == [
        {
            "idStructure": CITY_ID_CPP,
            "parametresRechercherServicesStructure": {"nbResultatsParPage": 100, "pageResultatDemandee": 1},
        },
        {
            "idStructure": CITY_ID_CPP,
            "parametresRechercherServicesStructure": {"nbResultatsParPage": 100, "pageResultatDemandee": 2},
        },
    ]


def test_it_leaves_out_the_public_invoices_service(services):
    """FACTURES_PUBLIQUES is for invoices between public bodies: a supplier's is rejected there."""
    wants_engagement(services, set())
    assert "FACTURES_PUBLIQUES" not in [service.code for service in portal.list_services(CITY_ID_CPP)]


def test_it_asks_each_active_service_whether_it_wants_an_engagement_number(services):
    wants_engagement(services, set())
    portal.list_services(CITY_ID_CPP)

    assert sent(calls_to(services, STRUCTURE_DETAILS)[0]) == {"idStructureCPP": CITY_ID_CPP}
    asked = [sent(request) for request in calls_to(services, SERVICE_DETAILS)]
    assert asked == [
        {"idStructure": CITY_ID_CPP, "idService": 27946101},
        {"idStructure": CITY_ID_CPP, "idService": 27946103},
        {"idStructure": CITY_ID_CPP, "idService": 27946102},
    ]


def test_it_wants_an_engagement_number_everywhere_when_the_structure_does(services):
    details = answer("structures_consulter.json")
    details["parametres"]["numeroEJDoitEtreRenseigne"] = True
    services.replace(responses.POST, url(STRUCTURE_DETAILS), json=details)

    listed = portal.list_services(CITY_ID_CPP)

    assert all(service.engagement_required for service in listed)
    assert calls_to(services, SERVICE_DETAILS) == []


def test_it_lists_no_service_of_a_structure_without_any(api):
    api.post(
        url(SERVICES_SEARCH),
        json={"codeRetour": 0, "libelle": "TRA_MSG_00.000", "listeServices": [], "parametresRetour": {"pages": 0}},
    )
    api.post(url(STRUCTURE_DETAILS), json=answer("structures_consulter.json"))
    assert portal.list_services(26302958) == []
