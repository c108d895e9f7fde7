"""« Factures émises »: the list, each invoice's page with its history, its file, and « Compléter »."""

import html as html_lib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from invoices import services
from invoices.models import Invoice
from tests.banking import pdfs as banking_pdfs
from tests.invoices import pdfs
from tests.invoices.factories import InvoiceFactory, ServiceFactory
from tests.mandates.factories import BillingMandateFactory
from tests.onboarding.factories import UserFactory
from tests.structures.factories import MembershipFactory

pytestmark = pytest.mark.django_db

Status = Invoice.Status


@pytest.fixture
def invoice(structure, supplier, account, service):
    return InvoiceFactory(
        structure=structure, bank_account=account, deposited_by=supplier, number="F-2026-001", service=service
    )


def page(response):
    return html_lib.unescape(response.content.decode())


def test_it_lists_the_invoices_of_the_users_structures(
    logged_in, invoice, structure, account, django_assert_num_queries
):
    InvoiceFactory(
        structure=structure,
        bank_account=account,
        number="F-2026-002",
        service=ServiceFactory(code="ECOLES", name="Écoles"),
    )
    InvoiceFactory(number="F-ETRANGERE")  # another structure's
    logged_in.get(reverse("onboarding:home"))  # the session's first request writes it; not this page's cost
    with django_assert_num_queries(4):  # session, user, count, the invoices with structure and service
        response = logged_in.get(reverse("invoices:list"))
    html = page(response)
    assert "<h1>Factures émises</h1>" in html
    assert html.index("F-2026-002") < html.index("F-2026-001")  # newest first
    assert "F-ETRANGERE" not in html
    assert '<td data-label="Montant TTC">1 200,00 €</td>' in html.replace("\xa0", " ")
    assert '<td data-label="Service">Écoles</td>' in html
    assert "Déposée</span>" in html


def test_it_pages_a_long_list(logged_in, structure, account, service):
    for n in range(26):
        InvoiceFactory(structure=structure, bank_account=account, service=service, number=f"F-{n:03d}")
    html = page(logged_in.get(reverse("invoices:list")))
    assert "Page 1 sur 2" in html and html.count('<td data-label="Numéro">') == 25
    assert page(logged_in.get(reverse("invoices:list"), {"page": "2"})).count('<td data-label="Numéro">') == 1


def test_it_shows_an_invoice_with_its_history(logged_in, invoice, finance, django_assert_num_queries):
    services.change_status(invoice, Status.MADE_AVAILABLE, by=finance)
    services.change_status(invoice, Status.SUSPENDED, by=finance, comment="Le bon de livraison signé.")
    logged_in.get(reverse("onboarding:home"))
    # Session, user, the invoice with its structure, service and bank details, its history, its documents.
    with django_assert_num_queries(5):
        response = logged_in.get(reverse("invoices:detail", args=[invoice.pk]))
    html = page(response)
    assert "<h1>Facture n° F-2026-001</h1>" in html
    assert "<h2>Pièces demandées</h2>\n    <p>Le bon de livraison signé.</p>" in html
    assert '<td data-label="Statut">Déposée</td>' in html
    assert '<td data-label="Par">Claire Martin</td>' in html
    manual = "<small>(changement manuel)</small>"
    assert f'<td data-label="Statut">Déposée → Mise à disposition {manual}</td>' in html
    assert f'<td data-label="Statut">Mise à disposition → Suspendue {manual}</td>' in html
    assert html.count('<td data-label="Par">Services financiers de la Ville</td>') == 2
    assert f'href="{reverse("invoices:download", args=[invoice.pk])}"' in html


def test_it_shows_why_an_invoice_was_rejected(logged_in, invoice, finance):
    services.change_status(invoice, Status.REJECTED, by=finance, comment="Montant différent du bon de commande.")
    html = page(logged_in.get(reverse("invoices:detail", args=[invoice.pk])))
    assert "<h2>Facture rejetée</h2>\n    <p>Montant différent du bon de commande.</p>" in html
    assert "Une facture corrigée doit porter un nouveau numéro." in html


