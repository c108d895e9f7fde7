import json
from pathlib import Path

import pytest
import responses
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from structures.models import AttachmentRequest, Membership, Structure
from tests.onboarding.factories import SupplierFactory
from tests.structures.factories import MainManagerFactory, StructureFactory
from tests.wizard import (
    COMPANY_SIRET,
    account_data,
    choose,
    field_errors,
    generate,
    join,
    new_structure_data,
    post_bank_details,
    post_new_structure,
    post_step,
    register_with_new_structure,
    search,
    step_url,
)

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def at_structure_step(client):
    response = post_step(client, "compte", account_data())
    assert response["Location"] == step_url("structure")
    return client


def test_it_shows_the_step_with_its_indicator(at_structure_step):
    html = at_structure_step.get(step_url("structure")).content.decode()
    assert "Étape 2 sur 4 — Rattachement à une structure" in html
    assert "pas celui de la Ville de Grenoble" in html
    assert ">Rechercher</button>" in html


def test_it_finds_an_establishment_of_the_directory_by_siret(at_structure_step):
    response = search(at_structure_step, identifier="464 305 770 00248")
    html = response.content.decode()
    assert response.status_code == 200
    assert "1 structure trouvée." in html
    assert "Menuiserie Dauphinoise" in html
    assert f'value="siret:{COMPANY_SIRET}"' in html
    assert "Créer cette structure" in html
    assert "Exporter les résultats" in html
    assert "+ Saisir une nouvelle structure" in html


def test_it_finds_a_registered_structure_first(at_structure_step):
    structure = StructureFactory(identifier=COMPANY_SIRET, raison_sociale="Menuiserie Dauphinoise")
    html = search(at_structure_step, identifier=COMPANY_SIRET).content.decode()
    assert f'value="structure:{structure.pk}"' in html
    assert "Demander un rattachement" in html
    assert f'value="siret:{COMPANY_SIRET}"' not in html


def test_it_searches_by_name_postcode_and_city(at_structure_step):
    html = search(at_structure_step, raison_sociale="poste", city="grenoble").content.decode()
    assert "La Poste" in html
    assert "Établissement fermé" in html  # the closed post office is listed, not creatable


def test_it_says_when_a_siret_is_not_in_the_directory(at_structure_step):
    response = search(at_structure_step, identifier="41234567000019")
    html = response.content.decode()
    assert (
        "Aucun établissement ne porte ce SIRET dans le répertoire Sirene de l&#x27;INSEE. "
        "Vérifiez le numéro ou saisissez une nouvelle structure." in html
    )
    assert "+ Saisir une nouvelle structure" in html


def test_it_offers_the_manual_path_when_the_directory_is_down(at_structure_step):
    html = search(at_structure_step, identifier="50350350000004").content.decode()
    assert "Le répertoire Sirene de l&#x27;INSEE ne répond pas pour le moment." in html
    assert "+ Saisir une nouvelle structure" in html


@pytest.mark.parametrize(
    "identifier,message",
    [
        ("1234567890123", "Le SIRET doit comporter exactement 14 chiffres."),
        ("46430577000249", "Ce SIRET n'est pas valide : sa clé de contrôle (algorithme de Luhn) est fausse."),
        (
            "35600000000012",
            "Ce SIRET de La Poste n'est pas valide : la somme de ses chiffres doit être un multiple de 5.",
        ),
        (
            "21380185500015",
            "C'est le SIRET de la Ville de Grenoble, votre cliente : saisissez celui de votre propre structure.",
        ),
    ],
)
def test_it_refuses_a_bad_siret_in_the_search(at_structure_step, identifier, message):
    response = search(at_structure_step, identifier=identifier)
    assert field_errors(response, "structure", "identifier") == [message]
    assert f'value="{identifier}"' in response.content.decode()


def test_it_refuses_an_empty_search(at_structure_step):
    response = search(at_structure_step)
    form = response.context["wizard"]["form"]
    assert form.non_field_errors() == ["Saisissez un identifiant, ou une raison sociale, un code postal ou une ville."]


def test_it_refuses_to_go_on_without_a_choice(at_structure_step):
    response = choose(at_structure_step, "", identifier=COMPANY_SIRET)
    form = response.context["wizard"]["form"]
    assert form.non_field_errors() == [
        "Recherchez votre structure, puis choisissez-la dans les résultats ou cliquez sur « + Saisir une nouvelle "
        "structure »."
    ]


def test_it_refuses_a_tampered_choice(at_structure_step):
    response = choose(at_structure_step, "structure:999999", identifier=COMPANY_SIRET)
    assert response.context["wizard"]["form"].non_field_errors() == [
        "Cette structure n'existe pas ou plus : recherchez-la de nouveau."
    ]
    response = choose(at_structure_step, "siret:21380185500015", identifier=COMPANY_SIRET)
    assert response.context["wizard"]["form"].non_field_errors() == [
        "Cette structure n'existe pas ou plus : recherchez-la de nouveau."
    ]


