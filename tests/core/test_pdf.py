"""core/pdf.py: what is refused in any PDF a supplier sends, and the bounded work of reading it.

The French wording of each refusal, for a RIB and for an invoice, is tested with them
(tests/banking/test_rib.py, tests/invoices/test_bad_input.py); here the refusals are their codes.
"""

import dataclasses
import io
import logging

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from core import pdf
from core.pdf import PdfRefusals, check_pdf_safety
from tests.banking import pdfs
from tests.invoices import pdfs as invoice_pdfs

REASONS = [f.name for f in dataclasses.fields(PdfRefusals) if f.name != "prefix"]
REFUSALS = PdfRefusals(prefix="test", **{reason: reason for reason in REASONS})


def check(data, **options):
    return check_pdf_safety(SimpleUploadedFile("x.pdf", data), max_size=10 * 1024 * 1024, refusals=REFUSALS, **options)


def refusal(data, **options):
    with pytest.raises(ValidationError) as caught:
        check(data, **options)
    return caught.value.code


# --- what is refused: one file each, built here --------------------------------------------------

REFUSED = {
    # JavaScript anywhere
    "JavaScript names tree": (lambda: pdfs.javascript_pdf("names"), "javascript"),
    "JavaScript open action": (lambda: pdfs.javascript_pdf("open_action"), "javascript"),
    "JavaScript link": (lambda: pdfs.javascript_pdf("annotation"), "javascript"),
    "JavaScript page action": (lambda: pdfs.javascript_pdf("page_open"), "javascript"),
    "JavaScript hidden names": (lambda: pdfs.javascript_pdf("hidden_names"), "javascript"),
    "XFA script, one stream": (lambda: pdfs.xfa_pdf(layout="stream"), "javascript"),
    "XFA script, array of streams": (lambda: pdfs.xfa_pdf(layout="array"), "javascript"),
    # Starting a program
    "/Launch at opening": (lambda: pdfs.launch_pdf("open_action"), "launch"),
    "/Launch on a link": (lambda: pdfs.launch_pdf("annotation"), "launch"),
    # Sending data out, bringing a file in
    "/URI at opening": (lambda: pdfs.action_pdf("open_action_uri"), "outbound_action"),
    "/URI when a page opens": (lambda: pdfs.action_pdf("page_open_uri"), "outbound_action"),
    "/URI next to an opening action": (lambda: pdfs.action_pdf("next_uri"), "outbound_action"),
    "/SubmitForm": (lambda: pdfs.action_pdf("submit_form"), "outbound_action"),
    "/ImportData": (lambda: pdfs.action_pdf("import_data"), "outbound_action"),
    "/GoToR": (lambda: pdfs.action_pdf("goto_remote"), "outbound_action"),
    "/GoToE": (lambda: pdfs.action_pdf("goto_embedded"), "outbound_action"),
    "XFA submit": (lambda: pdfs.action_pdf("xfa_submit"), "outbound_action"),
    # Rich media
    "/RichMedia": (pdfs.rich_media_pdf, "rich_media"),
    # Embedded files
    "embedded file": (lambda: pdfs.embedded_file_pdf("names"), "embedded_file"),
    "file attachment annotation": (lambda: pdfs.embedded_file_pdf("annotation"), "embedded_file"),
    # Too costly to read
    "1.5 million operators drawn by 5 pages": (pdfs.costly_pdf, "too_costly"),
    "a form drawn 200 times": (lambda: pdfs.drawn_form_pdf(operators=1000, draws=200), "too_costly"),
}


@pytest.mark.parametrize("build, reason", REFUSED.values(), ids=REFUSED.keys())
def test_it_refuses(build, reason):
    assert refusal(build()) == f"test_{reason}"


@pytest.mark.parametrize(
    "build",
    [
        pdfs.rib_pdf,
        pdfs.link_pdf,  # the bank's address, opened only by a click
        lambda: pdfs.xfa_pdf(pdfs.XFA_PLAIN),  # a form without script
        lambda: pdfs.drawn_form_pdf(operators=1000, draws=20),  # a logo drawn on each line
        pdfs.weasyprint_rib_pdf,
    ],
    ids=["rib", "link clicked", "XFA without script", "form drawn 20 times", "WeasyPrint"],
)
def test_it_accepts(build):
    assert "SARL LES ATELIERS DU DRAC" in check(build()).text


