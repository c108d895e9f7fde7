"""Hostile values where the app expects a step name or an id: never a 500, never a record.

The wizard's hidden step (formtools' `current_step`) posted on every step of the wizard with
values that are unknown, skipped by the wizard's conditions, empty or path-like; every id a
browser sends (the « Demander un rattachement » button, the search's `choice`, `?structure=`,
the ids in URLs) with what is not a number. `str.isdigit()` says yes to « ² » and « ١ »: a query
then refused « ² » with a ValueError (a 500) and read « ١ » as the structure number 1.
"""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from banking.models import BankAccount
from mandates.models import BillingMandate
from structures.models import AttachmentRequest, Structure
from tests.banking.factories import BankAccountFactory
from tests.banking.pdfs import rib_pdf
from tests.mandates.factories import BillingMandateFactory
from tests.onboarding.factories import SupplierFactory
from tests.structures.factories import StructureFactory
from tests.wizard import (
    COMPANY_SIRET,
    MANAGEMENT_PREFIX,
    account_data,
    bank_data,
    choose,
    new_structure_data,
    post_bank_details,
    post_new_structure,
    post_step,
    search_data,
    step_url,
)

pytestmark = pytest.mark.django_db

User = get_user_model()

STEPS = ["compte", "structure", "nouvelle-structure", "coordonnees-bancaires", "mandat"]
# (formtools strips the value: « structure » with spaces around is the step « structure »)
HOSTILE_STEPS = ["banque-secrete", "fin", "", "../admin", "mandat/../compte", "compte\x00", "COMPTE"]
NOT_IDS = ["", "abc", "²", "١", "-1", "1.5", " 1", "1 ", "0x1", "1e3", "9" * 25, "١٢٣"]
UNKNOWN_CHOICE = "Cette structure n'existe pas ou plus : recherchez-la de nouveau."


def rows():
    return [model.objects.count() for model in (User, Structure, AttachmentRequest, BankAccount, BillingMandate)]


def wizard_of(client):
    return client.session.get("wizard_onboarding_wizard")


def drive_to(client, step):
    """The wizard of `client` on `step`, every step before it done as a browser would; the data
    that step posts."""
    post_step(client, "compte", account_data())
    if step == "compte":
        assert client.get(step_url("compte")).status_code == 200  # « Précédent », or its URL
        return account_data()
    if step == "structure":
        return search_data(choice="nouvelle")
    choose(client, f"siret:{COMPANY_SIRET}", identifier=COMPANY_SIRET)
    if step == "nouvelle-structure":
        return new_structure_data()
    post_new_structure(client)
    post_new_structure(client, verified=COMPANY_SIRET)
    if step == "coordonnees-bancaires":
        return bank_data()
    post_bank_details(client)
    assert wizard_of(client)["step"] == "mandat"
    return {}


# The wizard's hidden step


@pytest.mark.parametrize("step", STEPS)
def test_it_answers_every_step_posted_with_a_hostile_hidden_step_with_its_own_page(client, step):
    data = drive_to(client, step)
    applying = client.get(step_url(step)).context["wizard"]["steps"].all
    skipped = [other for other in STEPS if other not in applying]
    before, stored = rows(), wizard_of(client)
    for hostile in HOSTILE_STEPS + skipped:
        extra = {f"{MANAGEMENT_PREFIX}-current_step": hostile}
        if step == "coordonnees-bancaires":
            extra["coordonnees-bancaires-rib_file"] = SimpleUploadedFile("rib.pdf", rib_pdf())
        response = post_step(client, step, data, captcha="solve" if step == "compte" else None, extra=extra)
        assert (response.status_code, response.get("Location")) == (302, step_url(step)), hostile
        assert wizard_of(client) == stored, hostile  # nothing read, nothing stored
    assert rows() == before == [0, 0, 0, 0, 0]


def test_it_answers_a_step_skipped_by_the_conditions_with_the_current_page(client):
    """The bank details posted while no structure is chosen yet: the structure step's page."""
    drive_to(client, "structure")
    stored = wizard_of(client)
    response = post_bank_details(client)
    assert (response.status_code, response["Location"]) == (302, step_url("structure"))
    assert wizard_of(client) == stored
    assert client.get(step_url("coordonnees-bancaires"))["Location"] == step_url("compte")


def test_it_answers_a_logged_in_supplier_posting_the_account_step_with_the_current_page(client):
    """The account step does not apply to a logged-in supplier."""
    client.force_login(SupplierFactory())
    choose(client, f"siret:{COMPANY_SIRET}", identifier=COMPANY_SIRET)
    stored = wizard_of(client)
    response = post_step(
        client, "nouvelle-structure", account_data(), extra={f"{MANAGEMENT_PREFIX}-current_step": "compte"}
    )
    assert (response.status_code, response["Location"]) == (302, step_url("nouvelle-structure"))
    assert wizard_of(client) == stored
    assert rows() == [1, 0, 0, 0, 0]


