"""The SIRET directory lookup, on the stub dataset and on answers of the INSEE Sirene API.

The files in recordings/ follow the shape of INSEE Sirene 3.11 answers to GET /siret/{siret}
(header + etablissement with uniteLegale, adresseEtablissement, periodesEtablissement). They
were written from the API's documented fields, not captured with a key: re-record them from
the live API when one is available.
"""

import dataclasses
import json
import logging
from pathlib import Path

import pytest
import requests
import responses
from django.core.exceptions import ImproperlyConfigured
from responses import matchers
from stdnum import luhn
from stdnum.fr import siret as fr_siret

from structures import sirene
from structures.sirene import (
    DEFAULT_API_URL,
    STUB_OUTAGE_SIRET,
    DirectoryUnavailable,
    Establishment,
    EstablishmentNotFound,
    lookup_siret,
    search_establishments,
)

RECORDINGS = Path(__file__).resolve().parent / "recordings"
STUB_DATA = Path(__file__).resolve().parents[2] / "structures" / "data" / "sirene_stub.json"

GRENOBLE_SIRET = "21380185500015"
LA_POSTE_SIREN = "356000000"
CLOSED_SIRET = "33087459500276"  # Imprimerie Lesdiguières
NOT_PUBLIC_SIRET = "82677216200267"
UNKNOWN_SIRET = "41234567000019"  # valid, but in no dataset


def recording(name):
    return json.loads((RECORDINGS / name).read_text(encoding="utf-8"))


def stub_rows():
    return json.loads(STUB_DATA.read_text(encoding="utf-8"))["establishments"]


@pytest.fixture
def stub(settings):
    settings.SIRENE_BACKEND = "stub"


# --- stub backend --------------------------------------------------------------------------


def test_it_uses_the_stub_backend_when_nothing_is_configured(settings):
    del settings.SIRENE_BACKEND
    assert lookup_siret(GRENOBLE_SIRET).raison_sociale == "Ville de Grenoble"


def test_it_finds_the_ville_de_grenoble(stub):
    assert lookup_siret(GRENOBLE_SIRET) == Establishment(
        siret="21380185500015",
        siren="213801855",
        raison_sociale="Ville de Grenoble",
        address_line="11 boulevard Jean Pain",
        postcode="38000",
        city="Grenoble",
        country_code="FR",
        is_open=True,
        is_public=True,
        naf_code="84.11Z",
    )


def test_it_accepts_a_siret_typed_with_spaces(stub):
    assert lookup_siret(" 213 801 855 00015 ").siret == GRENOBLE_SIRET


def test_it_returns_frozen_establishments(stub):
    with pytest.raises(dataclasses.FrozenInstanceError):
        lookup_siret(GRENOBLE_SIRET).city = "Lyon"


def test_it_reads_the_dataset_once(stub):
    assert lookup_siret(GRENOBLE_SIRET) is lookup_siret(GRENOBLE_SIRET)


@pytest.mark.parametrize("siret", ["2138018550001", "2138018550001A", "../../siren/213801855"])
def test_it_expects_a_validated_siret(stub, siret):
    with pytest.raises(ValueError):
        lookup_siret(siret)


def test_it_raises_not_found_for_a_siret_outside_the_dataset(stub):
    with pytest.raises(EstablishmentNotFound) as excinfo:
        lookup_siret(UNKNOWN_SIRET)
    assert str(excinfo.value.message) == (
        "Aucun établissement ne porte ce SIRET dans le répertoire Sirene de l'INSEE. "
        "Vérifiez le numéro ou saisissez une nouvelle structure."
    )


def test_it_simulates_an_outage_for_the_special_siret(stub):
    assert fr_siret.is_valid(STUB_OUTAGE_SIRET)
    with pytest.raises(DirectoryUnavailable) as excinfo:
        lookup_siret(STUB_OUTAGE_SIRET)
    assert excinfo.value.reason == "simulated outage of the stub directory"
    assert str(excinfo.value.message) == (
        "Le répertoire Sirene de l'INSEE ne répond pas pour le moment. Saisissez la raison sociale "
        "et l'adresse de votre structure : nos services les vérifieront."
    )


