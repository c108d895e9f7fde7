"""The stub portal moves an invoice through the portal's statuses as time passes."""

import datetime

import pytest

from chorus import portal
from chorus.portal import PortalStatus
from tests.chorus.conftest import upload_and_submit

pytestmark = pytest.mark.usefixtures("stub_portal")

PAID_LIFE = [
    "DEPOSEE",
    "EN_COURS_ACHEMINEMENT",
    "MISE_A_DISPOSITION",
    "SERVICE_FAIT",
    "MANDATEE",
    "MISE_EN_PAIEMENT",
]


def test_it_takes_an_invoice_from_deposit_to_payment_one_step_a_minute(clock):
    receipt = upload_and_submit()
    seen = []
    for _minute in range(8):
        seen.append(portal.invoice_status(receipt.invoice_id_cpp).code)
        clock.advance(seconds=60)
    assert seen == PAID_LIFE + ["MISE_EN_PAIEMENT", "MISE_EN_PAIEMENT"]


def test_it_dates_and_comments_every_change(clock):
    receipt = upload_and_submit()
    deposited_at = clock()
    clock.advance(minutes=10)

    status = portal.invoice_status(receipt.invoice_id_cpp)

    assert [change.code for change in status.history] == PAID_LIFE
    assert [change.changed_at for change in status.history] == [
        deposited_at + datetime.timedelta(minutes=minutes) for minutes in range(6)
    ]
    assert [change.label for change in status.history] == [
        "Déposée",
        "En cours d'acheminement",
        "Mise à disposition",
        "Service fait",
        "Mandatée",
        "Mise en paiement",
    ]
    assert status.history[2].comment == "Facture mise à disposition du service DSI."
    assert all(change.comment for change in status.history)
    assert status.code == "MISE_EN_PAIEMENT" and status.label == "Mise en paiement"
    assert type(status.code) is str and type(status.history[0].code) is str
    assert status.changed_at == deposited_at + datetime.timedelta(minutes=5)
    assert status.comment == "Mise en paiement par le comptable public."
    assert status.number == "F-2026-0042"
    assert status.is_final


def test_it_is_not_final_on_the_way(clock):
    receipt = upload_and_submit()
    clock.advance(minutes=4)
    status = portal.invoice_status(receipt.invoice_id_cpp)
    assert status.code == PortalStatus.MANDATEE
    assert not status.is_final


def test_it_rejects_an_invoice_whose_number_says_rejet(clock):
    receipt = upload_and_submit(number="F-REJET-01")
    codes = []
    for _minute in range(5):
        codes.append(portal.invoice_status(receipt.invoice_id_cpp).code)
        clock.advance(minutes=1)

    assert codes == ["DEPOSEE", "EN_COURS_ACHEMINEMENT", "MISE_A_DISPOSITION", "REJETEE", "REJETEE"]
    status = portal.invoice_status(receipt.invoice_id_cpp)
    assert status.is_final
    assert status.label == "Rejetée"
    assert status.comment == "Rejet : le numéro d'engagement ne correspond à aucune commande de ce service."


def test_it_suspends_an_invoice_whose_number_says_susp_and_leaves_it_so(clock):
    receipt = upload_and_submit(number="f-susp-7")
    clock.advance(hours=5)
    status = portal.invoice_status(receipt.invoice_id_cpp)
    assert [change.code for change in status.history] == [
        "DEPOSEE",
        "EN_COURS_ACHEMINEMENT",
        "MISE_A_DISPOSITION",
        "SUSPENDUE",
    ]
    assert status.code == "SUSPENDUE" and not status.is_final
    assert "bon de livraison" in status.comment


def test_it_follows_the_step_setting(clock, settings):
    settings.CHORUS_STUB_STEP_SECONDS = 5
    receipt = upload_and_submit()
    clock.advance(seconds=14)
    assert portal.invoice_status(receipt.invoice_id_cpp).code == "MISE_A_DISPOSITION"


def test_it_reads_the_state_from_the_database_whatever_the_process(clock):
    """runserver and a job process share nothing but the database: the state is all there."""
    from chorus.models import StubPortalInvoice

    receipt = upload_and_submit()
    row = StubPortalInvoice.objects.get()
    assert row.invoice_id_cpp == receipt.invoice_id_cpp
    # Another process that submitted it an hour ago: the status follows from the row alone.
    StubPortalInvoice.objects.filter(pk=row.pk).update(submitted_at=clock() - datetime.timedelta(hours=1))
    assert portal.invoice_status(receipt.invoice_id_cpp).code == "MISE_EN_PAIEMENT"
