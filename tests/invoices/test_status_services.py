import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from invoices import services
from invoices.models import Invoice
from tests.invoices import pdfs
from tests.invoices.factories import InvoiceFactory
from tests.onboarding.factories import UserFactory
from tests.structures.factories import MembershipFactory

pytestmark = pytest.mark.django_db

Status = Invoice.Status


@pytest.fixture
def invoice(structure, supplier, account):
    return InvoiceFactory(structure=structure, bank_account=account, deposited_by=supplier, number="F-2026-001")


def move(invoice, to, by, comment="", capture=None):
    with capture(execute=True):
        return services.change_status(invoice, to, by=by, comment=comment)


def test_it_moves_an_invoice_to_payment_recording_and_telling_each_step(
    invoice, finance, mailoutbox, django_capture_on_commit_callbacks
):
    path = [Status.MADE_AVAILABLE, Status.SERVICE_DONE, Status.MANDATED, Status.PAYMENT]
    previous = Status.DEPOSITED
    for to in path:
        invoice = move(invoice, to, finance, capture=django_capture_on_commit_callbacks)
        assert invoice.status == to
        message = mailoutbox[-1]
        assert message.to == ["claire@menuiserie-martin.fr"]
        assert message.subject == f"Facture n° F-2026-001 : {to.label}"
        assert (
            f"La facture n° F-2026-001 de Menuiserie Martin passe du statut « {previous.label} » au statut "
            f"« {to.label} »."
        ) in message.body
        previous = to
    assert len(mailoutbox) == 4
    history = list(invoice.status_changes.values_list("from_status", "to_status", "changed_by"))
    assert history == [
        ("", Status.DEPOSITED, invoice.deposited_by_id),
        (Status.DEPOSITED, Status.MADE_AVAILABLE, finance.pk),
        (Status.MADE_AVAILABLE, Status.SERVICE_DONE, finance.pk),
        (Status.SERVICE_DONE, Status.MANDATED, finance.pk),
        (Status.MANDATED, Status.PAYMENT, finance.pk),
    ]
    assert services.allowed_transitions(invoice) == ()


def test_it_rejects_with_the_reason_the_supplier_reads(
    invoice, finance, mailoutbox, django_capture_on_commit_callbacks
):
    invoice = move(
        invoice, Status.REJECTED, finance, "Numéro d'engagement inconnu.", capture=django_capture_on_commit_callbacks
    )
    assert (invoice.status, invoice.rejection_reason) == ("rejetee", "Numéro d'engagement inconnu.")
    body = mailoutbox[0].body
    assert "Motif du rejet :\nNuméro d'engagement inconnu." in body
    assert "Une facture corrigée doit porter un nouveau numéro." in body
    with pytest.raises(services.InvoiceStateError):
        services.change_status(invoice, Status.MADE_AVAILABLE, by=finance)


@pytest.mark.parametrize("to", [Status.REJECTED, Status.SUSPENDED])
def test_it_wants_a_comment_to_reject_or_suspend(invoice, finance, to):
    with pytest.raises(services.InvoiceError) as refused:
        services.change_status(invoice, to, by=finance, comment="  ")
    assert refused.value.field == "comment"
    assert str(refused.value.message).startswith("Indiquez un commentaire : le fournisseur doit savoir pourquoi")
    assert Invoice.objects.get().status == Status.DEPOSITED


def test_it_suspends_then_the_supplier_completes_with_the_documents(
    invoice, finance, supplier, mailoutbox, django_capture_on_commit_callbacks
):
    invoice = move(
        invoice, Status.SUSPENDED, finance, "Le bon de livraison signé.", capture=django_capture_on_commit_callbacks
    )
    assert "Pièces demandées :\nLe bon de livraison signé." in mailoutbox[0].body
    assert services.allowed_transitions(invoice) == (Status.REJECTED,)  # « Complétée » is the supplier's
    document = SimpleUploadedFile("bon.pdf", pdfs.plain_pdf("BL-1"))
    with django_capture_on_commit_callbacks(execute=True):
        invoice = services.complete_invoice(
            invoice, by=supplier, documents=[(document, "bon.pdf", "abc")], comment="Le voici."
        )
    assert invoice.status == Status.COMPLETED
    assert invoice.documents.get().original_name == "bon.pdf"
    assert invoice.status_changes.last().comment == "Le voici."
    assert "passe du statut « Suspendue » au statut « Complétée »." in mailoutbox[-1].body
    # Then processing goes on.
    assert move(invoice, Status.MADE_AVAILABLE, finance, capture=django_capture_on_commit_callbacks).status == (
        Status.MADE_AVAILABLE
    )


