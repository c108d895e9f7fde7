"""Every supplier-facing page, visited in a real browser: the screenshots of `make screens`
(tests/e2e/screens.py) and the browser test of every page at 320 px (tests/e2e/test_pages.py).

`Tour(page, base_url, shoot)` walks through the pages in the procedure's order and calls
`shoot(name)` on each one once it is shown. The people and structures it needs are made with
the factories (in the live server's database); the wizard is filled in as a supplier does.
Long addresses, SIRETs, IBANs and company names on purpose: nothing may overflow a phone.
"""

import re

from captcha.models import CaptchaStore
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext

from banking.services import validate_bank_account
from invoices.models import Service
from tests.banking.factories import BankAccountFactory
from tests.banking.pdfs import rib_pdf
from tests.clients import VerifiedClient
from tests.invoices.factories import InvoiceFactory
from tests.mandates.factories import BillingMandateFactory
from tests.onboarding.factories import SupplierFactory, UserFactory
from tests.structures.factories import MainManagerFactory, MembershipFactory, StructureFactory

LONG_EMAIL = "claire.martin-dupont-de-la-fontaine@menuiserie-dauphinoise-et-associes-grenoble.fr"
LONG_NAME = "Société Coopérative Ouvrière de Production des Menuisiers-Ébénistes du Grésivaudan et du Trièves"
# Open establishments of the stub INSEE directory (structures/data/sirene_stub.json).
NEW_SIRET = "46430577000248"  # Menuiserie Dauphinoise
JOINED_SIRET = "53896404000132"  # Alpes Électricité Services
IBAN = "FR7630006000011234567890189"


