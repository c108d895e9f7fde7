"""The supplier's whole journey in a real browser, with the mouse, with the keyboard, on a phone."""

import re

import pytest
from captcha.models import CaptchaStore
from django.contrib.auth.models import Permission
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext, ngettext

from banking.models import BankAccount
from banking.services import validate_bank_account
from invoices.models import Invoice, Service
from structures.models import Structure
from tests.banking.pdfs import rib_pdf
from tests.factories import UserFactory
from tests.invoices.pdfs import plain_pdf
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


def finance_validates_the_bank_details():
    finance = UserFactory(is_staff=True, email="finances@grenoble.test")
    # (Transactional tests empty the database between tests, data-migrated groups included.)
    finance.user_permissions.add(Permission.objects.get(codename="review_bankaccount"))
    validate_bank_account(BankAccount.objects.get(), by=finance)
    Service.objects.create(code="CULTURE", name="Bibliothèques municipales", engagement_required=False)


def signing_path():
    """The link of the one e-mail the wizard sends: sign the mandate (and activate the account)."""
    (message,) = mail.outbox
    url = re.search(r"https?://\S+/mandats/signer/[^/\s]+/", message.body).group(0)
    return "/" + url.split("/", 3)[3]


class Mouse:
    """Clicks and fills, as most people do."""

    def __init__(self, page):
        self.page = page

    def fill(self, selector, value):
        self.page.fill(selector, value)

    def click(self, role, name):
        self.page.get_by_role(role, name=name).first.click()

    def tick(self, selector):
        self.page.check(selector)

    def attach(self, selector, file):
        self.page.set_input_files(selector, file)

    def choose(self, selector, label):
        self.page.select_option(selector, label=label)


class Keyboard(Mouse):
    """Tab to each field or button, type, Enter or Space: no mouse at all."""

    def _tab_until(self, script, arg, what, limit=120):
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            if self.page.evaluate(script, arg):
                return
        raise AssertionError(f"{what} cannot be reached with the Tab key")

    def _focus(self, selector):
        self._tab_until("sel => !!document.activeElement && document.activeElement.matches(sel)", selector, selector)

    def fill(self, selector, value):
        self._focus(selector)
        self.page.keyboard.press("Control+A")
        self.page.keyboard.type(value)

    def click(self, role, name):
        pattern = name.pattern if hasattr(name, "pattern") else "^" + re.escape(name) + "$"
        tags = {"button": "BUTTON", "link": "A"}[role]
        self._tab_until(
            """([tag, pattern]) => {
                const el = document.activeElement;
                return !!el && el.tagName === tag && new RegExp(pattern).test(el.innerText.trim());
            }""",
            [tags, pattern],
            f"{role} « {name} »",
        )
        self.page.keyboard.press("Enter")

    def tick(self, selector):
        self._focus(selector)
        self.page.keyboard.press("Space")

    def choose(self, selector, label):
        # A focused select picks the option whose label starts with what is typed (letters
        # only: a space would open its list).
        self._focus(selector)
        self.page.keyboard.type(label[:6])
        assert self.page.evaluate("sel => document.querySelector(sel).selectedOptions[0].label", selector) == label

    def attach(self, selector, file):
        # The file picker is the operating system's: reach the field by keyboard, then give the
        # file as the picker would.
        self._focus(selector)
        self.page.set_input_files(selector, file)


