"""Steps of a deposit, shared by the invoice tests."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.invoices.pdfs import ISSUE_DATE

DEPOSIT_URL = reverse("invoices:deposit")
ENTER_URL = reverse("invoices:enter")


def upload(client, data, name="facture.pdf"):
    return client.post(DEPOSIT_URL, {"file": SimpleUploadedFile(name, data, content_type="application/pdf")})


def invoice_data(service, account, /, **overrides):
    """The second step's form, as a supplier fills it for the invoice of tests/invoices/pdfs.py."""
    data = {
        "number": "F-2026-001",
        "issue_date": ISSUE_DATE.isoformat(),
        "amount_excl_tax": "1000,00",
        "vat_amount": "200,00",
        "amount_incl_tax": "1200,00",
        "service": service.pk,
        "engagement_number": "",
        "bank_account": account.pk,
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def entry_data(service, account, /, **overrides):
    data = invoice_data(service, account)
    data.update(
        {
            "delivery_date": ISSUE_DATE.isoformat(),
            "description": "Pose de 4 fenêtres, école Jean Jaurès",
            "vat_rate": "20",
        }
    )
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def deposit(client, data, service, account, **overrides):
    """Both steps of « Déposer »; the last response."""
    response = upload(client, data)
    assert response.status_code == 302, response.content.decode()
    return client.post(response["Location"], invoice_data(service, account, **overrides))
