import pytest
from django.utils import timezone, translation

from mandates import texts
from tests.structures.factories import MainManagerFactory

pytestmark = pytest.mark.django_db


def render(**structure):
    membership = MainManagerFactory(
        user__first_name="Claire",
        user__last_name="Martin",
        **{f"structure__{name}": value for name, value in structure.items()},
    )
    return texts.render_document(structure=membership.structure, signatory=membership.user, generated_at=timezone.now())


def test_it_names_the_structure_the_signatory_and_the_version():
    html = render(raison_sociale="Menuiserie Martin", identifier="46430577000248", address_complement="Bâtiment B")
    assert "Menuiserie Martin" in html
    assert "Identifiant (SIRET)</dt><dd>46430577000248" in html
    assert "Bâtiment B<br>38000 Grenoble<br>France" in html
    assert "<dd>Claire Martin</dd>" in html
    assert "Modèle de mandat, version 2026-01" in html
    assert "article 289, I-2 du code général des impôts" in html


def test_it_escapes_what_the_supplier_typed():
    html = render(raison_sociale='<img src="file:///etc/passwd"> & Cie')
    assert "<img" not in html
    assert "&lt;img src=&quot;file:///etc/passwd&quot;&gt; &amp; Cie" in html


def test_it_renders_in_french_whatever_the_language_asked():
    with translation.override("en"):
        html = render()
    assert "France" in html
    assert "(heure de Paris)" in html
