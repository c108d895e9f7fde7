import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import translation

from banking import services
from banking.forms import BankAccountForm
from banking.models import BankAccount
from banking.rib import RibStatus
from banking.services import bank_details_state
from structures.services import StructureDetails, create_structure
from tests.banking import pdfs
from tests.banking.factories import BankAccountFactory
from tests.onboarding.factories import SupplierFactory, UserFactory
from tests.structures.factories import MainManagerFactory, MembershipFactory

pytestmark = pytest.mark.django_db

IBAN = "FR7630006000011234567890189"
NEW_IBAN = "DE89370400440532013000"


@pytest.fixture(autouse=True)
def french():
    with translation.override("fr"):
        yield


def valid_form(iban=IBAN, bic="AGRIFRPP881"):
    form = BankAccountForm(
        {
            "account_name": "Compte principal",
            "account_type": "iban",
            "country_code": "FR",
            "check_digits": "",
            "bban": iban,
            "bic": bic,
            "attachment_type": "coordonnee_bancaire",
        },
        {"rib_file": SimpleUploadedFile("RIB Martin.pdf", pdfs.rib_pdf(iban), content_type="application/pdf")},
    )
    assert form.is_valid(), form.errors
    return form


def submit(structure, user, iban=IBAN, bic="AGRIFRPP881"):
    form = valid_form(iban, bic)
    return services.submit_bank_account(
        structure=structure, user=user, details=services.BankDetails.from_cleaned_data(form.cleaned_data)
    )


