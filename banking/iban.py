"""IBAN and BIC checks for stage C (« Coordonnées bancaires »).

The Chorus Pro form splits the IBAN into three blocks (« Code pays », « Clé IBAN »,
« Identification internationale (IBAN) ») and checks each block's length for the country.
We do the same, block by block, so that each error lands on the field the supplier must fix,
then check the whole IBAN with python-stdnum.

Pure Python: no models. Messages are French msgids (the project's source language) built from
module-level constants, so forms and tests reuse the exact text.
"""

import re
from functools import cache
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum import numdb
from stdnum.exceptions import InvalidComponent, InvalidLength
from stdnum.exceptions import ValidationError as StdnumValidationError

MSG_COUNTRY_CODE_FORMAT = _("Le code pays comporte 2 lettres (par exemple FR).")
MSG_COUNTRY_WITHOUT_IBAN = _(
    "Le code pays %(code)s n'utilise pas l'IBAN : vérifiez le code pays indiqué sur votre RIB."
)
MSG_TERRITORY_USES_OTHER_PREFIX = _(
    "Les IBAN %(of_country)s commencent par %(iban_code)s : choisissez le code pays %(iban_code)s."
)
MSG_CHECK_DIGITS_FORMAT = _("La clé IBAN comporte 2 chiffres : ce sont les 2 chiffres qui suivent le code pays.")
MSG_BBAN_LENGTH = _(
    "Pour %(the_country)s (%(code)s), l'identification internationale comporte %(expected)s caractères ; "
    "vous en avez saisi %(actual)s."
)
MSG_BBAN_IS_WHOLE_IBAN = _(
    "Vous avez saisi l'IBAN complet : dans ce champ, saisissez seulement les %(expected)s caractères "
    "qui suivent %(prefix)s."
)
MSG_BBAN_NOT_ALPHANUMERIC = _(
    "L'identification internationale contient le caractère « %(char)s » en position %(position)s : "
    "saisissez seulement des lettres et des chiffres."
)
MSG_BBAN_DIGIT_EXPECTED = _(
    "L'identification internationale contient la lettre « %(char)s » en position %(position)s "
    "alors qu'un chiffre est attendu."
)
MSG_BBAN_LETTER_EXPECTED = _(
    "L'identification internationale contient le chiffre « %(char)s » en position %(position)s "
    "alors qu'une lettre est attendue."
)
MSG_IBAN_CHECKSUM = _("La clé IBAN ne correspond pas au reste de l'IBAN : vérifiez chaque caractère.")
MSG_RIB_KEY = _(
    "La clé RIB (les 2 derniers chiffres) ne correspond pas au code banque, au code guichet "
    "et au numéro de compte : vérifiez chaque caractère."
)
MSG_NATIONAL_CHECK = _(
    "Les chiffres de contrôle nationaux de l'identification internationale ne correspondent pas "
    "au reste du numéro : vérifiez chaque caractère."
)
MSG_UNKNOWN_BANK = _(
    "L'identification internationale ne correspond à aucune banque connue %(of_country)s (%(code)s) : "
    "vérifiez les premiers caractères."
)
MSG_BIC_LENGTH = _("Le BIC doit comporter 8 ou 11 caractères ; vous en avez saisi %(actual)s.")
MSG_BIC_FORMAT = _(
    "Le BIC se compose de 4 lettres (la banque), 2 lettres (le pays), 2 lettres ou chiffres (la ville) "
    "et parfois 3 lettres ou chiffres (l'agence)."
)
MSG_BIC_UNKNOWN_COUNTRY = _("Le BIC contient le code pays %(code)s, qui n'existe pas.")
MSG_BIC_COUNTRY_MISMATCH = _(
    "Le BIC indique une banque %(bic_of_country)s (%(bic_code)s) alors que l'IBAN est "
    "%(iban_of_country)s (%(iban_code)s)."
)

# Separators people paste along with an IBAN or a BIC (spaces, including the non-breaking ones
# that PDFs and web pages produce, dashes, dots).
_SEPARATORS = re.compile(r"[\s\-.]+")
_TWO_LETTERS = re.compile(r"[A-Z]{2}")
_TWO_DIGITS = re.compile(r"[0-9]{2}")
_ALPHANUMERIC = re.compile(r"[A-Z0-9]")
_DIGIT = re.compile(r"[0-9]")
_LETTER = re.compile(r"[A-Z]")

