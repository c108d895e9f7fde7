"""Safety checks of the PDFs suppliers send (RIBs, invoices, supporting documents).

Everything is decided from the bytes, never from the file's name or announced content type. A
file is refused when it is too big, not a PDF, damaged, encrypted, too complex, or when it
carries active content that would run on the finance staff's computers. Each caller words the
refusals for what the supplier is sending (`PdfRefusals`): banking/rib.py for a RIB,
invoices/files.py for an invoice.
"""

import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

# A RIB is one page, and statements that include one put it first. Text extraction (fonts,
# content streams) is the costly step, so we only read the first pages: the check stays fast
# and bounded even for a 300-page upload; a RIB beyond them ends « à vérifier » by staff.
MAX_PAGES_SCANNED = 5

# Every object of the file is inspected for active content, at about 50 µs each with pypdf: a
# bank's RIB has a few dozen objects, a long statement a few thousand, while 4 Mo of tiny
# objects made on purpose would cost seconds per upload. Above this, the file is refused.
MAX_PDF_OBJECTS = 5000


@dataclass(frozen=True)
class PdfRefusals:
    """What a supplier reads when a PDF is refused, worded for what they are sending (a RIB, an
    invoice…). The ValidationError codes are `<prefix>_<reason>`: rib_not_pdf, rib_damaged…"""

    prefix: str
    too_large: str
    not_pdf: str
    damaged: str
    too_complex: str
    encrypted: str
    javascript: str
    launch: str
    embedded_file: str

    def error(self, reason):
        return ValidationError(getattr(self, reason), code=f"{self.prefix}_{reason}")


@dataclass(frozen=True)
class SafePdf:
    """A PDF that passed check_pdf_safety: its bytes, and pypdf's reader on them."""

    data: bytes
    reader: PdfReader
    page_count: int


def check_pdf_safety(uploaded_file, *, max_size, refusals, allowed_attachments=()):
    """Read a PDF sent by a supplier and refuse it unless it is safe to open; a SafePdf.

    Refused, with `refusals`' message: above `max_size` bytes, not a PDF, damaged, encrypted,
    too many objects, or carrying active content. `allowed_attachments` names the files it may
    embed, each once and nothing else (a Factur-X invoice carries its XML); by default none.
    """
    data = _read_bounded(uploaded_file, max_size, refusals)
    if not data.startswith(b"%PDF-"):
        raise refusals.error("not_pdf")

    # pypdf raises many kinds of exceptions on malformed input (its own, but also ValueError,
    # KeyError, zlib errors…): for an untrusted upload any of them means « damaged ».
    try:
        reader = PdfReader(io.BytesIO(data), strict=True)
        encrypted = reader.is_encrypted
    except Exception:
        raise refusals.error("damaged") from None
    if encrypted:
        # Checked before touching any object: they cannot be read without the password.
        raise refusals.error("encrypted")
    references = _object_references(reader)
    if len(references) > MAX_PDF_OBJECTS:
        raise refusals.error("too_complex")
    try:
        page_count = len(reader.pages)
        scan = _active_content(reader, references)
    except Exception:
        raise refusals.error("damaged") from None
    if page_count == 0:
        raise refusals.error("damaged")
    if _EMBEDDED_FILE in scan.kinds and scan.only_attachments(allowed_attachments):
        scan.kinds.discard(_EMBEDDED_FILE)
    for kind in (_JAVASCRIPT, _LAUNCH, _EMBEDDED_FILE):
        if kind in scan.kinds:
            raise refusals.error(kind)
    return SafePdf(data, reader, page_count)


def _read_bounded(uploaded_file, max_size, refusals):
    """The file's bytes, never reading more than max_size + 1 of them."""
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > max_size:
        raise refusals.error("too_large")
    uploaded_file.seek(0)
    data = uploaded_file.read(max_size + 1)  # + 1: tells a file at the limit from one above
    uploaded_file.seek(0)  # the caller saves it next
    if len(data) > max_size:  # .size missing or wrong
        raise refusals.error("too_large")
    return data