def test_it_returns_closed_establishments_as_closed(stub):
    establishment = lookup_siret(CLOSED_SIRET)
    assert establishment.raison_sociale == "Imprimerie Lesdiguières"
    assert establishment.is_open is False


def test_it_hides_who_and_where_non_diffusible_establishments_are(stub):
    assert lookup_siret(NOT_PUBLIC_SIRET) == Establishment(
        siret=NOT_PUBLIC_SIRET,
        siren="826772162",
        raison_sociale="",
        address_line="",
        postcode="",
        city="",
        is_open=True,
        is_public=False,
        naf_code="74.90B",
    )


def test_it_refuses_an_unknown_backend(settings):
    settings.SIRENE_BACKEND = "annuaire"
    with pytest.raises(ImproperlyConfigured):
        lookup_siret(GRENOBLE_SIRET)


def test_it_ships_at_least_55_valid_and_distinct_establishments():
    rows = stub_rows()
    sirets = [row["siret"] for row in rows]
    assert len(rows) >= 55
    assert len(set(sirets)) == len(sirets)
    assert [s for s in sirets if not fr_siret.is_valid(s)] == []
    assert STUB_OUTAGE_SIRET not in sirets


def test_it_ships_complete_rows_for_public_establishments():
    for row in stub_rows():
        if row["is_public"]:
            assert row["raison_sociale"] and row["address_line"] and row["city"], row
            assert len(row["postcode"]) == 5 and row["postcode"].isdigit(), row
        else:
            assert row["raison_sociale"] == row["address_line"] == row["postcode"] == row["city"] == ""


def test_it_ships_la_poste_establishments_numbered_by_la_poste_rule():
    la_poste = [row["siret"] for row in stub_rows() if row["siret"].startswith(LA_POSTE_SIREN)]
    assert len(la_poste) >= 3
    assert "35600000000048" in la_poste  # head office, the only one that passes Luhn
    by_own_rule = [s for s in la_poste if not luhn.is_valid(s)]
    assert len(by_own_rule) >= 3
    assert all(sum(map(int, s)) % 5 == 0 for s in by_own_rule)


def test_it_ships_closed_and_non_diffusible_establishments():
    rows = stub_rows()
    assert any(not row["is_open"] for row in rows)
    assert any(not row["is_public"] for row in rows)


# --- search over the stub dataset ----------------------------------------------------------


def sirets(establishments):
    return [establishment.siret for establishment in establishments]


def test_it_searches_names_ignoring_case_and_accents(stub):
    assert sirets(search_establishments(name="THEATRALE")) == ["88642920800236"]
    assert sirets(search_establishments(name="compagnie théâtrale la bobine")) == ["88642920800236"]


def test_it_searches_names_ignoring_punctuation(stub):
    assert sirets(search_establishments(name="bureau d etudes")) == sirets(
        search_establishments(name="Bureau d'études")
    )
    assert len(search_establishments(name="bureau d etudes")) == 1


def test_it_finds_all_la_poste_establishments_by_name(stub):
    found = search_establishments(name="la poste")
    assert len(found) == 5
    assert {establishment.siren for establishment in found} == {LA_POSTE_SIREN}


def test_it_matches_the_postcode_exactly(stub):
    found = search_establishments(postcode="38240")
    assert {establishment.city for establishment in found} == {"Meylan"}
    assert len(found) == 3
    assert search_establishments(postcode="3824") == []


def test_it_searches_cities_ignoring_case_accents_and_hyphens(stub):
    found = search_establishments(city="saint martin d heres")
    assert {e.raison_sociale for e in found} == {"Menuiserie Dauphinoise", "Sophie Lambert"}
    assert sirets(search_establishments(city="SAINT-MARTIN-D'HÈRES")) == sirets(found)


def test_it_combines_criteria(stub):
    found = search_establishments(name="poste", city="grenoble")
    assert sirets(found) == ["35600000031007", "35600000012346"]
    assert sirets(search_establishments(name="poste", postcode="38130")) == ["35600000071003"]


