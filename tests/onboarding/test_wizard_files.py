"""What the wizard keeps on disk for a session (issue item 6).

An anonymous wizard that had passed no captcha kept a 4 Mo RIB for a day (its later steps could
be posted by hand before the account step), formtools kept every file posted with a valid step,
whatever its form, and a RIB sent again left the previous one on disk. Now: no later step, hence
no file, before the account step passed a captcha; only the step's own file field is kept; one
RIB per wizard.
"""

import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.storage import wizard_file_storage
from tests.banking.pdfs import rib_pdf
from tests.wizard import (
    COMPANY_SIRET,
    account_data,
    bank_data,
    choose,
    generate,
    post_bank_details,
    post_new_structure,
    post_step,
    search_data,
    step_url,
)

pytestmark = pytest.mark.django_db


def files_on_disk():
    root = wizard_file_storage.location
    return sorted(name for _, _, names in os.walk(root) for name in names) if os.path.isdir(root) else []


def files_in_session(client):
    wizard = client.session.get("wizard_onboarding_wizard") or {}
    return {step: sorted(files) for step, files in wizard.get("step_files", {}).items() if files}


def test_it_keeps_no_file_for_a_wizard_whose_account_step_passed_no_captcha(client):
    # Each later step by its URL, then posted by hand, up to the bank details with a RIB.
    assert client.get(step_url("structure"))["Location"] == step_url("compte")
    response = post_step(client, "structure", search_data(choice=f"siret:{COMPANY_SIRET}"), captcha=None)
    assert response["Location"] == step_url("compte")
    response = post_new_structure(client, verified=COMPANY_SIRET)
    assert response["Location"] == step_url("compte")
    response = post_bank_details(client)
    assert response["Location"] == step_url("compte")
    assert files_on_disk() == [] and files_in_session(client) == {}


def test_it_keeps_no_file_for_an_account_step_refused_by_its_captcha(client):
    response = post_step(
        client, "compte", account_data(), captcha="XXXXX", extra={"compte-rib": SimpleUploadedFile("a.pdf", rib_pdf())}
    )
    assert response.status_code == 200
    assert client.get(step_url("structure"))["Location"] == step_url("compte")
    assert post_bank_details(client)["Location"] == step_url("compte")
    assert files_on_disk() == []


def test_it_keeps_only_the_file_of_the_step_s_own_field(client):
    def stray(name):
        return {name: SimpleUploadedFile("passager.pdf", rib_pdf())}

    assert post_step(client, "compte", account_data(), extra=stray("compte-rib"))["Location"] == step_url("structure")
    data = search_data(choice=f"siret:{COMPANY_SIRET}", identifier=COMPANY_SIRET)
    response = post_step(client, "structure", data, captcha=None, extra=stray("structure-fichier"))
    assert response["Location"] == step_url("nouvelle-structure")
    post_new_structure(client, verified=COMPANY_SIRET)
    files = {**stray("coordonnees-bancaires-rib_file"), **stray("coordonnees-bancaires-autre"), **stray("rib_file")}
    response = post_step(client, "coordonnees-bancaires", bank_data(), captcha=None, extra=files)
    assert response["Location"] == step_url("mandat")
    assert post_step(client, "mandat", {}, captcha=None, extra=stray("mandat-x"))["Location"] == step_url("fin")
    assert files_in_session(client) == {"coordonnees-bancaires": ["coordonnees-bancaires-rib_file"]}
    assert len(files_on_disk()) == 1


def test_it_keeps_one_rib_per_wizard_when_it_is_sent_again(client):
    post_step(client, "compte", account_data())
    choose(client, f"siret:{COMPANY_SIRET}", identifier=COMPANY_SIRET)
    post_new_structure(client, verified=COMPANY_SIRET)
    for _ in range(3):  # back to the step by its URL, and the RIB sent again
        assert client.get(step_url("coordonnees-bancaires")).status_code == 200
        assert post_bank_details(client)["Location"] == step_url("mandat")
    assert len(files_on_disk()) == 1
    assert generate(client)["Location"] == "/inscription/courriel-envoye/"  # the end uses that one
    assert files_on_disk() == []