def test_it_creates_the_structure_from_the_directory_with_the_supplier_as_main_manager(client):
    register_with_new_structure(client)
    structure = Structure.objects.get()
    assert (structure.identifier_type, structure.identifier) == ("siret", COMPANY_SIRET)
    assert structure.raison_sociale == "Menuiserie Dauphinoise"
    assert structure.postcode == "38400"
    assert structure.verified_by_directory
    assert structure.status == "actif"
    user = User.objects.get()
    assert structure.created_by == user
    assert Membership.objects.get().role == "gestionnaire_principal"
    response = client.get(reverse("onboarding:registration_sent"))
    assert "Menuiserie Dauphinoise" in response.content.decode()


def test_it_shows_the_directory_values_read_only_before_going_on(at_structure_step):
    choose(at_structure_step, f"siret:{COMPANY_SIRET}", identifier=COMPANY_SIRET)
    html = at_structure_step.get(step_url("nouvelle-structure")).content.decode()
    assert f'value="{COMPANY_SIRET}"' in html  # pre-filled from the choice
    response = post_new_structure(at_structure_step, raison_sociale="Autre nom")
    html = response.content.decode()
    assert "Informations retrouvées dans le répertoire Sirene de l'INSEE" in html
    assert 'value="Menuiserie Dauphinoise"' in html and "readonly" in html
    assert "Autre nom" not in html


def test_it_shows_the_directory_values_without_validating_them_twice(at_structure_step, django_assert_num_queries):
    choose(at_structure_step, "nouvelle", identifier="")
    # The session, and whether the structure exists already: the confirmation page shows the
    # values of the form just validated, it does not validate them again (structures/forms.py);
    # the directory's answer is kept with the wizard's data (the session saved: 3 statements
    # inside the test's transaction).
    with django_assert_num_queries(5):
        response = post_new_structure(at_structure_step, identifier="464 305 770 00248", address_complement="Bât. C")
    html = response.content.decode()
    assert "Informations retrouvées dans le répertoire Sirene de l'INSEE" in html
    assert f'name="nouvelle-structure-verified" value="{COMPANY_SIRET}"' in html
    assert f'name="nouvelle-structure-identifier" value="{COMPANY_SIRET}"' in html
    assert 'name="nouvelle-structure-address_complement" value="Bât. C"' in html  # what was typed stays
    assert "field--error" not in html


def test_it_keeps_the_directory_values_whatever_is_posted(client):
    post_step(client, "compte", account_data())
    choose(client, "nouvelle", identifier="")
    post_new_structure(client, raison_sociale="Fraude SARL", verified=COMPANY_SIRET)
    post_bank_details(client)
    generate(client)
    assert Structure.objects.get().raison_sociale == "Menuiserie Dauphinoise"


def test_it_creates_a_structure_without_siret_typed_by_hand(client):
    post_step(client, "compte", account_data())
    response = choose(client, "nouvelle")
    assert response["Location"] == step_url("nouvelle-structure")
    response = post_new_structure(
        client,
        has_siret="non",
        identifier_type="tva_ue",
        identifier="DE 136 695 976",
        raison_sociale="Holzbau Müller GmbH",
        address="Hauptstraße 5",
        postcode="80331",
        city="München",
        country="DE",
    )
    assert response["Location"] == step_url("coordonnees-bancaires")
    post_bank_details(client)
    generate(client)
    structure = Structure.objects.get()
    assert (structure.identifier_type, structure.identifier) == ("tva_ue", "DE136695976")
    assert not structure.verified_by_directory


def test_it_marks_a_structure_typed_during_an_outage_as_not_verified(client):
    post_step(client, "compte", account_data())
    choose(client, "nouvelle")
    response = post_new_structure(client, identifier="50350350000004")
    html = response.content.decode()
    assert "Le répertoire Sirene de l&#x27;INSEE ne répond pas pour le moment." in html
    # The blocks' page, to fill in by hand: no error before « Enregistrer ».
    assert 'name="nouvelle-structure-identified" value="50350350000004"' in html
    assert "field--error" not in html
    response = post_new_structure(client, identifier="50350350000004", identified="50350350000004")
    assert field_errors(response, "nouvelle-structure", "raison_sociale") == ["Ce champ est obligatoire."]
    response = post_new_structure(
        client,
        identifier="50350350000004",
        identified="50350350000004",
        raison_sociale="Atelier Panne",
        address="1 rue Lesdiguières",
        postcode="38000",
        city="Grenoble",
    )
    assert response["Location"] == step_url("coordonnees-bancaires")
    post_bank_details(client)
    generate(client)
    assert Structure.objects.get().verified_by_directory is False


