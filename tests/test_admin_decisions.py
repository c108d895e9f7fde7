"""The finance staff's decisions in the admin: every one, by a button or a bulk action, goes
through the services and is an admin log entry with a clear French message, which the home's
« Actions récentes » shows; the pages they are taken on are read only (no « Enregistrer »),
the decision buttons first."""

import html as html_lib
import re

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.urls import reverse
from django.utils import timezone

from banking.models import BankAccount
from invoices.models import Invoice, Service
from mandates.models import BillingMandate
from structures.models import AttachmentRequest
from tests.banking.factories import BankAccountFactory
from tests.invoices.factories import InvoiceFactory, ServiceFactory
from tests.mandates.factories import BillingMandateFactory
from tests.onboarding.factories import SupplierFactory
from tests.structures.factories import MainManagerFactory, StructureFactory

pytestmark = [pytest.mark.django_db, pytest.mark.ignore_template_errors]  # Django's admin templates

ADMIN = reverse("admin:index")


@pytest.fixture
def staff(client, finance):
    client.force_login(finance)
    return client


def page(response):
    return html_lib.unescape(response.content.decode())


def logged(finance):
    """(object's model, object's repr, message) of each log entry of `finance`, oldest first."""
    return [
        (entry.content_type.model, entry.object_repr, entry.get_change_message())
        for entry in LogEntry.objects.filter(user=finance, action_flag=CHANGE).order_by("pk")
    ]


def recent_actions(client):
    """The home's « Actions récentes », as text: each entry's object, message and type."""
    html = client.get(ADMIN).content.decode()
    module = html.split('id="recent-actions-module"')[1].split("</ul>")[0]
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", module)).split())


# --- Bank details ---------------------------------------------------------------------------------


def test_it_logs_bank_details_validated_and_rejected_on_their_page(staff, finance):
    first, second = BankAccountFactory(), BankAccountFactory()
    staff.post(reverse("admin:banking_bankaccount_validate", args=[first.pk]))
    staff.post(reverse("admin:banking_bankaccount_reject", args=[second.pk]), {"reason": "RIB illisible."})
    assert BankAccount.objects.get(pk=first.pk).is_validated and BankAccount.objects.get(pk=second.pk).is_rejected
    assert logged(finance) == [
        ("bankaccount", str(first), "Coordonnées bancaires validées."),
        ("bankaccount", str(second), "Coordonnées bancaires rejetées."),
    ]
    shown = recent_actions(staff)
    assert f"{second} Coordonnées bancaires rejetées. Coordonnées bancaires" in shown
    assert f"{first} Coordonnées bancaires validées. Coordonnées bancaires" in shown


def test_it_logs_bank_details_validated_and_rejected_in_bulk(staff, finance):
    first, second, third = BankAccountFactory(), BankAccountFactory(), BankAccountFactory()
    changelist = reverse("admin:banking_bankaccount_changelist")
    staff.post(changelist, {"action": "validate_selected", "_selected_action": [first.pk], "index": "0"})
    staff.post(
        changelist,
        {"action": "reject_selected", "_selected_action": [second.pk, third.pk], "apply": "1", "reason": "Doublon."},
    )
    assert logged(finance) == [
        ("bankaccount", str(first), "Coordonnées bancaires validées."),
        ("bankaccount", str(second), "Coordonnées bancaires rejetées."),
        ("bankaccount", str(third), "Coordonnées bancaires rejetées."),
    ]


def test_it_logs_nothing_for_a_decision_the_service_refused(staff, finance):
    account = BankAccountFactory(validated=True)
    staff.post(reverse("admin:banking_bankaccount_validate", args=[account.pk]))
    assert logged(finance) == []


# --- Attachment requests --------------------------------------------------------------------------


def test_it_logs_attachment_requests_accepted_and_refused(staff, finance):
    structure = MainManagerFactory(structure__raison_sociale="Atelier du Drac").structure
    claire = SupplierFactory(first_name="Claire", last_name="Martin")
    paul = SupplierFactory(first_name="Paul", last_name="Durand")
    lea = SupplierFactory(first_name="Léa", last_name="Roux")
    accepted = AttachmentRequest.objects.create(user=claire, structure=structure)
    refused = AttachmentRequest.objects.create(user=paul, structure=structure)
    in_bulk = AttachmentRequest.objects.create(user=lea, structure=structure)
    staff.post(reverse("admin:structures_attachmentrequest_accept", args=[accepted.pk]))
    staff.post(reverse("admin:structures_attachmentrequest_refuse", args=[refused.pk]), {"reason": "Inconnu."})
    staff.post(
        reverse("admin:structures_attachmentrequest_changelist"),
        {"action": "accept_selected", "_selected_action": [in_bulk.pk], "index": "0"},
    )
    assert logged(finance) == [
        ("attachmentrequest", "Claire Martin → Atelier du Drac (Acceptée)", "Demande de rattachement acceptée."),
        ("attachmentrequest", "Paul Durand → Atelier du Drac (Refusée)", "Demande de rattachement refusée."),
        ("attachmentrequest", "Léa Roux → Atelier du Drac (Acceptée)", "Demande de rattachement acceptée."),
    ]
    assert (
        "Claire Martin → Atelier du Drac (Acceptée) Demande de rattachement acceptée. Demande de rattachement"
        in recent_actions(staff)
    )


# --- Invoices and the city's services -------------------------------------------------------------


