import hashlib
import html as html_lib

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from core.storage import wizard_file_storage
from invoices import pending
from invoices.models import Invoice
from tests.banking.factories import BankAccountFactory
from tests.invoices import pdfs
from tests.invoices.conftest import SIRET
from tests.invoices.helpers import DEPOSIT_URL, deposit, invoice_data, upload
from tests.mandates.factories import BillingMandateFactory
from tests.structures.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def text(response):
    return html_lib.unescape(response.content.decode())


def test_it_deposits_a_plain_pdf_in_two_steps(
    logged_in, supplier, structure, service, account, mailoutbox, django_capture_on_commit_callbacks
):
    data = pdfs.plain_pdf()
    response = upload(logged_in, data, name="Facture F-2026-001.pdf")
    assert response.status_code == 302
    step = logged_in.get(response["Location"])
    assert step.status_code == 200
    assert "Le fichier « Facture F-2026-001.pdf » de Menuiserie Martin est vérifié." in text(step)
    assert not Invoice.objects.exists()  # nothing before the second step

    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in.post(response["Location"], invoice_data(service, account))
    invoice = Invoice.objects.get()
    assert response["Location"] == reverse("invoices:acknowledgement", args=[invoice.pk])
    assert (invoice.status, invoice.source, invoice.structure, invoice.bank_account) == (
        "deposee",
        "deposee",
        structure,
        account,
    )
    assert (invoice.number, str(invoice.amount_incl_tax), invoice.original_name) == (
        "F-2026-001",
        "1200.00",
        "Facture F-2026-001.pdf",
    )
    with invoice.file.open("rb") as handle:
        assert handle.read() == data  # byte for byte
    assert invoice.sha256 == hashlib.sha256(data).hexdigest()
    assert invoice.facturx_xml == ""
    change = invoice.status_changes.get()
    assert (change.from_status, change.to_status, change.changed_by) == ("", "deposee", supplier)
    assert not wizard_file_storage.listdir("factures")[1]  # the waiting file is gone

    [message] = mailoutbox
    assert message.to == ["claire@menuiserie-martin.fr"]
    assert message.subject == "Facture n° F-2026-001 de Menuiserie Martin : accusé de réception"
    deposited = timezone.localtime(invoice.deposited_at)
    assert (
        f"La facture n° F-2026-001 de Menuiserie Martin a été déposée auprès de la Ville de Grenoble le "
        f"{deposited:%d/%m/%Y} à {deposited:%H:%M} (heure de Paris)."
    ) in message.body
    assert "Le délai de paiement de la Ville (30 jours) court à partir de ce dépôt." in message.body
    assert f"https://fournisseurs.grenoble.test/factures/{invoice.pk}/" in message.body

    page = text(logged_in.get(response["Location"]))
    assert "<h1>Accusé de réception</h1>" in page
    assert f"a été déposée le {deposited:%d/%m/%Y} à {deposited:%H:%M}." in page


def test_it_prefills_the_form_from_a_facturx_and_keeps_its_xml(logged_in, structure, service, account):
    response = upload(logged_in, pdfs.facturx_pdf(SIRET))
    step = text(logged_in.get(response["Location"]))
    assert "Factur-X conforme au schéma (profil EN 16931)" in step
    assert 'name="number" value="F-2026-001"' in step
    assert f'name="issue_date" value="{date_format(pdfs.ISSUE_DATE, "SHORT_DATE_FORMAT")}"' in step
    for name, value in (("amount_excl_tax", "1000,00"), ("vat_amount", "200,00"), ("amount_incl_tax", "1200,00")):
        assert f'name="{name}" value="{value}"' in step
    assert 'name="engagement_number" value="ENG-2026-042"' in step
    assert f'<option value="{service.pk}" selected>' in step  # BT-10 is the service's code

    response = logged_in.post(response["Location"], invoice_data(service, account, engagement_number="ENG-2026-042"))
    assert response.status_code == 302
    invoice = Invoice.objects.get()
    assert invoice.facturx_profile == "en16931"
    assert "<ram:ID>F-2026-001</ram:ID>" in invoice.facturx_xml
    assert invoice.engagement_number == "ENG-2026-042"