@pytest.fixture
def tiny_stub(stub, tmp_path, monkeypatch):
    """A two-row dataset in place of the shipped one."""

    def use(rows):
        path = tmp_path / "sirene_stub.json"
        path.write_text(json.dumps({"establishments": rows}), encoding="utf-8")
        monkeypatch.setattr(sirene, "STUB_DATA_PATH", path)
        sirene._stub_directory.cache_clear()

    yield use
    sirene._stub_directory.cache_clear()


def test_it_never_lists_non_diffusible_establishments(tiny_stub):
    row = {
        "raison_sociale": "Atelier Test",
        "address_line": "1 rue Test",
        "postcode": "38000",
        "city": "Grenoble",
        "naf_code": "",
        "is_open": True,
    }
    # Even if a non-diffusible row carried a name, the search must not show it.
    tiny_stub(
        [
            {**row, "siret": GRENOBLE_SIRET, "is_public": True},
            {**row, "siret": NOT_PUBLIC_SIRET, "is_public": False},
        ]
    )
    assert sirets(search_establishments(name="atelier")) == [GRENOBLE_SIRET]
    assert sirets(search_establishments(postcode="38000")) == [GRENOBLE_SIRET]
    assert sirets(search_establishments(city="grenoble")) == [GRENOBLE_SIRET]


def test_it_never_lists_the_non_diffusible_establishments_of_the_dataset(stub):
    found = search_establishments(city="e", limit=1000) + search_establishments(city="a", limit=1000)
    assert found and all(establishment.is_public for establishment in found)


def test_it_stops_at_the_limit(stub):
    assert len(search_establishments(city="grenoble", limit=4)) == 4
    assert len(search_establishments(city="grenoble")) > 4


@pytest.mark.parametrize("criteria", [{}, {"name": "  "}, {"name": "'-", "postcode": " ", "city": ""}])
def test_it_returns_nothing_without_criteria(stub, criteria):
    assert search_establishments(**criteria) == []


def test_it_finds_nothing_for_an_unknown_name(stub):
    assert search_establishments(name="Boulangerie de Lyon") == []


def test_it_does_not_search_names_with_the_insee_backend(settings):
    settings.SIRENE_BACKEND = "insee"
    with pytest.raises(DirectoryUnavailable) as excinfo:
        search_establishments(name="poste")
    assert excinfo.value.reason == "search by name is only implemented by the stub backend"


# --- INSEE backend, on recorded answers -----------------------------------------------------

API_KEY = "test-key-never-logged"


@pytest.fixture
def insee(settings):
    settings.SIRENE_BACKEND = "insee"
    settings.SIRENE_API_KEY = API_KEY
    if hasattr(settings, "SIRENE_API_URL"):
        del settings.SIRENE_API_URL
    if hasattr(settings, "SIRENE_TIMEOUT"):
        del settings.SIRENE_TIMEOUT
    with responses.RequestsMock() as mocked:
        yield mocked


def siret_url(siret):
    return f"{DEFAULT_API_URL}/siret/{siret}"


def test_it_maps_an_open_establishment(insee):
    insee.get(
        "https://api.insee.fr/api-sirene/3.11/siret/21380185500015",
        json=recording("siret_200_open.json"),
        match=[
            matchers.header_matcher({"X-INSEE-Api-Key-Integration": API_KEY}),
            matchers.request_kwargs_matcher({"timeout": 3.0}),
        ],
    )
    assert lookup_siret(GRENOBLE_SIRET) == Establishment(
        siret="21380185500015",
        siren="213801855",
        raison_sociale="COMMUNE DE GRENOBLE",
        address_line="11 BOULEVARD JEAN PAIN",
        postcode="38000",
        city="GRENOBLE",
        country_code="FR",
        is_open=True,
        is_public=True,
        naf_code="84.11Z",
    )


