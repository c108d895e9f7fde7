"""Invoices go to Chorus Pro (the stub portal here), and their statuses come back."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from chorus.models import StubPortalInvoice
from invoices import transmission
from invoices.models import Invoice, InvoiceStatusChange, Service
from tests.invoices.factories import InvoiceFactory, ServiceFactory
from tests.structures.factories import MainManagerFactory

pytestmark = pytest.mark.usefixtures("stub_portal")

Transmission = Invoice.Transmission


@pytest.fixture
def invoice(supplier, structure, account):
    # « Menuiserie Martin » has the SIRET of a structure the stub portal knows (46430577000248).
    return InvoiceFactory(
        structure=structure,
        number="F-2026-0042",
        service=ServiceFactory(code="CULTURE"),
        bank_account=account,
        deposited_by=supplier,
    )


def later(minutes):
    """A moment of the jobs' own clock, past the minute between two questions to the portal."""
    return timezone.now() + timedelta(minutes=minutes)


def follow(clock, minutes, capture):
    """Let the portal's time pass, then run the job that brings the statuses back."""
    clock.advance(minutes=minutes)
    with capture(execute=True):
        transmission.follow_transmitted(now=later(minutes))


def test_it_transmits_an_invoice_then_follows_it_to_its_payment(
    invoice, clock, django_capture_on_commit_callbacks, supplier
):
    assert invoice.shown_status == "Déposée" and invoice.transmission == Transmission.PENDING
    assert transmission.transmit_due().transmitted == 1
    invoice.refresh_from_db()
    assert invoice.transmission == Transmission.TRANSMITTED
    assert invoice.portal_invoice_id == StubPortalInvoice.objects.get().invoice_id_cpp
    assert invoice.shown_status == "Transmise à Chorus Pro"

    seen = []
    for _minute in range(6):
        follow(clock, 1, django_capture_on_commit_callbacks)
        invoice.refresh_from_db()
        seen.append(invoice.shown_status)
    assert seen == [
        "En cours d'acheminement",
        "Mise à disposition",
        "Service fait",
        "Mandatée",
        "Mise en paiement",
        "Mise en paiement",
    ]
    assert invoice.status == Invoice.Status.PAYMENT and invoice.portal_final
    portal_lines = invoice.status_changes.filter(source=InvoiceStatusChange.Source.PORTAL)
    assert [line.portal_status for line in portal_lines] == [
        "DEPOSEE",
        "EN_COURS_ACHEMINEMENT",
        "MISE_A_DISPOSITION",
        "SERVICE_FAIT",
        "MANDATEE",
        "MISE_EN_PAIEMENT",
    ]
    assert all(line.comment for line in portal_lines)  # the portal's own words, with its dates
    # The supplier is told of the payment, once; not of every step.
    (message,) = mail.outbox
    assert message.to == [supplier.email]
    assert "passe du statut « Mandatée » au statut « Mise en paiement »" in message.body

    # Final: not asked again.
    clock.advance(minutes=5)
    assert transmission.follow_transmitted(now=later(30)) == 0
    assert invoice.status_changes.filter(source=InvoiceStatusChange.Source.PORTAL).count() == 6


def test_it_shows_the_supplier_the_portals_statuses(logged_in, invoice, clock, django_capture_on_commit_callbacks):
    html = logged_in.get(reverse("invoices:detail", args=[invoice.pk])).content.decode()
    assert "elle va être transmise à Chorus Pro" in html
    transmission.transmit_due()
    follow(clock, 2, django_capture_on_commit_callbacks)
    html = logged_in.get(reverse("invoices:detail", args=[invoice.pk])).content.decode()
    assert '<span class="badge badge--todo">Mise à disposition</span>' in html
    assert '<td data-label="Statut">Transmise à Chorus Pro</td>' in html
    assert '<td data-label="Par">Chorus Pro</td>' in html
    assert "elle va être transmise à Chorus Pro" not in html
    listed = logged_in.get(reverse("invoices:list")).content.decode()
    assert '<span class="badge badge--todo">Mise à disposition</span>' in listed


def test_it_records_a_rejection_with_the_portals_reason_and_tells_the_supplier_once(
    account, structure, clock, django_capture_on_commit_callbacks
):
    invoice = InvoiceFactory(
        structure=structure, bank_account=account, number="F-REJET-01", service=ServiceFactory(code="CULTURE")
    )
    transmission.transmit_due()
    for _minute in range(5):
        follow(clock, 1, django_capture_on_commit_callbacks)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.REJECTED and invoice.portal_final
    assert invoice.rejection_reason.startswith("Rejet : le numéro d'engagement ne correspond")
    assert invoice.shown_status == "Rejetée"
    (message,) = mail.outbox
    assert "Motif du rejet :" in message.body and invoice.rejection_reason in message.body


