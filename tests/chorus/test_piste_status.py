"""An invoice's status and history: factures/v1/consulter/historique."""

import datetime
import zoneinfo

from chorus import portal
from chorus.piste import INVOICE_HISTORY
from chorus.portal import PortalStatusChange
from tests.chorus.conftest import answer, calls_to, sent, url

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def test_it_reads_the_current_status_and_the_history_oldest_first(api):
    api.post(url(INVOICE_HISTORY), json=answer("consulter_historique.json"))

    status = portal.invoice_status(8316848)

    assert sent(calls_to(api, INVOICE_HISTORY)[0]) == {"idFacture": 8316848}
    assert (status.invoice_id_cpp, status.number) == (8316848, "F-2026-0042")
    assert (status.code, status.label) == ("MISE_A_DISPOSITION", "Mise à disposition")
    assert status.changed_at == datetime.datetime(2026, 3, 2, 9, 14, tzinfo=PARIS)
    assert status.comment == ""
    assert not status.is_final
    # Two changes in the same minute keep their order (by the portal's ids).
    assert status.history == (
        PortalStatusChange(
            code="DEPOSEE",
            label="Déposée",
            changed_at=datetime.datetime(2026, 3, 2, 9, 2, tzinfo=PARIS),
            comment="Dépôt par le compte technique",
        ),
        PortalStatusChange(
            code="EN_COURS_ACHEMINEMENT",
            label="En cours d'acheminement",
            changed_at=datetime.datetime(2026, 3, 2, 9, 2, tzinfo=PARIS),
        ),
        PortalStatusChange(
            code="MISE_A_DISPOSITION",
            label="Mise à disposition",
            changed_at=datetime.datetime(2026, 3, 2, 9, 14, tzinfo=PARIS),
        ),
    )


def test_it_gives_the_reason_of_a_rejection(api):
    api.post(url(INVOICE_HISTORY), json=answer("consulter_historique_rejet.json"))

    status = portal.invoice_status(8316849)

    assert (status.code, status.label, status.is_final) == ("REJETEE", "Rejetée", True)
    assert status.comment == "Numéro d'engagement inconnu : merci de refaire votre facture avec le bon numéro."
    assert status.changed_at == datetime.datetime(2026, 3, 5, 16, 41, tzinfo=PARIS)
    assert [change.code for change in status.history] == ["DEPOSEE", "MISE_A_DISPOSITION", "REJETEE"]


def test_it_keeps_a_status_it_does_not_know(api):
    body = answer("consulter_historique.json")
    body["statutCourantCode"] = "A_VALIDER_1"
    body["historiquesDesStatuts"]["histoStatut"].insert(
        0,
        {"histoStatutId": 91254599, "histoStatutCode": "A_VALIDER_1", "histoStatutDatePassage": "2026-03-03T10:05:00Z"},
    )
    api.post(url(INVOICE_HISTORY), json=body)

    status = portal.invoice_status(8316848)

    assert (status.code, status.label, status.is_final) == ("A_VALIDER_1", "A_VALIDER_1", False)
    assert status.changed_at == datetime.datetime(2026, 3, 3, 10, 5, tzinfo=datetime.UTC)


def test_it_reads_the_current_status_from_the_history_when_the_portal_omits_it(api):
    body = answer("consulter_historique.json")
    del body["statutCourantCode"]
    api.post(url(INVOICE_HISTORY), json=body)
    assert portal.invoice_status(8316848).code == "MISE_A_DISPOSITION"
