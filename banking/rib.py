"""Checks of the RIB file joined to bank details (stage C: « Fichier », « Coordonnée bancaire »).

Everything is decided from the bytes, never from the file's name or announced content type.
The file is refused when it is too big (« taille maximale par fichier : 4096 kilo-octets »), not a
PDF, damaged, encrypted, or when it carries active content that would run on the finance staff's
computers (JavaScript, launch actions, embedded files). Otherwise its text is searched for IBANs
and compared with the IBAN the supplier typed.

The checks that are not about RIBs (`check_pdf_safety`) serve every PDF a supplier sends: the
invoices app calls them with its own size limit and messages.
"""

import hashlib
import io
import re
from dataclasses import dataclass, field
from functools import cache

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject
from stdnum import iban as stdnum_iban

from .iban import bban_length, format_iban, split_iban

MAX_RIB_SIZE = 4096 * 1024  # bytes; the portal's « 4096 kilo-octets »

# A RIB is one page, and statements that include one put it first. Text extraction (fonts,
# content streams) is the costly step, so we only read the first pages: the check stays fast
# and bounded even for a 300-page upload; a RIB beyond them ends « à vérifier » by staff.
MAX_PAGES_SCANNED = 5

# Every object of the file is inspected for active content, at about 50 µs each with pypdf: a
# bank's RIB has a few dozen objects, a long statement a few thousand, while 4 Mo of tiny
# objects made on purpose would cost seconds per upload. Above this, the file is refused.
MAX_PDF_OBJECTS = 5000

MSG_RIB_TOO_LARGE = _("Le fichier dépasse la taille maximale de 4096 kilo-octets par fichier.")
MSG_RIB_NOT_PDF = _("Ce fichier n'est pas un PDF : joignez votre RIB au format PDF.")
MSG_RIB_DAMAGED = _(
    "Ce PDF est endommagé ou incomplet : téléchargez à nouveau votre RIB depuis votre banque, puis joignez-le."
)
MSG_RIB_TOO_COMPLEX = _(
    "Ce PDF est trop complexe pour un RIB : joignez seulement le RIB, tel que fourni par votre banque."
)
MSG_RIB_ENCRYPTED = _(
    "Ce PDF est protégé par un mot de passe : joignez un RIB sans protection, lisible par l'administration."
)
MSG_RIB_JAVASCRIPT = _(
    "Ce PDF contient du JavaScript, refusé pour des raisons de sécurité : joignez le RIB tel que "
    "fourni par votre banque."
)
MSG_RIB_LAUNCH = _(
    "Ce PDF contient une commande qui lance un programme, refusée pour des raisons de sécurité : "
    "joignez le RIB tel que fourni par votre banque."
)
MSG_RIB_EMBEDDED_FILE = _(
    "Ce PDF contient un fichier joint, refusé pour des raisons de sécurité : joignez un RIB sans pièce jointe."
)
MSG_RIB_IBAN_MISMATCH = _(
    "Le RIB contient l'IBAN %(iban)s, différent de celui saisi : corrigez l'IBAN saisi ou joignez le bon RIB."
)
MSG_RIB_IBANS_MISMATCH = _(
    "Le RIB contient les IBAN %(ibans)s, différents de celui saisi : corrigez l'IBAN saisi ou joignez le bon RIB."
)


class RibStatus(models.TextChoices):
    IBAN_FOUND = "iban_found", _("IBAN retrouvé dans le RIB")
    TO_REVIEW = "to_review", _("à vérifier")


@dataclass(frozen=True)
class RibCheck:
    status: RibStatus
    found_ibans: tuple[str, ...]  # valid IBANs read in the text, compact, in reading order
    page_count: int


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


RIB_REFUSALS = PdfRefusals(
    prefix="rib",
    too_large=MSG_RIB_TOO_LARGE,
    not_pdf=MSG_RIB_NOT_PDF,
    damaged=MSG_RIB_DAMAGED,
    too_complex=MSG_RIB_TOO_COMPLEX,
    encrypted=MSG_RIB_ENCRYPTED,
    javascript=MSG_RIB_JAVASCRIPT,
    launch=MSG_RIB_LAUNCH,
    embedded_file=MSG_RIB_EMBEDDED_FILE,
)


@dataclass(frozen=True)
class SafePdf:
    """A PDF that passed check_pdf_safety: its bytes, and pypdf's reader on them."""

    data: bytes
    reader: PdfReader
    page_count: int