def test_it_answers_a_page_without_its_hidden_step_with_the_current_page(client):
    drive_to(client, "structure")
    response = client.post(step_url("structure"), {"structure-choice": "nouvelle"})
    assert (response.status_code, response["Location"]) == (302, step_url("structure"))


def test_it_shows_a_step_the_conditions_skip_now_as_its_first_step(client):
    """A tab left on the new structure's step after another tab chose to join one: formtools
    showed its stored current step even when skipped (a KeyError)."""
    drive_to(client, "nouvelle-structure")
    session = client.session
    session["wizard_onboarding_wizard"]["step_data"]["structure"]["structure-choice"] = ["nouvelle-pas"]
    session.save()
    response = client.get(step_url("nouvelle-structure"))
    assert (response.status_code, response["Location"]) == (302, step_url("compte"))


# Ids


@pytest.mark.parametrize("value", NOT_IDS)
def test_it_refuses_a_join_button_that_is_not_an_id_on_the_new_structure_page(client, value):
    StructureFactory(pk=1, raison_sociale="Structure numéro un")
    StructureFactory(pk=123, raison_sociale="Structure 123")
    client.force_login(SupplierFactory())
    before = rows()
    response = client.post(reverse("structures:new"), {"rattachement": value})
    assert response.status_code == 404
    assert rows() == before


@pytest.mark.parametrize("value", NOT_IDS)
def test_it_refuses_a_join_button_that_is_not_an_id_in_the_wizard(client, value):
    StructureFactory(pk=1, raison_sociale="Structure numéro un")
    drive_to(client, "nouvelle-structure")
    response = post_step(client, "nouvelle-structure", {}, captcha=None, extra={"rattachement": value})
    # A button that names no structure the page offered: the page again with its own errors,
    # nothing chosen, nothing stored.
    assert response.status_code == 200
    assert response.context["wizard"]["steps"].current == "nouvelle-structure"
    assert response.context["wizard"]["form"].errors
    assert rows() == [0, 1, 0, 0, 0]  # the structure numéro un only


# (the form strips the choice: « structure:1 » with a space after it is the structure 1)
@pytest.mark.parametrize(
    "value", [f"structure:{value}" for value in NOT_IDS if value != "1 "] + ["siret:abc", ":", "nouvelle:1"]
)
def test_it_refuses_a_search_choice_that_is_not_an_id(client, value):
    StructureFactory(pk=1, raison_sociale="Structure numéro un")
    drive_to(client, "structure")
    response = post_step(client, "structure", search_data(choice=value), captcha=None)
    assert response.status_code == 200
    assert response.context["wizard"]["form"].non_field_errors() == [UNKNOWN_CHOICE]
    client.force_login(SupplierFactory())
    response = client.post(reverse("structures:request_attachment"), {"identifier_type": "siret", "choice": value})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [UNKNOWN_CHOICE]
    assert AttachmentRequest.objects.count() == 0


@pytest.mark.parametrize("value", NOT_IDS)
@pytest.mark.parametrize("name", ["banking:add", "mandates:subscribe", "invoices:deposit", "invoices:enter"])
def test_it_answers_a_structure_in_the_query_that_is_not_an_id_with_a_404(client, value, name):
    mandate = BillingMandateFactory(signed=True, structure__pk=1)
    BankAccountFactory(structure=mandate.structure, validated=True, created_by=mandate.signatory)
    client.force_login(mandate.signatory)
    assert client.get(reverse(name), {"structure": "1"}).status_code == 200
    assert client.get(reverse(name), {"structure": value}).status_code == 404


@pytest.mark.parametrize("value", ["abc", "²", "١", "-1", "1.5"])
@pytest.mark.parametrize(
    "path",
    [
        "/coordonnees-bancaires/{}/",
        "/coordonnees-bancaires/{}/rib/",
        "/mandats/{}/",
        "/mandats/{}/pdf/",
        "/factures/{}/",
        "/structures/demandes/{}/refuser/",
        "/structures/{}/gestionnaire-principal/",
    ],
)
def test_it_answers_an_id_in_the_url_that_is_not_a_number_with_a_404(client, manager, value, path):
    client.force_login(manager)
    assert client.get(path.format(value)).status_code == 404


@pytest.mark.parametrize("value", NOT_IDS)
def test_it_filters_the_admin_invoices_by_a_structure_that_is_not_an_id_without_a_500(client, finance, value):
    client.force_login(finance)
    response = client.get(reverse("admin:invoices_invoice_changelist"), {"structure__id__exact": value})
    assert response.status_code in (200, 302)
    if response.status_code == 302:  # the admin's own answer to a filter it does not know
        assert response["Location"].endswith("?e=1")
