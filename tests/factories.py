import factory
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from onboarding.models import SupplierProfile, User

DEFAULT_PASSWORD = "Un-mot-de-passe-solide-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"fournisseur{n}@exemple.fr")
    last_name = "Martin"
    first_name = "Claire"
    is_active = True
    password = factory.django.Password(DEFAULT_PASSWORD)
    # Finance staff need an authenticator app for the admin (twofactor/admin_site.py).
    is_staff = False
    second_factor = factory.LazyAttribute(lambda user: "totp" if user.is_staff else "email")


class SupplierProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupplierProfile

    user = factory.SubFactory(UserFactory)
    address = "12 rue Félix Poulat"
    postcode = "38000"
    city = "Grenoble"
    country = "FR"
    phone = "+33476763636"
    terms_accepted_at = factory.LazyFunction(timezone.now)


class SupplierFactory(UserFactory):
    """A supplier's user with its profile."""

    class Meta:
        skip_postgeneration_save = True

    profile = factory.RelatedFactory(SupplierProfileFactory, factory_related_name="user")


class PendingSupplierFactory(SupplierFactory):
    """An account created by the wizard, not yet activated by its link."""

    is_active = False
    password = factory.LazyFunction(lambda: make_password(None))  # unusable


class StructureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "structures.Structure"

    identifier_type = "siret"
    identifier = factory.Sequence(lambda n: _luhn_siret(n))
    raison_sociale = factory.Sequence(lambda n: f"Menuiserie Martin {n}")
    address = "12 rue Félix Poulat"
    postcode = "38000"
    city = "Grenoble"
    country = "FR"
    verified_by_directory = True


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "structures.Membership"

    user = factory.SubFactory(SupplierFactory)
    structure = factory.SubFactory(StructureFactory)
    role = "utilisateur"


class MainManagerFactory(MembershipFactory):
    """A structure with its main manager (the membership is returned)."""

    role = "gestionnaire_principal"


def _luhn_siret(n):
    """A valid SIRET, different for each n (never La Poste's SIREN)."""
    from stdnum import luhn

    siren = f"{(800000000 + n * 7) // 10:08d}"
    siren += luhn.calc_check_digit(siren)
    body = siren + f"{(n % 9999) + 1:04d}"
    return body + luhn.calc_check_digit(body)


class BankAccountFactory(factory.django.DjangoModelFactory):
    """Pending bank details with the RIB of tests/banking/pdfs.py (IBAN found in it).

    `BankAccountFactory(validated=True)` / `(rejected=True)` for reviewed ones.
    """

    class Meta:
        model = "banking.BankAccount"

    class Params:
        validated = factory.Trait(status="validees", reviewed_at=factory.LazyFunction(timezone.now))
        rejected = factory.Trait(
            status="rejetees", reviewed_at=factory.LazyFunction(timezone.now), rejection_reason="RIB illisible."
        )

    structure = factory.SubFactory(StructureFactory)
    account_name = "Compte principal"
    country_code = "FR"
    iban = "FR7630006000011234567890189"
    bic = "AGRIFRPP881"
    rib_file = factory.django.FileField(filename="rib.pdf", data=factory.LazyFunction(lambda: _rib_pdf()))
    rib_original_name = "rib.pdf"
    rib_check_status = "iban_found"
    rib_found_ibans = factory.LazyAttribute(lambda account: [account.iban])
    contact_email = factory.LazyAttribute(
        lambda account: account.created_by.notification_email if account.created_by else ""
    )
    created_by = factory.SubFactory(SupplierFactory)


def _rib_pdf():
    from tests.banking.pdfs import rib_pdf

    return rib_pdf()


class BillingMandateFactory(factory.django.DjangoModelFactory):
    """A mandate « généré », its text rendered as generate_mandate() does.

    The signatory becomes the structure's main manager unless `main_manager=False` (or the
    structure already has one, then a mere member). `signed=True` / `cancelled=True` for the
    other states (signed without a stored PDF: sign_mandate() makes one).
    """

    class Meta:
        model = "mandates.BillingMandate"
        skip_postgeneration_save = True

    class Params:
        signed = factory.Trait(
            status="signe",
            signed_at=factory.LazyFunction(timezone.now),
            signed_by=factory.SelfAttribute("signatory"),
            signed_ip="203.0.113.7",
            signed_user_agent="Mozilla/5.0 (tests)",
            document_sha256=factory.LazyAttribute(lambda mandate: _sha256(mandate.document_html)),
        )
        cancelled = factory.Trait(status="annule", cancelled_at=factory.LazyFunction(timezone.now))

    structure = factory.SubFactory(StructureFactory)
    signatory = factory.SubFactory(SupplierFactory)
    status = "genere"
    generated_at = factory.LazyFunction(timezone.now)
    template_version = factory.LazyFunction(lambda: _mandate_texts().CURRENT_VERSION)
    document_html = factory.LazyAttribute(
        lambda mandate: _mandate_texts().render_document(
            structure=mandate.structure, signatory=mandate.signatory, generated_at=mandate.generated_at
        )
    )

    @factory.post_generation
    def main_manager(mandate, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        from structures.models import Membership

        has_manager = Membership.objects.filter(structure=mandate.structure, role="gestionnaire_principal").exists()
        Membership.objects.get_or_create(
            user=mandate.signatory,
            structure=mandate.structure,
            defaults={"role": "utilisateur" if has_manager else "gestionnaire_principal"},
        )


def _mandate_texts():
    from mandates import texts

    return texts


def _sha256(text):
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ServiceFactory(factory.django.DjangoModelFactory):
    """A service of the city that orders; `engagement_required=True` for those that need a number."""

    class Meta:
        model = "invoices.Service"
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"SERV-{n:03d}")
    name = factory.Sequence(lambda n: f"Service {n}")
    engagement_required = False


class InvoiceFactory(factory.django.DjangoModelFactory):
    """An invoice of a structure whose bank details are validated (a tiny text PDF), « Déposée »
    unless `status` says otherwise, with the first line of its history (its deposit)."""

    class Meta:
        model = "invoices.Invoice"
        skip_postgeneration_save = True

    structure = factory.SubFactory(StructureFactory)
    number = factory.Sequence(lambda n: f"F-2026-{n:04d}")
    issue_date = factory.LazyFunction(lambda: timezone.localdate())
    amount_excl_tax = "1000.00"
    vat_amount = "200.00"
    amount_incl_tax = "1200.00"
    service = factory.SubFactory(ServiceFactory)
    bank_account = factory.SubFactory(
        BankAccountFactory, structure=factory.SelfAttribute("..structure"), validated=True
    )
    file = factory.django.FileField(filename="facture.pdf", data=factory.LazyFunction(lambda: _invoice_pdf()))
    original_name = "facture.pdf"
    sha256 = factory.LazyAttribute(lambda invoice: _sha256(invoice.number))
    source = "deposee"
    status = "deposee"
    status_changed_at = factory.LazyFunction(timezone.now)
    deposited_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def history(invoice, create, extracted, **kwargs):
        if create:
            invoice.status_changes.create(
                from_status="", to_status="deposee", changed_at=invoice.deposited_at, changed_by=invoice.deposited_by
            )


def _invoice_pdf():
    from tests.invoices.pdfs import plain_pdf

    return plain_pdf()