# France and Monaco share the French BBAN layout (bank, branch, account, RIB key); stdnum checks
# national keys only for a few countries, not this one, so we check the RIB key ourselves.
_RIB_KEY_COUNTRIES = {"FR", "MC"}

# French overseas departments, territories and collectivities use French banking: their IBANs
# start with FR (the SWIFT IBAN registry lists no own prefix for them) but their banks' BICs
# often carry the territory's code.
FRENCH_BANKING_TERRITORIES = frozenset({"GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF", "NC", "PF", "WF", "TF"})
# Places without an IBAN prefix of their own: the prefix their IBANs use.
_IBAN_PREFIX_OF_TERRITORY = {
    **dict.fromkeys(FRENCH_BANKING_TERRITORIES, "FR"),
    **dict.fromkeys({"GG", "JE", "IM"}, "GB"),  # Crown dependencies
    "AX": "FI",  # Åland
}
# Legitimate BIC countries other than the IBAN's own, from the EPC's IBAN/BIC country rules
# (French territories, Monaco accounts at French banks, Irish accounts at UK banks, Crown
# dependencies and the British Virgin Islands, Faroe Islands and Greenland).
_OTHER_BIC_COUNTRIES = {
    "FR": FRENCH_BANKING_TERRITORIES,
    "MC": frozenset({"FR"}),
    "IE": frozenset({"GB"}),
    "GB": frozenset({"GG", "JE", "IM", "VG"}),
    "DK": frozenset({"FO", "GL"}),
}

