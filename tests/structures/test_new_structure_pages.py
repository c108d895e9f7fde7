"""« Création d'une nouvelle structure » as the procedure prints it: the identification and
« Étape suivante », then « Informations générales » (with « Statut : actif ») and « Adresse
postale » pre-filled from INSEE, « Enregistrer »; « Annuler » leaves the new structure."""

import pytest
from django.urls import reverse

from structures.models import Structure
from tests.onboarding.factories import SupplierFactory
from tests.wizard import (
    COMPANY_SIRET,
    account_data,
    choose,
    field_errors,
    post_new_structure,
    post_step,
    search,
    step_url,
)

pytestmark = pytest.mark.django_db

NEW = step_url("nouvelle-structure")


@pytest.fixture
def at_structure_step(client):
    response = post_step(client, "compte", account_data())
    assert response["Location"] == step_url("structure")
    return client


def test_the_searched_siret_is_carried_over_by_saisir_une_nouvelle_structure(at_structure_step):
    search(at_structure_step, identifier="464 305 770 00248")
    response = choose(at_structure_step, "nouvelle", identifier="464 305 770 00248")
    assert response["Location"] == NEW
    html = at_structure_step.get(NEW).content.decode()
    assert f'name="nouvelle-structure-identifier" value="{COMPANY_SIRET}"' in html
    assert 'value="oui" id="id_nouvelle-structure-has_siret_0" required checked' in html


def test_another_identifier_searched_is_carried_over_with_its_type(at_structure_step):
    choose(at_structure_step, "nouvelle", identifier_type="tva_ue", identifier="DE 136 695 976")
    html = at_structure_step.get(NEW).content.decode()
    assert 'name="nouvelle-structure-identifier" value="DE136695976"' in html
    assert '<option value="tva_ue" selected>' in html


def test_the_first_page_is_the_identification(at_structure_step):
    choose(at_structure_step, "nouvelle")
    html = at_structure_step.get(NEW).content.decode()
    assert 'Identifiant <span class="required">(obligatoire)</span>' in html
    assert "nouvelle-structure-raison_sociale" not in html
    assert ">Étape suivante</button>" in html and ">Annuler</button>" in html
    assert ">Précédent</button>" not in html
    # The type of identifier belongs to « n'a pas de SIRET »: grouped under it.
    assert 'data-shown-with="id_nouvelle-structure-has_siret_1"' in html


def test_etape_suivante_shows_the_insee_blocks_then_enregistrer_goes_on(at_structure_step):
    choose(at_structure_step, "nouvelle")
    response = post_new_structure(at_structure_step)
    html = response.content.decode()
    assert "Informations retrouvées dans le répertoire Sirene de l'INSEE" in html
    assert "<legend>Informations générales</legend>" in html
    assert "<dt>Statut</dt><dd>Actif</dd>" in html
    assert 'value="Menuiserie Dauphinoise"' in html and "readonly" in html
    assert ">Enregistrer</button>" in html and ">Étape suivante</button>" not in html
    response = post_new_structure(at_structure_step, verified=COMPANY_SIRET, identified=COMPANY_SIRET)
    assert response["Location"] == step_url("coordonnees-bancaires")


def test_without_siret_the_blocks_come_empty_then_their_errors(at_structure_step):
    choose(at_structure_step, "nouvelle")
    typed = {"has_siret": "non", "identifier_type": "tva_ue", "identifier": "DE 136 695 976"}
    response = post_new_structure(at_structure_step, **typed)
    html = response.content.decode()
    assert "Saisissez la raison sociale et l'adresse de la structure, puis cliquez sur « Enregistrer »." in html
    assert "field--error" not in html and "error-summary" not in html
    assert 'Raison sociale <span class="required">(obligatoire)</span>' in html
    response = post_new_structure(at_structure_step, **typed, identified="DE136695976", raison_sociale="Holzbau")
    assert field_errors(response, "nouvelle-structure", "address") == ["Ce champ est obligatoire."]
    assert 'value="Holzbau"' in response.content.decode()  # what was typed stays


def test_modifier_l_identifiant_goes_back_to_the_first_page(at_structure_step):
    choose(at_structure_step, "nouvelle")
    response = post_step(
        at_structure_step,
        "nouvelle-structure",
        {"has_siret": "oui", "identifier": COMPANY_SIRET, "identified": COMPANY_SIRET},
        captcha=None,
        extra={"modifier": "1"},
    )
    html = response.content.decode()
    assert "nouvelle-structure-raison_sociale" not in html
    assert f'name="nouvelle-structure-identifier" value="{COMPANY_SIRET}"' in html