_JAVASCRIPT, _LAUNCH, _EMBEDDED_FILE = "javascript", "launch", "embedded_file"


def _object_references(reader):
    """(number, generation) of every object in the cross-reference table(s)."""
    references = [(number, generation) for generation, numbers in reader.xref.items() for number in numbers]
    return references + [(number, 0) for number in reader.xref_objStm]


@dataclass
class _Scan:
    kinds: set = field(default_factory=set)
    # Names given by the file specifications that embed a file (/F, /UF; "" when unnamed), the
    # object numbers of the embedded file streams, and whether an annotation shows one.
    attachment_names: set = field(default_factory=set)
    embedded_streams: set = field(default_factory=set)
    attachment_annotation: bool = False

    def only_attachments(self, allowed):
        """Whether every embedded file is one of `allowed` (names), each at most once."""
        allowed = {name.lower() for name in allowed}
        return bool(
            allowed
            and not self.attachment_annotation
            and self.attachment_names
            and {name.lower() for name in self.attachment_names} <= allowed
            and len(self.embedded_streams) <= len(allowed)
        )


def _active_content(reader, references):
    """What active content any object of the file holds (a _Scan).

    Every object in the cross-reference table is inspected, rather than the places a viewer
    looks (names tree, open action, page and annotation actions, outlines, form fields…): that
    list is long and easy to get incomplete, while a RIB has few objects. Stream data is not
    decoded, only the dictionaries.
    """
    scan = _Scan()
    for number, generation in references:
        stack = [reader.get_object(IndirectObject(number, generation, reader))]
        while stack:  # direct objects nested in this one; indirect ones are visited on their own
            obj = stack.pop()
            if isinstance(obj, DictionaryObject):
                _scan_dictionary(obj, number, scan)
                stack.extend(value for value in obj.values() if isinstance(value, (DictionaryObject, ArrayObject)))
            elif isinstance(obj, ArrayObject):
                stack.extend(item for item in obj if isinstance(item, (DictionaryObject, ArrayObject)))
    return scan


def _scan_dictionary(dictionary, number, scan):
    def name(key):  # a name may sit behind an indirect reference, to hide it from naive scans
        value = dictionary.get(key)
        return value.get_object() if isinstance(value, IndirectObject) else value

    action = name("/S")
    if "/JS" in dictionary or "/JavaScript" in dictionary or action == "/JavaScript":
        scan.kinds.add(_JAVASCRIPT)  # a JavaScript action, or the names tree of document scripts
    if action == "/Launch":
        scan.kinds.add(_LAUNCH)
    if name("/Subtype") == "/FileAttachment":
        scan.kinds.add(_EMBEDDED_FILE)
        scan.attachment_annotation = True
    if name("/Type") == "/EmbeddedFile":
        scan.kinds.add(_EMBEDDED_FILE)
        scan.embedded_streams.add(number)
    if "/EmbeddedFiles" in dictionary:
        scan.kinds.add(_EMBEDDED_FILE)
    if "/EF" in dictionary:
        scan.kinds.add(_EMBEDDED_FILE)
        scan.attachment_names |= {str(name(key)) for key in ("/F", "/UF") if name(key) is not None} or {""}
        streams = name("/EF")
        for value in streams.values() if isinstance(streams, DictionaryObject) else [streams]:
            scan.embedded_streams.add(value.idnum if isinstance(value, IndirectObject) else id(value))


def first_pages_text(reader, page_count):
    texts = []
    for index in range(min(page_count, MAX_PAGES_SCANNED)):
        try:
            texts.append(reader.pages[index].extract_text())
        except Exception:  # nosec B112
            # The file passed the structural checks; a page whose text pypdf cannot read is left
            # to the staff's eyes (« à vérifier ») rather than refused (bandit B112 reviewed).
            continue
    return "\n".join(texts)
