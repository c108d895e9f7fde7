import html as html_lib
import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from invoices.models import Invoice
from tests.invoices.factories import InvoiceFactory, ServiceFactory
from tests.onboarding.factories import UserFactory
from tests.structures.factories import StructureFactory

pytestmark = [pytest.mark.django_db, pytest.mark.ignore_template_errors]  # Django's admin templates

Status = Invoice.Status
CHANGELIST = reverse("admin:invoices_invoice_changelist")


def change_url(invoice):
    return reverse("admin:invoices_invoice_change", args=[invoice.pk])


def status_url(invoice, to):
    return reverse("admin:invoices_invoice_change_status", args=[invoice.pk, to])


@pytest.fixture
def invoice(structure, supplier, account, service):
    return InvoiceFactory(
        structure=structure, bank_account=account, deposited_by=supplier, service=service, number="F-2026-001"
    )


@pytest.fixture
def staff(client, finance):
    client.force_login(finance)
    return client


def page(response):
    return html_lib.unescape(response.content.decode())


def test_it_gives_the_finance_group_what_processing_invoices_needs():
    permissions = set(Group.objects.get(name="Finance").permissions.values_list("content_type__app_label", "codename"))
    assert permissions >= {
        ("invoices", "process_invoice"),
        ("invoices", "view_invoice"),
        ("invoices", "view_service"),
        ("invoices", "add_service"),
        ("invoices", "change_service"),
    }


def test_it_takes_an_invoice_through_every_status_with_the_supplier_told_each_time(
    staff, invoice, supplier, client, mailoutbox, django_capture_on_commit_callbacks
):
    for to in (Status.MADE_AVAILABLE, Status.SERVICE_DONE, Status.MANDATED, Status.PAYMENT):
        html = page(staff.get(change_url(invoice)))
        assert f'href="{status_url(invoice, to)}"' in html  # the button of the next step
        with django_capture_on_commit_callbacks(execute=True):
            response = staff.post(status_url(invoice, to), {"comment": ""})
        assert response["Location"] == change_url(invoice)
        assert Invoice.objects.get().status == to
        assert mailoutbox[-1].subject == f"Facture n° F-2026-001 : {to.label}"
    assert len(mailoutbox) == 4
    # The supplier sees each change on the invoice's page.
    client.force_login(supplier)
    html = page(client.get(reverse("invoices:detail", args=[invoice.pk])))
    for line in (
        "Déposée → Mise à disposition",
        "Mise à disposition → Service fait",
        "Service fait → Mandatée",
        "Mandatée → Mise en paiement",
    ):
        # Made by staff, each says it is a manual change.
        assert f'<td data-label="Statut">{line} <small>(changement manuel)</small></td>' in html


def test_it_shows_the_buttons_of_the_allowed_transitions_only(staff, invoice):
    html = page(staff.get(change_url(invoice)))
    for to in (Status.MADE_AVAILABLE, Status.SUSPENDED, Status.REJECTED):
        assert f'href="{status_url(invoice, to)}"' in html
    for to in (Status.SERVICE_DONE, Status.MANDATED, Status.PAYMENT, Status.COMPLETED):
        assert status_url(invoice, to) not in html
    assert "Mettre à disposition" in html and "Rejeter (motif)" in html and "Suspendre (pièces demandées)" in html


def test_it_refuses_a_transition_that_does_not_apply(staff, invoice):
    response = staff.post(status_url(invoice, Status.PAYMENT), follow=True)
    assert "Cette facture ne peut pas passer au statut « Mise en paiement » depuis le statut « Déposée »." in page(
        response
    )
    assert Invoice.objects.get().status == Status.DEPOSITED
    assert staff.get(status_url(invoice, "inconnu")).status_code == 404


