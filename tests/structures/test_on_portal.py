"""« Already on the portal? »: the new structure's page says when Chorus Pro has the SIRET already."""

import pytest

from chorus import portal
from tests.wizard import account_data, choose, post_new_structure, post_step

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stub_portal")]

ON_PORTAL = "46430577000248"  # Menuiserie Dauphinoise: in the INSEE stub and on the stub portal
NOT_ON_PORTAL = "85774552500116"  # Boulangerie Pâtisserie Berriat: in the INSEE stub only
SAID = "Votre structure existe déjà sur Chorus Pro : demandez votre rattachement à son gestionnaire principal"


def confirmation(client, siret):
    post_step(client, "compte", account_data())
    choose(client, "nouvelle", identifier="")
    return post_new_structure(client, identifier=siret)


def test_it_says_the_structure_is_on_the_portal_without_blocking_the_wizard(client):
    response = confirmation(client, ON_PORTAL)
    assert SAID in response.content.decode()
    # Not blocked: « Étape suivante » goes on to the bank details.
    response = post_new_structure(client, identifier=ON_PORTAL, verified=ON_PORTAL)
    assert response["Location"] == "/inscription/coordonnees-bancaires/"


def test_it_says_nothing_for_a_structure_the_portal_does_not_have(client):
    assert SAID not in confirmation(client, NOT_ON_PORTAL).content.decode()


def test_it_says_nothing_when_the_portal_cannot_tell(client, monkeypatch):
    def down(*args, **kwargs):
        raise portal.PortalUnavailable()

    monkeypatch.setattr(portal, "find_structure", down)
    response = confirmation(client, ON_PORTAL)
    assert response.status_code == 200
    assert SAID not in response.content.decode()
    assert "Informations retrouvées dans le répertoire Sirene de l'INSEE" in response.content.decode()


def test_it_says_so_on_the_logged_in_suppliers_page_too(client, manager):
    client.force_login(manager)
    response = client.post(
        "/structures/nouvelle/", {"has_siret": "oui", "identifier": "53896404000132", "country": "FR"}
    )
    assert SAID in response.content.decode()
