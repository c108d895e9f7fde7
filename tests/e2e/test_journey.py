"""The supplier's whole journey in a real browser, with the mouse, with the keyboard, on a phone."""

import re

import pytest
from captcha.models import CaptchaStore
from django.core import mail

from structures.models import Structure
from tests.banking.pdfs import rib_pdf
from tests.wizard import COMPANY_SIRET

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Grenoble-Fournisseur-2026"
ACCOUNT = {
    "email": "claire.martin@menuiserie-dauphinoise.fr",
    "email_confirmation": "claire.martin@menuiserie-dauphinoise.fr",
    "last_name": "Martin",
    "first_name": "Claire",
    "address": "14 rue des Glairons",
    "postcode": "38400",
    "city": "Saint-Martin-d'Hères",
    "phone": "04 76 76 36 36",
}
BANK = {"account_name": "Compte principal", "bban": "FR76 3000 6000 0112 3456 7890 189", "bic": "AGRIFRPP"}


def captcha_answer(page):
    key = page.locator("#id_compte-captcha_0").input_value()
    return CaptchaStore.objects.get(hashkey=key).response


def activation_path(live_server_url):
    (message,) = [m for m in mail.outbox if "activation" in m.body]
    url = re.search(r"https?://\S+/activation/[^/\s]+/", message.body).group(0)
    return "/" + url.split("/", 3)[3]


def run_with_the_mouse(journey):
    page = journey.page
    journey.goto("/")
    journey.check("accueil")
    page.get_by_role("link", name="Commencer mon inscription").click()

    journey.check("compte")
    page.get_by_role("button", name="Enregistrer et Configurer mon compte").click()
    page.locator("#error-summary").wait_for()
    journey.check("compte-erreurs")
    for name, value in ACCOUNT.items():
        page.fill(f"#id_compte-{name}", value)
    page.fill("#id_compte-captcha_1", captcha_answer(page))
    page.check("#id_compte-accept_terms")
    page.get_by_role("button", name="Enregistrer et Configurer mon compte").click()

    page.get_by_text("Étape 2 sur 4 — Rattachement à une structure").wait_for()
    journey.check("structure")
    page.get_by_role("button", name="Rechercher", exact=True).click()
    page.locator("#error-summary").wait_for()
    journey.check("structure-erreurs")
    page.fill("#id_structure-identifier", "464 305 770 00248")
    page.get_by_role("button", name="Rechercher", exact=True).click()
    page.get_by_text("1 structure trouvée.").wait_for()
    journey.check("structure-resultats")
    page.get_by_role("button", name=re.compile("Créer cette structure")).click()

    page.get_by_role("heading", name="Création d'une nouvelle structure").wait_for()
    journey.check("nouvelle-structure")
    page.get_by_role("button", name="Étape suivante").click()
    page.get_by_text("Informations retrouvées dans le répertoire Sirene").wait_for()
    journey.check("nouvelle-structure-insee")
    page.get_by_role("button", name="Étape suivante").click()

    page.get_by_text("Étape 3 sur 4 — Coordonnées bancaires").wait_for()
    journey.check("coordonnees-bancaires")
    page.fill("#id_coordonnees-bancaires-account_name", BANK["account_name"])
    page.fill("#id_coordonnees-bancaires-bban", "FR76 3000 6000 0112 3456 7890 188")
    page.fill("#id_coordonnees-bancaires-bic", BANK["bic"])
    page.set_input_files(
        "#id_coordonnees-bancaires-rib_file", {"name": "rib.pdf", "mimeType": "application/pdf", "buffer": rib_pdf()}
    )
    page.get_by_role("button", name="Valider").click()
    page.locator("#error-summary").wait_for()
    journey.check("coordonnees-bancaires-erreurs")
    page.fill("#id_coordonnees-bancaires-bban", BANK["bban"])
    page.set_input_files(
        "#id_coordonnees-bancaires-rib_file", {"name": "rib.pdf", "mimeType": "application/pdf", "buffer": rib_pdf()}
    )
    page.get_by_role("button", name="Valider").click()

    page.get_by_role("heading", name=re.compile("vérifiez votre messagerie")).wait_for()
    journey.check("courriel-envoye")
    journey.goto(activation_path(journey.base))
    page.get_by_role("heading", name="Activer votre compte").wait_for()
    journey.check("activation")
    page.fill("#id_new_password1", PASSWORD)
    page.fill("#id_new_password2", PASSWORD)
    page.get_by_role("button", name="Activer mon compte").click()

    page.get_by_role("heading", name="Accueil connecté").wait_for()
    journey.check("accueil-connecte")
    assert Structure.objects.get().identifier == COMPANY_SIRET


def test_it_goes_through_the_journey_with_the_mouse(journey_factory):
    journey = journey_factory("souris")
    run_with_the_mouse(journey)
    journey.report()


def test_it_goes_through_the_journey_on_a_phone(journey_factory):
    journey = journey_factory("telephone-375px", viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    run_with_the_mouse(journey)
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert journey.page.evaluate("document.documentElement.scrollWidth") <= 375
    journey.report()