def test_it_serves_the_file_to_members_with_safe_headers(client, invoice, structure):
    member = MembershipFactory(structure=structure).user
    client.force_login(member)
    response = client.get(reverse("invoices:download", args=[invoice.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="facture.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == pdfs.plain_pdf()


def test_it_serves_the_file_to_finance_staff_only(client, invoice, finance):
    client.force_login(finance)
    assert client.get(reverse("invoices:download", args=[invoice.pk])).status_code == 200
    client.force_login(UserFactory(is_staff=True))
    assert client.get(reverse("invoices:download", args=[invoice.pk])).status_code == 404
    client.force_login(UserFactory())
    assert client.get(reverse("invoices:download", args=[invoice.pk])).status_code == 404
    assert client.get(reverse("invoices:detail", args=[invoice.pk])).status_code == 404


def test_it_answers_404_when_the_file_is_missing(logged_in, invoice):
    invoice.file.storage.delete(invoice.file.name)
    assert logged_in.get(reverse("invoices:download", args=[invoice.pk])).status_code == 404


def test_it_lets_the_supplier_add_the_documents_asked(
    logged_in, invoice, finance, django_capture_on_commit_callbacks, mailoutbox
):
    services.change_status(invoice, Status.SUSPENDED, by=finance, comment="Le bon de livraison signé.")
    files = [
        SimpleUploadedFile("bon-de-livraison.pdf", pdfs.plain_pdf("BL-1")),
        SimpleUploadedFile("scan-signe.pdf", banking_pdfs.scan_like_pdf()),  # a scan is fine here
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in.post(
            reverse("invoices:complete", args=[invoice.pk]),
            {"files": files, "comment": "Signé par l'école."},
            follow=True,
        )
    html = page(response)
    assert "Les pièces sont ajoutées : la facture est « Complétée »." in html
    assert '<td data-label="Statut">Suspendue → Complétée</td>' in html
    documents = list(Invoice.objects.get().documents.order_by("pk"))
    assert [d.original_name for d in documents] == ["bon-de-livraison.pdf", "scan-signe.pdf"]
    document_url = reverse("invoices:document", args=[invoice.pk, documents[0].pk])
    assert f'href="{document_url}"' in html
    assert b"".join(logged_in.get(document_url).streaming_content) == pdfs.plain_pdf("BL-1")
    assert "au statut « Complétée »" in mailoutbox[-1].body


def test_it_refuses_documents_that_are_not_safe_pdfs(logged_in, invoice, finance):
    services.change_status(invoice, Status.SUSPENDED, by=finance, comment="Le bon de livraison signé.")
    url = reverse("invoices:complete", args=[invoice.pk])
    html = page(logged_in.post(url, {"files": [SimpleUploadedFile("bon.exe", b"MZ")]}))
    assert "Ce fichier n'est pas un PDF : joignez les pièces demandées au format PDF." in html
    html = page(logged_in.post(url, {}))
    assert "Joignez les pièces demandées, au format PDF." in html
    assert Invoice.objects.get().status == Status.SUSPENDED


@pytest.mark.parametrize(
    "build, message",
    [
        (
            banking_pdfs.costly_pdf,
            "Ce PDF est trop complexe pour être lu automatiquement : joignez seulement les pièces demandées.",
        ),
        (
            lambda: banking_pdfs.action_pdf("goto_remote"),
            "Ce PDF contient une action qui envoie des données ou ouvre une adresse ou un fichier extérieurs, "
            "refusée pour des raisons de sécurité.",
        ),
        (
            banking_pdfs.rich_media_pdf,
            "Ce PDF contient un média interactif (vidéo, animation, 3D), refusé pour des raisons de sécurité.",
        ),
    ],
    ids=["too costly", "outbound action", "rich media"],
)
def test_it_refuses_documents_too_costly_to_read_or_reaching_outside(logged_in, invoice, finance, build, message):
    services.change_status(invoice, Status.SUSPENDED, by=finance, comment="Le bon de livraison signé.")
    response = logged_in.post(
        reverse("invoices:complete", args=[invoice.pk]), {"files": [SimpleUploadedFile("bon.pdf", build())]}
    )
    assert message in page(response)
    assert Invoice.objects.get().status == Status.SUSPENDED
    assert not Invoice.objects.get().documents.exists()


def test_it_adds_nothing_to_an_invoice_no_longer_suspended(logged_in, invoice):
    response = logged_in.post(
        reverse("invoices:complete", args=[invoice.pk]),
        {"files": [SimpleUploadedFile("b.pdf", pdfs.plain_pdf())]},
        follow=True,
    )
    assert "Cette facture n'attend plus de pièces : rien n'a été ajouté." in page(response)
    assert not Invoice.objects.get().documents.exists()


def test_it_shows_the_issued_invoices_on_the_connected_home(logged_in, invoice, django_assert_num_queries):
    logged_in.get(reverse("onboarding:home"))
    # Session, user, memberships, the pending requests sent and to decide (one query), bank
    # details, mandate (signed: « + Déposer une facture » without another query), the latest invoices.
    with django_assert_num_queries(7):
        response = logged_in.get(reverse("onboarding:home"))
    html = page(response)
    assert '<h2 id="issued-invoices">Factures émises</h2>' in html
    assert f'<a href="{reverse("invoices:detail", args=[invoice.pk])}">F-2026-001</a>' in html
    assert f'href="{reverse("invoices:list")}"' in html


def test_it_offers_the_deposit_when_another_structure_has_the_signed_mandate(
    logged_in, supplier, invoice, django_assert_num_queries
):
    # The structure shown first on the home (« Atelier… » before « Menuiserie… ») has a mandate
    # waiting for its signature; the supplier's other structure has a signed one.
    BillingMandateFactory(signatory=supplier, structure__raison_sociale="Atelier Alpin")
    logged_in.get(reverse("onboarding:home"))
    # As above, plus the query that finds the other structure's signed mandate.
    with django_assert_num_queries(8):
        response = logged_in.get(reverse("onboarding:home"))
    html = page(response)
    assert f'<a class="button" href="{reverse("invoices:deposit")}">+ Déposer une facture</a>' in html
    assert "F-2026-001" in html


def test_it_says_when_no_invoice_was_deposited_yet(logged_in):
    html = page(logged_in.get(reverse("onboarding:home")))
    assert "Aucune facture n'a encore été déposée." in html
