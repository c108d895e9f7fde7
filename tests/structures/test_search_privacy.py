"""Security issue, item 9: search results and exports never publish private individuals.

What a visitor may see is written in SECURITY.md (« Search and export of structures »).
"""

import pytest
from django.urls import reverse

from tests.onboarding.factories import SupplierFactory
from tests.structures.factories import MainManagerFactory, MembershipFactory, StructureFactory
from tests.wizard import account_data, choose, post_step, search, step_url

pytestmark = pytest.mark.django_db

UNKNOWN = "Cette structure n'existe pas ou plus : recherchez-la de nouveau."


@pytest.fixture
def at_structure_step(client):
    response = post_step(client, "compte", account_data())
    assert response["Location"] == step_url("structure")
    return client


def export(client, **criteria):
    response = client.get(reverse("structures:search_export"), {"identifier_type": "siret", **criteria})
    assert response.status_code == 200
    return response.content.decode("utf-8-sig")


@pytest.fixture
def individual():
    """Jeanne Dupuis sells to the city as a private individual (« Particulier »)."""
    return MainManagerFactory(
        user__email="jeanne.dupuis@exemple.fr",
        structure__identifier_type="particulier",
        structure__identifier="Jeanne Dupuis",
        structure__raison_sociale="Jeanne Dupuis",
        structure__postcode="38000",
        structure__city="Grenoble",
        structure__verified_by_directory=False,
    )


def test_the_anonymous_export_never_lists_individuals(client, individual):
    StructureFactory(raison_sociale="Menuiserie Alpine", postcode="38000")
    text = export(client, postcode="38000")
    assert "Menuiserie Alpine" in text
    assert "Jeanne Dupuis" not in text and "Particulier" not in text


def test_the_anonymous_export_never_lists_individuals_by_name_or_city(client, individual):
    assert "Jeanne Dupuis" not in export(client, raison_sociale="dupuis")
    assert "Jeanne Dupuis" not in export(client, city="grenoble")


def test_the_anonymous_export_never_finds_an_individual_by_its_identifier(client, individual):
    assert "Jeanne" not in export(client, identifier_type="particulier", identifier="Jeanne Dupuis")


def test_a_structure_in_the_course_of_registration_is_not_public_either(client):
    StructureFactory(
        identifier_type="en_cours", identifier="Paul Martin", raison_sociale="Paul Martin", verified_by_directory=False
    )
    assert "Paul Martin" not in export(client, city="grenoble")


def test_a_siret_the_directory_did_not_confirm_is_found_by_its_exact_siret_only(client):
    """Its name was typed by hand: maybe an entrepreneur who asked INSEE not to publish it."""
    hidden = StructureFactory(raison_sociale="Marc Dubois", verified_by_directory=False)
    assert "Marc Dubois" not in export(client, city="grenoble")
    assert "Marc Dubois" not in export(client, raison_sociale="dubois")
    assert "Marc Dubois" in export(client, identifier=hidden.identifier)


def test_the_wizard_search_never_lists_individuals(at_structure_step, individual):
    response = search(at_structure_step, city="Grenoble")
    assert response.status_code == 200
    assert "Jeanne Dupuis" not in response.content.decode()


def test_a_logged_in_stranger_does_not_see_individuals(client, individual):
    client.force_login(SupplierFactory())
    html = client.get(reverse("structures:request_attachment"), {"identifier_type": "siret", "city": "grenoble"})
    assert "Jeanne Dupuis" not in html.content.decode()
    assert "Jeanne Dupuis" not in export(client, city="grenoble")
    response = client.get(reverse("structures:request_attachment"), {"identifier_type": "siret", "last_name": "Dupuis"})
    assert "Jeanne Dupuis" not in response.content.decode()


def test_the_individual_finds_their_own_structure_by_last_and_first_name(client, individual):
    client.force_login(individual.user)
    response = client.get(
        reverse("structures:request_attachment"),
        {"identifier_type": "siret", "last_name": "dupuis", "first_name": "je"},
    )
    html = response.content.decode()
    assert "Jeanne Dupuis" in html
    assert "Vous êtes rattaché(e) à cette structure" in html
    text = export(client, last_name="dupuis", first_name="jeanne")
    assert "Jeanne Dupuis" in text


def test_a_member_of_an_individual_s_structure_finds_it_too(client, individual):
    member = MembershipFactory(structure=individual.structure).user
    client.force_login(member)
    html = client.get(
        reverse("structures:request_attachment"), {"identifier_type": "siret", "last_name": "Dupuis"}
    ).content.decode()
    assert "Jeanne Dupuis" in html


def test_an_anonymous_visitor_is_not_offered_the_name_search(at_structure_step):
    response = search(at_structure_step, city="Grenoble")
    form = response.context["wizard"]["form"]
    assert "last_name" not in form.fields and "first_name" not in form.fields


def test_the_choice_of_a_hidden_structure_is_refused_as_unknown(at_structure_step, individual):
    """Guessing a structure's number reveals nothing: « choose » it and the page says it does not exist."""
    response = choose(at_structure_step, f"structure:{individual.structure.pk}", city="Grenoble")
    assert response.status_code == 200
    assert response.context["wizard"]["form"].non_field_errors() == [UNKNOWN]
    assert "Jeanne Dupuis" not in response.content.decode()


def test_an_unconfirmed_siret_is_chosen_only_after_a_search_by_that_siret(at_structure_step):
    hidden = StructureFactory(raison_sociale="Marc Dubois", verified_by_directory=False)
    response = choose(at_structure_step, f"structure:{hidden.pk}", city="Grenoble")
    assert response.context["wizard"]["form"].non_field_errors() == [UNKNOWN]
    assert "Marc Dubois" not in response.content.decode()
    response = choose(at_structure_step, f"structure:{hidden.pk}", identifier=hidden.identifier)
    assert "Marc Dubois" in response.content.decode()  # the confirmation names it


def test_creating_an_individual_s_structure_twice_does_not_name_the_first_one(at_structure_step, individual):
    from tests.wizard import field_errors, post_new_structure

    choose(at_structure_step, "nouvelle")
    response = post_new_structure(
        at_structure_step,
        has_siret="non",
        identifier_type="particulier",
        identifier="jeanne  dupuis".title(),
        raison_sociale="Jeanne Dupuis",
        address="1 rue Lafayette",
        postcode="38000",
        city="Grenoble",
    )
    assert field_errors(response, "nouvelle-structure", "identifier") == [
        "Une structure porte déjà cet identifiant. Si c'est la vôtre, connectez-vous avec le compte qui l'a créée ; "
        "sinon, saisissez un identifiant qui la distingue (par exemple votre nom suivi de votre ville)."
    ]
    assert 'name="rattachement"' not in response.content.decode()
