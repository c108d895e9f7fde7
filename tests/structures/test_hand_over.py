"""« Transmettre le rôle de gestionnaire principal »: a step-up, then both people told by e-mail."""

import pytest
from django.core import mail
from django.urls import reverse

from structures.models import Membership
from tests.onboarding.factories import SupplierFactory
from tests.structures.factories import MainManagerFactory, MembershipFactory
from tests.twofactor.helpers import age_verification

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_membership():
    return MainManagerFactory(user__email="claire@menuiserie.fr", structure__raison_sociale="Menuiserie Martin")


@pytest.fixture
def member(manager_membership):
    return MembershipFactory(
        structure=manager_membership.structure,
        user__email="paul@menuiserie.fr",
        user__first_name="Paul",
        user__last_name="Durand",
    )


def url(structure):
    return reverse("structures:hand_over", args=[structure.pk])


def test_it_hands_the_role_over_and_tells_both_people(
    client, manager_membership, member, django_capture_on_commit_callbacks
):
    client.force_login(manager_membership.user)
    assert f'href="{url(manager_membership.structure)}"' in client.get(reverse("onboarding:home")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url(manager_membership.structure), {"new_manager": member.pk, "confirm": "on"}, follow=True
        )
    assert (
        "Paul Durand est désormais gestionnaire principal de « Menuiserie Martin » ; vous en restez membre."
        in response.content.decode()
    )
    manager_membership.refresh_from_db()
    member.refresh_from_db()
    assert (manager_membership.role, member.role) == (Membership.Role.USER, Membership.Role.MAIN_MANAGER)
    bodies = {message.to[0]: message.body for message in mail.outbox}
    assert "Vous avez transmis le rôle de gestionnaire principal d'une structure" in bodies["claire@menuiserie.fr"]
    assert "Vous êtes désormais gestionnaire principal d'une structure" in bodies["paul@menuiserie.fr"]
    assert "« Menuiserie Martin » : de claire@menuiserie.fr à paul@menuiserie.fr." in bodies["paul@menuiserie.fr"]


@pytest.mark.parametrize(
    "data, message",
    [
        ({"confirm": "on"}, "Choisissez le membre de la structure qui deviendra gestionnaire principal."),
        (
            {"new_manager": "999999", "confirm": "on"},
            "Choisissez le membre de la structure qui deviendra gestionnaire principal.",
        ),
        (
            {"new_manager": "{member}"},
            "Cochez la case pour confirmer : vous ne pourrez plus gérer la structure ensuite.",
        ),
    ],
)
def test_it_explains_what_is_missing_and_changes_nothing(client, manager_membership, member, data, message):
    client.force_login(manager_membership.user)
    data = {key: value.format(member=member.pk) for key, value in data.items()}
    response = client.post(url(manager_membership.structure), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    manager_membership.refresh_from_db()
    assert manager_membership.role == Membership.Role.MAIN_MANAGER


def test_it_offers_only_members_of_the_structure(client, manager_membership, member):
    outsider = MembershipFactory(user__email="intrus@ailleurs.fr")
    client.force_login(manager_membership.user)
    html = client.get(url(manager_membership.structure)).content.decode()
    assert "paul@menuiserie.fr" in html and "intrus@ailleurs.fr" not in html
    response = client.post(url(manager_membership.structure), {"new_manager": outsider.pk, "confirm": "on"})
    assert "Choisissez le membre de la structure qui deviendra gestionnaire principal." in response.content.decode()


def test_it_says_how_to_add_a_member_first(client, manager_membership):
    client.force_login(manager_membership.user)
    html = client.get(url(manager_membership.structure)).content.decode()
    assert "Aucun autre membre n'est rattaché à cette structure." in html


def test_it_is_only_for_the_main_manager(client, manager_membership, member):
    client.force_login(member.user)
    assert client.get(url(manager_membership.structure)).status_code == 404
    client.force_login(SupplierFactory())
    assert client.get(url(manager_membership.structure)).status_code == 404


def test_it_asks_for_a_fresh_second_factor(client, manager_membership, member):
    client.force_login(manager_membership.user)
    age_verification(client, 16 * 60)
    response = client.get(url(manager_membership.structure))
    assert response["Location"].startswith(reverse("twofactor:step_up"))
    age_verification(client, 31 * 60)
    client.post(url(manager_membership.structure), {"new_manager": member.pk, "confirm": "on"})
    manager_membership.refresh_from_db()
    assert manager_membership.role == Membership.Role.MAIN_MANAGER