def test_annuler_leaves_the_new_structure_for_the_search(at_structure_step):
    choose(at_structure_step, "nouvelle", identifier=COMPANY_SIRET)
    post_new_structure(at_structure_step)
    response = post_step(at_structure_step, "nouvelle-structure", {}, captcha=None, extra={"annuler": "1"})
    assert response["Location"] == step_url("structure")
    html = at_structure_step.get(step_url("structure")).content.decode()
    assert f'value="{COMPANY_SIRET}"' in html  # the search as it was
    assert Structure.objects.count() == 0


def test_the_stand_alone_page_follows_the_same_two_pages(client):
    supplier = SupplierFactory()
    client.force_login(supplier)
    page = reverse("structures:new")
    html = client.get(page, {"identifier_type": "siret", "identifier": COMPANY_SIRET}).content.decode()
    assert f'value="{COMPANY_SIRET}"' in html and ">Étape suivante</button>" in html
    assert f'href="{reverse("structures:request_attachment")}">Annuler</a>' in html
    data = {"has_siret": "oui", "identifier": COMPANY_SIRET, "country": "FR"}
    html = client.post(page, data).content.decode()
    assert "<dt>Statut</dt><dd>Actif</dd>" in html and ">Enregistrer</button>" in html
    response = client.post(page, {**data, "verified": COMPANY_SIRET, "identified": COMPANY_SIRET})
    assert response["Location"] == reverse("onboarding:home")
    assert Structure.objects.get().raison_sociale == "Menuiserie Dauphinoise"


def test_the_stand_alone_page_refuses_a_join_button_it_did_not_offer(client):
    from tests.structures.factories import StructureFactory

    other = StructureFactory()
    client.force_login(SupplierFactory())
    response = client.post(
        reverse("structures:new"), {"has_siret": "oui", "identifier": COMPANY_SIRET, "rattachement": str(other.pk)}
    )
    assert response.status_code == 404


def test_the_first_page_goes_on_with_what_a_browser_posts_from_it(at_structure_step):
    """The first page has no block: its POST has the identification only."""
    choose(at_structure_step, "nouvelle")
    response = post_step(
        at_structure_step,
        "nouvelle-structure",
        {"has_siret": "oui", "identifier_type": "", "identifier": COMPANY_SIRET, "verified": "", "identified": ""},
        captcha=None,
    )
    html = response.content.decode()
    assert "Informations retrouvées dans le répertoire Sirene de l'INSEE" in html
    assert 'value="Menuiserie Dauphinoise"' in html
    # The second page posts the identification back, hidden, with the blocks.
    response = post_step(
        at_structure_step,
        "nouvelle-structure",
        {
            "has_siret": "oui",
            "identifier_type": "",
            "identifier": COMPANY_SIRET,
            "verified": COMPANY_SIRET,
            "identified": COMPANY_SIRET,
            "raison_sociale": "Menuiserie Dauphinoise",
            "address": "x",
            "address_complement": "",
            "postcode": "38400",
            "city": "x",
            "country": "FR",
        },
        captcha=None,
    )
    assert response["Location"] == step_url("coordonnees-bancaires")


def test_an_empty_identifier_says_so_once(at_structure_step):
    choose(at_structure_step, "nouvelle")
    response = post_new_structure(at_structure_step, identifier="")
    assert field_errors(response, "nouvelle-structure", "identifier") == ["Saisissez l'identifiant de la structure."]
    assert "nouvelle-structure-raison_sociale" not in response.content.decode()  # still the first page


def test_a_country_removed_from_the_second_page_is_asked_for(at_structure_step):
    choose(at_structure_step, "nouvelle")
    typed = {"has_siret": "non", "identifier_type": "tva_ue", "identifier": "DE136695976", "identified": "DE136695976"}
    response = post_new_structure(
        at_structure_step,
        **typed,
        raison_sociale="Holzbau Müller GmbH",
        address="Hauptstraße 5",
        postcode="80331",
        city="München",
        country="",
    )
    assert response.status_code == 200
    assert field_errors(response, "nouvelle-structure", "country") == ["Ce champ est obligatoire."]
    assert 'value="Holzbau Müller GmbH"' in response.content.decode()