def test_it_asks_the_reason_of_a_rejection(staff, invoice, mailoutbox, django_capture_on_commit_callbacks):
    html = page(staff.get(status_url(invoice, Status.REJECTED)))
    assert "Motif du rejet" in html
    response = staff.post(status_url(invoice, Status.REJECTED), {"comment": " "})
    assert "Indiquez le motif du rejet : le fournisseur doit savoir quoi corriger." in page(response)
    assert Invoice.objects.get().status == Status.DEPOSITED
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(status_url(invoice, Status.REJECTED), {"comment": "Numéro d'engagement inconnu."})
    assert Invoice.objects.get().rejection_reason == "Numéro d'engagement inconnu."
    assert "Motif du rejet :\nNuméro d'engagement inconnu." in mailoutbox[0].body


def test_it_asks_which_documents_a_suspension_wants(staff, invoice):
    response = staff.post(status_url(invoice, Status.SUSPENDED), {"comment": ""})
    assert "Indiquez les pièces demandées au fournisseur." in page(response)


def test_it_lets_only_finance_staff_change_a_status(client, invoice):
    onlooker = UserFactory(is_staff=True)
    onlooker.user_permissions.add(Permission.objects.get(codename="view_invoice"))
    client.force_login(onlooker)
    html = page(client.get(change_url(invoice)))
    assert status_url(invoice, Status.MADE_AVAILABLE) not in html
    assert client.post(status_url(invoice, Status.MADE_AVAILABLE)).status_code == 403
    assert Invoice.objects.get().status == Status.DEPOSITED


def test_it_shows_the_file_and_the_facturx_data(staff, invoice):
    invoice.facturx_xml = "<rsm:CrossIndustryInvoice><ram:ID>F-2026-001</ram:ID></rsm:CrossIndustryInvoice>"
    invoice.facturx_profile = "en16931"
    invoice.save()
    html = staff.get(change_url(invoice)).content.decode()
    assert f'href="{reverse("invoices:download", args=[invoice.pk])}"' in html
    # Folded behind « Voir le XML » (a <details>: a keyboard opens it, no script), escaped.
    assert (
        '<details class="facturx-xml"><summary>Voir le XML</summary><pre>&lt;rsm:CrossIndustryInvoice&gt;'
        "&lt;ram:ID&gt;F-2026-001&lt;/ram:ID&gt;&lt;/rsm:CrossIndustryInvoice&gt;</pre></details>"
    ) in html
    assert "en16931" in html


def readonly(html, label):
    """The value the change page shows for a read-only field."""
    match = re.search(rf"<label>{re.escape(label)}\s*:</label>\s*<div class=\"readonly\">(.*?)</div>", html, re.S)
    return match and match.group(1).strip()


@pytest.mark.parametrize(
    "language, amounts, rate",
    [
        # Django's formats of the active language: a no-break space groups thousands in French.
        ("fr", ["12\xa0345,60\xa0€", "678,40\xa0€", "13\xa0024,00\xa0€"], "5,5\xa0%"),
        ("en", ["12,345.60\xa0€", "678.40\xa0€", "13,024.00\xa0€"], "5.5\xa0%"),
    ],
)
def test_it_shows_amounts_in_euros_and_the_vat_rate_in_the_staffs_language(
    staff, invoice, settings, language, amounts, rate
):
    invoice.amount_excl_tax, invoice.vat_amount, invoice.amount_incl_tax = "12345.60", "678.40", "13024.00"
    invoice.vat_rate = "5.50"
    invoice.save()
    staff.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html = page(staff.get(change_url(invoice)))
    labels = {"fr": ["Montant HT", "Montant de TVA", "Montant TTC"], "en": None}[language]
    if labels:
        assert [readonly(html, label) for label in labels] == amounts
        assert readonly(html, "Taux de TVA") == rate
    else:
        for text in (*amounts, rate):
            assert f'<div class="readonly">{text}</div>' in html
    listed = page(staff.get(CHANGELIST))
    assert f'<td class="field-amount_incl_tax_display">{amounts[2]}</td>' in listed


