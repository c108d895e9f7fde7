"""Identifiers of a structure (stage B), one rule per identifier type.

`normalize_identifier()` returns the value in the form we store and compare (no spaces, no
separators, upper case where letters are allowed) or raises a `ValidationError` whose message
says which rule failed, so that a supplier can fix a typo without calling the city's staff.

The messages are module constants: forms and tests reuse them instead of copying the text.
"""

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.fr import siren as fr_siren
from stdnum.fr import siret as fr_siret


class IdentifierType(models.TextChoices):
    SIRET = "siret", _("SIRET")
    TVA_UE = "tva_ue", _("TVA intracommunautaire (Union européenne hors France)")
    HORS_UE = "hors_ue", _("Structure hors Union européenne")
    RIDET = "ridet", _("RIDET (Nouvelle-Calédonie)")
    TAHITI = "tahiti", _("Numéro TAHITI (Polynésie française)")
    PARTICULIER = "particulier", _("Particulier")
    EN_COURS = "en_cours", _("En cours d'immatriculation")


DEFAULT_IDENTIFIER_TYPE = IdentifierType.SIRET

FREE_TEXT_MAX_LENGTH = 80

# Messages, one per broken rule.
MSG_IDENTIFIER_REQUIRED = _("Saisissez l'identifiant de la structure.")

MSG_SIRET_DIGITS_ONLY = _("Le SIRET ne doit contenir que des chiffres.")
MSG_SIRET_LOOKS_LIKE_SIREN = _(
    "Vous avez saisi 9 chiffres, c'est-à-dire un SIREN : le SIRET en comporte 14 "
    "(le SIREN suivi des 5 chiffres de l'établissement)."
)
MSG_SIRET_LENGTH = _("Le SIRET doit comporter exactement 14 chiffres.")
MSG_SIRET_SIREN_CHECKSUM = _(
    "Ce SIRET n'est pas valide : la clé de contrôle de son SIREN (ses 9 premiers chiffres) est fausse."
)
MSG_SIRET_CHECKSUM = _("Ce SIRET n'est pas valide : sa clé de contrôle (algorithme de Luhn) est fausse.")
MSG_SIRET_LA_POSTE_CHECKSUM = _(
    "Ce SIRET de La Poste n'est pas valide : la somme de ses chiffres doit être un multiple de 5."
)

MSG_VAT_UNKNOWN_COUNTRY = _(
    "Le numéro de TVA intracommunautaire doit commencer par le code d'un pays de l'Union "
    "européenne (par exemple DE, BE ou IT)."
)
MSG_VAT_FRENCH = _(
    "Les structures françaises s'identifient par leur SIRET, pas par leur numéro de TVA : "
    "choisissez le type d'identifiant « SIRET »."
)
MSG_VAT_LENGTH = _("Ce numéro de TVA (%(country)s) n'a pas le bon nombre de caractères.")
MSG_VAT_FORMAT = _("Ce numéro de TVA (%(country)s) n'a pas la forme attendue dans ce pays.")
MSG_VAT_CHECKSUM = _("Ce numéro de TVA (%(country)s) n'est pas valide : sa clé de contrôle est fausse.")

MSG_RIDET_FORMAT = _(
    "Le numéro RIDET comporte 10 chiffres : les 7 chiffres de l'entreprise puis les 3 chiffres "
    "de l'établissement (par exemple 1234567.001)."
)
MSG_RIDET_RANK = _("Le rang de l'établissement (les 3 derniers chiffres du RIDET) commence à 001.")

MSG_TAHITI_FORMAT = _(
    "Le numéro TAHITI comporte 9 caractères : les 6 de l'entreprise (6 chiffres, ou une lettre "
    "suivie de 5 chiffres) puis les 3 chiffres de l'établissement (par exemple A12345001)."
)

MSG_FREE_TEXT_TOO_LONG = _("L'identifiant ne doit pas dépasser %(max)d caractères (vous en avez saisi %(length)d).")

# Prefixes of EU VAT numbers, with the country named in messages. Greece uses EL (GR is
# accepted and rewritten), XI is Northern Ireland, which kept EU VAT numbers for goods.
# Prefixes stdnum also knows but that are no country (EU and IM: the One-Stop-Shop numbers of
# non-EU sellers) are refused: such suppliers use the « hors UE » type.
VAT_COUNTRIES = {
    "AT": _("Autriche"),
    "BE": _("Belgique"),
    "BG": _("Bulgarie"),
    "CY": _("Chypre"),
    "CZ": _("Tchéquie"),
    "DE": _("Allemagne"),
    "DK": _("Danemark"),
    "EE": _("Estonie"),
    "EL": _("Grèce"),
    "ES": _("Espagne"),
    "FI": _("Finlande"),
    "FR": _("France"),
    "HR": _("Croatie"),
    "HU": _("Hongrie"),
    "IE": _("Irlande"),
    "IT": _("Italie"),
    "LT": _("Lituanie"),
    "LU": _("Luxembourg"),
    "LV": _("Lettonie"),
    "MT": _("Malte"),
    "NL": _("Pays-Bas"),
    "PL": _("Pologne"),
    "PT": _("Portugal"),
    "RO": _("Roumanie"),
    "SE": _("Suède"),
    "SI": _("Slovénie"),
    "SK": _("Slovaquie"),
    "XI": _("Irlande du Nord"),
}

