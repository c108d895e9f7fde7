import pytest
from django.core import mail
from django.urls import reverse

from mandates.models import BillingMandate
from tests.mandates.factories import BillingMandateFactory
from tests.structures.factories import MainManagerFactory, MembershipFactory

pytestmark = pytest.mark.django_db

URL = reverse("mandates:subscribe")


def test_it_shows_the_structure_and_signatory_blocks_read_only(client, manager, structure):
    client.force_login(manager)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "Souscrire un mandat de facturation",
        "<legend>Structure</legend>",
        "<legend>Signataire</legend>",
        "<dt>Raison sociale</dt><dd>Menuiserie Martin</dd>",
        "<dt>Type d&#x27;identifiant</dt><dd>SIRET</dd>",
        "<dt>Identifiant</dt><dd>46430577000248</dd>",
        "<dt>Adresse</dt><dd>12 rue Félix Poulat, 38000 Grenoble, France</dd>",
        "<dt>Nom</dt><dd>Martin</dd>",
        "<dt>Prénom</dt><dd>Claire</dd>",
        "<dt>Adresse électronique de connexion</dt><dd>claire@menuiserie-martin.fr</dd>",
        ">Générer</button>",
    ):
        assert text in html, text
    blocks = html.split("<legend>Structure</legend>")[1].split('<form method="post" class="form">')[0]
    assert "<input" not in blocks and "<select" not in blocks  # nothing to type


def test_it_generates_the_mandate_and_says_where_the_email_went(
    client, manager, structure, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, follow=True)
    mandate = BillingMandate.objects.get()
    assert response.redirect_chain == [(reverse("mandates:detail", args=[mandate.pk]), 302)]
    html = response.content.decode()
    assert "Le mandat de facturation est généré : un courriel vous a été envoyé pour le signer." in html
    assert "Le lien pour lire et signer le mandat a été envoyé à <strong>claire@menuiserie-martin.fr</strong>." in html
    assert ">Renvoyer le courriel</button>" in html
    assert len(mail.outbox) == 1


def test_it_generates_once_when_clicked_twice(client, manager, structure, django_capture_on_commit_callbacks):
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(URL)
        second = client.post(URL)
    assert first["Location"] == second["Location"]
    assert BillingMandate.objects.count() == 1
    assert len(mail.outbox) == 1


def test_it_shows_the_mandate_waiting_instead_of_the_button(client, manager, structure):
    mandate = BillingMandateFactory(structure=structure, signatory=manager)
    client.force_login(manager)
    html = client.get(URL).content.decode()
    assert "Un mandat attend déjà d'être signé" in html
    assert reverse("mandates:detail", args=[mandate.pk]) in html
    assert ">Générer</button>" not in html


def test_it_says_a_signed_mandate_cannot_be_generated_again(client, manager, structure):
    BillingMandateFactory(structure=structure, signatory=manager, signed=True)
    client.force_login(manager)
    response = client.post(URL)
    assert response.status_code == 409
    assert "Cette structure a déjà un mandat de facturation signé." in response.content.decode()
    assert BillingMandate.objects.count() == 1


def test_it_lets_a_manager_of_several_structures_choose(client, manager, structure, django_capture_on_commit_callbacks):
    second = MainManagerFactory(user=manager, structure__raison_sociale="Zinguerie Martin").structure
    client.force_login(manager)
    html = client.get(URL).content.decode()
    assert f'<option value="{second.pk}">' in html
    assert 'method="get"' in html
    html = client.get(URL, {"structure": second.pk}).content.decode()
    assert "<dd>Zinguerie Martin</dd>" in html
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{URL}?structure={second.pk}")
    assert BillingMandate.objects.get().structure == second


@pytest.mark.parametrize("value", ["other", "abc", "99999"])
def test_it_hides_structures_the_user_does_not_manage(client, manager, value):
    other = MainManagerFactory().structure
    MembershipFactory(user=manager, structure=other)  # a mere member of it
    client.force_login(manager)
    requested = str(other.pk) if value == "other" else value
    assert client.get(URL, {"structure": requested}).status_code == 404
    assert client.post(f"{URL}?structure={requested}").status_code == 404
    assert not BillingMandate.objects.exists()


def test_it_refuses_users_who_manage_no_structure(client):
    member = MembershipFactory().user
    client.force_login(member)
    assert client.get(URL).status_code == 403
    assert client.post(URL).status_code == 403


def test_it_sends_anonymous_visitors_to_the_login_page(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("twofactor:login"))
