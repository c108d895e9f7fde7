"""Every URL of the app against every kind of visitor: each gets exactly the expected answer.

A supplier never reads or changes another structure's data, even by guessing identifiers. A
redirect is never taken for a success: where it leads is part of the answer (the login, the
step-up, the admin's login that asks staff for their authenticator app, or the page that
follows).
"""

import time
from urllib.parse import unquote

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile

from mandates.pdf import render_mandate_pdf
from structures.models import AttachmentRequest
from tests.banking.factories import BankAccountFactory
from tests.invoices.factories import InvoiceFactory
from tests.mandates.factories import BillingMandateFactory
from tests.onboarding.factories import SupplierFactory, UserFactory
from tests.structures.factories import MainManagerFactory, MembershipFactory
from twofactor import services as twofactor_services

pytestmark = pytest.mark.django_db

VISITORS = [
    "anonymous",
    "supplier_b",  # the main manager of another structure
    "member_a",
    "manager_a",
    "manager_a_stale",  # the same, whose second factor is 40 minutes old (past the step-up's 15 and 30)
    "staff",  # staff without any finance permission
    "finance",  # finance staff, logged in with their authenticator app
    "finance_by_email",  # finance staff who logged in with an e-mailed code
]

# Where a redirect leads: the login, the step-up, the admin's login (which asks staff for their
# app), or a page (a path).
LOGIN = ("login", "/connexion/?next=")
STEP_UP = ("step-up", "/compte/verification/?suivant=")
ADMIN_LOGIN = ("admin login", "/admin/login/?next=")

GET_TABLE = [
    # url, then for each visitor above: a status, or where a redirect leads.
    ("/", (200, 200, 200, 200, 200, 200, 200, 200)),
    ("/accueil/", (LOGIN, 200, 200, 200, 200, 200, 200, 200)),
    ("/conditions-generales/", (200, 200, 200, 200, 200, 200, 200, 200)),
    ("/inscription/compte/", (200, *["/inscription/structure/"] * 7)),
    ("/structures/rattachement/", (LOGIN, 200, 200, 200, 200, 200, 200, 200)),
    ("/structures/nouvelle/", (LOGIN, 200, 200, 200, 200, 200, 200, 200)),
    ("/structures/demandes/{request}/refuser/", (LOGIN, 404, 404, 200, 200, 404, 200, 200)),
    ("/structures/{structure_a}/gestionnaire-principal/", (LOGIN, 404, 404, 200, STEP_UP, 404, 404, 404)),
    ("/compte/", (LOGIN, 200, 200, 200, 200, 200, 200, 200)),
    ("/compte/application/", (LOGIN, 200, 200, 200, STEP_UP, 200, 200, 200)),
    ("/compte/codes-de-secours/", (LOGIN, 200, 200, 200, 200, 200, 200, 200)),
    ("/compte/verification/", (LOGIN, 200, 200, 200, 200, 200, 200, 200)),
    ("/compte/adresse-de-connexion/", (LOGIN, 200, 200, 200, STEP_UP, 200, 200, 200)),
    # Staff have no supplier profile, hence no contact address.
    ("/compte/adresse-de-contact/", (LOGIN, 200, 200, 200, STEP_UP, 404, 404, 404)),
    # Without a password first, the code page sends back to the login.
    ("/connexion/code/", tuple(["/connexion/"] * 8)),
    ("/coordonnees-bancaires/ajouter/", (LOGIN, 200, 403, 200, STEP_UP, 403, 403, 403)),
    ("/coordonnees-bancaires/ajouter/?structure={structure_a}", (LOGIN, 404, 404, 200, STEP_UP, 404, 404, 404)),
    # Finance staff review bank details, mandates and invoices in the admin, and download the
    # suppliers' files only with what the admin asks of them: their authenticator app.
    ("/coordonnees-bancaires/{bank_a}/", (LOGIN, 404, 200, 200, 200, 404, 404, 404)),
    ("/coordonnees-bancaires/{bank_a}/rib/", (LOGIN, 404, 200, 200, 200, 404, 200, ADMIN_LOGIN)),
    ("/mandats/souscrire/?structure={structure_a}", (LOGIN, 404, 404, 200, 200, 404, 404, 404)),
    ("/mandats/{mandate_a}/", (LOGIN, 404, 200, 200, 200, 404, 404, 404)),
    ("/mandats/{mandate_a}/pdf/", (LOGIN, 404, 200, 200, 200, 404, 200, ADMIN_LOGIN)),
    ("/factures/deposer/", (LOGIN, 403, 200, 200, 200, 403, 403, 403)),
    ("/factures/{invoice_a}/", (LOGIN, 404, 200, 200, 200, 404, 404, 404)),
    ("/factures/{invoice_a}/fichier/", (LOGIN, 404, 200, 200, 200, 404, 200, ADMIN_LOGIN)),
    ("/admin/", (*[ADMIN_LOGIN] * 5, 200, 200, ADMIN_LOGIN)),
    ("/admin/structures/structure/", (*[ADMIN_LOGIN] * 5, 403, 200, ADMIN_LOGIN)),
    ("/admin/banking/bankaccount/", (*[ADMIN_LOGIN] * 5, 403, 200, ADMIN_LOGIN)),
    ("/admin/banking/bankaccount/{bank_a}/change/", (*[ADMIN_LOGIN] * 5, 403, 200, ADMIN_LOGIN)),
    ("/admin/mandates/billingmandate/", (*[ADMIN_LOGIN] * 5, 403, 200, ADMIN_LOGIN)),
    ("/admin/onboarding/user/", (*[ADMIN_LOGIN] * 5, 403, 403, ADMIN_LOGIN)),
]

