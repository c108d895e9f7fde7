"""Fill the database with a city's worth of suppliers, for the benchmarks and for staff trials.

    manage.py fill_bulk_data [--count 100000] [--batch-size 5000] [--seed 42]

For each of `count` suppliers: a user (with an unusable password: nobody logs in as them) and
its profile, a structure it is the main manager of, bank details (mostly validated, some
pending or rejected) and a billing mandate (mostly signed, some waiting, cancelled or expired);
then, for the structures whose mandate is signed and bank details validated (the ones that may
deposit), 0 to 3 invoices (1.6 on average: about one per supplier) at every status, with their history (the deposit,
then the last change). Bulk inserts only: the models' services send e-mails and render PDFs,
which is not what filling a database is about. Every signed mandate, RIB and invoice points to
one small shared file, written once into the private storage (an invoice's SHA-256 is made up
from its structure and number: the unique constraint needs one per invoice).

Identifiers (SIRET with valid keys, IBAN with valid RIB and IBAN keys, e-mails) continue after
the rows already there, so the command can be run again to add more.
"""

import hashlib
import random
import time
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.html import escape
from stdnum import luhn
from stdnum.iban import calc_check_digits

from banking.models import BankAccount
from banking.rib import RibStatus
from core.storage import get_private_storage
from invoices.models import Invoice, InvoiceStatusChange, Service
from mandates import texts
from mandates.models import BillingMandate
from onboarding.models import SupplierProfile
from structures.models import Membership, Structure

ACTIVITIES = [
    "Menuiserie",
    "Boulangerie",
    "Plomberie",
    "Électricité",
    "Peinture",
    "Imprimerie",
    "Traiteur",
    "Paysages",
    "Nettoyage",
    "Transports",
    "Garage",
    "Librairie",
    "Fournitures",
    "Informatique",
    "Architecture",
    "Maçonnerie",
    "Serrurerie",
    "Chauffage",
    "Signalétique",
    "Formation",
    "Conseil",
    "Sécurité",
    "Audiovisuel",
    "Déménagements",
    "Ascenseurs",
    "Laboratoire",
    "Couverture",
    "Vitrerie",
]
PLACES = [
    "Dauphinoise",
    "du Drac",
    "de l'Isère",
    "de Belledonne",
    "du Vercors",
    "de Chartreuse",
    "Alpine",
    "du Grésivaudan",
    "du Trièves",
    "de l'Oisans",
    "Berriat",
    "de la Bastille",
    "du Voironnais",
    "des Eaux-Claires",
    "de l'Île Verte",
    "Lesdiguières",
    "du Vieux Temple",
    "de Saint-Bruno",
]
FORMS = ["", " SARL", " SAS", " SA", " EURL", " et Fils", " Services", " Associés"]
ASSOCIATIONS = ["Association", "Amicale", "Club", "Compagnie", "Collectif", "Fédération"]
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Benali",
    "Chevalier",
    "Perrin",
    "Rousseau",
    "Fontaine",
    "N'Diaye",
    "Nguyen",
    "Da Silva",
    "Rossi",
    "Müller",
]
FIRST_NAMES = [
    "Claire",
    "Julie",
    "Sophie",
    "Nathalie",
    "Élodie",
    "Amandine",
    "Camille",
    "Léa",
    "Chloé",
    "Inès",
    "Thomas",
    "Lucas",
    "Mathieu",
    "Hervé",
    "Pierre",
    "Karim",
    "Nicolas",
    "Julien",
    "Antoine",
    "Hugo",
    "Jean-Marc",
    "Anne-Sophie",
    "Marie",
    "Louis",
    "Fatima",
    "Yasmine",
    "Mohamed",
    "Paul",
    "Zoé",
    "Noé",
]
STREETS = [
    "rue Félix Poulat",
    "cours Berriat",
    "avenue Alsace-Lorraine",
    "rue des Alliés",
    "quai Stéphane Jay",
    "boulevard Joseph Vallier",
    "rue Thiers",
    "avenue Jean Jaurès",
    "rue Ampère",
    "chemin des Prés",
    "place Grenette",
    "rue Lesdiguières",
    "avenue de Valence",
    "rue de la République",
    "cours Jean Jaurès",
    "boulevard des Alpes",
    "rue Génissieu",
    "rue Servan",
    "avenue Ambroise Croizat",
    "rue de la Gare",
]
CITIES = [
    ("38000", "Grenoble"),
    ("38100", "Grenoble"),
    ("38400", "Saint-Martin-d'Hères"),
    ("38130", "Échirolles"),
    ("38240", "Meylan"),
    ("38600", "Fontaine"),
    ("38120", "Saint-Égrève"),
    ("38500", "Voiron"),
    ("38320", "Eybens"),
    ("38170", "Seyssinet-Pariset"),
    ("38360", "Sassenage"),
    ("38700", "La Tronche"),
    ("38300", "Bourgoin-Jallieu"),
    ("38200", "Vienne"),
    ("69002", "Lyon"),
    ("73000", "Chambéry"),
    ("75011", "Paris"),
    ("74000", "Annecy"),
    ("26000", "Valence"),
    ("31000", "Toulouse"),
]
BANKS = [  # bank code, branch code, BIC
    ("30006", "00001", "AGRIFRPP"),
    ("30004", "00274", "BNPAFRPP"),
    ("30003", "01234", "SOGEFRPP"),
    ("10278", "08900", "CMCIFR2A"),
    ("20041", "01007", "PSSTFRPP"),
    ("16606", "10012", "AGRIFRPP866"),
    ("13825", "00200", "CEPAFRPP382"),
    ("18106", "00025", "AGRIFRPP881"),
    ("42559", "10000", "CCOPFRPP"),
]
USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
    "Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0 Safari/537.36",
]
REJECTION_REASONS = [
    "Le RIB joint ne porte pas le nom de la structure.",
    "L'IBAN saisi ne correspond pas à celui du RIB joint.",
    "Le RIB joint est illisible : envoyez un document de votre banque au format PDF.",
]
MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]