def test_it_lets_an_invoice_carry_exactly_its_factur_x_xml():
    allowed = {"allowed_attachments": ["factur-x.xml", "zugferd-invoice.xml"]}
    assert check(invoice_pdfs.facturx_pdf(invoice_pdfs.OTHER_SIRET), **allowed).has_attachment
    assert not check(invoice_pdfs.plain_pdf(), **allowed).has_attachment
    assert refusal(invoice_pdfs.facturx_pdf(invoice_pdfs.OTHER_SIRET)) == "test_embedded_file"
    two_xml = pdfs.pdf_with_objects(
        catalog_extra=b"/Names << /EmbeddedFiles {n} 0 R >>",
        objects=[
            b"<< /Names [(factur-x.xml) {n+1} 0 R (zugferd-invoice.xml) {n+3} 0 R] >>",
            b"<< /Type /Filespec /F (factur-x.xml) /EF << /F {n+2} 0 R >> >>",
            (b"/Type /EmbeddedFile", b"<xml/>"),
            b"<< /Type /Filespec /F (zugferd-invoice.xml) /EF << /F {n+4} 0 R >> >>",
            (b"/Type /EmbeddedFile", b"<xml/>"),
        ],
    )
    assert refusal(two_xml, **allowed) == "test_embedded_file"  # each name allowed, but one file only


# --- bounded work ----------------------------------------------------------------------------


def test_the_budget_alone_refuses_the_attack(monkeypatch, caplog):
    # The kernel's limits out of the way: the operators' budget stops the attack's file before
    # pypdf parses it (it kept a worker 20 to 70 s before; without the budget, the memory limit
    # stops it after ~5 s here).
    monkeypatch.setattr(pdf, "MAX_CPU_SECONDS", 120)
    monkeypatch.setattr(pdf, "MAX_WALL_SECONDS", 120)
    monkeypatch.setattr(pdf, "MAX_MEMORY_BYTES", 8 * 1024**3)
    data = pdfs.costly_pdf()
    assert len(data) < 17_000
    with caplog.at_level(logging.WARNING, logger="core.pdf"):
        assert refusal(data) == "test_too_costly"
    assert "PDF check stopped (its budget of decoded bytes and operators)" in caplog.text


def test_it_counts_the_operators_of_every_page_read(monkeypatch):
    monkeypatch.setattr(pdf, "MAX_OPERATORS", 1000)
    # One stream of 304 operators (BT, Tf, Td, 300 × Tj, ET), drawn by each page.
    assert check(pdfs.costly_pdf(repeats=300, pages=3)).page_count == 3  # 912 operators read
    assert refusal(pdfs.costly_pdf(repeats=300, pages=4)) == "test_too_costly"  # 1216
    monkeypatch.setattr(pdf, "MAX_PAGES_SCANNED", 3)
    assert check(pdfs.costly_pdf(repeats=300, pages=6)).page_count == 6  # only 3 pages read…
    monkeypatch.setattr(pdf, "MAX_PAGES_SCANNED", 4)
    assert refusal(pdfs.costly_pdf(repeats=300, pages=6)) == "test_too_costly"  # …or 4


def test_it_counts_the_decompressed_bytes_read(monkeypatch):
    monkeypatch.setattr(pdf, "MAX_DECODED_BYTES", 50_000)
    text = b"BT /F1 11 Tf 50 790 Td (Titulaire du compte : SARL LES ATELIERS DU DRAC) Tj ET\n"
    assert check(pdfs.content_pdf(text + b"% " + b"x" * 40_000 + b"\n")).page_count == 1
    # Few operators, many bytes (once decompressed).
    assert refusal(pdfs.content_pdf(text + b"% " + b"x" * 60_000 + b"\n")) == "test_too_costly"
    assert refusal(pdfs.content_pdf(text + b"% " + b"x" * 20_000 + b"\n", pages=3)) == "test_too_costly"
    xfa = pdfs.xfa_pdf(pdfs.XFA_PLAIN + b"<!-- " + b"x" * 60_000 + b" -->")
    assert refusal(xfa) == "test_too_costly"


