"""The connected home's stage cards: each says where the structure stands and who acts."""

import pytest
from django.urls import reverse
from django.utils import translation

from tests.banking.factories import BankAccountFactory
from tests.mandates.factories import BillingMandateFactory
from tests.structures.factories import MainManagerFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def cards(client):
    response = client.get(reverse("onboarding:home"))
    return {card.stage.key: card for card in response.context["stage_states"]}, response.content.decode()


def test_the_main_manager_is_told_why_there_is_no_add_button_while_the_rib_waits(client):
    membership = MainManagerFactory()
    account = BankAccountFactory(structure=membership.structure, iban="FR7630006000011234567890189")
    client.force_login(membership.user)
    by_key, html = cards(client)
    card = by_key["banking"]
    assert card.status == "En attente de validation par la Ville"
    assert card.action_url == ""
    with translation.override("fr"):
        from core.dates import local_date

        date = local_date(account.created_at)
    assert card.detail == (
        f"Le RIB envoyé le {date} (IBAN {account.iban_masked}) attend la validation des services financiers de la "
        "Ville : vous recevrez un courriel de leur décision. D'autres coordonnées pourront être ajoutées ensuite."
    )
    assert "+ Ajouter des coordonnées bancaires" not in html.split("Mes structures")[0]


def test_a_member_sees_stages_3_and_4_as_the_structure_s_with_who_acts(client, django_assert_max_num_queries):
    manager = MainManagerFactory(user__first_name="Claire", user__last_name="Martin", structure__raison_sociale="Alpha")
    member = MembershipFactory(structure=manager.structure).user
    client.force_login(member)
    # Session, user, memberships, requests, the main manager, bank details, mandate, a signed mandate.
    with django_assert_max_num_queries(8):
        by_key, html = cards(client)
    assert (by_key["banking"].status, by_key["banking"].yours) == ("À faire par le gestionnaire principal", False)
    assert by_key["banking"].detail == "C'est le gestionnaire principal de « Alpha », Claire Martin, qui les ajoute."
    assert by_key["mandate"].status == "À souscrire par le gestionnaire principal"
    assert by_key["mandate"].detail == (
        "C'est le gestionnaire principal de « Alpha », Claire Martin, qui le souscrit et le signe."
    )
    assert "À faire" not in [by_key["banking"].status, by_key["mandate"].status]
    assert "badge--others" in html
    assert by_key["banking"].action_url == "" and by_key["mandate"].action_url == ""


def test_a_member_sees_the_validated_details_and_the_signed_mandate(client):
    manager = MainManagerFactory(user__first_name="Claire", user__last_name="Martin")
    BankAccountFactory(structure=manager.structure, validated=True)
    mandate = BillingMandateFactory(structure=manager.structure, signatory=manager.user, signed=True)
    member = MembershipFactory(structure=manager.structure).user
    client.force_login(member)
    by_key, html = cards(client)
    assert by_key["banking"].done and by_key["banking"].status == "Validées"
    assert by_key["mandate"].done and by_key["mandate"].action_url == reverse("mandates:detail", args=[mandate.pk])
    assert "+ Déposer une facture" in html


def test_a_requester_waiting_for_the_decision_is_not_told_stages_3_and_4_are_theirs(client):
    from structures.models import AttachmentRequest
    from tests.onboarding.factories import SupplierFactory

    manager = MainManagerFactory()
    requester = SupplierFactory()
    AttachmentRequest.objects.create(user=requester, structure=manager.structure)
    client.force_login(requester)
    by_key, _html = cards(client)
    assert by_key["structure"].status == "En attente de la décision du gestionnaire principal"
    for key in ("banking", "mandate"):
        assert by_key[key].status == "Par le gestionnaire principal de la structure demandée"
        assert not by_key[key].yours
