"""Helpers shared by the mandate tests."""

import io
import re

from django.urls import reverse
from pypdf import PdfReader

from mandates import services

NEW_PASSWORD = "Grenoble-Fournisseur-2026"
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"


def sign_path(mandate):
    return reverse("mandates:sign", args=[services.signing_token(mandate)])


def signing_link(message):
    match = re.search(r"https?://\S+/mandats/signer/[^/\s]+/", message.body)
    assert match, message.body
    return match.group(0)


def pdf_text(data):
    """The text of every page, as a reader would copy it."""
    assert data.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def sign_data(mandate, **overrides):
    data = {"consent": "on", "document_sha256": mandate.compute_document_sha256(), "action": "signer"}
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}