def test_it_stops_a_check_over_its_cpu_time(monkeypatch, caplog):
    # Budgets out of the way: only the kernel's limit stops pypdf parsing 1.5 million operators.
    monkeypatch.setattr(pdf, "MAX_OPERATORS", 10**9)
    monkeypatch.setattr(pdf, "MAX_DECODED_BYTES", 10**9)
    monkeypatch.setattr(pdf, "MAX_CPU_SECONDS", 1)
    monkeypatch.setattr(pdf, "MAX_WALL_SECONDS", 60)
    with caplog.at_level(logging.WARNING, logger="core.pdf"):
        assert refusal(pdfs.costly_pdf()) == "test_too_costly"
    assert "the child was killed by SIGXCPU" in caplog.text


def test_it_stops_a_check_over_its_wall_time(monkeypatch, caplog):
    monkeypatch.setattr(pdf, "MAX_OPERATORS", 10**9)
    monkeypatch.setattr(pdf, "MAX_DECODED_BYTES", 10**9)
    monkeypatch.setattr(pdf, "MAX_CPU_SECONDS", 60)
    monkeypatch.setattr(pdf, "MAX_WALL_SECONDS", 0.5)
    with caplog.at_level(logging.WARNING, logger="core.pdf"):
        assert refusal(pdfs.costly_pdf()) == "test_too_costly"
    assert "the child was killed by SIGKILL" in caplog.text


def test_it_stops_a_check_over_its_memory(monkeypatch, caplog):
    monkeypatch.setattr(pdf, "MAX_OPERATORS", 10**9)
    monkeypatch.setattr(pdf, "MAX_DECODED_BYTES", 10**9)
    monkeypatch.setattr(pdf, "MAX_MEMORY_BYTES", 1024 * 1024)  # 10 Mo to decompress
    with caplog.at_level(logging.WARNING, logger="core.pdf"):
        assert refusal(pdfs.costly_pdf()) == "test_too_costly"
    assert "PDF check stopped (its memory limit)" in caplog.text
    monkeypatch.undo()
    assert check(pdfs.rib_pdf()).page_count == 1  # the next file has the usual limits


def test_the_web_worker_never_parses_the_upload(monkeypatch):
    def no_parsing_here(*args, **kwargs):
        raise AssertionError("parsed in the web worker")

    monkeypatch.setattr(pdf, "PdfReader", no_parsing_here)
    assert check(pdfs.rib_pdf()).page_count == 1


def test_it_takes_the_childs_answer_as_untrusted_input(monkeypatch):
    monkeypatch.setattr(pdf, "_read_in_child", lambda *args: "prefix")  # not a reason
    assert refusal(pdfs.rib_pdf()) == "test_too_costly"


def test_it_replaces_a_reader_process_that_died():
    check(pdfs.rib_pdf())
    (reader,) = [reader for reader in pdf._idle_readers if reader.usable()]
    reader.process.kill()
    reader.process.wait()
    assert check(pdfs.rib_pdf()).page_count == 1
    assert reader not in pdf._idle_readers


def test_it_keeps_the_first_pages_text_for_the_callers():
    result = check(pdfs.pages_pdf(2, iban_on_page=2))
    assert result.page_count == 2
    assert result.text.startswith("Page 1\n")
    assert "IBAN : FR76 3000 6000 0112 3456 7890 189" in result.text
    assert result.data == pdfs.pages_pdf(2, iban_on_page=2)
    assert not result.has_attachment


def test_it_reads_no_more_than_the_size_allowed():
    upload = io.BytesIO(pdfs.rib_pdf())
    with pytest.raises(ValidationError) as caught:
        check_pdf_safety(upload, max_size=100, refusals=REFUSALS)
    assert caught.value.code == "test_too_large"