def run(journey, hands, language="fr"):
    """The journey; every text looked for is the catalogue's, in `language`."""

    def t(text, **values):
        with translation.override(language):
            return gettext(text) % values if values else gettext(text)

    def step(number, title):
        return t("Étape %(number)s sur %(count)s — %(title)s", number=number, count=4, title=t(title))

    page = journey.page
    journey.goto("/")
    if language != "fr":
        hands.click("button", {"en": "English"}[language])
        page.wait_for_load_state("load")
    journey.check("accueil")
    hands.click("link", t("Commencer mon inscription"))

    journey.check("compte")
    hands.click("button", t("Enregistrer et Configurer mon compte"))
    page.locator("#error-summary").wait_for()
    journey.check("compte-erreurs")
    for name, value in ACCOUNT.items():
        hands.fill(f"#id_compte-{name}", value)
    hands.fill("#id_compte-captcha_1", captcha_answer(page))
    hands.tick("#id_compte-accept_terms")
    hands.click("button", t("Enregistrer et Configurer mon compte"))

    page.get_by_text(step(2, "Rattachement à une structure")).wait_for()
    journey.check("structure")
    hands.click("button", t("Rechercher"))
    page.locator("#error-summary").wait_for()
    journey.check("structure-erreurs")
    hands.fill("#id_structure-identifier", "464 305 770 00248")
    hands.click("button", t("Rechercher"))
    with translation.override(language):
        found = ngettext("%(counter)s structure trouvée.", "%(counter)s structures trouvées.", 1) % {"counter": 1}
    page.get_by_text(found).wait_for()
    journey.check("structure-resultats")
    hands.click("button", re.compile("^" + re.escape(t("Créer cette structure"))))

    page.get_by_role("heading", name=t("Création d'une nouvelle structure")).wait_for()
    journey.check("nouvelle-structure")
    hands.click("button", t("Étape suivante"))
    page.get_by_text(t("Informations retrouvées dans le répertoire Sirene de l'INSEE : vérifiez-les, puis cliquez sur « Étape suivante ».")).wait_for()
    journey.check("nouvelle-structure-insee")
    hands.click("button", t("Étape suivante"))

    page.get_by_text(step(3, "Coordonnées bancaires")).wait_for()
    journey.check("coordonnees-bancaires")
    hands.fill("#id_coordonnees-bancaires-account_name", BANK["account_name"])
    hands.fill("#id_coordonnees-bancaires-bban", "FR76 3000 6000 0112 3456 7890 188")
    hands.fill("#id_coordonnees-bancaires-bic", BANK["bic"])
    hands.attach(
        "#id_coordonnees-bancaires-rib_file", {"name": "rib.pdf", "mimeType": "application/pdf", "buffer": rib_pdf()}
    )
    hands.click("button", t("Valider"))
    page.locator("#error-summary").wait_for()
    journey.check("coordonnees-bancaires-erreurs")
    hands.fill("#id_coordonnees-bancaires-bban", BANK["bban"])
    # Our script (allowed by the CSP: a static file) shows the IBAN grouped by 4 as it is typed.
    prefix = "IBAN: " if language == "en" else "IBAN : "
    assert page.locator(".iban-preview").inner_text() == prefix + "FR76 3000 6000 0112 3456 7890 189"
    hands.attach(
        "#id_coordonnees-bancaires-rib_file", {"name": "rib.pdf", "mimeType": "application/pdf", "buffer": rib_pdf()}
    )
    hands.click("button", t("Valider"))

    page.get_by_text(step(4, "Souscription d'un mandat de facturation")).wait_for()
    journey.check("mandat")
    hands.click("button", t("Générer"))

    page.get_by_role("heading", name=t("Votre compte est enregistré : vérifiez votre messagerie")).wait_for()
    journey.check("courriel-envoye")
    journey.goto(signing_path())
    page.get_by_role("heading", name=t("Activer votre compte")).wait_for()
    journey.check("activation")
    hands.fill("#id_new_password1", PASSWORD)
    hands.fill("#id_new_password2", PASSWORD)
    hands.click("button", t("Activer mon compte"))

    page.get_by_role("heading", name=t("Valider un mandat")).wait_for()
    journey.check("valider-un-mandat")
    hands.click("button", t("Signer le mandat"))
    page.locator("#error-summary").wait_for()
    journey.check("valider-un-mandat-erreurs")
    hands.tick("#id_consent")
    hands.click("button", t("Signer le mandat"))
    page.get_by_role("heading", name=t("Mandat de facturation"), exact=True).wait_for()
    journey.check("mandat-signe")
    with page.expect_download() as download:
        hands.click("link", t("Exporter au format PDF"))
    assert open(download.value.path(), "rb").read(5) == b"%PDF-"

    journey.goto("/accueil/")
    journey.check("accueil-connecte")
    hands.click("link", t("+ Déposer une facture"))
    page.get_by_role("heading", name=t("Déposer une facture"), exact=True).wait_for()
    journey.check("deposer-une-facture")

    # Finance staff validate the bank details meanwhile (in the admin, tested elsewhere), and
    # keep the list of the city's services: the supplier can now deposit an invoice.
    finance_validates_the_bank_details()
    journey.goto("/factures/deposer/")
    hands.attach("#id_file", {"name": "facture-F-2026-001.pdf", "mimeType": "application/pdf", "buffer": plain_pdf()})
    hands.click("button", t("Déposer"))
    page.get_by_role("heading", name=t("Déposer une facture : ses données")).wait_for()
    journey.check("facture-donnees")
    hands.fill("#id_number", "F-2026-001")
    hands.fill("#id_issue_date", "20/11/2026")
    hands.fill("#id_amount_excl_tax", "1000,00")
    hands.fill("#id_vat_amount", "200,00")
    hands.fill("#id_amount_incl_tax", "1200,00")
    hands.choose("#id_service", "Bibliothèques municipales (CULTURE)")
    hands.click("button", t("Déposer la facture"))
    page.get_by_role("heading", name=t("Accusé de réception")).wait_for()
    journey.check("accuse-de-reception")
    assert Invoice.objects.get().number == "F-2026-001"
    assert Structure.objects.get().identifier == COMPANY_SIRET


def test_it_goes_through_the_journey_with_the_mouse(journey_factory):
    journey = journey_factory("souris")
    run(journey, Mouse(journey.page))
    journey.report()


def test_it_goes_through_the_journey_with_the_keyboard_alone(journey_factory):
    journey = journey_factory("clavier")
    run(journey, Keyboard(journey.page))
    journey.report()


def test_it_goes_through_the_journey_on_a_phone(journey_factory):
    journey = journey_factory("telephone-375px", viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    run(journey, Mouse(journey.page))
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert journey.page.evaluate("document.documentElement.scrollWidth") <= 375
    journey.report()


def test_it_goes_through_the_journey_in_english(journey_factory):
    journey = journey_factory("english", locale="en-GB")
    run(journey, Mouse(journey.page), language="en")
    assert journey.page.locator("html").get_attribute("lang") == "en"
    journey.report()
