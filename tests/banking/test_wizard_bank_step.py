import os
from unittest import mock

import pytest
from django.contrib.auth import get_user_model

from banking import rib
from banking.models import BankAccount
from core.storage import wizard_file_storage
from structures.models import Structure
from tests.banking.pdfs import OTHER_IBAN, costly_pdf, png_bytes, rib_pdf
from tests.wizard import (
    COMPANY_SIRET,
    account_data,
    choose,
    field_errors,
    fill_wizard_with_new_structure,
    post_bank_details,
    post_new_structure,
    post_step,
    register_with_new_structure,
    step_url,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def at_bank_step(client):
    post_step(client, "compte", account_data())
    choose(client, f"siret:{COMPANY_SIRET}", identifier=COMPANY_SIRET)
    post_new_structure(client, verified=COMPANY_SIRET)
    return client


def wizard_files():
    root = wizard_file_storage.location
    return [name for _, _, names in os.walk(root) for name in names] if os.path.isdir(root) else []


def test_it_shows_the_bank_step_with_the_seed_labels(at_bank_step):
    html = at_bank_step.get(step_url("coordonnees-bancaires")).content.decode()
    assert "Étape 3 sur 4 — Coordonnées bancaires" in html
    for label in [
        "Code pays",
        "Clé IBAN",
        "Identification internationale (IBAN)",
        "BIC ou Swift",
        "Fichier",
        "Type de pièce jointe",
        "Affactureur",
    ]:
        assert label in html
    assert "taille maximale par fichier : 4096 kilo-octets" in html
    assert ">Valider</button>" in html


def test_it_records_pending_bank_details_with_the_rib_and_cleans_the_wizard_files(client):
    register_with_new_structure(client)
    account = BankAccount.objects.get()
    assert account.structure == Structure.objects.get()
    assert account.iban == "FR7630006000011234567890189"
    assert account.status == "en_attente"
    assert account.rib_original_name == "mon RIB.pdf"
    assert account.rib_file.read().startswith(b"%PDF-")
    assert account.created_by == get_user_model().objects.get()
    assert wizard_files() == []


def test_it_records_the_holder_read_in_the_rib_for_finance_staff(client, monkeypatch):
    checks = counting_rib_checks(monkeypatch)
    register_with_new_structure(client)
    assert len(checks) == 1  # the holder travels with the check kept for the wizard's end
    account = BankAccount.objects.get()
    # The test RIB's holder is not the directory's « Menuiserie Dauphinoise »: flagged, not refused.
    assert (account.rib_holder, account.rib_holder_check, account.status) == (
        "SARL LES ATELIERS DU DRAC",
        "different",
        "en_attente",
    )


def test_it_keeps_the_file_between_steps_in_private_temporary_storage(at_bank_step):
    response = post_bank_details(at_bank_step)
    assert response["Location"] == step_url("mandat")
    assert len(wizard_files()) == 1


def test_it_refuses_a_wrong_iban_keeping_the_other_fields(at_bank_step):
    response = post_bank_details(at_bank_step, bban="30006000011234567890188")
    assert response.status_code == 200
    errors = field_errors(response, "coordonnees-bancaires", "check_digits") + field_errors(
        response, "coordonnees-bancaires", "bban"
    )
    assert errors == ["La clé IBAN ne correspond pas au reste de l'IBAN : vérifiez chaque caractère."]
    html = response.content.decode()
    assert 'value="Compte principal"' in html and 'value="AGRIFRPP"' in html
    assert BankAccount.objects.count() == 0


def test_it_refuses_a_rib_holding_another_iban(at_bank_step):
    response = post_bank_details(at_bank_step, rib=rib_pdf(OTHER_IBAN))
    (error,) = field_errors(response, "coordonnees-bancaires", "rib_file")
    assert "DE89 3704 0044 0532 0130 00" in error


def test_it_refuses_a_rib_too_costly_to_read_and_keeps_nothing_of_it(at_bank_step):
    response = post_bank_details(at_bank_step, rib=costly_pdf())
    assert field_errors(response, "coordonnees-bancaires", "rib_file") == [
        "Ce PDF est trop complexe pour être lu automatiquement : joignez seulement le RIB, tel que fourni par "
        "votre banque."
    ]
    assert wizard_files() == []  # a step that is not valid keeps no file
    assert BankAccount.objects.count() == 0


def test_it_refuses_a_missing_file(at_bank_step):
    response = post_bank_details(at_bank_step, rib=False)
    assert field_errors(response, "coordonnees-bancaires", "rib_file")


def test_it_leaves_nothing_half_created_when_the_storage_fails(at_bank_step):
    post_bank_details(at_bank_step)
    response = post_step(at_bank_step, "mandat", {}, captcha=None)
    with mock.patch("django.core.files.storage.FileSystemStorage._save", side_effect=OSError("disk full")):
        response = at_bank_step.get(response["Location"], follow=True)
    assert response.redirect_chain[-1][0] == step_url("coordonnees-bancaires")
    assert (
        "Votre RIB n&#x27;a pas pu être enregistré, à cause d&#x27;un incident de notre côté"
        in response.content.decode()
    )
    assert 'value="Compte principal"' in response.content.decode()
    assert get_user_model().objects.count() == 0
    assert Structure.objects.count() == 0
    assert BankAccount.objects.count() == 0
    # What the supplier typed is still there: the wizard can be finished again.
    response = at_bank_step.get(step_url("fin"))
    assert response.status_code == 302
    assert BankAccount.objects.count() == 1


def counting_rib_checks(monkeypatch):
    calls = []
    real = rib.check_rib

    def check_rib(*args):
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(rib, "check_rib", check_rib)
    return calls


def test_it_reads_the_rib_once_for_the_whole_registration(client, monkeypatch):
    # The end validates every step again; the RIB's check made when the step was posted is
    # reused for the very same file and IBAN (banking.rib.check_rib_once).
    checks = counting_rib_checks(monkeypatch)
    register_with_new_structure(client)
    assert len(checks) == 1
    account = BankAccount.objects.get()
    assert (account.rib_check_status, account.rib_found_ibans) == ("iban_found", ["FR7630006000011234567890189"])


def test_it_reads_the_rib_again_when_the_kept_file_changed(client, monkeypatch):
    checks = counting_rib_checks(monkeypatch)
    end = fill_wizard_with_new_structure(client)
    (stored,) = wizard_files()
    with open(os.path.join(wizard_file_storage.location, stored), "wb") as changed:
        changed.write(png_bytes())
    response = client.get(end)
    assert len(checks) == 2
    assert response["Location"] == step_url("coordonnees-bancaires")
    assert get_user_model().objects.count() == 0 and BankAccount.objects.count() == 0


def test_the_wizard_step_shows_the_procedure_s_instruction_and_the_factor_block_first(at_bank_step):
    html = at_bank_step.get(step_url("coordonnees-bancaires")).content.decode()
    assert "Un contrôle est effectué dans chaque bloc sur le nombre de caractères attendu pour le pays." in html
    factor, account = html.index("<legend>Affactureur</legend>"), html.index("<legend>Compte bancaire</legend>")
    assert factor < account
    assert '<details class="optional-block">' in html  # folded: optional


def test_a_wrong_block_says_once_as_information_that_the_file_was_not_kept(at_bank_step):
    response = post_bank_details(at_bank_step, bic="")
    html = response.content.decode()
    form = response.context["wizard"]["form"]
    assert "rib_file" not in form.errors
    assert html.count("le fichier joint n&#x27;a pas été conservé") == 1
    assert 'class="field-notice"' in html
    summary = html.split('id="error-summary"')[1].split("</div>")[0]
    assert "Fichier" not in summary
