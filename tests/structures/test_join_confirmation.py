"""« Demander un rattachement » asks for confirmation first: what will happen, who decides, and
(in the wizard) that the registration ends there."""

import pytest
from django.urls import reverse

from structures.models import AttachmentRequest
from tests.onboarding.factories import SupplierFactory
from tests.structures.factories import MainManagerFactory
from tests.wizard import COMPANY_SIRET, account_data, choose, join, post_step, search, step_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def existing():
    return MainManagerFactory(
        structure__identifier=COMPANY_SIRET, structure__raison_sociale="Menuiserie Dauphinoise"
    ).structure


@pytest.fixture
def at_structure_step(client):
    post_step(client, "compte", account_data())
    return client


def test_the_wizard_asks_before_sending_the_request(at_structure_step, existing):
    response = choose(at_structure_step, f"structure:{existing.pk}", identifier=COMPANY_SIRET)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Confirmer la demande de rattachement</h1>" in html
    assert "Vous allez demander à être rattaché(e) à la structure « Menuiserie Dauphinoise »." in html
    assert "dès que vous aurez activé votre compte" in html  # who decides, and when they hear of it
    assert "C'est lui qui l'accepte ou la refuse" in html
    assert "Votre inscription s'arrête là" in html
    # The step indicator says the wizard ends here, and who does stages 3 and 4.
    assert "Étape 2, la dernière pour vous — Rattachement à une structure" in html
    assert html.count("par le gestionnaire principal</small>") == 2
    assert 'name="confirmer"' in html and ">Retour aux résultats</button>" in html
    assert not AttachmentRequest.objects.exists()


def test_retour_aux_resultats_shows_the_results_again(at_structure_step, existing):
    choose(at_structure_step, f"structure:{existing.pk}", identifier=COMPANY_SIRET)
    response = search(at_structure_step, identifier=COMPANY_SIRET)
    html = response.content.decode()
    assert "1 structure trouvée." in html and "Étape 2 sur 4" in html


def test_confirmer_sends_it_and_ends_the_wizard(at_structure_step, existing):
    response = join(at_structure_step, existing.pk, identifier=COMPANY_SIRET)
    assert response["Location"] == step_url("fin")
    at_structure_step.get(response["Location"])
    assert AttachmentRequest.objects.get().structure == existing


def test_the_stand_alone_page_asks_too(client, existing):
    client.force_login(SupplierFactory())
    data = {"identifier_type": "siret", "identifier": COMPANY_SIRET, "choice": f"structure:{existing.pk}"}
    response = client.post(reverse("structures:request_attachment"), data)
    html = response.content.decode()
    assert "<h1>Confirmer la demande de rattachement</h1>" in html
    assert "Votre demande sera envoyée par courriel au gestionnaire principal de la structure." in html
    assert "Votre inscription s'arrête là" not in html
    back = html.split(">Retour aux résultats</a>")[0].rsplit("<a ", 1)[1]
    assert f'href="{reverse("structures:request_attachment")}?identifier_type=siret&amp;' in back
    assert f"identifier={COMPANY_SIRET}" in back
    assert not AttachmentRequest.objects.exists()
    response = client.post(reverse("structures:request_attachment"), {**data, "confirmer": "1"})
    assert response["Location"] == reverse("onboarding:home")
    assert AttachmentRequest.objects.get().structure == existing
