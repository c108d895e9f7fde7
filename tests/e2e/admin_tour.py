"""The finance staff's admin, visited in a real browser: the screenshots of `make screens`
(tests/e2e/screens.py, at 1280 px) and the browser test of the admin's pages
(tests/e2e/test_admin_pages.py: axe-core, no CSP violation).

`AdminTour(page, base_url, shoot)` makes a city's morning of work with the factories (bank
details to validate, one whose RIB holder differs, a change of RIB, an attachment request to a
structure without a main manager, invoices refused by Chorus Pro or completed by their supplier,
a mandate whose signing period ends tomorrow), logs a finance agent in through the admin's own
login (password, then the app's code), takes a decision with the mouse, and calls `shoot(name)`
on each page. Long company names, IBANs and amounts on purpose.
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.utils import timezone, translation
from django.utils.translation import gettext

from banking.models import BankAccount
from invoices.models import Invoice
from structures.models import AttachmentRequest
from tests.banking.factories import BankAccountFactory
from tests.invoices.factories import InvoiceFactory, ServiceFactory
from tests.mandates.factories import BillingMandateFactory
from tests.onboarding.factories import DEFAULT_PASSWORD, SupplierFactory, UserFactory
from tests.structures.factories import MainManagerFactory, StructureFactory
from tests.twofactor.helpers import app_code, give_authenticator

AGENT_EMAIL = "agent.finances@grenoble.fr"
LONG_NAME = "Société Coopérative Ouvrière de Production des Menuisiers-Ébénistes du Grésivaudan et du Trièves"
FACTURX_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100">\n'
    "  <rsm:ExchangedDocument>\n    <ram:ID>FA-2026-0042</ram:ID>\n    <ram:TypeCode>380</ram:TypeCode>\n"
    "  </rsm:ExchangedDocument>\n"
    "  <ram:GrandTotalAmount>13024.00</ram:GrandTotalAmount>\n"
    "</rsm:CrossIndustryInvoice>\n"
)


# The « Finance » group as its data migrations make it (banking, structures, mandates and
# invoices 0002): the browser tests are transactional, and empty the tables after each test.
FINANCE_PERMISSIONS = [
    ("banking", "review_bankaccount"),
    ("banking", "view_bankaccount"),
    ("banking", "view_historicalbankaccount"),
    ("structures", "view_structure"),
    ("structures", "view_membership"),
    ("structures", "view_attachmentrequest"),
    ("structures", "change_attachmentrequest"),
    ("mandates", "view_billingmandate"),
    ("invoices", "process_invoice"),
    ("invoices", "view_invoice"),
    ("invoices", "view_invoicestatuschange"),
    ("invoices", "view_supportingdocument"),
    ("invoices", "view_service"),
    ("invoices", "add_service"),
    ("invoices", "change_service"),
]


def finance_group():
    group, created = Group.objects.get_or_create(name="Finance")
    if created:
        group.permissions.add(
            *(Permission.objects.get(content_type__app_label=app, codename=name) for app, name in FINANCE_PERMISSIONS)
        )
    return group


def days_ago(days, hours=0):
    return timezone.now() - timedelta(days=days, hours=hours)


class AdminTour:
    def __init__(self, page, base_url, shoot, language="fr"):
        self.page = page
        self.base = base_url
        self.shoot = shoot
        self.language = language

    def t(self, text, **values):
        with translation.override(self.language):
            return gettext(text) % values if values else gettext(text)

    def goto(self, path):
        self.page.goto(self.base + path)
        self.page.wait_for_load_state("load")

    def click(self, role, name, exact=True):
        self.page.get_by_role(role, name=name, exact=exact).first.click()
        self.page.wait_for_load_state("load")

    # --- The morning's work ---------------------------------------------------------------------

    def make_data(self):
        agent = UserFactory(is_staff=True, email=AGENT_EMAIL, first_name="Paul", last_name="Agent")
        agent.groups.add(finance_group())
        agent.user_permissions.add(Permission.objects.get(codename="view_user"))
        give_authenticator(agent)
        self.agent = agent

        long_one = MainManagerFactory(
            structure__raison_sociale=LONG_NAME, user__email="claire.martin-dupont@menuiserie-dauphinoise.fr"
        )
        drac = MainManagerFactory(structure__raison_sociale="Atelier du Drac SARL")
        bastille = MainManagerFactory(structure__raison_sociale="Imprimerie de la Bastille")
        self.pending = BankAccountFactory(
            structure=long_one.structure,
            created_by=long_one.user,
            account_name="Compte courant professionnel",
            rib_holder="SCOP MENUISIERS EBENISTES GRESIVAUDAN TRIEVES",
            rib_holder_check="conforme",
        )
        self.differs = BankAccountFactory(
            structure=drac.structure,
            created_by=drac.user,
            iban="FR7630004002740001234567864",
            bic="BNPAFRPPXXX",
            rib_holder="SARL AUTRE COMPTE",
            rib_holder_check="different",
        )
        BankAccountFactory(structure=bastille.structure, created_by=bastille.user, validated=True)
        self.change = BankAccountFactory(
            structure=bastille.structure,
            created_by=bastille.user,
            is_rib_change=True,
            rib_check_status="to_review",
            rib_holder_check="illisible",
        )
        BankAccountFactory(rejected=True)
        for account, days in ((self.pending, 1), (self.differs, 4), (self.change, 2)):
            BankAccount.objects.filter(pk=account.pk).update(created_at=days_ago(days))

        lonely = StructureFactory(raison_sociale="Paysages du Vercors")  # no main manager
        self.request = AttachmentRequest.objects.create(user=SupplierFactory(), structure=lonely)
        AttachmentRequest.objects.create(user=SupplierFactory(), structure=drac.structure)
        AttachmentRequest.objects.filter(pk=self.request.pk).update(created_at=days_ago(3))

        voirie = ServiceFactory(code="VOIRIE", name="Direction de la voirie et des espaces publics")
        culture = ServiceFactory(code="CULTURE", name="Bibliothèques municipales")
        ServiceFactory(code="ECOLES", name="Écoles", engagement_required=True)
        paid_on = BankAccountFactory(structure=long_one.structure, validated=True)
        common = {"structure": long_one.structure, "bank_account": paid_on, "deposited_by": long_one.user}
        self.invoice = InvoiceFactory(
            **common,
            number="FA-2026-0042",
            service=voirie,
            amount_excl_tax=Decimal("12345.60"),
            vat_amount=Decimal("678.40"),
            amount_incl_tax=Decimal("13024.00"),
            vat_rate=Decimal("5.50"),
            source="saisie",
            description="Pose de menuiseries — école Jean Jaurès",
            engagement_number="EJ2026000123",
            facturx_xml=FACTURX_XML,
            facturx_profile="en16931",
            transmission=Invoice.Transmission.REFUSED,
            transmission_attempts=1,
            transmission_error="Le numéro d'engagement EJ2026000123 est inconnu du service VOIRIE.",
            deposited_at=days_ago(5),
        )
        InvoiceFactory(
            **common,
            number="FA-2026-0043",
            service=culture,
            amount_excl_tax=Decimal("1028.80"),
            vat_amount=Decimal("205.76"),
            amount_incl_tax=Decimal("1234.56"),
            status=Invoice.Status.COMPLETED,
            status_changed_at=days_ago(1),
            deposited_at=days_ago(9),
        )
        InvoiceFactory(
            **common,
            number="FA-2026-0044",
            service=culture,
            amount_excl_tax=Decimal("80.00"),
            vat_amount=Decimal("0.00"),
            amount_incl_tax=Decimal("80.00"),
            status=Invoice.Status.PAYMENT,
            transmission=Invoice.Transmission.TRANSMITTED,
            portal_invoice_id=123456,
            portal_status="MISE_EN_PAIEMENT",
            deposited_at=days_ago(30),
        )

        self.mandate = BillingMandateFactory(
            structure=drac.structure, signatory=drac.user, generated_at=days_ago(6, hours=2)
        )
        BillingMandateFactory(structure=long_one.structure, signatory=long_one.user, signed=True)
        BillingMandateFactory(structure=bastille.structure, signatory=bastille.user)

    # --- The tour --------------------------------------------------------------------------------

    def run(self):
        self.make_data()
        self.page.context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": self.language, "url": self.base}]
        )
        self.log_in()
        self.home()
        self.bank_details()
        self.attachment_requests()
        self.invoices()
        self.mandates()
        self.goto("/admin/invoices/service/")
        self.shoot("admin-services")
        self.goto("/admin/onboarding/user/")
        self.shoot("admin-utilisateurs")
        self.goto("/admin/")
        self.shoot("admin-accueil-apres-decisions")

    def log_in(self):
        page = self.page
        self.goto("/admin/")
        self.shoot("admin-connexion")
        page.fill("#id_username", AGENT_EMAIL)
        page.fill("#id_password", DEFAULT_PASSWORD)
        self.click("button", self.t("Se connecter"))
        self.shoot("admin-connexion-code")
        page.fill("#id_code", app_code())
        self.click("button", self.t("Valider le code"))

    def home(self):
        self.goto("/admin/")
        self.shoot("admin-accueil")

    def bank_details(self):
        self.goto("/admin/banking/bankaccount/")
        self.shoot("admin-coordonnees-bancaires")
        self.goto(f"/admin/banking/bankaccount/{self.differs.pk}/change/")
        self.shoot("admin-coordonnees-bancaires-titulaire-different")
        self.goto(f"/admin/banking/bankaccount/{self.change.pk}/rejeter/")
        self.shoot("admin-coordonnees-bancaires-rejeter")
        self.goto(f"/admin/banking/bankaccount/{self.pending.pk}/change/")
        self.shoot("admin-coordonnees-bancaires-en-attente")
        self.click("button", self.t("Valider"))
        self.shoot("admin-coordonnees-bancaires-validees")

    def attachment_requests(self):
        self.goto("/admin/structures/attachmentrequest/")
        self.shoot("admin-demandes-de-rattachement")
        self.goto(f"/admin/structures/attachmentrequest/{self.request.pk}/change/")
        self.shoot("admin-demande-de-rattachement")
        self.click("button", self.t("Accepter"))
        self.shoot("admin-demande-de-rattachement-acceptee")

    def invoices(self):
        self.goto("/admin/invoices/invoice/")
        self.shoot("admin-factures")
        self.goto(f"/admin/invoices/invoice/{self.invoice.pk}/change/")
        self.shoot("admin-facture")
        self.goto(f"/admin/invoices/invoice/{self.invoice.pk}/statut/rejetee/")
        self.shoot("admin-facture-rejeter")

    def mandates(self):
        self.goto("/admin/mandates/billingmandate/")
        self.shoot("admin-mandats")
        self.goto(f"/admin/mandates/billingmandate/{self.mandate.pk}/change/")
        self.shoot("admin-mandat")
