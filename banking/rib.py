"""Checks of the RIB file joined to bank details (stage C: « Fichier », « Coordonnée bancaire »).

Everything is decided from the bytes, never from the file's name or announced content type.
The file is refused when it is too big (« taille maximale par fichier : 4096 kilo-octets »), not a
PDF, damaged, encrypted, too costly to read, or when it carries active content that would run on
the finance staff's computers or reach outside (JavaScript, launch and outbound actions, rich
media, embedded files). Otherwise its text is searched for IBANs, compared with the IBAN the
supplier typed, and for the account holder's name, which finance staff see beside the structure's
raison sociale (`check_holder`): never a reason to refuse, a point to check.

The checks that are not about RIBs are core/pdf.py's, shared with the invoices; this module
words their refusals for a RIB.
"""

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from stdnum import iban as stdnum_iban

from core.pdf import PdfRefusals, check_pdf_safety
from structures.identifiers import IdentifierType

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


class RibHolderCheck(models.TextChoices):
    """The account holder's name read in the RIB, compared with the structure's (`check_holder`)."""

    MATCHES = "conforme", _("conforme")
    DIFFERS = "different", _("différent")
    UNREADABLE = "illisible", _("illisible")
    NOT_CHECKED = "non_controle", _("non contrôlé")  # bank details sent before the check existed