def test_it_reads_the_url_and_timeout_settings(insee, settings):
    settings.SIRENE_API_URL = "https://sirene.example.test/3.11/"
    settings.SIRENE_TIMEOUT = 1.5
    insee.get(
        "https://sirene.example.test/3.11/siret/21380185500015",
        json=recording("siret_200_open.json"),
        match=[matchers.request_kwargs_matcher({"timeout": 1.5})],
    )
    assert lookup_siret(GRENOBLE_SIRET).siret == GRENOBLE_SIRET


def test_it_maps_a_closed_establishment(insee):
    insee.get(siret_url(CLOSED_SIRET), json=recording("siret_200_closed.json"))
    establishment = lookup_siret(CLOSED_SIRET)
    assert establishment.is_open is False
    assert establishment.raison_sociale == "IMPRIMERIE LESDIGUIERES"
    assert establishment.address_line == "8 RUE LESDIGUIERES"
    assert establishment.naf_code == "18.12Z"


def test_it_names_an_individual_entrepreneur_and_spells_the_repetition_index(insee):
    insee.get(siret_url("82384695100155"), json=recording("siret_200_individual.json"))
    establishment = lookup_siret("82384695100155")
    assert establishment.raison_sociale == "JULIE MARTIN"
    assert establishment.address_line == "13 BIS RUE THIERS"
    assert (establishment.postcode, establishment.city) == ("38000", "GRENOBLE")
    assert establishment.naf_code == "74.10Z"


def test_it_prefers_the_names_an_individual_goes_by(insee):
    answer = recording("siret_200_individual.json")
    answer["etablissement"]["uniteLegale"].update(nomUsageUniteLegale="DURAND", prenomUsuelUniteLegale="ANNE")
    insee.get(siret_url("82384695100155"), json=answer)
    assert lookup_siret("82384695100155").raison_sociale == "ANNE DURAND"


def test_it_shows_nothing_of_a_partially_diffusible_establishment(insee):
    insee.get(siret_url(NOT_PUBLIC_SIRET), json=recording("siret_200_partially_diffusible.json"))
    assert lookup_siret(NOT_PUBLIC_SIRET) == Establishment(
        siret=NOT_PUBLIC_SIRET,
        siren="826772162",
        raison_sociale="",
        address_line="",
        postcode="",
        city="",
        is_open=True,
        is_public=False,
        naf_code="74.90B",
    )


def test_it_returns_a_non_diffusible_establishment_for_insee_403(insee):
    insee.get(siret_url("92214697200190"), status=403, json=recording("siret_403_not_diffusible.json"))
    assert lookup_siret("92214697200190") == Establishment(
        siret="92214697200190",
        siren="922146972",
        raison_sociale="",
        address_line="",
        postcode="",
        city="",
        is_open=True,
        is_public=False,
    )


def test_it_leaves_the_country_of_a_foreign_establishment_to_the_supplier(insee):
    answer = recording("siret_200_open.json")
    answer["etablissement"]["adresseEtablissement"].update(
        codePostalEtablissement=None,
        libelleCommuneEtablissement=None,
        codeCommuneEtablissement=None,
        libelleCommuneEtrangerEtablissement="MUNCHEN",
        codePaysEtrangerEtablissement="99109",
        libellePaysEtrangerEtablissement="ALLEMAGNE",
    )
    insee.get(siret_url(GRENOBLE_SIRET), json=answer)
    establishment = lookup_siret(GRENOBLE_SIRET)
    assert (establishment.postcode, establishment.city, establishment.country_code) == ("", "MUNCHEN", "")


def test_it_raises_not_found_for_insee_404(insee):
    insee.get(siret_url(UNKNOWN_SIRET), status=404, json=recording("siret_404.json"))
    with pytest.raises(EstablishmentNotFound):
        lookup_siret(UNKNOWN_SIRET)


def test_it_asks_insee_once_per_siret_then_keeps_the_answer(insee):
    insee.get(siret_url(GRENOBLE_SIRET), json=recording("siret_200_open.json"))
    first = lookup_siret(GRENOBLE_SIRET)
    again = lookup_siret(GRENOBLE_SIRET)
    assert again == first and again.raison_sociale == "COMMUNE DE GRENOBLE"
    assert len(insee.calls) == 1