def test_it_shows_what_differs_from_the_xml_before_accepting(logged_in, service, account):
    response = upload(logged_in, pdfs.facturx_pdf(SIRET))
    typed = invoice_data(service, account, number="F-2026-002", amount_excl_tax="900,00", amount_incl_tax="1100,00")
    answer = logged_in.post(response["Location"], typed)
    assert answer.status_code == 200
    page = text(answer)
    assert (
        "Ce que vous avez saisi diffère du XML Factur-X du fichier : corrigez la saisie, ou déposez le fichier corrigé."
    ) in page
    for label, in_file, typed_value in (
        ("Numéro de facture", "F-2026-001", "F-2026-002"),
        ("Montant HT", "1000,00 €", "900,00 €"),
        ("Montant TTC", "1200,00 €", "1100,00 €"),
    ):
        assert (
            f'<td data-label="Donnée">{label}</td>\n      <td data-label="Dans le XML Factur-X du '
            f'fichier">{in_file}</td>'
            f'\n      <td data-label="Saisi">{typed_value}</td>'
        ) in page
    assert "Montant de la TVA</td>" not in page  # the same in both
    assert not Invoice.objects.exists()
    # Corrected, it goes through.
    assert logged_in.post(response["Location"], invoice_data(service, account)).status_code == 302


def test_it_keeps_the_page_of_the_second_step_within_its_query_budget(logged_in, service, django_assert_num_queries):
    response = upload(logged_in, pdfs.facturx_pdf(SIRET))
    # Session, user, memberships, mandates, the services (to find the one whose code the XML
    # gives, then to list them), the bank details twice: with no empty choice, Django reads the
    # first one for the `required` attribute.
    with django_assert_num_queries(8):
        assert logged_in.get(response["Location"]).status_code == 200


def test_it_asks_again_for_a_file_no_longer_waiting(logged_in):
    response = logged_in.get(reverse("invoices:deposit_file", args=["inconnu"]), follow=True)
    assert response.redirect_chain[-1][0] == DEPOSIT_URL
    assert "Le fichier n&#x27;est plus disponible : déposez-le à nouveau." in response.content.decode()


def test_it_keeps_a_few_waiting_files_per_session_only(logged_in):
    tokens = [upload(logged_in, pdfs.plain_pdf(f"F-{n}"))["Location"] for n in range(pending.MAX_PENDING + 1)]
    assert logged_in.get(tokens[0]).status_code == 302  # the oldest one was dropped, with its file
    assert len(wizard_file_storage.listdir("factures")[1]) == pending.MAX_PENDING
    assert logged_in.get(tokens[-1]).status_code == 200


def test_it_lets_a_member_choose_among_several_structures(client, supplier, structure, service):
    other = BillingMandateFactory(signed=True, structure__raison_sociale="Atelier Drac").structure
    MembershipFactory(user=supplier, structure=other)
    client.force_login(supplier)
    page = text(client.get(DEPOSIT_URL))
    assert "Plusieurs de vos structures ont un mandat de facturation signé" in page
    assert f'<option value="{other.pk}">Atelier Drac</option>' in page
    chosen = client.get(DEPOSIT_URL, {"structure": other.pk})
    assert "Pour la structure Atelier Drac" in text(chosen)
    assert client.get(DEPOSIT_URL, {"structure": "x"}).status_code == 404


def test_it_hides_the_structures_of_others(logged_in, structure):
    someone_else = BillingMandateFactory(signed=True).structure
    assert logged_in.get(DEPOSIT_URL, {"structure": someone_else.pk}).status_code == 404
    assert logged_in.get(reverse("invoices:enter"), {"structure": someone_else.pk}).status_code == 404


def test_it_says_the_rib_sent_awaits_validation_rather_than_asking_for_one(client, service):
    mandate = BillingMandateFactory(signed=True, structure__raison_sociale="Atelier Drac")
    account = BankAccountFactory(structure=mandate.structure)  # still waiting for validation
    client.force_login(mandate.signatory)
    page = text(client.get(DEPOSIT_URL))
    date = date_format(timezone.localtime(account.created_at), "DATE_FORMAT")
    assert (
        f"Le RIB de Atelier Drac envoyé le {date} (IBAN {account.iban_masked}) attend la validation des services "
        "financiers de la Ville." in page
    )
    assert "le dépôt de factures est ouvert" not in page
    assert "n'a pas de coordonnées bancaires validées" not in page
    assert "+ Ajouter des coordonnées bancaires" not in page  # one is pending
    assert 'name="file"' not in page
    response = upload(client, pdfs.plain_pdf())
    assert response.status_code == 200 and not wizard_file_storage.exists("factures")


def test_it_offers_to_add_bank_details_to_the_main_manager_when_none_were_sent(client):
    mandate = BillingMandateFactory(signed=True, structure__raison_sociale="Atelier Drac")
    client.force_login(mandate.signatory)
    page = text(client.get(DEPOSIT_URL))
    assert "La structure Atelier Drac n'a pas de coordonnées bancaires validées par la Ville" in page
    assert "+ Ajouter des coordonnées bancaires" in page