# French names with their article, for messages (« Pour la France », « une banque d'Allemagne »).
# A plain string is the « pour … » form; « de … » is derived from it. A pair gives both forms
# where the rule does not apply. Covers IBAN countries, French territories and common BIC countries.
_FRENCH_COUNTRY_NAMES = {
    "AD": "l'Andorre",
    "AE": "les Émirats arabes unis",
    "AL": "l'Albanie",
    "AT": "l'Autriche",
    "AU": "l'Australie",
    "AX": "les îles Åland",
    "AZ": "l'Azerbaïdjan",
    "BA": "la Bosnie-Herzégovine",
    "BE": "la Belgique",
    "BG": "la Bulgarie",
    "BH": "Bahreïn",
    "BI": "le Burundi",
    "BL": "Saint-Barthélemy",
    "BR": "le Brésil",
    "BY": "la Biélorussie",
    "CA": "le Canada",
    "CH": "la Suisse",
    "CI": "la Côte d'Ivoire",
    "CM": "le Cameroun",
    "CN": "la Chine",
    "CR": "le Costa Rica",
    "CY": "Chypre",
    "CZ": "la Tchéquie",
    "DE": "l'Allemagne",
    "DJ": "Djibouti",
    "DK": "le Danemark",
    "DO": ("la République dominicaine", "de la République dominicaine"),
    "DZ": "l'Algérie",
    "EE": "l'Estonie",
    "EG": "l'Égypte",
    "ES": "l'Espagne",
    "FI": "la Finlande",
    "FK": "les îles Malouines",
    "FO": "les îles Féroé",
    "FR": "la France",
    "GB": "le Royaume-Uni",
    "GE": "la Géorgie",
    "GF": "la Guyane",
    "GG": "Guernesey",
    "GI": "Gibraltar",
    "GL": "le Groenland",
    "GP": "la Guadeloupe",
    "GR": "la Grèce",
    "GT": "le Guatemala",
    "HK": "Hong Kong",
    "HN": "le Honduras",
    "HR": "la Croatie",
    "HU": "la Hongrie",
    "IE": "l'Irlande",
    "IL": "Israël",
    "IM": ("l'île de Man", "de l'île de Man"),
    "IN": "l'Inde",
    "IQ": "l'Irak",
    "IS": "l'Islande",
    "IT": "l'Italie",
    "JE": "Jersey",
    "JO": "la Jordanie",
    "JP": "le Japon",
    "KW": "le Koweït",
    "KZ": "le Kazakhstan",
    "LB": "le Liban",
    "LC": "Sainte-Lucie",
    "LI": "le Liechtenstein",
    "LT": "la Lituanie",
    "LU": "le Luxembourg",
    "LV": "la Lettonie",
    "LY": "la Libye",
    "MA": "le Maroc",
    "MC": "Monaco",
    "MD": "la Moldavie",
    "ME": "le Monténégro",
    "MF": "Saint-Martin",
    "MK": "la Macédoine du Nord",
    "MN": "la Mongolie",
    "MQ": "la Martinique",
    "MR": "la Mauritanie",
    "MT": "Malte",
    "MU": "Maurice",
    "NC": "la Nouvelle-Calédonie",
    "NI": "le Nicaragua",
    "NL": "les Pays-Bas",
    "NO": "la Norvège",
    "OM": "Oman",
    "PF": "la Polynésie française",
    "PK": "le Pakistan",
    "PL": "la Pologne",
    "PM": "Saint-Pierre-et-Miquelon",
    "PS": "la Palestine",
    "PT": "le Portugal",
    "QA": "le Qatar",
    "RE": "La Réunion",
    "RO": "la Roumanie",
    "RS": "la Serbie",
    "RU": "la Russie",
    "SA": "l'Arabie saoudite",
    "SC": "les Seychelles",
    "SD": "le Soudan",
    "SE": "la Suède",
    "SG": "Singapour",
    "SI": "la Slovénie",
    "SK": "la Slovaquie",
    "SM": "Saint-Marin",
    "SN": "le Sénégal",
    "SO": "la Somalie",
    "ST": "Sao Tomé-et-Principe",
    "SV": "le Salvador",
    "TF": "les Terres australes et antarctiques françaises",
    "TL": "le Timor oriental",
    "TN": "la Tunisie",
    "TR": "la Turquie",
    "UA": "l'Ukraine",
    "US": "les États-Unis",
    "VA": "le Vatican",
    "VG": "les îles Vierges britanniques",
    "WF": "Wallis-et-Futuna",
    "XK": "le Kosovo",
    "YE": "le Yémen",
    "YT": "Mayotte",
}
_FRENCH_ARTICLES = (("la ", "de "), ("le ", "du "), ("les ", "des "), ("l'", "d'"))
_VOWELS = "AEIOUYÉÈÊÎÔÂÅ"


class IbanParts(NamedTuple):
    country_code: str  # « Code pays »
    check_digits: str  # « Clé IBAN »
    bban: str  # « Identification internationale (IBAN) »


def _compact(value):
    return _SEPARATORS.sub("", value or "").upper()


def split_iban(value):
    """Split a pasted IBAN (any case, spaces, dashes, a leading « IBAN : ») into its blocks.

    Does not validate: validate_iban_blocks does, block by block.
    """
    iban = _compact(value)
    if iban.startswith("IBAN"):  # copied with its label; no IBAN country code is « IB »
        iban = iban[4:].lstrip(":")
    return IbanParts(iban[:2], iban[2:4], iban[4:])


def french_country_forms(code):
    """The country's names for messages: {"name", "the_country", "of_country"}.

    In French: « la France » / « de France », « le Royaume-Uni » / « du Royaume-Uni ». In other
    languages every form is the plain translated name, so that a translation adds its own
    preposition (« a bank in %(bic_of_country)s »).
    """
    language = translation.get_language()
    if language is not None and not language.startswith("fr"):
        name = _country_name(code)
        return {"name": name, "the_country": name, "of_country": name}
    forms = _FRENCH_COUNTRY_NAMES.get(code)
    if forms is None:
        name = _country_name(code)
        return {"name": name, "the_country": f"le pays {name}", "of_country": f"du pays {name}"}
    the_country, of_country = forms if isinstance(forms, tuple) else (forms, None)
    for article, of in _FRENCH_ARTICLES:
        if the_country.startswith(article):
            name = the_country[len(article) :]
            return {"name": name, "the_country": the_country, "of_country": of_country or of + name}
    # No article (Monaco, Israël; « La Réunion » keeps its capitalised one).
    of_country = of_country or ("d'" if the_country[0] in _VOWELS else "de ") + the_country
    return {"name": the_country, "the_country": the_country, "of_country": of_country}