def test_it_keeps_following_a_suspended_invoice(account, structure, clock, django_capture_on_commit_callbacks):
    invoice = InvoiceFactory(
        structure=structure, bank_account=account, number="F-SUSP-01", service=ServiceFactory(code="CULTURE")
    )
    transmission.transmit_due()
    for _minute in range(5):
        follow(clock, 1, django_capture_on_commit_callbacks)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.SUSPENDED and not invoice.portal_final
    assert len(mail.outbox) == 1  # the suspension, once


def test_it_records_each_change_once_whoever_reads_it(invoice, clock):
    transmission.transmit_due()
    clock.advance(minutes=3)
    from chorus import portal

    status = portal.invoice_status(Invoice.objects.get().portal_invoice_id)
    assert transmission.record_portal_status(invoice.pk, status) == 4
    assert transmission.record_portal_status(invoice.pk, status) == 0  # another runner, the same answer
    assert invoice.status_changes.filter(source=InvoiceStatusChange.Source.PORTAL).count() == 4


def test_it_keeps_an_invoice_to_transmit_through_an_outage_and_says_why_to_staff(account, structure):
    invoice = InvoiceFactory(
        structure=structure, bank_account=account, number="F-PANNE-01", service=ServiceFactory(code="CULTURE")
    )
    outcome = transmission.transmit_due()
    assert (outcome.transmitted, outcome.retried_later) == (0, 1)
    invoice.refresh_from_db()
    assert invoice.transmission == Transmission.PENDING
    assert invoice.transmission_error == "Chorus Pro ne répond pas pour le moment. Nouvel essai plus tard."
    assert invoice.transmission_attempts == 1
    first_wait = invoice.transmission_next_at - timezone.now()
    assert timedelta(seconds=50) < first_wait <= timedelta(minutes=1)
    # Not before its time; then again, waiting twice as long.
    assert transmission.transmit_due().retried_later == 0
    assert transmission.transmit_due(now=invoice.transmission_next_at).retried_later == 1
    invoice.refresh_from_db()
    assert invoice.transmission_attempts == 2
    assert timedelta(minutes=1, seconds=50) < invoice.transmission_next_at - timezone.now() <= timedelta(minutes=2)


def test_it_never_submits_twice_when_the_portals_answer_was_lost(account, structure):
    invoice = InvoiceFactory(
        structure=structure, bank_account=account, number="F-PERDU-01", service=ServiceFactory(code="CULTURE")
    )
    assert transmission.transmit_due().retried_later == 1  # the portal took it, its answer was lost
    invoice.refresh_from_db()
    assert invoice.transmission == Transmission.PENDING and invoice.transmission_sent_at is not None
    assert StubPortalInvoice.objects.count() == 1
    assert transmission.transmit_due(now=invoice.transmission_next_at).transmitted == 1
    invoice.refresh_from_db()
    assert invoice.transmission == Transmission.TRANSMITTED
    assert StubPortalInvoice.objects.count() == 1  # found by its number, not submitted again
    assert invoice.portal_invoice_id == StubPortalInvoice.objects.get().invoice_id_cpp


def test_it_waits_for_staff_when_the_portal_refuses(finance, structure):
    outsider = MainManagerFactory(structure__identifier="41234567000019").structure  # not on the portal
    invoice = InvoiceFactory(structure=outsider, number="F-2026-0099", service=ServiceFactory(code="CULTURE"))
    assert transmission.transmit_due().refused == 1
    invoice.refresh_from_db()
    assert invoice.transmission == Transmission.REFUSED
    assert "n'a pas de compte sur Chorus Pro" in invoice.transmission_error
    assert transmission.transmit_due(now=later(120)).refused == 0  # not tried again by itself
    assert transmission.transmit_again(invoice, by=finance)
    assert Invoice.objects.get(pk=invoice.pk).transmission == Transmission.PENDING


