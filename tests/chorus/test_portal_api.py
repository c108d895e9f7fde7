"""What every backend shares: statuses, arguments, errors, the backend setting."""

import dataclasses
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured

from chorus import portal
from chorus.portal import (
    FINAL_STATUSES,
    PortalRefused,
    PortalStatus,
    PortalUnavailable,
    flow_syntax,
    is_final,
    status_label,
)
from tests.chorus.conftest import CITY_SIRET, make_submission


def test_it_labels_statuses_as_the_portal_says_them():
    assert status_label("DEPOSEE") == "Déposée"
    assert status_label("A_RECYCLER") == "À recycler"
    assert status_label("MISE_A_DISPOSITION_COMPTABLE") == "Mise à disposition comptable"
    assert PortalStatus.COMPLETEE.label == "Complétée"


def test_it_shows_an_unknown_status_as_the_portal_sent_it():
    assert status_label("A_VALIDER_1") == "A_VALIDER_1"
    assert not is_final("A_VALIDER_1")


def test_it_stops_following_paid_rejected_and_withdrawn_invoices_only():
    assert FINAL_STATUSES == {"MISE_EN_PAIEMENT", "REJETEE", "ABANDONNEE", "SUPPRIMEE"}
    for code in ("DEPOSEE", "SUSPENDUE", "A_RECYCLER", "MANDATEE", "SERVICE_FAIT"):
        assert not is_final(code)


def test_it_uses_the_stub_when_nothing_is_configured(settings, db):
    del settings.CHORUS_BACKEND
    assert portal.find_structure(CITY_SIRET).name == "COMMUNE DE GRENOBLE"


def test_it_refuses_an_unknown_backend(settings):
    settings.CHORUS_BACKEND = "portail"
    with pytest.raises(ImproperlyConfigured):
        portal.find_structure(CITY_SIRET)


@pytest.mark.parametrize(
    "syntax, code",
    [
        ("FACTURX", "IN_DP_E2_CII_FACTURX"),
        ("factur-x", "IN_DP_E2_CII_FACTURX"),
        ("UBL", "IN_DP_E1_UBL_INVOICE"),
        ("CII", "IN_DP_E1_CII_16B"),
        ("IN_DP_E2_CII_MIN_16B", "IN_DP_E2_CII_MIN_16B"),
    ],
)
def test_it_names_flow_syntaxes_as_the_portal_does(syntax, code):
    assert flow_syntax(syntax) == code


def test_it_refuses_an_unknown_flow_syntax():
    with pytest.raises(ValueError):
        flow_syntax("PDF")


def test_it_wants_a_number_or_a_flow_to_search():
    with pytest.raises(ValueError):
        portal.search_supplier_invoices(recipient_siret=CITY_SIRET)


def test_it_wants_an_identifier_to_find_a_structure():
    with pytest.raises(ValueError):
        portal.find_structure("  ")


def test_it_wants_a_submission_with_a_number_and_decimal_amounts():
    with pytest.raises(ValueError):
        make_submission(number=" ")
    with pytest.raises(TypeError):
        make_submission(amount_incl_tax=1250.0)
    with pytest.raises(TypeError):
        portal.submit_invoice({"number": "F-1"})


def test_it_returns_frozen_dataclasses():
    with pytest.raises(dataclasses.FrozenInstanceError):
        make_submission().number = "F-2"


def test_it_tells_retryable_errors_from_refusals():
    assert PortalUnavailable().retryable is True
    assert PortalUnavailable().outcome_unknown is False
    assert PortalRefused("non").retryable is False
    unknown = PortalUnavailable(outcome_unknown=True)
    assert unknown.retryable and unknown.outcome_unknown
    assert unknown.message.startswith("Chorus Pro n'a pas répondu à temps : la facture a pu être reçue.")


def test_it_keeps_the_portal_code_and_label_of_a_refusal():
    error = portal.refused(20001, "GDP_MSG_11.022")
    assert (error.code, error.label) == ("20001", "GDP_MSG_11.022")
    assert str(error) == "Chorus Pro a refusé la demande (code 20001) : GDP_MSG_11.022"


def test_it_keeps_amounts_as_decimals():
    assert make_submission().amount_incl_tax == Decimal("1250.00")