def test_it_records_first_bank_details_pending_without_alert(structure, manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        account = submit(structure, manager)
    account.refresh_from_db()
    assert account.status == BankAccount.Status.PENDING
    assert (account.iban, account.bic, account.country_code) == (IBAN, "AGRIFRPP881", "FR")
    assert account.rib_original_name == "RIB Martin.pdf"
    assert account.rib_check_status == RibStatus.IBAN_FOUND
    assert account.rib_found_ibans == [IBAN]
    assert account.created_by == manager
    assert account.contact_email == "claire@menuiserie-martin.fr"
    assert not account.is_rib_change
    assert account.rib_file.read() == pdfs.rib_pdf(IBAN)
    assert account.history.get().history_user == manager
    # No « changement de RIB » alert: only the sender's security notice.
    (notice,) = mail.outbox
    assert notice.to == [manager.email]
    assert "De nouvelles coordonnées bancaires ont été envoyées depuis votre compte." in notice.body


@pytest.mark.parametrize(
    "raison_sociale, rib, holder, check",
    [
        ("Les Ateliers du Drac", pdfs.rib_pdf, "SARL LES ATELIERS DU DRAC", "conforme"),
        ("Menuiserie Martin", pdfs.rib_pdf, "SARL LES ATELIERS DU DRAC", "different"),
        ("Les Ateliers du Drac", pdfs.scan_like_pdf, "", "illisible"),
    ],
)
def test_it_records_the_holder_read_in_the_rib_against_the_raison_sociale(manager, raison_sociale, rib, holder, check):
    structure = MainManagerFactory(structure__raison_sociale=raison_sociale, user=manager).structure
    form = BankAccountForm(
        valid_form().data,
        {"rib_file": SimpleUploadedFile("RIB.pdf", rib(), content_type="application/pdf")},
    )
    assert form.is_valid(), form.errors
    account = services.submit_bank_account(
        structure=structure, user=manager, details=services.BankDetails.from_cleaned_data(form.cleaned_data)
    )
    account.refresh_from_db()
    assert (account.rib_holder, account.rib_holder_check) == (holder, check)
    assert account.status == BankAccount.Status.PENDING  # never refused: finance staff decide


def test_it_compares_the_holder_with_the_person_for_a_particulier(manager):
    manager.first_name, manager.last_name = "Jean", "Dupont"
    manager.save()
    structure = MainManagerFactory(
        user=manager,
        structure__identifier_type="particulier",
        structure__identifier="Jean D. plomberie",
        structure__raison_sociale="Plomberie du Vercors",
    ).structure
    rib = pdfs.pdf(["RELEVÉ D'IDENTITÉ BANCAIRE", "Titulaire du compte : M JEAN DUPONT", f"IBAN : {pdfs.RIB_IBAN}"])
    form = BankAccountForm(valid_form().data, {"rib_file": SimpleUploadedFile("RIB.pdf", rib)})
    assert form.is_valid(), form.errors
    account = services.submit_bank_account(
        structure=structure, user=manager, details=services.BankDetails.from_cleaned_data(form.cleaned_data)
    )
    assert (account.rib_holder, account.rib_holder_check) == ("M JEAN DUPONT", "conforme")


def test_it_reads_no_other_details_for_a_structure_created_in_the_same_transaction(manager, django_assert_num_queries):
    form = valid_form()
    with transaction.atomic():
        outcome = create_structure(
            manager,
            StructureDetails("tva_ue", "BE0123456749", "Atelier Royal", "1 rue Royale", "1000", "Bruxelles", "BE"),
        )
        # The row and its history row: no other details to lock (there cannot be any), no savepoint.
        with django_assert_num_queries(2):
            account = services.submit_bank_account(
                structure=outcome.structure,
                user=manager,
                details=services.BankDetails.from_cleaned_data(form.cleaned_data),
                new_structure=True,
            )
    assert (account.structure, account.status, account.is_rib_change) == (
        outcome.structure,
        BankAccount.Status.PENDING,
        False,
    )
    assert account.history.get().history_user == manager


def test_it_flags_a_change_of_rib_and_alerts_every_member_and_the_previous_contact(
    structure, manager, django_capture_on_commit_callbacks
):
    MembershipFactory(structure=structure, user__email="paul@menuiserie.fr")
    MembershipFactory(structure=structure, user__email="parti@menuiserie.fr", user__is_active=False)
    in_use = BankAccountFactory(structure=structure, validated=True, contact_email="compta@menuiserie.fr")
    # An attacker who took over the main manager's account changed its contact address first.
    manager.profile.contact_email = "escroc@exemple.com"
    manager.profile.save()

    with django_capture_on_commit_callbacks(execute=True):
        account = submit(structure, manager, iban=NEW_IBAN, bic="COBADEFFXXX")

    assert account.is_rib_change
    assert account.status == BankAccount.Status.PENDING
    in_use.refresh_from_db()
    assert in_use.status == BankAccount.Status.VALIDATED  # still the one the city pays
    # The alert to every member and the previous contact; the security notice to the sender's
    # connection address, which the attacker's new contact address does not silence.
    assert sorted(message.to[0] for message in mail.outbox) == [
        "claire@menuiserie-martin.fr",
        "compta@menuiserie.fr",
        "escroc@exemple.com",
        "paul@menuiserie.fr",
    ]
    assert all(len(message.to) == 1 for message in mail.outbox)
    message = mail.outbox[0]
    assert message.subject == f"Nouvelles coordonnées bancaires envoyées pour {structure.raison_sociale}"
    assert "fraude au changement de RIB" in message.body
    assert "fournisseurs@grenoble.fr" in message.body
    assert "DE89 **** **** **** **30 00" in message.body
    assert NEW_IBAN not in message.body and "DE89 3704" not in message.body  # never the full IBAN by e-mail
    html = message.alternatives[0].content
    assert "fraude au changement de RIB" in html


def test_it_flags_a_second_submission_while_the_first_waits(structure, manager, django_capture_on_commit_callbacks):
    BankAccountFactory(structure=structure, contact_email="compta@menuiserie.fr")
    with django_capture_on_commit_callbacks(execute=True):
        account = submit(structure, manager)
    assert account.is_rib_change
    assert sorted(message.to[0] for message in mail.outbox) == ["claire@menuiserie-martin.fr", "compta@menuiserie.fr"]


def test_it_does_not_count_rejected_details_as_a_change(structure, manager):
    BankAccountFactory(structure=structure, rejected=True)
    assert not submit(structure, manager).is_rib_change


def test_it_leaves_nothing_when_the_storage_fails(
    structure, manager, monkeypatch, private_media, django_capture_on_commit_callbacks
):
    BankAccountFactory(structure=structure, validated=True)
    files_before = sorted(private_media.rglob("*"))
    form = valid_form()

    def broken_save(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(storages["private"], "save", broken_save)
    with pytest.raises(OSError), django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.submit_bank_account(
            structure=structure, user=manager, details=services.BankDetails.from_cleaned_data(form.cleaned_data)
        )
    assert BankAccount.objects.count() == 1
    assert BankAccount.history.count() == 1
    assert callbacks == [] and mail.outbox == []
    assert sorted(private_media.rglob("*")) == files_before


def test_it_removes_the_stored_file_when_the_row_cannot_be_saved(structure, manager, monkeypatch, private_media):
    form = valid_form()

    def broken_save(self, *args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(BankAccount, "save", broken_save)
    with pytest.raises(RuntimeError):
        services.submit_bank_account(
            structure=structure, user=manager, details=services.BankDetails.from_cleaned_data(form.cleaned_data)
        )
    assert [path for path in private_media.rglob("*") if path.is_file()] == []


def test_it_validates_and_replaces_the_details_in_use(structure, manager, finance, django_capture_on_commit_callbacks):
    in_use = BankAccountFactory(structure=structure, validated=True)
    account = BankAccountFactory(structure=structure, created_by=manager, is_rib_change=True)

    with django_capture_on_commit_callbacks(execute=True):
        services.validate_bank_account(account, by=finance)

    account.refresh_from_db()
    in_use.refresh_from_db()
    assert account.status == BankAccount.Status.VALIDATED
    assert account.reviewed_by == finance and account.reviewed_at is not None
    assert in_use.status == BankAccount.Status.SUPERSEDED
    assert in_use.superseded_by == account and in_use.superseded_at == account.reviewed_at
    assert account.history.latest().history_user == finance
    assert in_use.history.latest().history_user == finance
    [message] = mail.outbox
    assert message.to == ["claire@menuiserie-martin.fr"]
    assert message.subject == f"Coordonnées bancaires validées pour {structure.raison_sociale}"
    assert "Les prochains paiements de la Ville seront faits sur ce compte." in message.body
    assert f"https://fournisseurs.grenoble.test/coordonnees-bancaires/{account.pk}/" in message.body


def test_it_rejects_with_the_reason_sent_to_the_supplier_contact(finance, django_capture_on_commit_callbacks):
    supplier = SupplierFactory(email="claire@menuiserie-martin.fr", profile__contact_email="compta@menuiserie.fr")
    account = BankAccountFactory(created_by=supplier, structure__raison_sociale="L'Atelier du Drac")
    with django_capture_on_commit_callbacks(execute=True):
        services.reject_bank_account(account, by=finance, reason="  Le RIB est celui d'une autre société.  ")
    account.refresh_from_db()
    assert account.status == BankAccount.Status.REJECTED
    assert account.rejection_reason == "Le RIB est celui d'une autre société."
    assert account.reviewed_by == finance
    [message] = mail.outbox
    assert message.to == ["compta@menuiserie.fr"]
    assert message.subject == "Coordonnées bancaires rejetées pour L'Atelier du Drac"
    assert "Motif :\nLe RIB est celui d'une autre société." in message.body
    assert f"/coordonnees-bancaires/ajouter/?structure={account.structure_id}" in message.body


def test_it_tells_the_main_manager_when_the_sender_is_gone(
    structure, manager, finance, django_capture_on_commit_callbacks
):
    account = BankAccountFactory(structure=structure, created_by=None)
    with django_capture_on_commit_callbacks(execute=True):
        services.validate_bank_account(account, by=finance)
    assert [message.to for message in mail.outbox] == [["claire@menuiserie-martin.fr"]]


def test_it_refuses_a_rejection_without_reason(finance):
    account = BankAccountFactory()
    with pytest.raises(services.BankAccountError) as refused:
        services.reject_bank_account(account, by=finance, reason="   ")
    assert str(refused.value.message) == "Indiquez le motif du rejet : il sera envoyé au fournisseur."
    account.refresh_from_db()
    assert account.is_pending


def test_it_decides_only_once(finance):
    account = BankAccountFactory()
    services.validate_bank_account(account, by=finance)
    with pytest.raises(services.BankAccountStateError):
        services.validate_bank_account(account, by=finance)
    with pytest.raises(services.BankAccountStateError):
        services.reject_bank_account(account, by=finance, reason="Trop tard")


@pytest.mark.parametrize(
    "user_kwargs",
    [{"is_staff": True}, {"is_staff": False}, {"is_staff": True, "is_active": False}],
    ids=["staff-without-permission", "supplier", "inactive"],
)
def test_it_refuses_a_decision_from_someone_without_the_review_permission(user_kwargs, manager):
    user = UserFactory(**user_kwargs)
    if not user_kwargs.get("is_active", True):
        user.groups.add(Group.objects.get(name="Finance"))
    account = BankAccountFactory(created_by=manager)
    with pytest.raises(PermissionDenied):
        services.validate_bank_account(account, by=user)
    with pytest.raises(PermissionDenied):
        services.reject_bank_account(account, by=user, reason="Non")
    account.refresh_from_db()
    assert account.is_pending


def test_it_tells_the_home_where_a_structure_stands(structure, finance, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert bank_details_state(structure) == services.BankDetailsState(None)

    first = BankAccountFactory(structure=structure)
    state = bank_details_state(structure)
    assert (state.status, state.latest, state.in_use, state.change_pending, state.done) == (
        BankAccount.Status.PENDING,
        first,
        None,
        False,
        False,
    )

    services.reject_bank_account(first, by=finance, reason="Illisible")
    assert bank_details_state(structure).status == BankAccount.Status.REJECTED

    second = BankAccountFactory(structure=structure)
    services.validate_bank_account(second, by=finance)
    state = bank_details_state(structure)
    assert (state.status, state.in_use, state.change_pending, state.done) == (
        BankAccount.Status.VALIDATED,
        second,
        False,
        True,
    )

    change = BankAccountFactory(structure=structure, iban=NEW_IBAN, is_rib_change=True)
    with django_assert_num_queries(1):
        state = bank_details_state(structure)
    assert (state.status, state.in_use, state.latest, state.change_pending) == (
        BankAccount.Status.VALIDATED,
        second,
        change,
        True,
    )

    services.validate_bank_account(change, by=finance)
    state = bank_details_state(structure)
    assert (state.status, state.in_use, state.change_pending) == (BankAccount.Status.VALIDATED, change, False)