@pytest.mark.parametrize(
    "overrides,field,message",
    [
        (
            {"identifier": "35600000012346"},
            "identifier",
            "Cet établissement est fermé dans le répertoire Sirene de l'INSEE.",
        ),
        (
            {"identifier": "41234567000019"},
            "identifier",
            "Aucun établissement ne porte ce SIRET dans le répertoire Sirene de l'INSEE. "
            "Vérifiez le numéro ou saisissez une nouvelle structure.",
        ),
        ({"identifier": "4643057700024"}, "identifier", "Le SIRET doit comporter exactement 14 chiffres."),
        (
            {"has_siret": "non", "identifier": "X"},
            "identifier_type",
            "Choisissez le type d'identifiant de la structure.",
        ),
        (
            {"has_siret": "non", "identifier_type": "tva_ue", "identifier": "DE136695977"},
            "identifier",
            "Ce numéro de TVA (Allemagne) n'est pas valide : sa clé de contrôle est fausse.",
        ),
        (
            {"has_siret": "non", "identifier_type": "ridet", "identifier": "12345"},
            "identifier",
            None,
        ),
        (
            {
                "has_siret": "non",
                "identifier_type": "particulier",
                "identifier": "Claire Martin",
                "identified": "Claire Martin",
                "raison_sociale": "Claire Martin",
                "address": "1 rue A",
                "postcode": "3800",
                "city": "Grenoble",
            },
            "postcode",
            "Un code postal français comporte 5 chiffres (par exemple 38000).",
        ),
    ],
)
def test_it_refuses_bad_new_structures(client, overrides, field, message):
    post_step(client, "compte", account_data())
    choose(client, "nouvelle")
    response = post_new_structure(client, **overrides)
    assert response.status_code == 200
    errors = field_errors(response, "nouvelle-structure", field)
    if message is None:
        from structures.identifiers import MSG_RIDET_FORMAT

        message = str(MSG_RIDET_FORMAT)
    assert errors == [message]
    assert Structure.objects.count() == 0


def test_it_offers_to_request_attachment_when_the_structure_exists(client):
    membership = MainManagerFactory(
        structure__identifier=COMPANY_SIRET, structure__raison_sociale="Menuiserie Dauphinoise"
    )
    post_step(client, "compte", account_data())
    choose(client, "nouvelle")
    response = post_new_structure(client)
    assert field_errors(response, "nouvelle-structure", "identifier") == [
        "Cette structure existe déjà (Menuiserie Dauphinoise) : vous ne pouvez pas la créer une seconde fois. "
        "Demandez plutôt un rattachement à son gestionnaire principal."
    ]
    html = response.content.decode()
    assert f'name="rattachement" value="{membership.structure.pk}"' in html
    # The button is posted with the page's form, as a browser does.
    response = post_step(
        client,
        "nouvelle-structure",
        new_structure_data(),
        captcha=None,
        extra={"rattachement": str(membership.structure.pk)},
    )
    assert response["Location"] == step_url("fin")
    response = client.get(response["Location"])
    assert response["Location"] == reverse("onboarding:registration_sent")
    assert Structure.objects.count() == 1
    request = AttachmentRequest.objects.get()
    assert request.structure == membership.structure and request.status == "en_attente"
    assert request.user.email == "claire.martin@menuiserie-martin.fr"


def test_it_ends_the_wizard_on_a_request_and_tells_the_manager_after_activation(
    client, django_capture_on_commit_callbacks
):
    membership = MainManagerFactory(structure__identifier=COMPANY_SIRET, user__email="gerant@dauphinoise.fr")
    post_step(client, "compte", account_data())
    with django_capture_on_commit_callbacks(execute=True):
        response = join(client, membership.structure.pk, identifier=COMPANY_SIRET)
        assert response["Location"] == step_url("fin")
        response = client.get(response["Location"])
    assert response["Location"] == reverse("onboarding:registration_sent")
    html = client.get(reverse("onboarding:registration_sent")).content.decode()
    assert "demande de rattachement" in html
    # Only the activation e-mail so far: the manager hears of it once the address is proven.
    assert [m.to for m in mail.outbox] == [["claire.martin@menuiserie-martin.fr"]]

    from onboarding import services

    requester = User.objects.get(email="claire.martin@menuiserie-martin.fr")
    with django_capture_on_commit_callbacks(execute=True):
        services.activate_account(requester, "Grenoble-Fournisseur-2026")
    assert mail.outbox[-1].to == ["gerant@dauphinoise.fr"]
    assert mail.outbox[-1].subject.startswith("Demande de rattachement à")