# The smallest valid one-page PDF: what every bulk RIB and signed mandate points to.
SAMPLE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
SAMPLE_RIB = "rib/exemple-donnees-de-masse.pdf"
SAMPLE_MANDATE = "mandats/exemple-donnees-de-masse.pdf"
SAMPLE_INVOICE = "factures/exemple-donnees-de-masse.pdf"

# The city's services that order (the demo's, created when missing).
SERVICES = [
    ("DSI", "Direction des systèmes d'information", True),
    ("VOIRIE", "Direction de l'espace public — voirie", True),
    ("CULTURE", "Bibliothèques municipales", False),
    ("ECOLES", "Direction de l'éducation — écoles", False),
]
INVOICES_PER_STRUCTURE = [0, 1, 1, 1, 2, 2, 2, 2, 2, 3]  # 1.6 a structure that may deposit: 1 a supplier
NUMBER_PREFIXES = ["F-", "FA", "FAC-", "", "N°"]
# Status of an invoice (cumulative probability) and the one before its last change.
INVOICE_STATUSES = [
    (0.15, Invoice.Status.DEPOSITED, None),
    (0.27, Invoice.Status.MADE_AVAILABLE, Invoice.Status.DEPOSITED),
    (0.39, Invoice.Status.SERVICE_DONE, Invoice.Status.MADE_AVAILABLE),
    (0.51, Invoice.Status.MANDATED, Invoice.Status.SERVICE_DONE),
    (0.90, Invoice.Status.PAYMENT, Invoice.Status.MANDATED),
    (0.95, Invoice.Status.REJECTED, Invoice.Status.DEPOSITED),
    (0.98, Invoice.Status.SUSPENDED, Invoice.Status.MADE_AVAILABLE),
    (1.00, Invoice.Status.COMPLETED, Invoice.Status.SUSPENDED),
]
INVOICE_REJECTIONS = [
    "Le numéro d'engagement indiqué ne correspond à aucune commande de la Ville.",
    "Le montant facturé ne correspond pas au bon de commande.",
    "La facture est adressée à un autre service : déposez-la de nouveau pour le bon service.",
]
INVOICE_SUSPENSIONS = ["Joignez le bon de livraison signé.", "Joignez le procès-verbal de réception des travaux."]
VAT_RATES = [Decimal("20.00")] * 8 + [Decimal("10.00"), Decimal("5.50")]
CENT = Decimal("0.01")