@dataclass(frozen=True)
class RibCheck:
    status: RibStatus
    found_ibans: tuple[str, ...]  # valid IBANs read in the text, compact, in reading order
    page_count: int
    holder: str = ""  # the account holder's name as printed, "" when none could be read


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
    be read (scanned RIB, or no IBAN typed to compare with). Either way, with the account holder's
    name when the text gives one.
    """
    pdf = check_pdf_safety(uploaded_file, max_size=MAX_RIB_SIZE, refusals=RIB_REFUSALS)
    found = find_ibans(pdf.text)
    holder = find_holder(pdf.text)
    if typed_iban and found:
        typed = "".join(split_iban(typed_iban))
        if typed not in found:
            raise iban_mismatch_error(found)
        return RibCheck(RibStatus.IBAN_FOUND, found, pdf.page_count, holder)
    return RibCheck(RibStatus.TO_REVIEW, found, pdf.page_count, holder)


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
            "holder": self.check.holder,
        }

    @classmethod
    def from_dict(cls, data):
        """The KnownRibCheck `as_dict` gave, or None for anything else (nothing is reused then)."""
        try:
            check = RibCheck(
                RibStatus(data["status"]),
                tuple(str(i) for i in data["found_ibans"]),
                int(data["page_count"]),
                str(data["holder"]),  # a check kept before the holder was read: made again
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


# --- the account holder (« Titulaire du compte ») --------------------------------------------
#
# The first person to register a SIRET becomes its main manager: the city's guard is finance
# staff reviewing the RIB. The holder's name printed on it, set beside the structure's, makes
# that review quicker and harder to fool. Pragmatic: the labels French and a few foreign banks
# print, the name after the label (or on the next line); never a refusal, only what staff see.

_NOT_A_LETTER_BEFORE = r"(?<![^\W\d_])"
_NOT_A_LETTER_AFTER = r"(?![^\W\d_])"
# Strongest first; « Nom : » only when no other label is found (« Nom de la banque »…).
_HOLDER_LABELS = [
    re.compile(
        _NOT_A_LETTER_BEFORE + r"(?:"
        r"titulaire\s*\(\s*s\s*\)|titulaires?(?:\s+du\s+compte)?|nom\s+du\s+titulaire"
        r"|intitul[ée]\s+(?:du\s+)?compte|intitul[ée]|raison\s+sociale"
        r"|account\s+(?:holder|owner)(?:'?s)?(?:\s+name)?|name\s+of\s+(?:the\s+)?account\s+holder|account\s+name"
        r"|beneficiary(?:'?s)?(?:\s+name)?|kontoinhaber(?:in)?|inhaber(?:in)?"
        r"|titular(?:\s+de\s+la\s+cuenta|\s+da\s+conta)?|intestatario(?:\s+del\s+conto)?"
        r")" + _NOT_A_LETTER_AFTER,
        re.IGNORECASE,
    ),
    re.compile(_NOT_A_LETTER_BEFORE + r"(?:nom|name|name\s+des\s+kontoinhabers)\s*(?=:)", re.IGNORECASE),
]
# What ends the name on its line: the next field of the RIB, or the start of an address.
_AFTER_THE_NAME = re.compile(
    r"\s(?:domiciliation|iban|bic|swift|code\s+banque|code\s+guichet|n[°o]\s*(?:de\s+)?compte"
    r"|num[ée]ro\s+de\s+compte|cl[ée]\s+rib|adresse|address|banque|bank|agence|devise|currency)"
    + _NOT_A_LETTER_AFTER
    + r"|,\s*\d|\s\d{5}\s"
    r"|\s\d+(?:\s*(?:bis|ter))?,?\s+(?:rue|avenue|av|bd|boulevard|place|chemin|route|impasse|all[ée]e|quai|cours)\b",
    re.IGNORECASE,
)
_BEFORE_THE_NAME = re.compile(r"^(?:[\s:\-–—/.]+|\([^)]*\))+")  # « : », « (Account holder) »…
MAX_HOLDER_LENGTH = 150


def find_holder(text):
    """The account holder's name printed in a RIB's text (as printed, on one line), or ""."""
    lines = text.splitlines()
    for label in _HOLDER_LABELS:
        for number, line in enumerate(lines):
            for match in label.finditer(line):
                name = _name_after(line[match.end() :])
                if not name:  # the label alone: the name is on the next line that has text
                    following = next((other for other in lines[number + 1 :] if other.strip()), "")
                    if not _starts_with_a_label(following):
                        name = _name_after(following)
                if name:
                    return name
    return ""


def _starts_with_a_label(line):
    line = line.strip()
    return any(label.match(line) for label in _HOLDER_LABELS) or bool(_AFTER_THE_NAME.match(" " + line))


def _name_after(rest):
    for _attempt in range(3):  # « Titulaire du compte / Account holder : »
        rest = _BEFORE_THE_NAME.sub("", rest)
        label = _HOLDER_LABELS[0].match(rest)
        if not label:
            break
        rest = rest[label.end() :]
    end = _AFTER_THE_NAME.search(rest)
    name = " ".join((rest[: end.start()] if end else rest).split()).strip(" ,;:-–—/")
    return name[:MAX_HOLDER_LENGTH] if sum(c.isalpha() for c in name) >= 2 else ""


# Words that say what a name is, not whose: legal forms, civilities, generic words and the small
# words of French and English names. Left out of the comparison.
_LEGAL_FORMS = set(
    "SA SAS SASU SARL SARLU SARLAU EURL EI EIRL SNC SCS SCA SCI SCOP SCIC SCP SCM SEL SELARL SELAS SELAFA SEM "
    "SPL GIE EARL GAEC SCEA GMBH AG KG UG OHG EV BV NV SRL SPA SPRL SL SLU LTD LIMITED PLC LLP LLC INC CORP".split()
)
_CIVILITIES = set("M MR MRS MS MISS MME MMES MLLE MM ME MONSIEUR MADAME MADEMOISELLE MESSIEURS HERR FRAU DR".split())
_GENERIC_WORDS = set(
    "SOCIETE STE ETABLISSEMENTS ETS COMPAGNIE CIE ASSOCIATION ASSO LE LA LES L DE DU DES D ET OU THE AND OF".split()
)
_NOT_A_NAME = _LEGAL_FORMS | _CIVILITIES | _GENERIC_WORDS
_WORD_SEPARATORS = re.compile(r"[\W_]+")


def _words(text):
    """Upper case, without accents, split on anything that is not a letter or a digit."""
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).upper()
    return [word for word in _WORD_SEPARATORS.split(text) if word]


def holder_matches(holder, name):
    """Whether a RIB's holder is `name` (a raison sociale, a person's name), leniently: every
    word of the name that says whose it is is in the holder, in any order (« DUPONT JEAN » for
    « Jean Dupont », « SARL LES ATELIERS DU DRAC » for « Les Ateliers du Drac »), or the name's
    letters follow each other in the holder's (text extraction may glue words)."""
    found = _words(holder)
    expected = [word for word in _words(name) if word not in _NOT_A_NAME]
    if not expected:
        return False
    if set(expected) <= set(found):
        return True
    glued = "".join(word for word in _words(name) if word not in _LEGAL_FORMS | _CIVILITIES)
    return len(glued) >= 6 and glued in "".join(found)


def holder_names(structure, user=None, factor_raison_sociale=""):
    """Whom the RIB may belong to: the structure (its raison sociale); for a « Particulier », also
    its identifier (a name) and the person sending the details; with a factor, the factor."""
    names = [structure.raison_sociale, factor_raison_sociale]
    if structure.identifier_type == IdentifierType.PARTICULIER:
        names += [structure.identifier, user.get_full_name() if user is not None else ""]
    return list(dict.fromkeys(name for name in names if name))


def check_holder(holder, *, structure, user=None, factor_raison_sociale=""):
    """A RibHolderCheck: the holder read in the RIB (`RibCheck.holder`) against `holder_names`."""
    if not holder:
        return RibHolderCheck.UNREADABLE
    if any(holder_matches(holder, name) for name in holder_names(structure, user, factor_raison_sociale)):
        return RibHolderCheck.MATCHES
    return RibHolderCheck.DIFFERS
