"""The supplier's whole journey in a real browser, with the mouse, with the keyboard, on a phone."""

import re
import time
from base64 import b32decode

import pytest
from captcha.models import CaptchaStore
from django.contrib.auth.models import Permission
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext, ngettext
from django_otp.oath import TOTP

from banking.models import BankAccount
from banking.services import validate_bank_account
from invoices.models import Invoice, Service
from structures.models import Structure
from tests.banking.pdfs import rib_pdf
from tests.clients import last_code_sent_to
from tests.invoices.pdfs import plain_pdf
from tests.onboarding.factories import DEFAULT_PASSWORD, UserFactory
from tests.wizard import COMPANY_SIRET
from twofactor.services import SESSION_VERIFIED_AT

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


def totp_now(base32_key, steps_ahead=0):
    """What the supplier's authenticator app shows for the key typed by hand."""
    totp = TOTP(b32decode(base32_key + "=" * (-len(base32_key) % 8)), step=30, digits=6)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def age_second_factor(seconds):
    """Move the logged-in sessions' last second factor `seconds` back in time."""
    for row in Session.objects.all():
        store = SessionStore(session_key=row.session_key)
        if SESSION_VERIFIED_AT in store:
            store[SESSION_VERIFIED_AT] = int(time.time()) - seconds
            store.save()


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
    # The type of identifier belongs to « n'a pas de SIRET »: hidden while « a un SIRET » is chosen.
    conditional = page.locator("[data-shown-with]")
    assert not conditional.is_visible()
    page.check("#id_nouvelle-structure-has_siret_1")
    assert conditional.is_visible()
    page.check("#id_nouvelle-structure-has_siret_0")
    assert not conditional.is_visible()
    hands.click("button", t("Étape suivante"))
    page.get_by_text(
        t(
            "Informations retrouvées dans le répertoire Sirene de l'INSEE : vérifiez-les, puis cliquez sur "
            "« Enregistrer »."
        )
    ).wait_for()
    journey.check("nouvelle-structure-insee")
    hands.click("button", t("Enregistrer"))

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

    security(journey, hands, t)


def security(journey, hands, t):
    """Issue 10: log in again with the e-mailed code, move to an authenticator app, change the
    bank details through a step-up, and receive the security notices."""
    page = journey.page
    hands.click("button", t("Se déconnecter"))
    page.get_by_role("link", name=t("Se connecter"), exact=True).wait_for()
    journey.goto("/connexion/")
    hands.fill("#id_username", ACCOUNT["email"])
    hands.fill("#id_password", PASSWORD)
    hands.click("button", t("Se connecter"))
    page.get_by_role("heading", name=t("Saisir le code de vérification")).wait_for()
    journey.check("code-de-verification")
    code = last_code_sent_to(ACCOUNT["email"])
    hands.fill("#id_code", f"{(int(code) + 1) % 1000000:06d}")
    hands.click("button", t("Valider le code"))
    page.locator("#error-summary").wait_for()
    journey.check("code-errone")
    hands.fill("#id_code", code)
    hands.click("button", t("Valider le code"))
    page.get_by_role("heading", name=t("Accueil connecté")).wait_for()

    hands.click("link", t("Gérer la double authentification"))
    page.get_by_role("heading", name=t("Mon compte"), exact=True).wait_for()
    journey.check("mon-compte")
    hands.click("link", t("Utiliser une application d'authentification"))
    page.get_by_role("heading", name=t("Utiliser une application d'authentification"), exact=True).wait_for()
    journey.check("application-d-authentification")
    key = page.locator("#manual-key").inner_text().replace(" ", "")
    hands.fill("#id_code", totp_now(key))
    hands.click("button", t("Valider l'application"))
    page.get_by_role("heading", name=t("Codes de secours")).wait_for()
    journey.check("codes-de-secours")
    assert page.locator(".recovery-codes li").count() == 10

    # 16 minutes later (the session's clock is moved back): the bank details ask for a new code.
    age_second_factor(16 * 60)
    journey.goto("/coordonnees-bancaires/ajouter/")
    page.get_by_role("heading", name=t("Confirmer votre identité")).wait_for()
    journey.check("confirmer-votre-identite")
    hands.fill("#id_code", totp_now(key, steps_ahead=1))  # the setup's code cannot serve twice
    hands.click("button", t("Valider le code"))
    page.get_by_role("heading", name=t("Ajouter des coordonnées bancaires")).wait_for()
    hands.fill("#id_account_name", "Compte travaux")
    hands.fill("#id_bban", "FR14 2004 1010 0505 0001 3M02 606")
    hands.fill("#id_bic", "PSSTFRPPGRE")
    hands.attach(
        "#id_rib_file",
        {"name": "rib.pdf", "mimeType": "application/pdf", "buffer": rib_pdf(iban="FR1420041010050500013M02606")},
    )
    hands.click("button", t("Valider"))
    page.wait_for_url(re.compile(r"/coordonnees-bancaires/[0-9]+/$"))
    journey.check("changement-de-rib")
    assert BankAccount.objects.filter(is_rib_change=True).count() == 1
    notices = [m.body for m in mail.outbox if m.to == [ACCOUNT["email"]]]
    assert any(
        t(
            "Une application d'authentification a été ajoutée à votre compte. Elle donne désormais le code demandé "
            "après votre mot de passe."
        )
        in body
        for body in notices
    )
    # A change of RIB: the members' alert, which tells the sender too (one e-mail per event and person).
    subject = t("Nouvelles coordonnées bancaires envoyées pour %(name)s", name="")
    alerts = [m for m in mail.outbox if m.to == [ACCOUNT["email"]] and m.subject.startswith(subject)]
    assert len(alerts) == 1


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


def test_it_keeps_staff_without_an_authenticator_out_of_the_admin(journey_factory):
    """A finance agent logs in with the e-mailed code; the admin sends them to set up an app first."""
    journey = journey_factory("agent")
    page, hands = journey.page, Mouse(journey.page)
    UserFactory(is_staff=True, is_superuser=True, email="agent@grenoble.test", second_factor="email")
    journey.goto("/admin/")
    page.get_by_role("heading", name="Se connecter").wait_for()
    hands.fill("#id_username", "agent@grenoble.test")
    hands.fill("#id_password", DEFAULT_PASSWORD)
    hands.click("button", "Se connecter")
    page.get_by_role("heading", name="Saisir le code de vérification").wait_for()
    hands.fill("#id_code", last_code_sent_to("agent@grenoble.test"))
    hands.click("button", "Valider le code")
    page.get_by_role("heading", name="Utiliser une application d'authentification", exact=True).wait_for()
    page.get_by_text("L'administration n'est ouverte qu'aux comptes protégés par une application").wait_for()
    journey.check("agent-sans-application")
    hands.fill("#id_code", totp_now(page.locator("#manual-key").inner_text().replace(" ", "")))
    hands.click("button", "Valider l'application")
    page.get_by_role("heading", name="Codes de secours").wait_for()
    hands.click("link", "Continuer vers l'administration")
    page.get_by_text("Suivi des inscriptions des fournisseurs").wait_for()
    assert page.url.endswith("/admin/")
    journey.report()