def siret_for(n):
    """A SIRET with valid Luhn keys (SIREN, then SIRET), different for each n, in a range (7…)
    that neither the stub directory nor the city's own SIRET use."""
    if not 0 <= n < 10**7:
        raise ValueError("fill_bulk_data generates at most 10 000 000 SIRETs")
    siren = f"7{n:07d}"
    siren += luhn.calc_check_digit(siren)
    nic = "0001"
    return siren + nic + luhn.calc_check_digit(siren + nic)


def french_iban(bank, branch, n):
    account = f"{n:011d}"
    key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97
    bban = f"{bank}{branch}{account}{key:02d}"
    return "FR" + calc_check_digits("FR00" + bban) + bban


def french_date(moment):
    local = timezone.localtime(moment, texts.PARIS)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year} à {local:%H:%M}"


@contextmanager
def dates_as_given(*fields):
    """auto_now_add would stamp every bulk row with the same instant: keep the spread ones."""
    for field in fields:
        field.auto_now_add = False
    try:
        yield
    finally:
        for field in fields:
            field.auto_now_add = True


class DocumentTemplate:
    """The mandate text rendered once with markers, filled per row (rendering 100 000 times
    through the template engine would take most of the time budget)."""

    MARKERS = {
        "raison_sociale": "§RAISON§",
        "identifier": "§IDENTIFIANT§",
        "address": "§ADRESSE§",
        "postcode": "§CP§",
        "city": "§VILLE§",
        "first_name": "§PRENOM§",
        "last_name": "§NOM§",
        "email": "§COURRIEL§",
    }
    DATE_MARKER = "§DATE§"

    def __init__(self):
        self.by_type = {}

    def render(self, structure, user, generated_at):
        key = (structure.identifier_type, structure.country.code)
        if key not in self.by_type:
            m = self.MARKERS
            probe_structure = Structure(
                identifier_type=structure.identifier_type,
                identifier=m["identifier"],
                raison_sociale=m["raison_sociale"],
                address=m["address"],
                postcode=m["postcode"],
                city=m["city"],
                country=structure.country,
            )
            probe_user = get_user_model()(first_name=m["first_name"], last_name=m["last_name"], email=m["email"])
            html = texts.render_document(structure=probe_structure, signatory=probe_user, generated_at=generated_at)
            html = html.replace(french_date(generated_at), self.DATE_MARKER)
            self.by_type[key] = html
        html = self.by_type[key].replace(self.DATE_MARKER, french_date(generated_at))
        values = {
            "raison_sociale": structure.raison_sociale,
            "identifier": structure.identifier,
            "address": structure.address,
            "postcode": structure.postcode,
            "city": structure.city,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
        }
        for name, marker in self.MARKERS.items():
            html = html.replace(marker, escape(values[name]))
        return html