POST_TABLE = [
    # The request is accepted by the first one allowed; the others are told it is decided.
    ("/structures/demandes/{request}/accepter/", (LOGIN, 404, 404, "/accueil/", "/accueil/", 404, *["/accueil/"] * 2)),
    # A member sees the mandate but only its manager acts on it.
    (
        "/mandats/{mandate_a}/renvoyer/",
        (LOGIN, 404, 403, "/mandats/{mandate_a}/", "/mandats/{mandate_a}/", 404, 404, 404),
    ),
    ("/compte/application/retirer/", (LOGIN, *["/compte/"] * 3, STEP_UP, *["/compte/"] * 3)),
]


@pytest.fixture(scope="session")
def signed_mandate_pdf():
    """One real mandate PDF (WeasyPrint), rendered once for the whole run."""
    return render_mandate_pdf(BillingMandateFactory.build(signed=True))


@pytest.fixture
def world(signed_mandate_pdf):
    manager_a = MainManagerFactory(structure__raison_sociale="Structure A")
    structure_a = manager_a.structure
    member_a = MembershipFactory(structure=structure_a)
    manager_b = MainManagerFactory(structure__raison_sociale="Structure B")
    bank_a = BankAccountFactory(structure=structure_a, created_by=manager_a.user, validated=True)
    mandate_a = BillingMandateFactory(structure=structure_a, signatory=manager_a.user, signed=True)
    mandate_a.signed_pdf.save(f"{mandate_a.reference}.pdf", ContentFile(signed_mandate_pdf))
    invoice_a = InvoiceFactory(structure=structure_a, bank_account=bank_a, deposited_by=manager_a.user)
    request = AttachmentRequest.objects.create(user=SupplierFactory(), structure=structure_a)
    finance_group = Group.objects.get(name="Finance")
    finance = UserFactory(is_staff=True)
    finance.groups.add(finance_group)
    finance_by_email = UserFactory(is_staff=True, second_factor="email")
    finance_by_email.groups.add(finance_group)
    return {
        "users": {
            "anonymous": None,
            "supplier_b": manager_b.user,
            "member_a": member_a.user,
            "manager_a": manager_a.user,
            "manager_a_stale": manager_a.user,
            "staff": UserFactory(is_staff=True),
            "finance": finance,
            "finance_by_email": finance_by_email,
        },
        "ids": {
            "structure_a": structure_a.pk,
            "bank_a": bank_a.pk,
            "mandate_a": mandate_a.pk,
            "invoice_a": invoice_a.pk,
            "request": request.pk,
        },
    }


def answer(response):
    """A status, or where a redirect leads (LOGIN, STEP_UP, ADMIN_LOGIN or the path)."""
    if response.status_code != 302:
        return response.status_code
    location = response["Location"]
    for target in (LOGIN, STEP_UP, ADMIN_LOGIN):
        if location.startswith(target[1]):
            return target
    return location


def answers(client, world, url, method):
    found = []
    for visitor in VISITORS:
        client.logout()
        user = world["users"][visitor]
        if user is not None:
            client.force_login(user)
        if visitor == "manager_a_stale":
            session = client.session
            session[twofactor_services.SESSION_VERIFIED_AT] = int(time.time()) - 40 * 60
            session.save()
        found.append(answer(getattr(client, method)(url.format(**world["ids"]))))
    return found


def expected_for(world, expected):
    return [target.format(**world["ids"]) if isinstance(target, str) else target for target in expected]


@pytest.mark.parametrize("url,expected", GET_TABLE, ids=[url for url, _ in GET_TABLE])
def test_it_gives_each_visitor_exactly_the_expected_answer(client, world, url, expected):
    assert answers(client, world, url, "get") == expected_for(world, expected)


@pytest.mark.parametrize("url,expected", POST_TABLE, ids=[url for url, _ in POST_TABLE])
def test_it_lets_only_the_right_visitors_act(client, world, url, expected):
    assert answers(client, world, url, "post") == expected_for(world, expected)


def test_it_sends_finance_staff_without_their_app_through_the_admins_login_back_to_the_file(client, world):
    """What the admin asks, the files ask: the admin's login sends an e-mailed-code session to set
    up (or give) the app's code, then back to the file."""
    client.force_login(world["users"]["finance_by_email"])
    url = "/coordonnees-bancaires/{bank_a}/rib/".format(**world["ids"])
    response = client.get(url, follow=True)
    chain = [location for location, _status in response.redirect_chain]
    assert chain[0] == f"/admin/login/?next={url}"
    assert chain[-1].startswith("/compte/application/?suivant=")
    assert url in unquote(chain[-1])
    assert response.status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/coordonnees-bancaires/{n}/rib/",
        "/coordonnees-bancaires/{n}/",
        "/mandats/{n}/pdf/",
        "/mandats/{n}/",
        "/factures/{n}/",
        "/factures/{n}/fichier/",
    ],
)
def test_it_answers_404_to_guessed_identifiers(client, world, url):
    client.force_login(world["users"]["supplier_b"])
    top = max(world["ids"].values()) + 5
    for n in range(1, top):
        assert client.get(url.format(n=n)).status_code == 404