@pytest.mark.parametrize("stored, shown", [("20.00", "20\xa0%"), ("2.10", "2,1\xa0%"), ("0.00", "0\xa0%")])
def test_it_writes_a_vat_rate_without_trailing_zeros(staff, invoice, stored, shown):
    invoice.vat_rate = stored
    invoice.save()
    assert readonly(page(staff.get(change_url(invoice))), "Taux de TVA") == shown


def test_it_shows_no_vat_rate_for_a_deposited_invoice(staff, invoice):
    assert invoice.vat_rate is None
    assert readonly(page(staff.get(change_url(invoice))), "Taux de TVA") == "—"


def test_it_filters_by_status_service_and_structure(staff, invoice, structure):
    other = InvoiceFactory(
        number="F-AUTRE",
        service=ServiceFactory(code="ECOLES", name="Écoles"),
        structure=StructureFactory(raison_sociale="Atelier Drac"),
        status=Status.MANDATED,
    )
    for query, shown, hidden in (
        ({"status__exact": Status.MANDATED}, "F-AUTRE", "F-2026-001"),
        ({"service__id__exact": invoice.service_id}, "F-2026-001", "F-AUTRE"),
        ({"structure__id__exact": other.structure_id}, "F-AUTRE", "F-2026-001"),
    ):
        html = page(staff.get(CHANGELIST, query))
        assert shown in html and hidden not in html
    html = page(staff.get(CHANGELIST))
    # Each row's structure links to its invoices (the filter does not list every structure).
    assert f'<a href="?structure__id__exact={other.structure_id}">Atelier Drac' in html
    assert "Menuiserie Martin" in html


def test_it_exports_invoices_as_csv(staff, invoice):
    InvoiceFactory(number="=HYPERLINK(1)", structure=invoice.structure, bank_account=invoice.bank_account)
    response = staff.post(
        CHANGELIST, {"action": "export_csv", "_selected_action": list(Invoice.objects.values_list("pk", flat=True))}
    )
    assert response["Content-Disposition"] == 'attachment; filename="factures.csv"'
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Structure;Identifiant;Numéro de facture;Date d'émission;Montant HT;TVA;Montant TTC")
    assert ";F-2026-001;" in lines[1] and ";1000,00;200,00;1200,00;VOIRIE;Voirie;" in lines[1]
    assert ";'=HYPERLINK(1);" in lines[2]  # neutralised for spreadsheets


def test_it_never_adds_edits_nor_deletes_an_invoice(staff, invoice):
    assert staff.get(reverse("admin:invoices_invoice_add")).status_code == 403
    assert staff.get(reverse("admin:invoices_invoice_delete", args=[invoice.pk])).status_code == 403
    staff.post(change_url(invoice), {"number": "F-CHANGE"})
    assert Invoice.objects.get().number == "F-2026-001"


def test_it_lets_finance_staff_keep_the_services(staff):
    response = staff.post(
        reverse("admin:invoices_service_add"),
        {"code": "SPORTS", "name": "Sports", "engagement_required": "on", "is_active": "on"},
    )
    assert response.status_code == 302
    assert ServiceFactory._meta.model.objects.get(code="SPORTS").engagement_required


def test_it_lists_the_transmission_in_a_few_words(staff, invoice):
    """The list fits 1280 px: its transmission column says it short, its filter in full."""
    InvoiceFactory(
        number="F-REFUSEE",
        structure=invoice.structure,
        bank_account=invoice.bank_account,
        transmission=Invoice.Transmission.REFUSED,
    )
    html = page(staff.get(CHANGELIST))
    assert '<td class="field-transmission_display">Refusée : à reprendre</td>' in html
    assert '<td class="field-transmission_display">À transmettre</td>' in html
    assert (
        "Refusée par Chorus Pro : à reprendre par les services de la Ville" in html.split('id="changelist-filter"')[1]
    )
    assert 'class="field-source"' not in html  # the origin: a filter, and the invoice's page
