import pytest

from tests.banking.factories import BankAccountFactory
from tests.invoices.factories import ServiceFactory
from tests.mandates.factories import BillingMandateFactory

SIRET = "46430577000248"


@pytest.fixture
def mandate(db):
    """Menuiserie Martin: signed mandate, validated bank details; its signatory is main manager."""
    mandate = BillingMandateFactory(
        signed=True,
        structure__raison_sociale="Menuiserie Martin",
        structure__identifier=SIRET,
        signatory__email="claire@menuiserie-martin.fr",
        signatory__first_name="Claire",
        signatory__last_name="Martin",
    )
    BankAccountFactory(structure=mandate.structure, validated=True, created_by=mandate.signatory)
    return mandate


@pytest.fixture
def structure(mandate):
    return mandate.structure


@pytest.fixture
def supplier(mandate):
    return mandate.signatory


@pytest.fixture
def account(structure):
    return structure.bank_accounts.get()


@pytest.fixture
def service(db):
    return ServiceFactory(code="VOIRIE", name="Voirie")


@pytest.fixture
def engagement_service(db):
    return ServiceFactory(code="ECOLES", name="Écoles", engagement_required=True)


@pytest.fixture
def logged_in(client, supplier):
    client.force_login(supplier)
    return client
