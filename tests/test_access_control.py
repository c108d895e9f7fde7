"""Every URL of the app against every kind of visitor: each gets exactly the expected status.

A supplier never reads or changes another structure's data, even by guessing identifiers.
"""

import pytest
from django.contrib.auth.models import Group

from mandates.services import sign_mandate
from structures.models import AttachmentRequest
from tests.factories import (
    BankAccountFactory,
    BillingMandateFactory,
    MainManagerFactory,
    MembershipFactory,
    SupplierFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.ignore_template_errors]

VISITORS = ["anonymous", "supplier_b", "member_a", "manager_a", "staff", "finance"]

# url, then the status for: anonymous, supplier of B, member of A, main manager of A,
# staff without finance rights, finance staff.
TABLE = [
    ("/", (200, 200, 200, 200, 200, 200)),
    ("/accueil/", (302, 200, 200, 200, 200, 200)),
    ("/conditions-generales/", (200, 200, 200, 200, 200, 200)),
    ("/inscription/compte/", (200, 302, 302, 302, 302, 302)),
    ("/structures/rattachement/", (302, 200, 200, 200, 200, 200)),
    ("/structures/nouvelle/", (302, 200, 200, 200, 200, 200)),
    ("/structures/demandes/{request}/refuser/", (302, 404, 404, 200, 404, 200)),
    ("/structures/{structure_a}/gestionnaire-principal/", (302, 404, 404, 200, 404, 404)),
    ("/compte/", (302, 200, 200, 200, 200, 200)),
    ("/compte/application/", (302, 200, 200, 200, 200, 200)),
    ("/compte/codes-de-secours/", (302, 200, 200, 200, 200, 200)),
    ("/compte/verification/", (302, 200, 200, 200, 200, 200)),
    ("/compte/adresse-de-connexion/", (302, 200, 200, 200, 200, 200)),
    # Staff have no supplier profile, hence no contact address.
    ("/compte/adresse-de-contact/", (302, 200, 200, 200, 404, 404)),
    # Without a password first, the code page sends back to the login.
    ("/connexion/code/", (302, 302, 302, 302, 302, 302)),
    ("/coordonnees-bancaires/ajouter/", (302, 200, 403, 200, 403, 403)),
    ("/coordonnees-bancaires/ajouter/?structure={structure_a}", (302, 404, 404, 200, 404, 404)),
    # Finance staff review bank details and mandates in the admin, not on the suppliers' pages.
    ("/coordonnees-bancaires/{bank_a}/", (302, 404, 200, 200, 404, 404)),
    ("/coordonnees-bancaires/{bank_a}/rib/", (302, 404, 200, 200, 404, 200)),
    ("/mandats/souscrire/?structure={structure_a}", (302, 404, 404, 200, 404, 404)),
    ("/mandats/{mandate_a}/", (302, 404, 200, 200, 404, 404)),
    ("/mandats/{mandate_a}/pdf/", (302, 404, 200, 200, 404, 200)),
    ("/factures/deposer/", (302, 403, 200, 200, 403, 403)),
    ("/admin/", (302, 302, 302, 302, 200, 200)),
    ("/admin/structures/structure/", (302, 302, 302, 302, 403, 200)),
    ("/admin/banking/bankaccount/", (302, 302, 302, 302, 403, 200)),
    ("/admin/banking/bankaccount/{bank_a}/change/", (302, 302, 302, 302, 403, 200)),
    ("/admin/mandates/billingmandate/", (302, 302, 302, 302, 403, 200)),
    ("/admin/onboarding/user/", (302, 302, 302, 302, 403, 403)),
]

POST_TABLE = [
    ("/structures/demandes/{request}/accepter/", (302, 404, 404, 302, 404, 302)),
    # A member sees the mandate but only its manager acts on it.
    ("/mandats/{mandate_a}/renvoyer/", (302, 404, 403, 302, 404, 404)),
    ("/compte/application/retirer/", (302, 302, 302, 302, 302, 302)),
]


@pytest.fixture
def world():
    manager_a = MainManagerFactory(structure__raison_sociale="Structure A")
    structure_a = manager_a.structure
    member_a = MembershipFactory(structure=structure_a)
    manager_b = MainManagerFactory(structure__raison_sociale="Structure B")
    bank_a = BankAccountFactory(structure=structure_a, created_by=manager_a.user)
    mandate_a = BillingMandateFactory(structure=structure_a, signatory=manager_a.user)
    sign_mandate(mandate_a, user=manager_a.user, ip="203.0.113.7", user_agent="tests")  # stores the PDF
    request = AttachmentRequest.objects.create(user=SupplierFactory(), structure=structure_a)
    finance = UserFactory(is_staff=True)
    finance.groups.add(Group.objects.get(name="Finance"))
    return {
        "users": {
            "anonymous": None,
            "supplier_b": manager_b.user,
            "member_a": member_a.user,
            "manager_a": manager_a.user,
            "staff": UserFactory(is_staff=True),
            "finance": finance,
        },
        "ids": {
            "structure_a": structure_a.pk,
            "bank_a": bank_a.pk,
            "mandate_a": mandate_a.pk,
            "request": request.pk,
        },
    }


def statuses(client, world, url, method):
    found = []
    for visitor in VISITORS:
        client.logout()
        user = world["users"][visitor]
        if user is not None:
            client.force_login(user)
        response = getattr(client, method)(url.format(**world["ids"]))
        found.append(response.status_code)
    return tuple(found)


@pytest.mark.parametrize("url,expected", TABLE, ids=[url for url, _ in TABLE])
def test_it_gives_each_visitor_exactly_the_expected_status(client, world, url, expected):
    assert statuses(client, world, url, "get") == expected


@pytest.mark.parametrize("url,expected", POST_TABLE, ids=[url for url, _ in POST_TABLE])
def test_it_lets_only_the_right_visitors_act(client, world, url, expected):
    assert statuses(client, world, url, "post") == expected


@pytest.mark.parametrize(
    "url",
    ["/coordonnees-bancaires/{n}/rib/", "/coordonnees-bancaires/{n}/", "/mandats/{n}/pdf/", "/mandats/{n}/"],
)
def test_it_answers_404_to_guessed_identifiers(client, world, url):
    client.force_login(world["users"]["supplier_b"])
    top = max(world["ids"].values()) + 5
    for n in range(1, top):
        assert client.get(url.format(n=n)).status_code == 404
