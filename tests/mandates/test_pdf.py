import logging

import pytest
from django.core.files.storage import storages
from pypdf import PdfReader
from weasyprint import HTML

from core.pdf_rendering import PARIS, ResourceRefused, StaticFilesOnlyFetcher
from mandates import pdf, services
from tests.mandates.factories import BillingMandateFactory
from tests.mandates.helpers import pdf_text
from tests.structures.factories import MainManagerFactory

pytestmark = pytest.mark.django_db

CSS_PATH = pdf.STATIC_DIR / "mandates" / "mandate-pdf.css"


@pytest.fixture
def signed(structure, manager, django_capture_on_commit_callbacks):
    mandate = BillingMandateFactory(structure=structure, signatory=manager)
    with django_capture_on_commit_callbacks(execute=True):
        return services.sign_mandate(mandate, user=manager, ip="203.0.113.7", user_agent="Firefox/140.0")


def test_it_prints_the_structure_the_signatory_and_the_evidence(signed):
    text = pdf_text(storages["private"].open(signed.signed_pdf.name).read())
    for expected in (
        "Ville de Grenoble",
        "Mandat de facturation",
        f"Référence {signed.reference}",
        "Menuiserie Martin",
        "46430577000248",
        "12 rue Félix Poulat",
        "38000 Grenoble",
        "Claire Martin",
        "claire@menuiserie-martin.fr",
        "Version du modèle 2026-01",
        "Statut Signé",
        "Article 1 — Objet",
        "Preuve de signature",
        "Adresse IP 203.0.113.7",
        "Navigateur Firefox/140.0",
        f"SHA-256 {signed.document_sha256}",
    ):
        assert expected in text, expected
    paris = signed.signed_at.astimezone(PARIS)
    assert f"Signé le {paris:%d/%m/%Y à %H:%M:%S} (heure de Paris)" in text
    assert "non signé" not in text


def test_it_prints_an_a4_document_in_french(signed):
    reader = PdfReader(storages["private"].open(signed.signed_pdf.name))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    assert reader.metadata.title == f"Mandat de facturation {signed.reference} — Menuiserie Martin"
    assert reader.trailer["/Root"]["/Lang"] == "fr"


def test_it_marks_a_mandate_not_signed_yet(structure, manager):
    mandate = BillingMandateFactory(structure=structure, signatory=manager)
    text = pdf_text(pdf.render_mandate_pdf(mandate))
    assert "Statut Généré — non signé" in text
    assert "Document non signé : ce mandat n'engage pas le fournisseur" in text
    assert "Preuve de signature" not in text


def test_it_prints_what_the_supplier_typed_as_text(manager):
    membership = MainManagerFactory(structure__raison_sociale='<img src="file:///etc/passwd"> <b>Atelier</b>')
    mandate = BillingMandateFactory(structure=membership.structure, signatory=membership.user)
    text = pdf_text(pdf.render_mandate_pdf(mandate))
    assert '<img src="file:///etc/passwd"> <b>Atelier</b>' in text
    assert "root:" not in text


def test_it_serves_the_app_static_files():
    response = StaticFilesOnlyFetcher(pdf.STATIC_DIR).fetch(CSS_PATH.as_uri())
    assert response.read() == CSS_PATH.read_bytes()
    assert response.content_type == "text/css"


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://example.org/style.css",
        "https://169.254.169.254/latest/meta-data/",
        "ftp://example.org/x.css",
        "data:text/css,body{color:red}",
        "file://intranet.example/share/mandate-pdf.css",
        pdf.BASE_URL + "mandates/../../../../../../etc/passwd",
        pdf.BASE_URL + "mandates/%2e%2e/%2e%2e/pdf.py",
        pdf.BASE_URL + "mandates/",  # a folder, not a file
        pdf.BASE_URL + "mandates/missing.css",
    ],
)
def test_it_refuses_anything_else(url):
    with pytest.raises(ResourceRefused):
        StaticFilesOnlyFetcher(pdf.STATIC_DIR).fetch(url)


def test_it_refuses_a_symbolic_link_out_of_the_static_folder(tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    (static / "secret.css").symlink_to("/etc/passwd")
    with pytest.raises(ResourceRefused):
        StaticFilesOnlyFetcher(static).fetch((static / "secret.css").as_uri())


def test_it_renders_without_what_it_refused(caplog):
    """WeasyPrint goes on without a refused resource: no secret file in the PDF, no error."""
    html = HTML(
        string='<p>Avant</p><img src="file:///etc/passwd"><link rel="stylesheet" href="http://example.org/x.css"><p>Après</p>',
        base_url=pdf.BASE_URL,
        url_fetcher=StaticFilesOnlyFetcher(pdf.STATIC_DIR),
    )
    with caplog.at_level(logging.WARNING):
        text = pdf_text(html.write_pdf())
    assert "Avant" in text and "Après" in text
    assert "root:" not in text
    assert "file:///etc/passwd" in caplog.text


def test_it_loads_its_stylesheet_through_the_fetcher(structure, manager, monkeypatch):
    fetched = []
    original = StaticFilesOnlyFetcher.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(StaticFilesOnlyFetcher, "fetch", spy)
    pdf.render_mandate_pdf(BillingMandateFactory(structure=structure, signatory=manager))
    assert fetched == [CSS_PATH.as_uri()]
