import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse

from structures.models import AttachmentRequest, Membership
from tests.onboarding.factories import SupplierFactory, UserFactory
from tests.structures.factories import MainManagerFactory, StructureFactory

pytestmark = [pytest.mark.django_db, pytest.mark.ignore_template_errors]


@pytest.fixture
def finance_client(client):
    staff = UserFactory(is_staff=True, email="finances@grenoble.fr")
    staff.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_structure", "view_attachmentrequest", "change_attachmentrequest"]
        )
    )
    client.force_login(staff)
    return client


def test_it_searches_structures_by_identifier_and_name(finance_client):
    StructureFactory(identifier="46430577000248", raison_sociale="Menuiserie Dauphinoise")
    StructureFactory(raison_sociale="Plomberie Alpine", verified_by_directory=False)
    url = reverse("admin:structures_structure_changelist")
    assert [s.raison_sociale for s in finance_client.get(url, {"q": "46430577000248"}).context["cl"].result_list] == [
        "Menuiserie Dauphinoise"
    ]
    assert [
        s.raison_sociale
        for s in finance_client.get(url, {"verified_by_directory__exact": "0"}).context["cl"].result_list
    ] == ["Plomberie Alpine"]


def test_it_accepts_and_refuses_requests_from_the_admin(finance_client, django_capture_on_commit_callbacks):
    manager = MainManagerFactory()
    first = AttachmentRequest.objects.create(user=SupplierFactory(email="a@exemple.fr"), structure=manager.structure)
    second = AttachmentRequest.objects.create(user=SupplierFactory(email="b@exemple.fr"), structure=manager.structure)
    html = finance_client.get(reverse("admin:structures_attachmentrequest_change", args=[first.pk])).content.decode()
    assert "Refuser (motif)" in html
    with django_capture_on_commit_callbacks(execute=True):
        finance_client.post(reverse("admin:structures_attachmentrequest_accept", args=[first.pk]))
        response = finance_client.post(
            reverse("admin:structures_attachmentrequest_refuse", args=[second.pk]), {"reason": ""}
        )
        assert response.status_code == 200
        finance_client.post(
            reverse("admin:structures_attachmentrequest_refuse", args=[second.pk]), {"reason": "Doublon"}
        )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status, second.refusal_reason) == ("acceptee", "refusee", "Doublon")
    assert Membership.objects.filter(user=first.user).exists()
    assert sorted(m.to[0] for m in mail.outbox) == ["a@exemple.fr", "b@exemple.fr"]


def test_it_refuses_decisions_to_staff_without_the_permission(client):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_attachmentrequest"))
    client.force_login(staff)
    request = AttachmentRequest.objects.create(user=SupplierFactory(), structure=MainManagerFactory().structure)
    assert client.post(reverse("admin:structures_attachmentrequest_accept", args=[request.pk])).status_code == 403
    request.refresh_from_db()
    assert request.is_pending


def test_it_exports_structures_as_csv(finance_client):
    structure = StructureFactory(raison_sociale="-Malicieux")
    response = finance_client.post(
        reverse("admin:structures_structure_changelist"),
        {"action": "export_csv", "_selected_action": [structure.pk]},
    )
    text = response.content.decode("utf-8-sig")
    assert "'-Malicieux" in text