def _country_name(code):
    from django_countries import countries  # translated names; imported late: needs settings

    return str(countries.name(code)) or code


@cache
def bban_structure(country_code):
    """((length, kind), ...) for the country's BBAN from stdnum's copy of the SWIFT IBAN registry,
    kind being "n" (digits), "a" (upper-case letters) or "c" (letters or digits); None if the
    country does not use IBAN."""
    spec = numdb.get("iban").info(country_code)[0][1].get("bban")
    if not spec:
        return None
    return tuple((int(length), kind) for length, kind in re.findall(r"([0-9]+)!([nac])", spec))


def bban_length(country_code):
    structure = bban_structure(country_code)
    return sum(length for length, _kind in structure) if structure else None


def _error(field, message, error_code, **params):
    return ValidationError({field: ValidationError(message, code=error_code, params=params or None)})


def _country_error(country_code):
    if not _TWO_LETTERS.fullmatch(country_code):
        return _error("country_code", MSG_COUNTRY_CODE_FORMAT, "country_code_format")
    if country_code in _IBAN_PREFIX_OF_TERRITORY:
        return _error(
            "country_code",
            MSG_TERRITORY_USES_OTHER_PREFIX,
            "territory_iban_prefix",
            iban_code=_IBAN_PREFIX_OF_TERRITORY[country_code],
            code=country_code,
            **french_country_forms(country_code),
        )
    if bban_structure(country_code) is None:
        return _error("country_code", MSG_COUNTRY_WITHOUT_IBAN, "country_without_iban", code=country_code)
    return None


def _bban_error(country_code, check_digits, bban):
    """The first problem of the BBAN block for the country, as a ValidationError, or None."""
    expected = bban_length(country_code)
    if len(bban) != expected:
        if len(bban) == expected + 4 and bban.startswith(country_code):
            # The whole IBAN pasted into the last block: say so rather than count characters.
            return ValidationError(
                MSG_BBAN_IS_WHOLE_IBAN,
                code="bban_is_whole_iban",
                params={"expected": expected, "prefix": country_code + check_digits},
            )
        return ValidationError(
            MSG_BBAN_LENGTH,
            code="bban_length",
            params={
                "expected": expected,
                "actual": len(bban),
                "code": country_code,
                **french_country_forms(country_code),
            },
        )
    kinds = "".join(kind * length for length, kind in bban_structure(country_code))
    for position, (char, kind) in enumerate(zip(bban, kinds, strict=False), start=1):
        params = {"char": char, "position": position}
        if not _ALPHANUMERIC.fullmatch(char):
            return ValidationError(MSG_BBAN_NOT_ALPHANUMERIC, code="bban_not_alphanumeric", params=params)
        if kind == "n" and not _DIGIT.fullmatch(char):
            return ValidationError(MSG_BBAN_DIGIT_EXPECTED, code="bban_digit_expected", params=params)
        if kind == "a" and not _LETTER.fullmatch(char):
            return ValidationError(MSG_BBAN_LETTER_EXPECTED, code="bban_letter_expected", params=params)
    return None


def rib_key_is_valid(bban):
    """The French RIB key: 97 - (89 × bank + 15 × branch + 3 × account) mod 97, letters of the
    account number standing for digits (A and J → 1, B, K and S → 2, …) as banks define them."""
    account = bban[10:21].translate(_RIB_LETTERS)
    remainder = (89 * int(bban[:5]) + 15 * int(bban[5:10]) + 3 * int(account)) % 97
    return int(bban[21:23]) == 97 - remainder


_RIB_LETTERS = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "12345678912345678923456789")


