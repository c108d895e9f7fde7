"""The Ville de Grenoble is the buyer: never offered as a supplier's structure, whatever the search,
in the wizard and on the stand-alone page (« Créer cette structure » on it could only fail)."""

import pytest
from django.conf import settings
from django.urls import reverse

from tests.onboarding.factories import SupplierFactory
from tests.wizard import account_data, choose, field_errors, post_step, search, step_url

pytestmark = pytest.mark.django_db

MSG_CITY_SIRET = "C'est le SIRET de la Ville de Grenoble, votre cliente : saisissez celui de votre propre structure."


@pytest.fixture
def at_structure_step(client):
    response = post_step(client, "compte", account_data())
    assert response["Location"] == step_url("structure")
    return client


def assert_city_not_offered(html):
    assert "Ville de Grenoble</td>" not in html
    assert settings.CITY_SIRET not in html.split('id="search-results-title"')[-1]


@pytest.mark.parametrize(
    "criteria", [{"raison_sociale": "Grenoble"}, {"raison_sociale": "ville"}, {"city": "grenoble"}]
)
def test_the_wizard_never_lists_the_city_by_name(at_structure_step, criteria):
    response = search(at_structure_step, **criteria)
    html = response.content.decode()
    assert 'id="search-results-title"' in html
    assert_city_not_offered(html)


def test_the_wizard_refuses_the_city_s_siret(at_structure_step):
    response = search(at_structure_step, identifier=settings.CITY_SIRET)
    assert field_errors(response, "structure", "identifier") == [MSG_CITY_SIRET]
    assert 'id="search-results-title"' not in response.content.decode()


def test_the_wizard_refuses_a_posted_choice_of_the_city(at_structure_step):
    response = choose(at_structure_step, f"siret:{settings.CITY_SIRET}", raison_sociale="Grenoble")
    assert response.context["wizard"]["form"].non_field_errors() == [
        "Cette structure n'existe pas ou plus : recherchez-la de nouveau."
    ]


@pytest.mark.parametrize("criteria", [{"raison_sociale": "Grenoble"}, {"city": "grenoble"}])
def test_the_stand_alone_page_never_lists_the_city_by_name(client, criteria):
    client.force_login(SupplierFactory())
    response = client.get(reverse("structures:request_attachment"), {"identifier_type": "siret", **criteria})
    html = response.content.decode()
    assert 'id="search-results-title"' in html
    assert_city_not_offered(html)


def test_the_stand_alone_page_refuses_the_city_s_siret(client):
    client.force_login(SupplierFactory())
    response = client.get(
        reverse("structures:request_attachment"), {"identifier_type": "siret", "identifier": settings.CITY_SIRET}
    )
    assert response.context["form"].errors["identifier"] == [MSG_CITY_SIRET]
    assert 'id="search-results-title"' not in response.content.decode()


def test_the_export_never_lists_the_city(client):
    text = client.get(
        reverse("structures:search_export"), {"identifier_type": "siret", "raison_sociale": "grenoble"}
    ).content.decode("utf-8-sig")
    assert settings.CITY_SIRET not in text and "Ville de Grenoble" not in text
