"""From the e-mail the wizard's end sends, to « + Déposer une facture »."""

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse

from mandates.services import generate_mandate
from onboarding.services import AccountDetails, register_supplier
from structures.services import StructureDetails, create_structure
from tests.mandates.helpers import NEW_PASSWORD, USER_AGENT, pdf_text, signing_link

pytestmark = pytest.mark.django_db

SITE = "https://fournisseurs.grenoble.test"


def finish_wizard():
    """What the wizard's done() does, in one transaction (the lead wires the real one)."""
    with transaction.atomic():
        user = register_supplier(
            AccountDetails(
                email="claire.martin@menuiserie-dauphinoise.fr",
                last_name="Martin",
                first_name="Claire",
                address="12 rue Félix Poulat",
                postcode="38000",
                city="Grenoble",
                country="FR",
            )
        )
        outcome = create_structure(
            user,
            StructureDetails(
                identifier_type="siret",
                identifier="46430577000248",
                raison_sociale="Menuiserie Dauphinoise",
                address="3 rue des Arts",
                postcode="38000",
                city="Grenoble",
                verified_by_directory=True,
            ),
        )
        generate_mandate(outcome.structure, user)


def test_it_goes_from_the_email_to_invoice_deposit(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        finish_wizard()
    [signing_email] = [message for message in mail.outbox if "/mandats/signer/" in message.body]
    path = signing_link(signing_email).removeprefix(SITE)

    assert client.get(reverse("invoices:deposit")).status_code == 302  # not logged in yet
    choose_password = client.get(path, follow=True)
    assert "Activer votre compte" in choose_password.content.decode()
    password_path = choose_password.redirect_chain[-1][0]
    response = client.post(password_path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response["Location"] == path

    assert client.get(reverse("invoices:deposit")).status_code == 403  # mandate not signed yet
    page = client.get(path).content.decode()
    assert "Valider un mandat" in page and "Menuiserie Dauphinoise" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            path,
            {
                "consent": "on",
                "document_sha256": client.get(path).context["form"]["document_sha256"].value(),
                "action": "signer",
            },
            HTTP_USER_AGENT=USER_AGENT,
            follow=True,
        )
    assert "Le mandat de facturation est signé." in response.content.decode()
    assert mail.outbox[-1].subject == "Mandat de facturation signé — Menuiserie Dauphinoise"

    mandate = response.context["mandate"]
    download = client.get(reverse("mandates:pdf", args=[mandate.pk]))
    text = pdf_text(b"".join(download.streaming_content))
    for expected in (
        "Menuiserie Dauphinoise",
        "46430577000248",
        "Claire Martin",
        "Preuve de signature",
        "Adresse IP 127.0.0.1",
        mandate.document_sha256,
    ):
        assert expected in text

    response = client.get(reverse("invoices:deposit"))
    assert response.status_code == 200
    # No bank details yet (this registration gave none): said as it is, no « ouvert ».
    page = response.content.decode()
    assert (
        "Le mandat de facturation est signé. Le dépôt de factures ouvrira dès que des coordonnées bancaires seront "
        "validées par la Ville." in page
    )
    assert "La structure Menuiserie Dauphinoise n'a pas de coordonnées bancaires validées par la Ville" in page