class Tour:
    def __init__(self, page, base_url, shoot, language="fr", shoot_print=None):
        self.page = page
        self.base = base_url
        self.shoot = shoot
        self.language = language
        # Called on the pages meant to be printed (the mandate, the acknowledgement of receipt).
        self.shoot_print = shoot_print or (lambda name: None)

    # --- Helpers ------------------------------------------------------------------------------

    def t(self, text, **values):
        with translation.override(self.language):
            return gettext(text) % values if values else gettext(text)

    def goto(self, path):
        self.page.goto(self.base + path)
        self.page.wait_for_load_state("load")

    def click(self, role, name, exact=True):
        self.page.get_by_role(role, name=name, exact=exact).first.click()
        self.page.wait_for_load_state("load")

    def fill(self, selector, value):
        self.page.fill(selector, value)

    def log_in(self, user):
        """A session with both factors, as after « Se connecter » and its code."""
        self.log_out()
        client = VerifiedClient()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        self.page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": self.base}])

    def log_out(self):
        self.page.context.clear_cookies(name=settings.SESSION_COOKIE_NAME)

    def set_language(self):
        self.page.context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": self.language, "url": self.base}]
        )

    # --- The tour -----------------------------------------------------------------------------

    def run(self):
        self.set_language()
        self.public_pages()
        self.wizard_new_structure()
        self.wizard_joining()
        self.wizard_without_siret()
        self.connected_pages()

    def public_pages(self):
        self.goto("/")
        self.shoot("accueil")
        for path, name in [
            ("/connexion/", "se-connecter"),
            ("/mot-de-passe/oubli/", "mot-de-passe-oublie"),
            ("/conditions-generales/", "conditions-generales"),
            ("/accessibilite/", "accessibilite"),
        ]:
            self.goto(path)
            self.shoot(name)

    def _account_step(self, email):
        page = self.page
        self.goto("/inscription/compte/")
        values = {
            "email": email,
            "email_confirmation": email,
            "last_name": "Martin-Dupont de la Fontaine",
            "first_name": "Claire",
            "address": "14 rue des Glairons",
            "postcode": "38400",
            "city": "Saint-Martin-d'Hères",
            "phone": "04 76 76 36 36",
        }
        for name, value in values.items():
            self.fill(f"#id_compte-{name}", value)
        key = page.locator("#id_compte-captcha_0").input_value()
        self.fill("#id_compte-captcha_1", CaptchaStore.objects.get(hashkey=key).response)
        page.check("#id_compte-accept_terms")
        self.click("button", self.t("Enregistrer et Configurer mon compte"))

    def wizard_new_structure(self):
        page = self.page
        self.goto("/inscription/compte/")
        self.shoot("assistant-compte")
        self.click("button", self.t("Enregistrer et Configurer mon compte"))
        self.shoot("assistant-compte-erreurs")
        self._account_step(LONG_EMAIL)
        self.shoot("assistant-structure")
        self.click("button", self.t("Rechercher"))
        self.shoot("assistant-structure-erreurs")
        self.fill("#id_structure-city", "Grenoble")
        self.click("button", self.t("Rechercher"))
        self.shoot("assistant-structure-resultats-par-ville")
        self.fill("#id_structure-city", "")
        self.fill("#id_structure-identifier", NEW_SIRET)
        self.click("button", self.t("Rechercher"))
        self.shoot("assistant-structure-resultat-siret")
        self.click("button", self.t("+ Saisir une nouvelle structure"))
        self.shoot("assistant-nouvelle-structure")
        self.click("button", self.t("Étape suivante"))
        self.shoot("assistant-nouvelle-structure-insee")
        self.click("button", self.t("Enregistrer"))
        self.shoot("assistant-coordonnees-bancaires")
        self.fill("#id_coordonnees-bancaires-account_name", "Compte principal")
        self.fill("#id_coordonnees-bancaires-bban", IBAN)
        page.set_input_files(
            "#id_coordonnees-bancaires-rib_file",
            {"name": "rib.pdf", "mimeType": "application/pdf", "buffer": rib_pdf()},
        )
        self.click("button", self.t("Valider"))
        self.shoot("assistant-coordonnees-bancaires-erreurs")
        self.fill("#id_coordonnees-bancaires-bic", "AGRIFRPP")
        page.set_input_files(
            "#id_coordonnees-bancaires-rib_file",
            {"name": "rib.pdf", "mimeType": "application/pdf", "buffer": rib_pdf()},
        )
        self.click("button", self.t("Valider"))
        self.shoot("assistant-mandat")
        self.click("button", self.t("Générer"))
        self.shoot("courriel-envoye")
        link = re.search(r"https?://\S+(/mandats/signer/[^/\s]+/)", mail.outbox[-1].body).group(1)
        self.goto(link)
        self.shoot("activation-mot-de-passe")
        self.fill("#id_new_password1", "court")
        self.fill("#id_new_password2", "court")
        self.click("button", self.t("Activer mon compte"))
        self.shoot("activation-mot-de-passe-erreurs")
        self.fill("#id_new_password1", "Grenoble-Fournisseur-2026")
        self.fill("#id_new_password2", "Grenoble-Fournisseur-2026")
        self.click("button", self.t("Activer mon compte"))
        self.shoot("valider-un-mandat")
        self.click("button", self.t("Signer le mandat"))
        self.shoot("valider-un-mandat-erreurs")
        page.check("#id_consent")
        self.click("button", self.t("Signer le mandat"))
        self.shoot("mandat-signe")
        self.goto("/accueil/")
        self.shoot("accueil-connecte-rib-en-attente")
        self.goto("/factures/deposer/")
        self.shoot("deposer-une-facture-rib-en-attente")
        self.goto("/coordonnees-bancaires/ajouter/")
        self.shoot("ajouter-des-coordonnees-bancaires")
        self.log_out()

    def wizard_joining(self):
        MainManagerFactory(
            structure__identifier=JOINED_SIRET,
            structure__raison_sociale="Alpes Électricité Services",
            structure__city="Grenoble",
        )
        self._account_step("paul.girard@alpes-electricite.fr")
        self.fill("#id_structure-identifier", JOINED_SIRET)
        self.click("button", self.t("Rechercher"))
        self.shoot("assistant-structure-inscrite")
        self.page.get_by_role("button", name=re.compile("^" + re.escape(self.t("Demander un rattachement")))).click()
        self.page.wait_for_load_state("load")
        self.shoot("assistant-confirmer-le-rattachement")
        self.click("button", self.t("Confirmer la demande de rattachement"))
        self.shoot("courriel-envoye-rattachement")

    def wizard_without_siret(self):
        self._account_step("anna.schmidt@schreinerei-schmidt.de")
        self.fill("#id_structure-identifier", "")
        self.fill("#id_structure-raison_sociale", "Schreinerei")
        self.click("button", self.t("Rechercher"))
        self.click("button", self.t("+ Saisir une nouvelle structure"))
        self.page.check("#id_nouvelle-structure-has_siret_1")
        self.shoot("assistant-nouvelle-structure-sans-siret")
        self.page.select_option("#id_nouvelle-structure-identifier_type", "tva_ue")
        self.fill("#id_nouvelle-structure-identifier", "DE 136 695 976")
        self.click("button", self.t("Étape suivante"))
        self.shoot("assistant-nouvelle-structure-a-saisir")
        self.fill("#id_nouvelle-structure-raison_sociale", "Schreinerei Schmidt GmbH")
        self.click("button", self.t("Enregistrer"))
        self.shoot("assistant-nouvelle-structure-a-saisir-erreurs")
        self.page.get_by_role("button", name=self.t("Annuler"), exact=True).click()
        self.page.wait_for_load_state("load")
        self.shoot("assistant-structure-apres-annuler")
        self.log_out()

    def connected_pages(self):
        # A main manager whose registration is complete: validated RIB, signed mandate, invoices,
        # a request to decide, a colleague.
        manager = MainManagerFactory(
            user__email=LONG_EMAIL.replace("claire", "sophie"),
            user__first_name="Sophie",
            user__last_name="Lambert",
            structure__raison_sociale=LONG_NAME,
            structure__identifier="83426757700197",
        )
        structure = manager.structure
        finance = UserFactory(is_staff=True, email="finances@grenoble.test")
        finance.user_permissions.add(Permission.objects.get(codename="review_bankaccount"))
        account = BankAccountFactory(structure=structure, created_by=manager.user, iban=IBAN)
        validate_bank_account(account, by=finance)
        mandate = BillingMandateFactory(structure=structure, signatory=manager.user, signed=True)
        Service.objects.get_or_create(
            code="CULTURE", defaults={"name": "Bibliothèques municipales", "engagement_required": False}
        )
        invoice = InvoiceFactory(structure=structure, deposited_by=manager.user, bank_account=account)
        colleague = MembershipFactory(structure=structure, user__first_name="Karim", user__last_name="Benali").user
        requester = SupplierFactory(email="nathalie.rousseau@exemple.fr", first_name="Nathalie", last_name="Rousseau")
        from structures.services import request_attachment

        request = request_attachment(requester, structure)
        self.log_in(manager.user)
        for path, name in [
            ("/accueil/", "accueil-connecte-complet"),
            ("/factures/deposer/", "deposer-une-facture"),
            ("/factures/deposer/saisir/", "saisir-une-facture"),
            ("/factures/", "factures-emises"),
            (f"/factures/{invoice.pk}/", "facture"),
            (f"/factures/{invoice.pk}/accuse-de-reception/", "accuse-de-reception"),
            (f"/mandats/{mandate.pk}/", "mandat"),
            ("/mandats/souscrire/", "souscrire-un-mandat"),
            (f"/coordonnees-bancaires/{account.pk}/", "coordonnees-bancaires"),
            ("/coordonnees-bancaires/ajouter/", "ajouter-des-coordonnees-bancaires-deja-validees"),
            (f"/structures/{structure.pk}/gestionnaire-principal/", "transmettre-le-role"),
            (f"/structures/demandes/{request.pk}/refuser/", "refuser-une-demande"),
            ("/structures/rattachement/", "demander-un-rattachement"),
            (
                "/structures/rattachement/?identifier_type=siret&raison_sociale=poste",
                "demander-un-rattachement-resultats",
            ),
            ("/structures/nouvelle/?identifier_type=siret&identifier=" + NEW_SIRET, "nouvelle-structure"),
            ("/compte/", "mon-compte"),
            ("/compte/application/", "application-d-authentification"),
            ("/compte/adresse-de-contact/", "adresse-de-contact"),
            ("/compte/adresse-de-connexion/", "adresse-de-connexion"),
        ]:
            self.goto(path)
            self.shoot(name)
            if name in ("mandat", "accuse-de-reception"):
                self.shoot_print(name)
        self.goto("/structures/rattachement/?identifier_type=siret&raison_sociale=poste")
        self.page.get_by_role("button", name=re.compile("^" + re.escape(self.t("Créer cette structure")))).first.click()
        self.page.wait_for_load_state("load")
        self.click("button", self.t("Étape suivante"))
        self.shoot("nouvelle-structure-insee")
        # A member of the structure: stages 3 and 4 are the main manager's.
        member_only = MembershipFactory(
            structure=StructureFactory(raison_sociale="Vercors Paysages"), user__first_name="Lucas"
        )
        MainManagerFactory(structure=member_only.structure, user__first_name="Hervé", user__last_name="Mercier")
        self.log_in(member_only.user)
        self.goto("/accueil/")
        self.shoot("accueil-connecte-membre")
        self.log_in(colleague)
        self.goto("/factures/deposer/")
        self.shoot("deposer-une-facture-membre")
        self.log_out()