def check_rib(uploaded_file, typed_iban=None):
    """Check a RIB upload (a Django UploadedFile or any file object with read/seek).

    Raises ValidationError (one message, for the file field) when the file is refused or when
    its text holds IBANs that are not the typed one. Otherwise returns a RibCheck: « IBAN
    retrouvé dans le RIB » when the typed IBAN is in the text, « à vérifier » when no IBAN could
    be read (scanned RIB, or no IBAN typed to compare with).
    """
    pdf = check_pdf_safety(uploaded_file, max_size=MAX_RIB_SIZE, refusals=RIB_REFUSALS)
    found = find_ibans(first_pages_text(pdf.reader, pdf.page_count))
    if typed_iban and found:
        typed = "".join(split_iban(typed_iban))
        if typed not in found:
            raise iban_mismatch_error(found)
        return RibCheck(RibStatus.IBAN_FOUND, found, pdf.page_count)
    return RibCheck(RibStatus.TO_REVIEW, found, pdf.page_count)


@dataclass(frozen=True)
class KnownRibCheck:
    """A RIB check's result, with the file (its SHA-256) and the IBAN it was made for.

    The wizard validates every step again at its end, the RIB's check with it (pypdf: about 40 %
    of that request's time, benchmarks/notes.md). It keeps this, in its session, when the bank
    details step is posted; the end reuses the result for the very same bytes and IBAN.
    """

    sha256: str
    iban: str
    check: RibCheck

    def as_dict(self):
        return {
            "sha256": self.sha256,
            "iban": self.iban,
            "status": str(self.check.status),
            "found_ibans": list(self.check.found_ibans),
            "page_count": self.check.page_count,
        }

    @classmethod
    def from_dict(cls, data):
        """The KnownRibCheck `as_dict` gave, or None for anything else (nothing is reused then)."""
        try:
            check = RibCheck(
                RibStatus(data["status"]), tuple(str(i) for i in data["found_ibans"]), int(data["page_count"])
            )
            return cls(str(data["sha256"]), str(data["iban"]), check)
        except (KeyError, TypeError, ValueError):
            return None


def file_sha256(file):
    """The SHA-256 of a file object's bytes, read from the start; the file is left at its start."""
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in iter(lambda: file.read(64 * 1024), b""):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def check_rib_once(uploaded_file, typed_iban, known=None):
    """check_rib(), unless `known` was made for these very bytes and this IBAN; a KnownRibCheck."""
    if known is not None and typed_iban == known.iban and file_sha256(uploaded_file) == known.sha256:
        return known
    check = check_rib(uploaded_file, typed_iban)  # refuses more than 4096 Ko before the digest reads it all
    return KnownRibCheck(file_sha256(uploaded_file), typed_iban, check)


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


def iban_mismatch_error(found_ibans):
    if len(found_ibans) == 1:
        return ValidationError(
            MSG_RIB_IBAN_MISMATCH, code="rib_iban_mismatch", params={"iban": format_iban(found_ibans[0])}
        )
    return ValidationError(
        MSG_RIB_IBANS_MISMATCH,
        code="rib_iban_mismatch",
        params={"ibans": ", ".join(format_iban(iban) for iban in found_ibans)},
    )


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


# Where an IBAN may start: a country code and 2 digits, not glued to a preceding letter or digit.
_IBAN_START = re.compile(r"(?<![A-Z0-9])(?=([A-Z]{2})[0-9]{2})")
_WHITE_SPACE = re.compile(r"\s+")


@cache
def _iban_of_length(length):
    # Letters and digits, each possibly followed by a little white space: the groups of 4 of a
    # printed IBAN, or the line breaks and double spaces text extraction puts between them.
    return re.compile(rf"(?:[A-Z0-9]\s{{0,3}}){{{length}}}")


def find_ibans(text):
    """Valid IBANs in a text, compact, without duplicates, in reading order.

    From each possible start we take exactly the country's IBAN length in letters and digits,
    so that the next word (« BIC … ») is never glued to the IBAN; stdnum checks the result.
    """
    found = []
    for start in _IBAN_START.finditer(text):
        length = bban_length(start.group(1))
        if length is None:
            continue
        match = _iban_of_length(length + 4).match(text, start.start())
        candidate = match and _WHITE_SPACE.sub("", match.group())
        if candidate and candidate not in found and stdnum_iban.is_valid(candidate):
            found.append(candidate)
    return tuple(found)