class Command(BaseCommand):
    help = (
        "Fill the database with COUNT realistic suppliers: structures, bank details, mandates, invoices (bulk inserts)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=100_000)
        parser.add_argument("--batch-size", type=int, default=5_000)
        parser.add_argument("--seed", type=int, default=42)

    def handle(self, *args, count, batch_size, seed, verbosity=1, **options):
        started = time.monotonic()
        # Seeded on purpose: the same data on every run, for comparable benchmarks (bandit B311
        # reviewed: nothing secret or security-related is drawn from it).
        rng = random.Random(seed)  # nosec B311
        self._store_sample_files()
        User = get_user_model()
        start = (Structure.objects.aggregate(models.Max("pk"))["pk__max"] or 0) + 1
        start = max(start, (User.objects.aggregate(models.Max("pk"))["pk__max"] or 0) + 1)
        document = DocumentTemplate()
        services = self._services()
        done = invoices = 0
        for first in range(0, count, batch_size):
            size = min(batch_size, count - first)
            with transaction.atomic():
                invoices += self._batch(rng, start + first, size, document, services)
            done += size
            if verbosity >= 2:
                self.stdout.write(f"  {done}/{count} ({time.monotonic() - started:.0f} s)")
        self.stdout.write(
            self.style.SUCCESS(
                f"{count} suppliers (user, structure, bank details, mandate each) and {invoices} invoices "
                f"in {time.monotonic() - started:.1f} s"
            )
        )

    def _store_sample_files(self):
        storage = get_private_storage()
        for name in (SAMPLE_RIB, SAMPLE_MANDATE, SAMPLE_INVOICE):
            if not storage.exists(name):
                storage.save(name, ContentFile(SAMPLE_PDF))

    def _services(self):
        for code, name, engagement_required in SERVICES:
            Service.objects.get_or_create(
                code=code, defaults={"name": name, "engagement_required": engagement_required}
            )
        return list(Service.objects.filter(is_active=True).order_by("pk"))

    def _batch(self, rng, first_n, size, document, services):
        User = get_user_model()
        now = timezone.now()
        unusable = "!" + "bulk-data-no-login"  # Django's unusable-password prefix: nobody logs in as them
        users, profiles, structures = [], [], []
        for n in range(first_n, first_n + size):
            last, first_name = rng.choice(LAST_NAMES), rng.choice(FIRST_NAMES)
            joined = now - timedelta(days=rng.uniform(8, 3 * 365))
            slug = last.lower().replace(" ", "").replace("'", "").replace("è", "e").replace("é", "e").replace("ü", "u")
            users.append(
                User(
                    email=f"{first_name[0].lower()}.{slug}.{n}@fournisseur-{n % 997}.example",
                    last_name=last,
                    first_name=first_name,
                    is_active=True,
                    password=unusable,
                    date_joined=joined,
                    activated_at=joined + timedelta(minutes=rng.randint(2, 600)),
                )
            )
            postcode, city = rng.choice(CITIES)
            address = f"{rng.randint(1, 180)} {rng.choice(STREETS)}"
            kind = rng.random()
            if kind < 0.88:
                identifier_type, identifier, country = "siret", siret_for(n), "FR"
                name = f"{rng.choice(ACTIVITIES)} {rng.choice(PLACES)}{rng.choice(FORMS)}"
            elif kind < 0.94:
                identifier_type, identifier, country = "siret", siret_for(n), "FR"
                name = f"{rng.choice(ASSOCIATIONS)} {rng.choice(PLACES)}"
            elif kind < 0.97:
                identifier_type, identifier, country = "tva_ue", f"BE0{n:07d}{97 - (n % 97):02d}", "BE"
                name = f"{rng.choice(ACTIVITIES)} {rng.choice(LAST_NAMES)} SRL"
                postcode, city = "1000", "Bruxelles"
            else:
                identifier_type, identifier, country = "particulier", f"{first_name} {last} {n}", "FR"
                name = f"{first_name} {last}"
            structures.append(
                Structure(
                    identifier_type=identifier_type,
                    identifier=identifier,
                    raison_sociale=name,
                    address=address,
                    postcode=postcode,
                    city=city,
                    country=country,
                    verified_by_directory=identifier_type == "siret" and rng.random() < 0.9,
                    created_at=joined,
                )
            )
        User.objects.bulk_create(users)
        for user, structure in zip(users, structures, strict=True):
            structure.created_by = user
            profiles.append(
                SupplierProfile(
                    user=user,
                    address=structure.address,
                    postcode=structure.postcode,
                    city=structure.city,
                    country=structure.country,
                    phone=f"+3347{rng.randint(0, 9999999):07d}",
                    terms_accepted_at=user.date_joined,
                )
            )
        SupplierProfile.objects.bulk_create(profiles)
        with dates_as_given(Structure._meta.get_field("created_at")):
            Structure.objects.bulk_create(structures)
        Membership.objects.bulk_create(
            Membership(user=user, structure=structure, role=Membership.Role.MAIN_MANAGER)
            for user, structure in zip(users, structures, strict=True)
        )
        accounts = self._bank_accounts(rng, users, structures, now)
        mandates = self._mandates(rng, users, structures, now, document)
        return self._invoices(rng, users, structures, accounts, mandates, now, services)

    def _bank_accounts(self, rng, users, structures, now):
        Status = BankAccount.Status
        accounts = []
        for user, structure in zip(users, structures, strict=True):
            bank, branch, bic = rng.choice(BANKS)
            iban = french_iban(bank, branch, structure.pk)
            sent = structure.created_at + timedelta(minutes=rng.randint(5, 90))
            draw = rng.random()
            status = Status.VALIDATED if draw < 0.78 else Status.PENDING if draw < 0.92 else Status.REJECTED
            reviewed = status != Status.PENDING
            accounts.append(
                BankAccount(
                    structure=structure,
                    account_name=rng.choice(["Compte principal", "Compte courant", structure.raison_sociale[:100]]),
                    country_code="FR",
                    iban=iban,
                    bic=bic,
                    rib_file=SAMPLE_RIB,
                    rib_original_name="RIB.pdf",
                    rib_check_status=RibStatus.IBAN_FOUND if rng.random() < 0.85 else RibStatus.TO_REVIEW,
                    rib_found_ibans=[iban],
                    status=status,
                    created_by=user,
                    contact_email="",
                    reviewed_at=sent + timedelta(days=rng.randint(1, 6)) if reviewed else None,
                    rejection_reason=rng.choice(REJECTION_REASONS) if status == Status.REJECTED else "",
                    created_at=sent,
                )
            )
        with dates_as_given(BankAccount._meta.get_field("created_at")):
            BankAccount.objects.bulk_create(accounts)
        return accounts

    def _mandates(self, rng, users, structures, now, document):
        Status = BillingMandate.Status
        mandates = []
        for user, structure in zip(users, structures, strict=True):
            draw = rng.random()
            if draw < 0.80:
                status, generated = Status.SIGNED, structure.created_at + timedelta(minutes=rng.randint(10, 120))
            elif draw < 0.90:
                status, generated = Status.GENERATED, now - timedelta(hours=rng.uniform(1, 6 * 24))
            elif draw < 0.95:
                status, generated = Status.CANCELLED, structure.created_at + timedelta(minutes=30)
            else:
                status, generated = Status.EXPIRED, structure.created_at + timedelta(minutes=30)
            html = document.render(structure, user, generated)
            mandate = BillingMandate(
                structure=structure,
                signatory=user,
                status=status,
                template_version=texts.CURRENT_VERSION,
                document_html=html,
                generated_at=generated,
            )
            if status == Status.SIGNED:
                mandate.signed_at = generated + timedelta(minutes=rng.randint(3, 3000))
                mandate.signed_by = user
                mandate.signed_ip = f"203.0.113.{rng.randint(1, 254)}"
                mandate.signed_user_agent = rng.choice(USER_AGENTS)
                mandate.document_sha256 = hashlib.sha256(html.encode()).hexdigest()
                mandate.signed_pdf = SAMPLE_MANDATE
                mandate.signed_pdf_sha256 = hashlib.sha256(SAMPLE_PDF).hexdigest()
            elif status == Status.CANCELLED:
                mandate.cancelled_at, mandate.cancelled_by = generated + timedelta(days=1), user
            elif status == Status.EXPIRED:
                mandate.expired_at = generated + timedelta(days=7)
            mandates.append(mandate)
        BillingMandate.objects.bulk_create(mandates)
        return mandates

    def _invoices(self, rng, users, structures, accounts, mandates, now, services):
        """Invoices of the structures that may deposit (mandate signed, bank details validated)."""
        Status = Invoice.Status
        invoices = []
        for user, structure, account, mandate in zip(users, structures, accounts, mandates, strict=True):
            if mandate.status != BillingMandate.Status.SIGNED or account.status != BankAccount.Status.VALIDATED:
                continue
            opened = max(mandate.signed_at, account.reviewed_at)
            if opened >= now - timedelta(days=1):
                continue
            prefix, first_number = rng.choice(NUMBER_PREFIXES), rng.randint(1, 900)
            for k in range(rng.choice(INVOICES_PER_STRUCTURE)):
                deposited = opened + (now - opened) * rng.random()
                number = f"{prefix}{deposited.year}-{first_number + k:04d}"
                draw = rng.random()
                status = next(status for limit, status, _previous in INVOICE_STATUSES if draw < limit)
                entered = rng.random() < 0.15
                service = rng.choice(services)
                amount = Decimal(rng.randint(5_000, 2_000_000)) / 100
                rate = rng.choice(VAT_RATES)
                vat = (amount * rate / 100).quantize(CENT)
                needs_engagement = service.engagement_required or rng.random() < 0.3
                invoices.append(
                    Invoice(
                        structure_id=structure.pk,
                        number=number,
                        issue_date=(deposited - timedelta(days=rng.randint(0, 15))).date(),
                        amount_excl_tax=amount,
                        vat_amount=vat,
                        amount_incl_tax=amount + vat,
                        vat_rate=rate if entered else None,
                        description=f"Prestations {rng.choice(ACTIVITIES).lower()}" if entered else "",
                        engagement_number=f"EJ{deposited.year}{rng.randint(0, 999_999):06d}"
                        if needs_engagement
                        else "",
                        service_id=service.pk,
                        bank_account_id=account.pk,
                        file=SAMPLE_INVOICE,
                        original_name=f"facture-{number}.pdf",
                        sha256=hashlib.sha256(f"{structure.pk}:{number}".encode()).hexdigest(),
                        source=Invoice.Source.ENTERED if entered else Invoice.Source.DEPOSITED,
                        status=status,
                        status_changed_at=deposited
                        if status == Status.DEPOSITED
                        else min(deposited + timedelta(days=rng.uniform(1, 40)), now),
                        rejection_reason=rng.choice(INVOICE_REJECTIONS) if status == Status.REJECTED else "",
                        deposited_by_id=user.pk,
                        deposited_at=deposited,
                        # Invoices of the past: the jobs neither transmit nor follow them.
                        transmission=Invoice.Transmission.TRANSMITTED,
                        transmitted_at=deposited,
                        portal_final=True,
                    )
                )
        if invoices:
            Invoice.objects.bulk_create(invoices)
            self._invoice_history(first_pk=invoices[0].pk)
        return len(invoices)

    def _invoice_history(self, first_pk):
        """The history of the invoices from `first_pk` on: their deposit, then their last change.

        Written by the database from the invoices' rows (INSERT … SELECT): building 200 000 rows
        through the ORM would take a fifth of the time budget. By the supplier for the deposit
        and a completion, by staff (unknown here) otherwise; a rejection's comment is its reason.
        """
        Status = Invoice.Status
        invoice = Invoice._meta.db_table
        change = InvoiceStatusChange._meta.db_table
        columns = "invoice_id, from_status, to_status, changed_at, changed_by_id, comment, source, portal_status"
        previous = " ".join("WHEN %s THEN %s" for _limit, _status, before in INVOICE_STATUSES if before)
        previous_params = [value for _limit, status, before in INVOICE_STATUSES if before for value in (status, before)]
        # Only the models' table names and fixed text go into the SQL; every value is a parameter.
        deposits = (
            f"INSERT INTO {change} ({columns}) "  # nosec B608
            f"SELECT id, '', %s, deposited_at, deposited_by_id, '', %s, '' FROM {invoice} WHERE id >= %s"
        )
        last_changes = (
            f"INSERT INTO {change} ({columns}) "  # nosec B608
            f"SELECT id, CASE status {previous} END, status, status_changed_at, "
            f"CASE WHEN status = %s THEN deposited_by_id END, "
            f"CASE status WHEN %s THEN rejection_reason WHEN %s THEN CASE WHEN id %% 2 = 0 THEN %s ELSE %s END "
            f"ELSE '' END, CASE WHEN status = %s THEN %s ELSE %s END, '' "
            f"FROM {invoice} WHERE id >= %s AND status <> %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(deposits, [Status.DEPOSITED, InvoiceStatusChange.Source.DEPOSIT, first_pk])
            cursor.execute(
                last_changes,
                [
                    *previous_params,
                    Status.COMPLETED,
                    Status.REJECTED,
                    Status.SUSPENDED,
                    *INVOICE_SUSPENSIONS,
                    Status.COMPLETED,
                    InvoiceStatusChange.Source.SUPPLIER,
                    InvoiceStatusChange.Source.STAFF,
                    first_pk,
                    Status.DEPOSITED,
                ],
            )