def test_it_logs_an_invoices_status_changes_and_its_new_transmission(staff, finance):
    invoice = InvoiceFactory(number="F-2026-0042")
    refused = InvoiceFactory(number="F-2026-0043", transmission=Invoice.Transmission.REFUSED)
    staff.post(
        reverse("admin:invoices_invoice_change_status", args=[invoice.pk, "mise_a_disposition"]), {"comment": ""}
    )
    staff.post(
        reverse("admin:invoices_invoice_change_status", args=[invoice.pk, "suspendue"]), {"comment": "Le devis."}
    )
    staff.post(reverse("admin:invoices_invoice_transmit_again", args=[refused.pk]))
    assert logged(finance) == [
        ("invoice", "Facture n° F-2026-0042", "Statut : Mise à disposition."),
        ("invoice", "Facture n° F-2026-0042", "Statut : Suspendue."),
        ("invoice", "Facture n° F-2026-0043", "À transmettre de nouveau à Chorus Pro."),
    ]
    shown = recent_actions(staff)
    assert "Facture n° F-2026-0043 À transmettre de nouveau à Chorus Pro. Facture" in shown
    assert "Facture n° F-2026-0042 Statut : Suspendue. Facture" in shown


def test_it_logs_the_services_refreshed_from_chorus_pro(staff, finance, stub_portal):
    ServiceFactory(code="CULTURE")
    staff.post(reverse("admin:invoices_service_refresh"))
    [(model, shown, message)] = logged(finance)
    assert (model, shown) == ("service", "Services de la Ville")
    counts = re.fullmatch(
        r"Services actualisés depuis Chorus Pro : (\d+) ajouté\(s\), (\d+) modifié\(s\), (\d+) fermé\(s\)\.", message
    )
    assert counts and int(counts[1]) == Service.objects.count() - 1
    entry = LogEntry.objects.get(user=finance)
    assert entry.object_id is None and entry.get_admin_url() is None
    assert f"Services de la Ville {message} Service de la Ville" in recent_actions(staff)


def test_it_logs_mandates_cancelled(client, admin_user, admin_client):
    mandate = BillingMandateFactory(structure__raison_sociale="Atelier du Drac")
    admin_client.post(
        reverse("admin:mandates_billingmandate_changelist"),
        {"action": "cancel_selected", "_selected_action": [mandate.pk], "index": "0"},
    )
    assert BillingMandate.objects.get(pk=mandate.pk).status == "annule"
    assert [message for _model, _shown, message in logged(admin_user)] == ["Mandat annulé."]


# --- Read-only pages: no « Enregistrer », the decisions first -------------------------------------


def decisions_before_the_form(html, form_id):
    decisions = html.index('class="decisions"')
    return decisions < html.index(f'id="{form_id}"')


def test_it_shows_bank_details_read_only_with_the_decisions_first(staff):
    account = BankAccountFactory(rib_holder_check="different", rib_holder="SARL AUTRE")
    html = page(staff.get(reverse("admin:banking_bankaccount_change", args=[account.pk])))
    assert 'name="_save"' not in html and 'name="_continue"' not in html
    assert decisions_before_the_form(html, "bankaccount_form")
    decisions = html.split('class="decisions"')[1].split("</div>")[0]
    assert '<button type="submit" class="decision">Valider</button>' in decisions
    assert 'class="decision decision--refuse"' in decisions and ">Rejeter (motif)</a>" in decisions
    # What to check before deciding comes before the buttons.
    assert html.index("Titulaire du RIB différent : le RIB est au nom de « SARL AUTRE »") < html.index(
        'class="decisions"'
    )


def test_it_shows_an_attachment_request_read_only_with_the_decisions_first(staff):
    request = AttachmentRequest.objects.create(user=SupplierFactory(), structure=StructureFactory())
    url = reverse("admin:structures_attachmentrequest_change", args=[request.pk])
    html = page(staff.get(url))
    assert 'name="_save"' not in html and 'name="_continue"' not in html
    assert decisions_before_the_form(html, "attachmentrequest_form")
    assert '<button type="submit" class="decision">Accepter</button>' in html
    assert ">Refuser (motif)</a>" in html
    assert "Aucun : à décider par la Ville" in html  # the structure has no main manager
    # Read only for real: a posted form changes nothing.
    assert staff.post(url, {"status": "acceptee"}).status_code == 403
    assert AttachmentRequest.objects.get(pk=request.pk).is_pending


def test_it_shows_an_invoice_read_only_with_its_buttons_first(staff):
    invoice = InvoiceFactory(transmission=Invoice.Transmission.REFUSED)
    html = page(staff.get(reverse("admin:invoices_invoice_change", args=[invoice.pk])))
    assert 'name="_save"' not in html and 'name="_continue"' not in html
    assert decisions_before_the_form(html, "invoice_form")
    decisions = html.split('class="decisions"')[1].split("</div>")[0]
    assert '<button type="submit" class="decision">Transmettre de nouveau à Chorus Pro</button>' in decisions
    for label in ("Mettre à disposition", "Suspendre (pièces demandées)"):
        assert f">{label}</a>" in decisions
    assert re.search(r'class="decision decision--refuse" href="[^"]+/statut/rejetee/">Rejeter \(motif\)</a>', decisions)


def test_it_shows_a_mandate_not_signed_yet_read_only(staff, admin_client):
    mandate = BillingMandateFactory(generated_at=timezone.now())
    url = reverse("admin:mandates_billingmandate_change", args=[mandate.pk])
    for client in (staff, admin_client):  # finance staff, and a superuser who may cancel it
        html = page(client.get(url))
        assert 'name="_save"' not in html and 'name="_continue"' not in html
        assert "Délai de signature" in html
    assert admin_client.post(url, {"status": "annule"}).status_code == 403
    assert BillingMandate.objects.get(pk=mandate.pk).is_generated
    # The cancel action (the service) is still offered to whom may change mandates.
    assert "cancel_selected" in admin_client.get(reverse("admin:mandates_billingmandate_changelist")).content.decode()