def test_it_tells_the_supplier_why_the_portal_refused_and_that_staff_take_it_over(client):
    outsider = MainManagerFactory(structure__identifier="41234567000019")  # not on the portal
    invoice = InvoiceFactory(structure=outsider.structure, number="F-2026-0099", service=ServiceFactory(code="CULTURE"))
    client.force_login(outsider.user)
    url = reverse("invoices:detail", args=[invoice.pk])
    assert "elle va être transmise à Chorus Pro" in client.get(url).content.decode()

    transmission.transmit_due()
    html = client.get(url).content.decode()

    assert "elle va être transmise à Chorus Pro" not in html  # no longer true
    assert "<h2>Pas encore transmise à Chorus Pro</h2>" in html
    invoice.refresh_from_db()
    assert f"Chorus Pro n'a pas accepté cette facture : {escape(invoice.transmission_error)}</p>" in html
    assert "(41234567000019) n&#x27;a pas de compte sur Chorus Pro" in html
    assert "Ne la déposez pas une seconde fois." in html


def test_it_passes_on_the_portals_refusal_of_a_missing_engagement_number(account, structure):
    invoice = InvoiceFactory(
        structure=structure, bank_account=account, service=ServiceFactory(code="VOIRIE"), engagement_number=""
    )
    assert transmission.transmit_due().refused == 1
    invoice.refresh_from_db()
    assert invoice.transmission_error.startswith("Chorus Pro a refusé la demande (code STUB-")


def test_it_lets_one_runner_only_hold_an_invoice(invoice):
    assert transmission.claim(invoice.pk)
    assert not transmission.claim(invoice.pk)
    assert transmission.transmit(invoice.pk) is None  # held by the first runner
    # A runner that died lets go when its hold expires.
    assert transmission.claim(invoice.pk, now=timezone.now() + transmission.CLAIM + timedelta(seconds=1))


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two connections at once: PostgreSQL only")
def test_it_submits_once_when_two_runners_race(account, structure):
    invoice = InvoiceFactory(
        structure=structure, bank_account=account, number="F-2026-0100", service=ServiceFactory(code="CULTURE")
    )
    start = threading.Barrier(2)
    outcomes = []

    def runner():
        try:
            start.wait()
            outcomes.append(transmission.transmit(invoice.pk))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes, key=str) == [None, "transmitted"]
    assert StubPortalInvoice.objects.filter(number="F-2026-0100").count() == 1


def test_it_refreshes_the_citys_services_from_the_portal(invoice):
    old = Service.objects.create(code="ANCIEN", name="Ancien service")
    invoice.service = old
    invoice.save(update_fields=["service"])
    counts = transmission.refresh_city_services()
    assert (counts.added, counts.closed) >= (5, 1)
    services = {service.code: service for service in Service.objects.all()}
    assert services["VOIRIE"].engagement_required and services["VOIRIE"].is_active
    assert not services["FETES"].is_active  # closed on the portal
    assert not services["ANCIEN"].is_active  # no longer listed: no longer offered…
    assert Invoice.objects.get(pk=invoice.pk).service == old  # …but past invoices keep it
    assert transmission.refresh_city_services().added == 0


def test_it_runs_the_jobs_from_commands(invoice, clock):
    call_command("refresh_city_services")
    call_command("transmit_invoices")
    clock.advance(minutes=1)
    call_command("follow_invoices")
    invoice.refresh_from_db()
    assert invoice.portal_status == "EN_COURS_ACHEMINEMENT"


def test_it_lets_staff_transmit_again_and_refresh_the_services_from_the_admin(client, finance, structure):
    outsider = MainManagerFactory(structure__identifier="41234567000019").structure
    invoice = InvoiceFactory(structure=outsider, service=ServiceFactory(code="CULTURE"))
    transmission.transmit_due()
    client.force_login(finance)
    change = reverse("admin:invoices_invoice_change", args=[invoice.pk])
    html = client.get(change).content.decode()
    assert "Transmettre de nouveau à Chorus Pro" in html
    assert "n&#x27;a pas de compte sur Chorus Pro" in html
    response = client.post(reverse("admin:invoices_invoice_transmit_again", args=[invoice.pk]))
    assert response["Location"] == change
    assert Invoice.objects.get(pk=invoice.pk).transmission == Transmission.PENDING
    assert client.get(reverse("admin:invoices_invoice_transmit_again", args=[invoice.pk])).status_code == 403

    response = client.post(reverse("admin:invoices_service_refresh"), follow=True)
    assert "Services actualisés depuis Chorus Pro" in response.content.decode()
    assert Service.objects.filter(code="SPORTS", is_active=True).exists()