def test_it_completes_only_a_suspended_invoice(invoice, supplier):
    with pytest.raises(services.InvoiceStateError):
        services.complete_invoice(invoice, by=supplier, documents=[])


def test_it_lets_only_members_complete(invoice, finance):
    services.change_status(invoice, Status.SUSPENDED, by=finance, comment="Le bon de livraison.")
    with pytest.raises(PermissionDenied):
        services.complete_invoice(invoice, by=UserFactory(), documents=[])


def test_it_removes_the_stored_documents_when_completing_fails(invoice, finance, supplier, monkeypatch, private_media):
    services.change_status(invoice, Status.SUSPENDED, by=finance, comment="Le bon de livraison.")

    def broken_move(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(services, "_move", broken_move)
    document = SimpleUploadedFile("bon.pdf", pdfs.plain_pdf("BL-1"))
    with pytest.raises(RuntimeError):
        services.complete_invoice(invoice, by=supplier, documents=[(document, "bon.pdf", "abc")])
    assert not (private_media / "factures" / "pieces").exists() or not list(
        (private_media / "factures" / "pieces").iterdir()
    )
    assert Invoice.objects.get().status == Status.SUSPENDED


@pytest.mark.parametrize(
    "status, refused",
    [
        (Status.DEPOSITED, [Status.SERVICE_DONE, Status.MANDATED, Status.PAYMENT, Status.COMPLETED]),
        (Status.MADE_AVAILABLE, [Status.MANDATED, Status.PAYMENT, Status.DEPOSITED]),
        (Status.SERVICE_DONE, [Status.PAYMENT, Status.REJECTED]),
        (Status.PAYMENT, [Status.REJECTED, Status.SUSPENDED]),
        (Status.REJECTED, [Status.MADE_AVAILABLE]),
    ],
)
def test_it_refuses_the_transitions_that_do_not_apply(structure, account, finance, status, refused):
    invoice = InvoiceFactory(structure=structure, bank_account=account, status=status, rejection_reason="x")
    for to in refused:
        with pytest.raises(services.InvoiceStateError):
            services.change_status(invoice, to, by=finance, comment="motif")
    assert Invoice.objects.get().status == status


def test_it_lets_only_finance_staff_change_a_status(invoice, supplier, finance):
    not_staff = UserFactory()
    not_staff.groups.add(*finance.groups.all())
    for user in (supplier, not_staff, UserFactory(is_staff=True)):
        with pytest.raises(PermissionDenied):
            services.change_status(invoice, Status.MADE_AVAILABLE, by=user)


def test_it_tells_the_main_manager_when_the_depositor_left(
    invoice, finance, supplier, mailoutbox, django_capture_on_commit_callbacks
):
    member = MembershipFactory(structure=invoice.structure, user__email="paul@menuiserie-martin.fr").user
    invoice.deposited_by = member
    invoice.save()
    member.is_active = False
    member.save()
    move(invoice, Status.MADE_AVAILABLE, finance, capture=django_capture_on_commit_callbacks)
    assert mailoutbox[0].to == ["claire@menuiserie-martin.fr"]


def test_it_refuses_to_record_an_invoice_for_a_structure_not_open_to_deposit(service, account):
    outsider = UserFactory()
    with pytest.raises(PermissionDenied):
        services.deposit_invoice(
            structure=account.structure,
            user=outsider,
            data=services.InvoiceData(
                number="F-1",
                issue_date=None,
                amount_excl_tax=1,
                vat_amount=0,
                amount_incl_tax=1,
                service=service,
                bank_account=account,
            ),
            content=b"%PDF-",
            original_name="f.pdf",
        )