def validate_iban_blocks(country_code, check_digits, bban):
    """Check the three IBAN blocks and return the IBAN, upper case, without spaces.

    Raises a ValidationError keyed by block ("country_code", "check_digits", "bban"), in this
    order: the country; the format of the key and of the BBAN for the country (both reported at
    once, they are independent); the IBAN checksum; the national key (RIB key for FR and MC,
    stdnum's country modules elsewhere).
    """
    country_code, check_digits, bban = _compact(country_code), _compact(check_digits), _compact(bban)
    if error := _country_error(country_code):
        raise error

    errors = {}
    if not _TWO_DIGITS.fullmatch(check_digits):
        errors["check_digits"] = ValidationError(MSG_CHECK_DIGITS_FORMAT, code="check_digits_format")
    if bban_error := _bban_error(country_code, check_digits, bban):
        errors["bban"] = bban_error
    if errors:
        raise ValidationError(errors)

    iban = country_code + check_digits + bban
    try:
        stdnum_iban.validate(iban, check_country=False)
    except StdnumValidationError:
        # The format was checked above, so what is left is the mod-97 checksum.
        raise _error("check_digits", MSG_IBAN_CHECKSUM, "iban_checksum") from None

    if country_code in _RIB_KEY_COUNTRIES and not rib_key_is_valid(bban):
        raise _error("bban", MSG_RIB_KEY, "rib_key")
    try:
        stdnum_iban.validate(iban)  # now with stdnum's country modules (BE, ES, ME, NO…)
    except InvalidComponent:
        # Raised by those modules for a bank code that does not exist (e.g. Belgium).
        raise _error(
            "bban", MSG_UNKNOWN_BANK, "unknown_bank", code=country_code, **french_country_forms(country_code)
        ) from None
    except StdnumValidationError:
        raise _error("bban", MSG_NATIONAL_CHECK, "national_check") from None
    return iban


def validate_iban(value):
    """Validate a whole pasted IBAN (same errors as validate_iban_blocks)."""
    return validate_iban_blocks(*split_iban(value))


def format_iban(iban):
    """« FR76 3000 6000 0112 3456 7890 189 »: groups of 4, as printed on a RIB."""
    return stdnum_iban.format(_compact(iban))


def mask_iban(iban):
    """« FR76 **** **** **** **** ***0 189 »: enough to recognise an account in a history shown
    to people who do not need the full number (country, key and last 4 characters)."""
    iban = _compact(iban)
    if len(iban) <= 8:
        return format_iban(iban)
    return format_iban(iban[:4] + "*" * (len(iban) - 8) + iban[-4:])


def validate_bic(bic, iban_country=None):
    """Check a BIC (8 or 11 characters) and, given the IBAN's country, that the bank is in a
    country consistent with it. Returns the BIC, upper case, without spaces.

    Raises a plain ValidationError (one field: the form attaches it to « BIC ou Swift »).
    """
    bic = _compact(bic)
    try:
        stdnum_bic.validate(bic)
    except InvalidLength:
        raise ValidationError(MSG_BIC_LENGTH, code="bic_length", params={"actual": len(bic)}) from None
    except InvalidComponent:
        raise ValidationError(MSG_BIC_UNKNOWN_COUNTRY, code="bic_unknown_country", params={"code": bic[4:6]}) from None
    except StdnumValidationError:
        raise ValidationError(MSG_BIC_FORMAT, code="bic_format") from None

    bic_country = bic[4:6]
    if iban_country:
        iban_country = _compact(iban_country)
        if not _bic_country_matches(bic_country, iban_country):
            bic_forms = french_country_forms(bic_country)
            iban_forms = french_country_forms(iban_country)
            raise ValidationError(
                MSG_BIC_COUNTRY_MISMATCH,
                code="bic_country_mismatch",
                params={
                    "bic_code": bic_country,
                    "bic_of_country": bic_forms["of_country"],
                    "iban_code": iban_country,
                    "iban_of_country": iban_forms["of_country"],
                },
            )
    return bic


def _bic_country_matches(bic_country, iban_country):
    if bic_country == iban_country or bic_country in _OTHER_BIC_COUNTRIES.get(iban_country, ()):
        return True
    # A territory's own code given as the IBAN country (the reverse case): French territories
    # accept French BICs and each other's, Crown dependencies British ones.
    prefix = _IBAN_PREFIX_OF_TERRITORY.get(iban_country)
    return prefix is not None and (bic_country == prefix or bic_country in _OTHER_BIC_COUNTRIES.get(prefix, ()))
