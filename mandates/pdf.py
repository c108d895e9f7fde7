"""The billing mandate as a PDF: A4, in French, rendered by WeasyPrint.

The mandate's text is the stored `document_html`, escaped when it was rendered; everything
else the supplier typed goes through the template's autoescaping. WeasyPrint would otherwise
fetch whatever a document points at (file:///etc/passwd, an intranet URL…): its URL fetcher
here serves the files of this app's static folder and refuses anything else.
"""

import mimetypes
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from .texts import PARIS

STATIC_DIR = (Path(__file__).resolve().parent / "static").resolve()
BASE_URL = STATIC_DIR.as_uri() + "/"


class ResourceRefused(ValueError):
    """A URL the mandate PDF may not load. WeasyPrint logs it and goes on without it."""


class StaticFilesOnlyFetcher(URLFetcher):
    """file: URLs of regular files under STATIC_DIR; no network, no other file, no data: URL."""

    def __init__(self):
        super().__init__(allowed_protocols=("file",), allow_redirects=False)

    def fetch(self, url, headers=None):
        path = self.local_path(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), body=path.read_bytes(), headers={"Content-Type": content_type})

    @staticmethod
    def local_path(url):
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            raise ResourceRefused(f"Not a local file: {url}")
        try:
            # resolve() removes « .. » and follows symbolic links before the check.
            path = Path(url2pathname(parts.path)).resolve()
        except (OSError, ValueError) as error:
            raise ResourceRefused(f"Not a file path: {url}") from error
        if not path.is_relative_to(STATIC_DIR) or not path.is_file():
            raise ResourceRefused(f"Outside the mandates' static files: {url}")
        return path


def render_mandate_html(mandate):
    """The HTML given to WeasyPrint; the signed one includes the « Preuve de signature »."""
    context = {
        "mandate": mandate,
        # Rendered and escaped at generation (bandit B308/B703 reviewed).
        "document": mark_safe(mandate.document_html),  # nosec B308 B703
        "signed": mandate.is_signed,
    }
    with translation.override("fr"), timezone.override(PARIS):
        return render_to_string("mandates/pdf.html", context)


@cache
def font_config():
    """One font configuration per process.

    Left to itself, WeasyPrint builds one per document, and each keeps font data alive: a
    worker grew by about 0.2 MB per PDF (benchmarks/, BENCHMARKS.md); shared, it stays flat
    and rendering is faster.
    """
    return FontConfiguration()


def render_mandate_pdf(mandate):
    html = HTML(string=render_mandate_html(mandate), base_url=BASE_URL, url_fetcher=StaticFilesOnlyFetcher())
    return html.write_pdf(font_config=font_config())
