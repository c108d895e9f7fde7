"""The PDFs the app writes (the billing mandate, an invoice entered with « Saisir »), by WeasyPrint.

What a supplier typed goes through the templates' autoescaping. WeasyPrint would otherwise fetch
whatever a document points at (file:///etc/passwd, an intranet URL…): its URL fetcher here
serves the files of one static folder of the app and refuses anything else.
"""

import mimetypes
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname
from zoneinfo import ZoneInfo

from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

# Dates in the documents are the city's, whatever the reader's time zone.
PARIS = ZoneInfo("Europe/Paris")


class ResourceRefused(ValueError):
    """A URL a PDF may not load. WeasyPrint logs it and goes on without it."""


class StaticFilesOnlyFetcher(URLFetcher):
    """file: URLs of regular files under `static_dir`; no network, no other file, no data: URL."""

    def __init__(self, static_dir):
        super().__init__(allowed_protocols=("file",), allow_redirects=False)
        self.static_dir = Path(static_dir).resolve()

    def fetch(self, url, headers=None):
        path = self.local_path(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), body=path.read_bytes(), headers={"Content-Type": content_type})

    def local_path(self, url):
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            raise ResourceRefused(f"Not a local file: {url}")
        try:
            # resolve() removes « .. » and follows symbolic links before the check.
            path = Path(url2pathname(parts.path)).resolve()
        except (OSError, ValueError) as error:
            raise ResourceRefused(f"Not a file path: {url}") from error
        if not path.is_relative_to(self.static_dir) or not path.is_file():
            raise ResourceRefused(f"Outside the PDF's static files: {url}")
        return path


@cache
def font_config():
    """One font configuration per process.

    Left to itself, WeasyPrint builds one per document, and each keeps font data alive: a
    worker grew by about 0.2 MB per PDF (benchmarks/, BENCHMARKS.md); shared, it stays flat
    and rendering is faster.
    """
    return FontConfiguration()


def render_pdf(html, *, static_dir, **options):
    """The PDF of `html`, whose relative URLs point into `static_dir` (and nowhere else)."""
    static_dir = Path(static_dir).resolve()
    document = HTML(string=html, base_url=static_dir.as_uri() + "/", url_fetcher=StaticFilesOnlyFetcher(static_dir))
    return document.write_pdf(font_config=font_config(), **options)