LA_POSTE_SIREN = "356000000"

# Separators people type or paste from invoices and Kbis extracts: spaces (also non-breaking
# ones), dots, dashes, slashes.
_SEPARATORS = re.compile(r"[\s.\-/]+")

# RIDET (ISEE, Nouvelle-Calédonie): an establishment is numbered with the 7-digit RID of its
# enterprise followed by a 3-digit rank, « 001 » then « 002 »…; ISEE prints it « 1234567.001 ».
# There is no public check digit, so only the shape is checked. Stored as 10 digits.
_RIDET = re.compile(r"\d{7}\d{3}")

# Numéro TAHITI (ISPF, Polynésie française): the enterprise number has 6 characters, 6 digits
# until October 2011 and a letter followed by 5 digits since; an establishment adds a 3-digit
# rank. No check digit is published. Stored as 9 characters, letter in upper case.
_TAHITI = re.compile(r"[A-Z0-9]\d{5}\d{3}")


def normalize_identifier(identifier_type, value):
    """Return `value` normalised for `identifier_type`, or raise ValidationError."""
    normalizer = _NORMALIZERS.get(identifier_type)
    if normalizer is None:
        # The forms offer IdentifierType choices only: anything else is a programming error.
        raise ValueError(f"Unknown identifier type: {identifier_type!r}")
    value = (value or "").strip()
    if not value:
        raise ValidationError(MSG_IDENTIFIER_REQUIRED, code="required")
    return normalizer(value)


def _normalize_siret(value):
    number = _SEPARATORS.sub("", value)
    if not number.isascii() or not number.isdigit():
        raise ValidationError(MSG_SIRET_DIGITS_ONLY, code="siret_format")
    if len(number) == 9:
        raise ValidationError(MSG_SIRET_LOOKS_LIKE_SIREN, code="siret_is_siren")
    if len(number) != 14:
        raise ValidationError(MSG_SIRET_LENGTH, code="siret_length")
    # Point at the first 9 digits when they are the culprit: it tells where the typo is.
    if not fr_siren.is_valid(number[:9]):
        raise ValidationError(MSG_SIRET_SIREN_CHECKSUM, code="siret_siren_checksum")
    # stdnum knows La Poste's exception: its establishments share SIREN 356000000 and, but for
    # the head office (35600000000048, which passes Luhn), are numbered so that the sum of
    # their digits is a multiple of 5 instead of passing Luhn.
    if not fr_siret.is_valid(number):
        if number.startswith(LA_POSTE_SIREN):
            raise ValidationError(MSG_SIRET_LA_POSTE_CHECKSUM, code="siret_la_poste_checksum")
        raise ValidationError(MSG_SIRET_CHECKSUM, code="siret_checksum")
    return number


def _normalize_eu_vat(value):
    number = _SEPARATORS.sub("", value).upper()
    prefix = number[:2]
    if prefix == "GR":
        number = "EL" + number[2:]
        prefix = "EL"
    if prefix not in VAT_COUNTRIES:
        raise ValidationError(MSG_VAT_UNKNOWN_COUNTRY, code="vat_country")
    if prefix == "FR":
        raise ValidationError(MSG_VAT_FRENCH, code="vat_french")
    params = {"country": VAT_COUNTRIES[prefix]}
    try:
        return eu_vat.validate(number)
    except InvalidLength:
        raise ValidationError(MSG_VAT_LENGTH, code="vat_length", params=params) from None
    except InvalidChecksum:
        raise ValidationError(MSG_VAT_CHECKSUM, code="vat_checksum", params=params) from None
    except (InvalidFormat, InvalidComponent, StdnumValidationError):
        raise ValidationError(MSG_VAT_FORMAT, code="vat_format", params=params) from None


def _normalize_ridet(value):
    number = _SEPARATORS.sub("", value)
    if not number.isascii() or not _RIDET.fullmatch(number):
        raise ValidationError(MSG_RIDET_FORMAT, code="ridet_format")
    if number.endswith("000"):
        raise ValidationError(MSG_RIDET_RANK, code="ridet_rank")
    return number


def _normalize_tahiti(value):
    number = _SEPARATORS.sub("", value).upper()
    if not number.isascii() or not _TAHITI.fullmatch(number):
        raise ValidationError(MSG_TAHITI_FORMAT, code="tahiti_format")
    return number


def _normalize_free_text(value):
    # Free text is shown to staff and printed on the mandate: one line, single spaces.
    text = " ".join(value.split())
    if len(text) > FREE_TEXT_MAX_LENGTH:
        raise ValidationError(
            MSG_FREE_TEXT_TOO_LONG,
            code="max_length",
            params={"max": FREE_TEXT_MAX_LENGTH, "length": len(text)},
        )
    return text


_NORMALIZERS = {
    IdentifierType.SIRET: _normalize_siret,
    IdentifierType.TVA_UE: _normalize_eu_vat,
    IdentifierType.HORS_UE: _normalize_free_text,
    IdentifierType.RIDET: _normalize_ridet,
    IdentifierType.TAHITI: _normalize_tahiti,
    IdentifierType.PARTICULIER: _normalize_free_text,
    IdentifierType.EN_COURS: _normalize_free_text,
}
