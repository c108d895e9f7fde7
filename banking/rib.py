"""Checks of the RIB file joined to bank details (stage C: « Fichier », « Coordonnée bancaire »).

Everything is decided from the bytes, never from the file's name or announced content type.
The file is refused when it is too big (« taille maximale par fichier : 4096 kilo-octets »), not a
PDF, damaged, encrypted, too costly to read, or when it carries active content that would run on
the finance staff's computers or reach outside (JavaScript, launch and outbound actions, rich
media, embedded files). Otherwise its text is searched for IBANs and compared with the IBAN the
supplier typed.

The checks that are not about RIBs are core/pdf.py's, shared with the invoices; this module
words their refusals for a RIB.
"""

import hashlib
import re
from dataclasses import dataclass
from functools import cache

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from stdnum import iban as stdnum_iban

from core.pdf import PdfRefusals, check_pdf_safety

from .iban import bban_length, format_iban, split_iban

MAX_RIB_SIZE = 4096 * 1024  # bytes; the portal's « 4096 kilo-octets »

MSG_RIB_TOO_LARGE = _("Le fichier dépasse la taille maximale de 4096 kilo-octets par fichier.")
MSG_RIB_NOT_PDF = _("Ce fichier n'est pas un PDF : joignez votre RIB au format PDF.")
MSG_RIB_DAMAGED = _(
    "Ce PDF est endommagé ou incomplet : téléchargez à nouveau votre RIB depuis votre banque, puis joignez-le."
)
MSG_RIB_TOO_COMPLEX = _(
    "Ce PDF est trop complexe pour un RIB : joignez seulement le RIB, tel que fourni par votre banque."
)
MSG_RIB_TOO_COSTLY = _(
    "Ce PDF est trop complexe pour être lu automatiquement : joignez seulement le RIB, tel que fourni par votre banque."
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
MSG_RIB_OUTBOUND_ACTION = _(
    "Ce PDF contient une action qui envoie des données ou ouvre une adresse ou un fichier extérieurs, refusée "
    "pour des raisons de sécurité : joignez le RIB tel que fourni par votre banque."
)
MSG_RIB_RICH_MEDIA = _(
    "Ce PDF contient un média interactif (vidéo, animation, 3D), refusé pour des raisons de sécurité : joignez "
    "le RIB tel que fourni par votre banque."
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


RIB_REFUSALS = PdfRefusals(
    prefix="rib",
    too_large=MSG_RIB_TOO_LARGE,
    not_pdf=MSG_RIB_NOT_PDF,
    damaged=MSG_RIB_DAMAGED,
    too_complex=MSG_RIB_TOO_COMPLEX,
    too_costly=MSG_RIB_TOO_COSTLY,
    encrypted=MSG_RIB_ENCRYPTED,
    javascript=MSG_RIB_JAVASCRIPT,
    launch=MSG_RIB_LAUNCH,
    outbound_action=MSG_RIB_OUTBOUND_ACTION,
    rich_media=MSG_RIB_RICH_MEDIA,
    embedded_file=MSG_RIB_EMBEDDED_FILE,
)


def check_rib(uploaded_file, typed_iban=None):
    """Check a RIB upload (a Django UploadedFile or any file object with read/seek).

    Raises ValidationError (one message, for the file field) when the file is refused or when
    its text holds IBANs that are not the typed one. Otherwise returns a RibCheck: « IBAN
    retrouvé dans le RIB » when the typed IBAN is in the text, « à vérifier » when no IBAN could
    be read (scanned RIB, or no IBAN typed to compare with).
    """
    pdf = check_pdf_safety(uploaded_file, max_size=MAX_RIB_SIZE, refusals=RIB_REFUSALS)
    found = find_ibans(pdf.text)
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
