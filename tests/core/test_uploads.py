"""Uploads read no further than their page's limit, refused with the form's own message (item 6).

A 200 MB upload was read in full (and written to a temporary file) before the form refused it.
core.uploads.UploadLimitHandler counts the bytes as they arrive: a file a little over its limit
is read to its end without being kept (the fields after it arrive), a file far over it stops the
reading at its limit plus core.uploads.SLACK. The bodies here are counted as the server reads
them (the test client's FakePayload).
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import FakePayload
from django.urls import reverse

from banking.models import BankAccount
from banking.rib import MAX_RIB_SIZE
from core.uploads import SLACK
from invoices.files import MAX_INVOICE_SIZE
from invoices.models import Invoice
from tests.banking.pdfs import padded_rib_pdf
from tests.wizard import MANAGEMENT_PREFIX, account_data, bank_data, choose, post_new_structure, post_step, step_url

pytestmark = pytest.mark.django_db

RIB_TOO_LARGE = "Le fichier dépasse la taille maximale de 4096 kilo-octets par fichier."
INVOICE_TOO_LARGE = "Le fichier dépasse la taille maximale de 10 Mo."
# What the parser may read beyond a limit and its slack: its chunk (64 Ko), the fields.
MARGIN = 256 * 1024


@pytest.fixture
def body(monkeypatch):
    """How many bytes of the request bodies the server read."""
    read = {"bytes": 0}
    original = FakePayload.read

    def counting(self, *args, **kwargs):
        data = original(self, *args, **kwargs)
        read["bytes"] += len(data)
        return data

    monkeypatch.setattr(FakePayload, "read", counting)
    return read


def junk_pdf(size):
    return b"%PDF-1.7\n" + b"0" * (size - 9)


def as_a_browser_posts(fields, file_field, uploaded, before):
    """`fields` with the file in its place in the page: after the field `before` (a browser
    sends the fields in the page's order; the bank form's file comes before its attachment
    type and its factor's fields)."""
    posted = {}
    for name, value in fields.items():
        posted[name] = value
        if name == before:
            posted[file_field] = uploaded
    return posted


def at_bank_step(client):
    post_step(client, "compte", account_data())
    choose(client, "siret:46430577000248", identifier="46430577000248")
    post_new_structure(client, verified="46430577000248")


def post_rib_in_the_wizard(client, data, **typed):
    fields = {f"{MANAGEMENT_PREFIX}-current_step": "coordonnees-bancaires"}
    fields.update({f"coordonnees-bancaires-{name}": value for name, value in bank_data(**typed).items()})
    uploaded = SimpleUploadedFile("mon RIB.pdf", data, content_type="application/pdf")
    payload = as_a_browser_posts(fields, "coordonnees-bancaires-rib_file", uploaded, "coordonnees-bancaires-bic")
    return client.post(step_url("coordonnees-bancaires"), payload)


def errors(response, name):
    return [str(error) for error in response.context["wizard"]["form"].errors.get(name, [])]


def test_it_stops_reading_a_rib_far_over_its_limit_in_the_wizard(client, body):
    at_bank_step(client)
    body["bytes"] = 0
    response = post_rib_in_the_wizard(client, junk_pdf(3 * MAX_RIB_SIZE))
    assert response.status_code == 200
    assert body["bytes"] < MAX_RIB_SIZE + SLACK + MARGIN  # of a body over 12 Mo
    assert errors(response, "rib_file") == [RIB_TOO_LARGE]
    html = response.content.decode()
    # What was typed before the file is kept (what came after it in the body was not read).
    assert 'value="Compte principal"' in html and 'value="30006000011234567890189"' in html
    assert not client.session["wizard_onboarding_wizard"]["step_files"].get("coordonnees-bancaires")


def test_it_reads_a_rib_a_little_over_its_limit_to_its_end_keeping_every_field(client, body):
    at_bank_step(client)
    response = post_rib_in_the_wizard(
        client, padded_rib_pdf(MAX_RIB_SIZE + 100 * 1024), factor_raison_sociale="Affacturage Alpin"
    )
    assert errors(response, "rib_file") == [RIB_TOO_LARGE]
    assert 'value="Affacturage Alpin"' in response.content.decode()  # typed after the file
    assert errors(response, "attachment_type") == []


def test_it_accepts_a_rib_at_its_limit(client):
    at_bank_step(client)
    response = post_rib_in_the_wizard(client, padded_rib_pdf(MAX_RIB_SIZE))
    assert (response.status_code, response.get("Location")) == (302, step_url("mandat")), (
        response.context and response.context["wizard"]["form"].errors
    )


def test_it_stops_reading_a_rib_far_over_its_limit_on_the_bank_details_page(client, manager, body):
    client.force_login(manager)
    body["bytes"] = 0
    fields = {
        "account_name": "Compte principal",
        "account_type": "iban",
        "country_code": "FR",
        "check_digits": "76",
        "bban": "30006000011234567890189",
        "bic": "AGRIFRPP881",
        "attachment_type": "coordonnee_bancaire",
    }
    uploaded = SimpleUploadedFile("RIB.pdf", junk_pdf(3 * MAX_RIB_SIZE), content_type="application/pdf")
    response = client.post(reverse("banking:add"), as_a_browser_posts(fields, "rib_file", uploaded, "bic"))
    assert response.status_code == 200
    assert body["bytes"] < MAX_RIB_SIZE + SLACK + MARGIN
    assert [str(error) for error in response.context["form"].errors["rib_file"]] == [RIB_TOO_LARGE]
    assert not BankAccount.objects.exists()


def test_it_stops_reading_an_invoice_far_over_its_limit(client, body):
    from tests.banking.factories import BankAccountFactory
    from tests.mandates.factories import BillingMandateFactory

    mandate = BillingMandateFactory(signed=True)
    BankAccountFactory(structure=mandate.structure, validated=True, created_by=mandate.signatory)
    client.force_login(mandate.signatory)
    body["bytes"] = 0
    uploaded = SimpleUploadedFile("facture.pdf", junk_pdf(MAX_INVOICE_SIZE + 6 * 1024 * 1024))
    response = client.post(reverse("invoices:deposit"), {"file": uploaded})
    assert response.status_code == 200
    assert body["bytes"] < MAX_INVOICE_SIZE + SLACK + MARGIN
    assert [str(error) for error in response.context["form"].errors["file"]] == [INVOICE_TOO_LARGE]
    assert not Invoice.objects.exists()


@pytest.mark.parametrize("url", ["twofactor:login", "onboarding:resend_activation"])
def test_it_reads_almost_nothing_of_a_file_sent_to_a_page_that_takes_none(client, body, url):
    uploaded = SimpleUploadedFile("gros.pdf", junk_pdf(5 * 1024 * 1024))
    response = client.post(reverse(url), {"email": "x@exemple.fr", "username": "x@exemple.fr", "fichier": uploaded})
    assert response.status_code in (200, 400)
    assert body["bytes"] < SLACK + MARGIN


def test_it_stops_reading_the_files_of_a_page_past_its_total(rf):
    """Several files, each within the limit, past the page's total: the one that crosses it is
    refused and the body is read no further."""
    from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
    from django.urls import ResolverMatch

    from core.uploads import TooLargeUpload, UploadLimit, UploadLimitHandler

    def view(request):
        raise AssertionError

    view.upload_limit = UploadLimit(max_size=1024 * 1024, max_files=2)
    files = {f"f{n}": SimpleUploadedFile(f"{n}.pdf", junk_pdf(900 * 1024)) for n in range(5)}
    request = rf.post("/", files)
    request.resolver_match = ResolverMatch(view, (), {})
    request.upload_handlers = [
        UploadLimitHandler(request),
        MemoryFileUploadHandler(request),
        TemporaryFileUploadHandler(request),
    ]
    read = {"bytes": 0}
    original = request._stream.read

    def counting(*args):
        data = original(*args)
        read["bytes"] += len(data)
        return data

    request._stream.read = counting
    kept = request.FILES
    assert [name for name in kept if not isinstance(kept[name], TooLargeUpload)] == ["f0", "f1"]
    assert [name for name in kept if isinstance(kept[name], TooLargeUpload)] == ["f2", "f3"]  # f4: not read
    assert kept["f2"].size == kept["f3"].size == 1024 * 1024 + 1  # over the limit, for the form's message
    assert read["bytes"] < 2 * 1024 * 1024 + SLACK + MARGIN  # of a body of 4.5 Mo
