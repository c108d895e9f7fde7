from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.banking.factories import BankAccountFactory
from tests.mandates.factories import BillingMandateFactory
from tests.onboarding.factories import SupplierFactory
from tests.structures.factories import MainManagerFactory, MembershipFactory

pytestmark = pytest.mark.django_db

URL = reverse("invoices:deposit")


def test_it_opens_the_deposit_page_once_the_mandate_is_signed(client, django_assert_num_queries):
    mandate = BillingMandateFactory(signed=True, structure__raison_sociale="Menuiserie Martin")
    BankAccountFactory(structure=mandate.structure, validated=True)
    client.force_login(mandate.signatory)
    client.get(reverse("onboarding:home"))  # the session's first request writes it; not this page's cost
    with django_assert_num_queries(5):  # session, user, memberships, mandates, validated bank details
        response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Déposer une facture</h1>" in html
    assert "Le mandat de facturation est signé : le dépôt de factures est ouvert." in html
    assert "Menuiserie Martin" in html
    assert mandate.structure.identifier in html
    # The two ways in, as on the public portal.
    assert '<h2 id="deposer">Déposer le fichier de la facture</h2>' in html
    assert f'href="{reverse("invoices:enter")}?structure={mandate.structure.pk}"' in html


def test_it_explains_a_user_without_structure_how_to_get_one(client):
    client.force_login(SupplierFactory())
    response = client.get(URL)
    assert response.status_code == 403
    html = response.content.decode()
    assert "Votre compte n'est rattaché à aucune structure." in html
    assert f'href="{reverse("structures:request_attachment")}"' in html


@pytest.mark.parametrize(
    "traits, message",
    [
        (None, "La structure Menuiserie Martin n'a pas encore de mandat de facturation signé."),
        (
            {"cancelled": True},
            "Le mandat de facturation de Menuiserie Martin a été annulé : "
            "il faut en souscrire un nouveau et le signer.",
        ),
        (
            {"generated_at": timezone.now() - timedelta(days=8)},
            "Le mandat de facturation de Menuiserie Martin n'a pas été signé à temps : "
            "il faut en souscrire un nouveau et le signer.",
        ),
    ],
)
def test_it_sends_the_main_manager_to_subscribe_a_mandate(client, traits, message):
    membership = MainManagerFactory(structure__raison_sociale="Menuiserie Martin")
    if traits is not None:
        BillingMandateFactory(structure=membership.structure, signatory=membership.user, **traits)
    client.force_login(membership.user)
    response = client.get(URL)
    assert response.status_code == 403
    html = response.content.decode()
    assert message in html
    assert f'href="{reverse("mandates:subscribe")}?structure={membership.structure.pk}"' in html


def test_it_sends_a_mandate_waiting_for_its_signature_to_its_page(client):
    mandate = BillingMandateFactory(structure__raison_sociale="Menuiserie Martin", signatory__email="claire@exemple.fr")
    client.force_login(mandate.signatory)
    html = client.get(URL).content.decode()
    assert (
        "Le mandat de facturation de Menuiserie Martin n'est pas encore signé. "
        "Le lien pour le signer a été envoyé à claire@exemple.fr."
    ) in html
    assert f'href="{reverse("mandates:detail", args=[mandate.pk])}"' in html


def test_it_tells_a_mere_member_who_signs(client):
    member = MembershipFactory(structure=MainManagerFactory().structure).user
    client.force_login(member)
    html = client.get(URL).content.decode()
    assert "Le mandat est souscrit et signé par le gestionnaire principal de la structure : demandez-le-lui." in html
    assert reverse("mandates:subscribe") not in html


def test_it_sends_anonymous_visitors_to_the_login_page(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("twofactor:login"))


def test_it_answers_get_and_post_only(client):
    mandate = BillingMandateFactory(signed=True)
    client.force_login(mandate.signatory)
    assert client.put(URL).status_code == 405


@pytest.mark.parametrize("method", ["get", "post"])
def test_it_refuses_a_cancelled_mandate_whatever_the_method(client, method):
    membership = MainManagerFactory(structure__raison_sociale="Menuiserie Martin")
    BillingMandateFactory(structure=membership.structure, signatory=membership.user, cancelled=True)
    client.force_login(membership.user)
    for url in (URL, reverse("invoices:enter")):
        response = getattr(client, method)(url)
        assert response.status_code == 403
        assert "Le mandat de facturation de Menuiserie Martin a été annulé" in response.content.decode()
