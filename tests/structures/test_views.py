import pytest
from django.core import mail
from django.urls import reverse

from structures.models import AttachmentRequest, Membership, Structure
from tests.onboarding.factories import SupplierFactory
from tests.structures.factories import MainManagerFactory, MembershipFactory, StructureFactory

pytestmark = pytest.mark.django_db


def test_it_searches_and_requests_attachment_from_the_stand_alone_page(client, django_capture_on_commit_callbacks):
    manager = MainManagerFactory(user__email="gerant@exemple.fr", structure__raison_sociale="Plomberie Alpine")
    supplier = SupplierFactory()
    client.force_login(supplier)
    response = client.get(
        reverse("structures:request_attachment"), {"identifier_type": "siret", "raison_sociale": "alpine"}
    )
    assert "Plomberie Alpine" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("structures:request_attachment"),
            {
                "identifier_type": "siret",
                "raison_sociale": "alpine",
                "choice": f"structure:{manager.structure.pk}",
                "confirmer": "1",
            },
        )
    assert response["Location"] == reverse("onboarding:home")
    assert AttachmentRequest.objects.get().user == supplier
    assert mail.outbox[0].to == ["gerant@exemple.fr"]
    html = client.get(reverse("onboarding:home")).content.decode()
    assert "Mes demandes en attente" in html and "Plomberie Alpine" in html


def test_it_creates_a_structure_from_the_stand_alone_page(client):
    supplier = SupplierFactory()
    client.force_login(supplier)
    response = client.post(
        reverse("structures:request_attachment"),
        {"identifier_type": "siret", "identifier": "46430577000248", "choice": "siret:46430577000248"},
    )
    assert response["Location"] == reverse("structures:new") + "?identifier_type=siret&identifier=46430577000248"
    html = client.get(response["Location"]).content.decode()
    assert 'value="46430577000248"' in html
    data = {"has_siret": "oui", "identifier": "46430577000248", "country": "FR"}
    response = client.post(reverse("structures:new"), data)
    assert 'value="Menuiserie Dauphinoise"' in response.content.decode()
    response = client.post(reverse("structures:new"), {**data, "verified": "46430577000248"})
    assert response["Location"] == reverse("onboarding:home")
    assert Membership.objects.get(user=supplier).role == "gestionnaire_principal"


def test_it_lets_the_main_manager_accept_from_the_home(client, django_capture_on_commit_callbacks):
    manager = MainManagerFactory()
    request = AttachmentRequest.objects.create(
        user=SupplierFactory(email="demandeur@exemple.fr"), structure=manager.structure
    )
    client.force_login(manager.user)
    html = client.get(reverse("onboarding:home")).content.decode()
    assert "Demandes de rattachement à traiter" in html and "demandeur@exemple.fr" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("structures:accept_request", args=[request.pk]))
    assert response["Location"] == reverse("onboarding:home")
    assert Membership.objects.filter(user=request.user, structure=manager.structure).exists()
    assert mail.outbox[-1].to == ["demandeur@exemple.fr"]


def test_it_asks_a_reason_to_refuse(client):
    manager = MainManagerFactory()
    request = AttachmentRequest.objects.create(user=SupplierFactory(), structure=manager.structure)
    client.force_login(manager.user)
    response = client.post(reverse("structures:refuse_request", args=[request.pk]), {"reason": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["reason"] == ["Indiquez le motif du refus : il sera envoyé au demandeur."]
    response = client.post(reverse("structures:refuse_request", args=[request.pk]), {"reason": "Inconnu"})
    request.refresh_from_db()
    assert request.status == "refusee" and request.refusal_reason == "Inconnu"


@pytest.mark.parametrize("who", ["member", "other_manager", "requester"])
def test_it_hides_requests_from_whoever_cannot_decide(client, who):
    manager = MainManagerFactory()
    requester = SupplierFactory()
    request = AttachmentRequest.objects.create(user=requester, structure=manager.structure)
    user = {
        "member": lambda: MembershipFactory(structure=manager.structure).user,
        "other_manager": lambda: MainManagerFactory().user,
        "requester": lambda: requester,
    }[who]()
    client.force_login(user)
    assert client.post(reverse("structures:accept_request", args=[request.pk])).status_code == 404
    assert client.get(reverse("structures:refuse_request", args=[request.pk])).status_code == 404
    request.refresh_from_db()
    assert request.is_pending


def test_it_exports_the_search_results_as_a_csv_a_french_spreadsheet_opens(client):
    StructureFactory(raison_sociale='=HYPERLINK("http://evil")', postcode="38000")
    StructureFactory(raison_sociale="Élagage; Frères & Cie", postcode="38000")
    response = client.get(reverse("structures:search_export"), {"identifier_type": "siret", "postcode": "38000"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="structures.csv"'
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    lines = text.split("\r\n")
    assert lines[0] == "Identifiant;Type d'identifiant;Raison sociale;Code postal;Ville;Statut"
    assert '\'=HYPERLINK(""http://evil"")' in text
    assert '"Élagage; Frères & Cie"' in text


def test_it_exports_nothing_for_an_invalid_search(client):
    response = client.get(reverse("structures:search_export"), {"identifier_type": "siret", "identifier": "123"})
    assert response.status_code == 200
    assert response.content.decode("utf-8-sig").count("\r\n") == 1  # the header only


def test_it_shows_the_structures_with_their_role_on_the_home(client, django_assert_max_num_queries):
    membership = MainManagerFactory(structure__raison_sociale="Plomberie Alpine")
    client.force_login(membership.user)
    # Session, user, memberships, pending requests, requests to decide, bank details, mandate,
    # whether a signed mandate opens « + Déposer une facture ».
    with django_assert_max_num_queries(8):
        html = client.get(reverse("onboarding:home")).content.decode()
    assert "Plomberie Alpine" in html and "Gestionnaire principal" in html
    assert Structure.objects.count() == 1
