"""A wizard driven by hand-made POSTs creates nothing it should not."""

import pytest
from django.contrib.auth import get_user_model

from banking.models import BankAccount
from mandates.models import BillingMandate
from structures.models import Structure
from tests.wizard import (
    MANAGEMENT_PREFIX,
    account_data,
    fill_wizard_with_new_structure,
    post_bank_details,
    post_step,
    register_with_new_structure,
    step_url,
)

pytestmark = pytest.mark.django_db

User = get_user_model()


def nothing_created():
    return [m.objects.count() for m in (User, Structure, BankAccount, BillingMandate)] == [0, 0, 0, 0]


def follow_to_the_end(client, response):
    for _ in range(5):
        if response.status_code != 302 or not response["Location"].startswith("/inscription/"):
            break
        response = client.get(response["Location"])
    return response


def test_it_refuses_the_last_step_posted_directly(client):
    response = post_step(client, "mandat", {}, captcha=None)
    response = follow_to_the_end(client, response)
    assert response.status_code == 200
    assert response.context["wizard"]["steps"].current == "compte"
    assert nothing_created()


def stored(client):
    wizard = client.session["wizard_onboarding_wizard"]
    return wizard["step_data"], wizard["step_files"]


def test_it_finishes_nothing_from_a_hidden_step_that_skips_a_step(client):
    """The bank details' page posted with the hidden step of the last one (« Générer » without
    bank details): the end validates every step again and sends back to the one missing."""
    fill_wizard_with_new_structure(client)
    session = client.session
    wizard = session["wizard_onboarding_wizard"]
    for step in ("coordonnees-bancaires", "mandat"):  # as if the bank step had never been posted
        wizard["step_data"].pop(step)
        wizard["step_files"].pop(step, None)
    wizard["step"] = "coordonnees-bancaires"
    session.save()
    response = client.post(step_url("coordonnees-bancaires"), {f"{MANAGEMENT_PREFIX}-current_step": "mandat"})
    response = follow_to_the_end(client, response)  # as a browser follows the redirects
    assert nothing_created()
    assert (response.status_code, response.context["wizard"]["steps"].current) == (200, "coordonnees-bancaires")
    assert sorted(stored(client)[0]) == ["compte", "mandat", "nouvelle-structure", "structure"]


@pytest.mark.parametrize("step", ["banque-secrete", "", "fin", "../admin", "MANDAT"])
def test_it_answers_an_unknown_hidden_step_with_the_current_page_finishing_nothing(client, step):
    """On the last page, every step before it done: a page whose hidden step is unknown is not
    taken for the current one (« Générer » would finish the registration)."""
    fill_wizard_with_new_structure(client)
    before = stored(client)
    response = client.post(step_url("mandat"), {f"{MANAGEMENT_PREFIX}-current_step": step})
    location = response["Location"]
    follow_to_the_end(client, response)  # as a browser follows the redirects
    assert nothing_created()
    assert location == step_url("mandat")
    assert stored(client) == before


def test_it_answers_a_hidden_step_skipped_by_the_conditions_with_the_current_page(client):
    """The account step done, no structure chosen: the bank step does not apply yet."""
    post_step(client, "compte", account_data())
    before = stored(client)
    response = post_bank_details(client)  # its hidden step: « coordonnees-bancaires »
    assert (response.status_code, response["Location"]) == (302, step_url("structure"))
    assert stored(client) == before  # neither the bank details nor their RIB
    assert nothing_created()


def test_it_validates_every_step_again_at_the_end(client):
    post_step(client, "compte", account_data())
    # A structure step stored with a forged choice (as if the session had been tampered with).
    session = client.session
    data = session["wizard_onboarding_wizard"]["step_data"]
    data["structure"] = {"structure-identifier_type": ["siret"], "structure-choice": ["structure:424242"]}
    data["mandat"] = {}
    session["wizard_onboarding_wizard"]["step"] = "mandat"
    session.save()
    response = follow_to_the_end(client, client.get(step_url("fin")))
    assert response.context["wizard"]["steps"].current == "structure"
    assert response.context["wizard"]["form"].non_field_errors() == [
        "Cette structure n'existe pas ou plus : recherchez-la de nouveau."
    ]
    assert nothing_created()


def test_it_creates_nothing_more_when_a_finished_wizard_is_replayed(client):
    register_with_new_structure(client)
    before = [m.objects.count() for m in (User, Structure, BankAccount, BillingMandate)]
    for step in ["nouvelle-structure", "coordonnees-bancaires", "mandat"]:
        follow_to_the_end(client, post_step(client, step, {}, captcha=None))
    client.get(step_url("fin"))
    assert [m.objects.count() for m in (User, Structure, BankAccount, BillingMandate)] == before == [1, 1, 1, 1]
