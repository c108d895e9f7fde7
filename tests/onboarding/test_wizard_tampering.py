"""A wizard driven by hand-made POSTs creates nothing it should not."""

import pytest
from django.contrib.auth import get_user_model

from banking.models import BankAccount
from mandates.models import BillingMandate
from structures.models import Structure
from tests.wizard import MANAGEMENT_PREFIX, account_data, post_step, register_with_new_structure, step_url

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


def test_it_refuses_a_changed_hidden_step_field(client):
    client.get(step_url("compte"))
    response = client.post(step_url("compte"), {f"{MANAGEMENT_PREFIX}-current_step": "mandat"})
    follow_to_the_end(client, response)
    assert nothing_created()


@pytest.mark.parametrize("step", ["banque-secrete", "", "fin", "../admin"])
def test_it_answers_an_unknown_hidden_step_without_a_500(client, step):
    client.get(step_url("compte"))
    response = client.post(step_url("compte"), {f"{MANAGEMENT_PREFIX}-current_step": step})
    assert response.status_code in (200, 302, 400)
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