def test_it_keeps_a_not_found_answer_too(insee):
    insee.get(siret_url(UNKNOWN_SIRET), status=404, json=recording("siret_404.json"))
    for _ in range(2):
        with pytest.raises(EstablishmentNotFound):
            lookup_siret(UNKNOWN_SIRET)
    assert len(insee.calls) == 1


def test_it_asks_again_after_an_outage(insee):
    insee.get(siret_url(GRENOBLE_SIRET), status=500, json=recording("siret_500.json"))
    insee.get(siret_url(GRENOBLE_SIRET), json=recording("siret_200_open.json"))
    with pytest.raises(DirectoryUnavailable):
        lookup_siret(GRENOBLE_SIRET)
    assert lookup_siret(GRENOBLE_SIRET).raison_sociale == "COMMUNE DE GRENOBLE"
    assert len(insee.calls) == 2


def test_it_asks_each_time_when_told_to_keep_nothing(insee, settings):
    settings.SIRENE_CACHE_SECONDS = 0
    insee.get(siret_url(GRENOBLE_SIRET), json=recording("siret_200_open.json"))
    lookup_siret(GRENOBLE_SIRET)
    lookup_siret(GRENOBLE_SIRET)
    assert len(insee.calls) == 2


@pytest.mark.parametrize(
    "status, body, reason",
    [
        (429, recording("siret_429.json"), "rate limited (429)"),
        (500, recording("siret_500.json"), "unexpected status 500"),
        (502, "<html><body>Bad Gateway</body></html>", "unexpected status 502"),
        (503, "", "unexpected status 503"),
        # The API gateway refusing our key is not a non-diffusible establishment.
        (401, '{"message": "Invalid Credentials"}', "unexpected status 401"),
        (403, "<html><body>Forbidden</body></html>", "unexpected status 403"),
        (200, "<html><body>Maintenance</body></html>", "invalid answer"),
        (200, '{"header": {"statut": 200, "message": "OK"}}', "invalid answer"),
        (200, '{"etablissement": {"siret": "21380185500015"}}', "invalid answer"),
        (200, "[]", "invalid answer"),
    ],
)
def test_it_reports_the_directory_unavailable_on_bad_answers(insee, status, body, reason):
    body = json.dumps(body) if isinstance(body, dict) else body
    insee.get(siret_url(GRENOBLE_SIRET), status=status, body=body)
    with pytest.raises(DirectoryUnavailable) as excinfo:
        lookup_siret(GRENOBLE_SIRET)
    assert excinfo.value.reason == reason


@pytest.mark.parametrize(
    "error, reason",
    [
        (requests.Timeout(), "timeout"),
        (requests.ConnectTimeout(), "timeout"),
        (requests.ReadTimeout(), "timeout"),
        (requests.ConnectionError(), "connection error (ConnectionError)"),
        (requests.exceptions.SSLError(), "connection error (SSLError)"),
    ],
)
def test_it_reports_the_directory_unavailable_when_it_cannot_be_reached(insee, error, reason):
    insee.get(siret_url(GRENOBLE_SIRET), body=error)
    with pytest.raises(DirectoryUnavailable) as excinfo:
        lookup_siret(GRENOBLE_SIRET)
    assert excinfo.value.reason == reason


def test_it_logs_outages_without_the_api_key(insee, caplog):
    insee.get(siret_url(GRENOBLE_SIRET), body=requests.Timeout(f"key {API_KEY}"))
    with caplog.at_level(logging.WARNING, logger="structures.sirene"):
        with pytest.raises(DirectoryUnavailable):
            lookup_siret(GRENOBLE_SIRET)
    assert caplog.messages == ["INSEE Sirene directory unavailable: timeout"]


def test_it_requires_an_api_key_with_the_insee_backend(insee, settings):
    settings.SIRENE_API_KEY = ""
    with pytest.raises(ImproperlyConfigured):
        lookup_siret(GRENOBLE_SIRET)
