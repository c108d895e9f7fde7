import threading

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connection

from structures import services
from structures.models import AttachmentRequest, Membership, Structure
from tests.onboarding.factories import SupplierFactory, UserFactory
from tests.structures.factories import MainManagerFactory, MembershipFactory, StructureFactory

pytestmark = pytest.mark.django_db


def details(**overrides):
    values = dict(
        identifier_type="siret",
        identifier="46430577000248",
        raison_sociale="Menuiserie Dauphinoise",
        address="14 rue des Glairons",
        postcode="38400",
        city="Saint-Martin-d'Hères",
        verified_by_directory=True,
    )
    values.update(overrides)
    return services.StructureDetails(**values)


def test_it_makes_the_creator_the_main_manager():
    user = SupplierFactory()
    outcome = services.create_structure(user, details())
    assert outcome.created
    assert Membership.objects.get().role == Membership.Role.MAIN_MANAGER
    assert outcome.structure.main_manager == user


def test_it_turns_a_duplicate_creation_into_an_attachment_request():
    first = MainManagerFactory(structure__identifier="46430577000248")
    other = SupplierFactory()
    outcome = services.create_structure(other, details())
    assert not outcome.created
    assert outcome.structure == first.structure
    assert outcome.request.user == other
    assert Structure.objects.count() == 1


def test_it_accepts_a_request_and_tells_the_requester(django_capture_on_commit_callbacks):
    manager = MainManagerFactory()
    requester = SupplierFactory(email="demandeur@exemple.fr")
    request = services.request_attachment(requester, manager.structure)
    with django_capture_on_commit_callbacks(execute=True):
        services.accept_request(request, by=manager.user)
    request.refresh_from_db()
    assert request.status == "acceptee" and request.decided_by == manager.user and request.decided_at
    assert Membership.objects.get(user=requester).role == "utilisateur"
    assert mail.outbox[-1].to == ["demandeur@exemple.fr"]
    assert "est accepté" in mail.outbox[-1].subject


def test_it_refuses_a_request_with_its_reason(django_capture_on_commit_callbacks):
    manager = MainManagerFactory()
    request = services.request_attachment(SupplierFactory(), manager.structure)
    with pytest.raises(services.AttachmentError) as error:
        services.refuse_request(request, by=manager.user, reason="  ")
    assert str(error.value.message) == "Indiquez le motif du refus : il sera envoyé au demandeur."
    with django_capture_on_commit_callbacks(execute=True):
        services.refuse_request(request, by=manager.user, reason="Inconnu de nos services")
    request.refresh_from_db()
    assert request.status == "refusee"
    assert "Motif : Inconnu de nos services" in mail.outbox[-1].body
    assert not Membership.objects.filter(user=request.user).exists()


def test_it_decides_a_request_once():
    manager = MainManagerFactory()
    request = services.request_attachment(SupplierFactory(), manager.structure)
    services.accept_request(request, by=manager.user)
    with pytest.raises(services.AttachmentError) as error:
        services.refuse_request(request, by=manager.user, reason="Trop tard")
    assert str(error.value.message) == "Cette demande a déjà été traitée."


def test_it_refuses_a_decision_by_a_simple_member_or_another_manager():
    manager = MainManagerFactory()
    member = MembershipFactory(structure=manager.structure)
    other_manager = MainManagerFactory()
    request = services.request_attachment(SupplierFactory(), manager.structure)
    for user in (member.user, other_manager.user, SupplierFactory()):
        with pytest.raises(PermissionDenied):
            services.accept_request(request, by=user)
    request.refresh_from_db()
    assert request.is_pending


def test_it_lets_finance_staff_decide():
    manager = MainManagerFactory()
    request = services.request_attachment(SupplierFactory(), manager.structure)
    staff = UserFactory(is_staff=True, is_superuser=True)
    services.accept_request(request, by=staff)
    assert AttachmentRequest.objects.get().status == "acceptee"


def test_it_refuses_a_second_pending_request():
    manager = MainManagerFactory()
    user = SupplierFactory()
    services.request_attachment(user, manager.structure)
    with pytest.raises(services.AttachmentError):
        services.request_attachment(user, manager.structure)
    assert AttachmentRequest.objects.count() == 1


def test_it_hands_the_main_manager_role_over():
    manager = MainManagerFactory()
    member = MembershipFactory(structure=manager.structure)
    services.hand_over_main_manager(manager.structure, by=manager.user, to=member.user)
    roles = dict(Membership.objects.values_list("user_id", "role"))
    assert roles == {manager.user_id: "utilisateur", member.user_id: "gestionnaire_principal"}
    with pytest.raises(PermissionDenied):
        services.hand_over_main_manager(manager.structure, by=manager.user, to=member.user)
    with pytest.raises(services.AttachmentError):
        services.hand_over_main_manager(manager.structure, by=member.user, to=SupplierFactory())


def test_it_keeps_one_main_manager_per_structure_in_the_database():
    from django.db import IntegrityError

    manager = MainManagerFactory()
    with pytest.raises(IntegrityError):
        Membership.objects.create(user=SupplierFactory(), structure=manager.structure, role="gestionnaire_principal")


def test_it_keeps_one_structure_per_identifier_in_the_database():
    from django.db import IntegrityError

    StructureFactory(identifier="46430577000248")
    with pytest.raises(IntegrityError):
        StructureFactory(identifier="46430577000248")


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a real race needs PostgreSQL's concurrent writers")
def test_it_creates_one_structure_when_two_suppliers_race():
    users = [SupplierFactory(), SupplierFactory()]
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def create(user):
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            outcomes.append(services.create_structure(user, details()))
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=create, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Structure.objects.count() == 1
    assert sorted(o.created for o in outcomes) == [False, True]
    assert AttachmentRequest.objects.count() == 1
    assert Membership.objects.get().role == "gestionnaire_principal"


def test_it_gives_the_home_the_requests_sent_and_those_to_decide_in_one_query(django_assert_num_queries):
    manager = MainManagerFactory().user
    managed = manager.structures.get()
    elsewhere = StructureFactory(raison_sociale="Ailleurs")
    sent = AttachmentRequest.objects.create(user=manager, structure=elsewhere)
    to_decide = AttachmentRequest.objects.create(user=SupplierFactory(), structure=managed)
    AttachmentRequest.objects.create(user=SupplierFactory(), structure=elsewhere)  # neither
    AttachmentRequest.objects.create(user=manager, structure=StructureFactory(), status="refusee")  # decided
    with django_assert_num_queries(2):  # the memberships with their structure, the pending requests
        board = services.dashboard(manager)
    assert board.pending_requests == [sent]
    assert board.requests_to_decide == [to_decide]
    assert board.managed_structures == [managed]
