"""From the e-mail the wizard's end sends, to « + Déposer une facture »."""

import pytest
from django.core import mail
from django.urls import reverse

from tests.mandates.helpers import NEW_PASSWORD, USER_AGENT, pdf_text, signing_link
from tests.wizard import register_with_new_structure

pytestmark = pytest.mark.django_db

SITE = "https://fournisseurs.grenoble.test"


def finish_wizard(client):
    """The wizard, driven as a browser: the account, « Créer cette structure » from the INSEE
    directory (Menuiserie Dauphinoise), the bank details with the RIB, « Générer »."""
    response = register_with_new_structure(
        client,
        email="claire.martin@menuiserie-dauphinoise.fr",
        email_confirmation="claire.martin@menuiserie-dauphinoise.fr",
    )
    assert response["Location"] == reverse("onboarding:registration_sent")


def test_it_goes_from_the_email_to_invoice_deposit(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        finish_wizard(client)
    # The wizard's one e-mail: the signing link, which also activates the new account.
    (signing_email,) = mail.outbox
    assert signing_email.to == ["claire.martin@menuiserie-dauphinoise.fr"]
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
    # The RIB sent with the registration waits for the finance staff: said as it is, no « ouvert ».
    page = response.content.decode()
    assert (
        "Le mandat de facturation est signé. Le dépôt de factures ouvrira dès que des coordonnées bancaires seront "
        "validées par la Ville." in page
    )
    assert "Vos coordonnées bancaires attendent la validation de la Ville" in page
    assert "attend la validation des services financiers de la Ville." in page
