"""The stub portal's directory: the city with its services, and a few suppliers."""

import json
from pathlib import Path

import pytest
from stdnum.fr import siret as fr_siret

from chorus import portal
from chorus.portal import PortalRefused, PortalService, PortalStructure
from chorus.stub import DATA_PATH
from tests.chorus.conftest import CITY_ID_CPP, CITY_SIRET, SUPPLIER_ID_CPP, SUPPLIER_SIRET

pytestmark = pytest.mark.usefixtures("stub_portal")

SIRENE_STUB = Path(__file__).resolve().parents[2] / "structures" / "data" / "sirene_stub.json"
NOT_ON_THE_PORTAL = "85774552500116"  # Boulangerie Pâtisserie Berriat: in Sirene, not on the portal


def test_it_finds_the_city():
    assert portal.find_structure(CITY_SIRET) == PortalStructure(
        id_cpp=CITY_ID_CPP, identifier=CITY_SIRET, identifier_type="SIRET", name="COMMUNE DE GRENOBLE", active=True
    )


def test_it_finds_a_supplier_that_has_a_portal_account():
    structure = portal.find_structure(SUPPLIER_SIRET)
    assert structure.id_cpp == SUPPLIER_ID_CPP
    assert structure.name == "ALPES ELECTRICITE SERVICES"


def test_it_accepts_a_siret_typed_with_spaces():
    assert portal.find_structure(" 538 964 040 00132 ").id_cpp == SUPPLIER_ID_CPP


def test_it_knows_a_closed_establishment_as_inactive():
    assert portal.find_structure("33087459500276").active is False


def test_it_finds_nothing_for_a_supplier_not_yet_on_the_portal():
    assert portal.find_structure(NOT_ON_THE_PORTAL) is None


def test_it_finds_nothing_for_another_identifier_type():
    assert portal.find_structure(SUPPLIER_SIRET, identifier_type="UE_HORS_FRANCE") is None


def test_it_answers_for_the_city_under_the_city_siret_setting(settings):
    settings.CHORUS_CITY_SIRET = "21380185500023"
    assert portal.find_structure("21380185500023").id_cpp == CITY_ID_CPP
    assert portal.find_structure(CITY_SIRET) is None


def test_it_lists_the_services_of_the_city():
    services = portal.list_services(CITY_ID_CPP)

    assert [service.code for service in services] == ["DSI", "VOIRIE", "CULTURE", "ECOLES", "SPORTS", "FETES"]
    assert services[0] == PortalService(
        id_cpp=10032101,
        code="DSI",
        name="Direction des systèmes d'information",
        engagement_required=True,
        active=True,
    )
    assert {service.code for service in services if service.engagement_required} == {"DSI", "VOIRIE"}
    assert [service.code for service in services if not service.active] == ["FETES"]


def test_it_lists_no_service_for_a_supplier():
    assert portal.list_services(SUPPLIER_ID_CPP) == []


def test_it_refuses_services_of_an_unknown_structure():
    with pytest.raises(PortalRefused) as excinfo:
        portal.list_services(999)
    assert excinfo.value.code == "STUB-STRUCTURE-INCONNUE"
    assert not excinfo.value.retryable


def test_it_lists_only_establishments_of_the_stub_sirene_dataset():
    """Both stubs tell one story: the portal's suppliers exist in the directory too."""
    portal_rows = json.loads(DATA_PATH.read_text(encoding="utf-8"))["structures"]
    sirene = {row["siret"]: row for row in json.loads(SIRENE_STUB.read_text(encoding="utf-8"))["establishments"]}

    assert portal_rows[0]["siret"] == CITY_SIRET and portal_rows[0]["public"]
    for row in portal_rows:
        assert fr_siret.is_valid(row["siret"])
        assert row["siret"] in sirene
        assert row["active"] == sirene[row["siret"]]["is_open"]
    assert len({row["id_cpp"] for row in portal_rows}) == len(portal_rows)


def test_it_names_the_same_services_as_the_demo_data():
    from onboarding.management.commands.demo_data import DEMO_SERVICES

    by_code = {service.code: service for service in portal.list_services(CITY_ID_CPP)}
    for code, name, engagement_required in DEMO_SERVICES:
        assert by_code[code].name == name
        assert by_code[code].engagement_required == engagement_required