def test_it_lets_a_logged_in_supplier_request_from_the_wizard(client, django_capture_on_commit_callbacks):
    membership = MainManagerFactory(user__email="gerant@dauphinoise.fr")
    supplier = SupplierFactory()
    client.force_login(supplier)
    with django_capture_on_commit_callbacks(execute=True):
        response = join(client, membership.structure.pk, identifier=membership.structure.identifier)
        response = client.get(response["Location"])
    assert response["Location"] == reverse("onboarding:home")
    assert AttachmentRequest.objects.get().user == supplier
    assert mail.outbox[0].to == ["gerant@dauphinoise.fr"]


def test_it_refuses_a_second_request_or_one_for_a_structure_already_joined(client):
    membership = MainManagerFactory()
    supplier = SupplierFactory()
    AttachmentRequest.objects.create(user=supplier, structure=membership.structure)
    client.force_login(supplier)
    response = choose(client, f"structure:{membership.structure.pk}", identifier=membership.structure.identifier)
    assert response.context["wizard"]["form"].non_field_errors() == [
        "Vous avez déjà demandé un rattachement à cette structure : son gestionnaire principal ne l'a pas encore "
        "traité."
    ]
    client.force_login(membership.user)
    response = choose(client, f"structure:{membership.structure.pk}", identifier=membership.structure.identifier)
    assert response.context["wizard"]["form"].non_field_errors() == ["Vous êtes déjà rattaché à cette structure."]
    assert AttachmentRequest.objects.count() == 1


def test_it_keeps_what_was_typed_when_going_back(at_structure_step):
    response = post_step(
        at_structure_step, "structure", {"identifier": "4643"}, captcha=None, extra={"wizard_goto_step": "compte"}
    )
    assert response["Location"] == step_url("compte")
    response = at_structure_step.get(step_url("compte"))
    html = response.content.decode()
    assert 'value="claire.martin@menuiserie-martin.fr"' in html
    # A new captcha to solve before posting the step again, and no error shown yet.
    assert 'name="compte-captcha_1"' in html and not response.context["wizard"]["form"].is_bound
    html = at_structure_step.get(step_url("structure")).content.decode()
    assert 'value="4643"' in html


def test_it_keeps_the_search_page_within_its_query_budget(at_structure_step, django_assert_max_num_queries):
    StructureFactory.create_batch(50, raison_sociale="Plomberie Alpine")
    # Session, the structures, the session saved (+ a savepoint pair inside the test's transaction).
    with django_assert_max_num_queries(5) as queries:
        response = search(at_structure_step, raison_sociale="plomberie")
    assert "50 structures trouvées." in response.content.decode()
    print(f"search page with 50 results: {len(queries)} queries")


def test_it_asks_the_insee_directory_once_for_a_whole_registration(client, settings):
    # The new-structure step is validated again on its confirmation, on the mandate page and at
    # the end: the directory's answer is kept (structures/sirene.py), INSEE is asked once.
    siret = "82384695100155"  # an individual entrepreneur in Grenoble, as INSEE answered
    settings.SIRENE_BACKEND = "insee"
    settings.SIRENE_API_KEY = "test-key"
    answer = json.loads((Path(__file__).parent / "recordings" / "siret_200_individual.json").read_text())
    with responses.RequestsMock() as insee:
        insee.get(f"https://api.insee.fr/api-sirene/3.11/siret/{siret}", json=answer)
        post_step(client, "compte", account_data())
        choose(client, "nouvelle", identifier="")
        assert (
            "Informations retrouvées dans le répertoire Sirene"
            in post_new_structure(client, identifier=siret).content.decode()
        )
        assert post_new_structure(client, identifier=siret, verified=siret)["Location"] == step_url(
            "coordonnees-bancaires"
        )
        post_bank_details(client)
        assert client.get(step_url("mandat")).status_code == 200
        assert generate(client).status_code == 302
        assert len(insee.calls) == 1
    structure = Structure.objects.get()
    assert (structure.identifier, structure.verified_by_directory) == (siret, True)


def test_it_asks_the_directory_once_per_siret_and_wizard(client, monkeypatch):
    """The directory's answer is kept with the wizard's data: validating the step again (the
    confirmation, the next pages, the end) never asks INSEE again."""
    from structures import sirene

    asked = []
    lookup = sirene.lookup_siret
    monkeypatch.setattr(sirene, "lookup_siret", lambda siret: asked.append(siret) or lookup(siret))
    post_step(client, "compte", account_data())
    choose(client, "nouvelle", identifier="")
    post_new_structure(client, identifier=COMPANY_SIRET)
    post_new_structure(client, identifier=COMPANY_SIRET, verified=COMPANY_SIRET)
    post_bank_details(client)
    generate(client)
    assert Structure.objects.get().raison_sociale == "Menuiserie Dauphinoise"
    assert asked == [COMPANY_SIRET]
