"""« Demander un rattachement à une structure »: the procedure's search block, every criterion."""

import pytest
from django.urls import reverse

from tests.onboarding.factories import SupplierFactory
from tests.structures.factories import StructureFactory

pytestmark = pytest.mark.django_db

PAGE = reverse("structures:request_attachment")


def labels(html):
    import re

    return [label.strip() for label in re.findall(r"<label for=\"id_[a-z_]+\">([^<]+)", html)]


def test_it_shows_the_procedure_s_criteria_in_its_order(client):
    client.force_login(SupplierFactory())
    html = client.get(PAGE).content.decode()
    assert labels(html) == [
        "Identifiant",
        "Type d&#x27;identifiant",
        "Libellé de la structure",
        "Statut",
        "Nom",
        "Prénom",
        "Code postal",
        "Ville",
        "Pays",
    ]
    assert '<option value="" selected>Tous les statuts</option>' in html
    assert '<option value="" selected>Tous les pays</option>' in html


def test_it_filters_on_the_status(client):
    StructureFactory(raison_sociale="Plomberie Alpine Active", postcode="38100")
    StructureFactory(raison_sociale="Plomberie Alpine Fermée", postcode="38100", status="inactif")
    client.force_login(SupplierFactory())
    html = client.get(PAGE, {"identifier_type": "siret", "raison_sociale": "alpine", "status": "inactif"}).content
    html = html.decode()
    assert "Plomberie Alpine Fermée" in html and "Plomberie Alpine Active" not in html
    assert "Structure inactive" in html  # no button: an inactive structure takes no request


def test_it_filters_on_the_country_and_leaves_the_french_directory_out_for_another(client):
    StructureFactory(raison_sociale="Atelier Bruxellois", country="BE", postcode="1000", city="Bruxelles")
    client.force_login(SupplierFactory())
    html = client.get(PAGE, {"identifier_type": "siret", "raison_sociale": "atelier", "country": "BE"}).content
    assert "Atelier Bruxellois" in html.decode()
    html = client.get(PAGE, {"identifier_type": "siret", "raison_sociale": "menuiserie", "country": "BE"}).content
    assert "Menuiserie Dauphinoise" not in html.decode()  # the INSEE directory: French establishments
    html = client.get(PAGE, {"identifier_type": "siret", "raison_sociale": "menuiserie", "country": "FR"}).content
    assert "Menuiserie Dauphinoise" in html.decode()


def test_the_export_keeps_the_filters(client):
    StructureFactory(raison_sociale="Plomberie Alpine Active", postcode="38100")
    StructureFactory(raison_sociale="Plomberie Alpine Fermée", postcode="38100", status="inactif")
    client.force_login(SupplierFactory())
    html = client.get(PAGE, {"identifier_type": "siret", "raison_sociale": "alpine", "status": "actif"}).content
    assert "status=actif" in html.decode()
    text = client.get(
        reverse("structures:search_export"), {"identifier_type": "siret", "raison_sociale": "alpine", "status": "actif"}
    ).content.decode("utf-8-sig")
    assert "Plomberie Alpine Active" in text and "Fermée" not in text