def test_it_says_why_bank_details_were_rejected_and_offers_new_ones(client):
    mandate = BillingMandateFactory(signed=True, structure__raison_sociale="Atelier Drac")
    BankAccountFactory(structure=mandate.structure, rejected=True)
    client.force_login(mandate.signatory)
    page = text(client.get(DEPOSIT_URL))
    assert "ont été rejetées par les services financiers de la Ville : RIB illisible." in page
    assert "+ Ajouter des coordonnées bancaires" in page


def test_a_member_is_told_the_main_manager_adds_the_bank_details(client):
    from tests.structures.factories import MembershipFactory

    mandate = BillingMandateFactory(signed=True)
    member = MembershipFactory(structure=mandate.structure).user
    client.force_login(member)
    page = text(client.get(DEPOSIT_URL))
    assert "Le gestionnaire principal de la structure les ajoute : demandez-le-lui." in page
    assert "+ Ajouter des coordonnées bancaires" not in page


def test_it_refuses_the_same_invoice_number_twice(logged_in, structure, service, account):
    deposit(logged_in, pdfs.plain_pdf(), service, account)
    first = Invoice.objects.get()
    response = deposit(logged_in, pdfs.plain_pdf("autre"), service, account)
    deposited = date_format(timezone.localtime(first.deposited_at), "DATETIME_FORMAT")
    assert (
        f"La facture n° F-2026-001 a déjà été déposée pour cette structure le {deposited} : "
        "une facture corrigée doit porter un nouveau numéro."
    ) in text(response)
    assert Invoice.objects.count() == 1


def test_it_refuses_the_same_file_twice_naming_the_first_invoice(logged_in, service, account):
    data = pdfs.plain_pdf()
    deposit(logged_in, data, service, account)
    first = Invoice.objects.get()
    response = upload(logged_in, data)
    assert response.status_code == 200
    deposited = date_format(timezone.localtime(first.deposited_at), "DATETIME_FORMAT")
    issued = date_format(pdfs.ISSUE_DATE, "SHORT_DATE_FORMAT")
    assert (
        f"Ce fichier a déjà été déposé le {deposited} : c'est la facture n° F-2026-001 du "
        f"{issued}. Une facture corrigée doit être un nouveau fichier, avec un nouveau numéro."
    ) in text(response)


def test_it_refuses_the_same_file_deposited_meanwhile_from_another_tab(logged_in, service, account):
    data = pdfs.plain_pdf()
    first_tab = upload(logged_in, data)["Location"]
    second_tab = upload(logged_in, data)["Location"]
    assert logged_in.post(first_tab, invoice_data(service, account)).status_code == 302
    response = logged_in.post(second_tab, invoice_data(service, account, number="F-2026-009"), follow=True)
    assert response.redirect_chain[-1][0].startswith(DEPOSIT_URL)
    assert "Ce fichier a déjà été déposé le" in text(response)
    assert Invoice.objects.count() == 1


def test_it_records_nothing_when_the_storage_fails(logged_in, service, account, monkeypatch, private_media):
    response = upload(logged_in, pdfs.plain_pdf())

    def broken_save(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("django.core.files.storage.FileSystemStorage._save", broken_save)
    answer = logged_in.post(response["Location"], invoice_data(service, account))
    assert answer.status_code == 200
    assert "La facture n'a pas pu être enregistrée, à cause d'un incident de notre côté." in text(answer)
    assert not Invoice.objects.exists()
    assert not (private_media / "factures").exists()
    monkeypatch.undo()
    # The file still waits: the supplier tries again.
    assert logged_in.post(response["Location"], invoice_data(service, account)).status_code == 302


def test_it_removes_the_file_when_the_row_cannot_be_written(
    logged_in, structure, service, account, monkeypatch, private_media
):
    response = upload(logged_in, pdfs.plain_pdf())

    def broken_create(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr("invoices.models.InvoiceStatusChange.objects.create", broken_create)
    with pytest.raises(RuntimeError):
        logged_in.post(response["Location"], invoice_data(service, account))
    assert not Invoice.objects.exists()
    assert not list((private_media / "factures").iterdir())


def test_it_limits_the_rate_of_uploads(logged_in, settings):
    settings.RATELIMITS = {**settings.RATELIMITS, "upload": "2/h"}
    for _attempt in range(2):
        assert upload(logged_in, pdfs.plain_pdf()).status_code == 302
    response = upload(logged_in, pdfs.plain_pdf())
    assert response.status_code == 429


def test_it_says_so_when_the_file_cannot_wait_for_the_second_step(logged_in, monkeypatch):
    def broken_save(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(wizard_file_storage, "save", broken_save)
    response = upload(logged_in, pdfs.plain_pdf())
    assert response.status_code == 200
    assert "La facture n'a pas pu être enregistrée, à cause d'un incident de notre côté." in text(response)
    assert not logged_in.session.get(pending.SESSION_KEY)
