import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from banking.iban import (
    IbanParts,
    bban_length,
    format_iban,
    french_country_forms,
    mask_iban,
    split_iban,
    validate_bic,
    validate_iban,
    validate_iban_blocks,
)

MSG_CHECKSUM = "La clé IBAN ne correspond pas au reste de l'IBAN : vérifiez chaque caractère."
MSG_CHECK_DIGITS = "La clé IBAN comporte 2 chiffres : ce sont les 2 chiffres qui suivent le code pays."
MSG_RIB_KEY = (
    "La clé RIB (les 2 derniers chiffres) ne correspond pas au code banque, au code guichet "
    "et au numéro de compte : vérifiez chaque caractère."
)


@pytest.fixture(autouse=True)
def french():
    with translation.override("fr"):
        yield


def errors(country_code, check_digits, bban):
    with pytest.raises(ValidationError) as caught:
        validate_iban_blocks(country_code, check_digits, bban)
    return caught.value.message_dict


def bic_error(bic, iban_country=None):
    with pytest.raises(ValidationError) as caught:
        validate_bic(bic, iban_country)
    return caught.value.messages


# Valid IBANs: published examples, plus an account in Guadeloupe (a French IBAN: overseas
# territories have no IBAN prefix of their own).
VALID_IBANS = [
    "FR7630006000011234567890189",
    "FR1420041010050500013M02606",  # a letter in the account number
    "FR7612107000010001234567826",  # Guadeloupe
    "MC5811222000010123456789030",
    "DE89370400440532013000",
    "BE31435411161155",
    "ES9121000418450200051332",
    "IT60X0542811101000000123456",
    "GB29NWBK60161331926819",
    "CH9300762011623852957",
]


@pytest.mark.parametrize("iban", VALID_IBANS)
def test_it_accepts_valid_ibans_block_by_block(iban):
    assert validate_iban_blocks(iban[:2], iban[2:4], iban[4:]) == iban


def test_it_normalises_each_block():
    assert validate_iban_blocks(" fr", "76 ", "3000 6000-0112 3456 7890 189") == "FR7630006000011234567890189"


@pytest.mark.parametrize(
    "pasted",
    [
        "FR76 3000 6000 0112 3456 7890 189",
        "fr76-3000-6000-0112-3456-7890-189",
        "FR76\u00a03000\u00a06000\u00a00112\u00a03456\u00a07890\u00a0189",  # copied from a PDF
        "IBAN : FR76 3000 6000 0112 3456 7890 189",
        "  fr7630006000011234567890189\n",
    ],
)
def test_it_splits_a_pasted_iban_into_blocks(pasted):
    assert split_iban(pasted) == IbanParts("FR", "76", "30006000011234567890189")


def test_it_splits_without_validating():
    assert split_iban("FR7") == IbanParts("FR", "7", "")


def test_it_validates_a_whole_pasted_iban():
    assert validate_iban("ch93 0076 2011 6238 5295 7") == "CH9300762011623852957"


def test_it_reads_bban_lengths_from_the_iban_registry():
    assert [bban_length(code) for code in ("FR", "MC", "DE", "BE", "ES", "IT", "GB", "CH")] == [
        23,
        23,
        18,
        12,
        20,
        23,
        18,
        17,
    ]
    assert bban_length("NC") is None  # New Caledonia: French IBANs
    assert bban_length("US") is None


# Country code


@pytest.mark.parametrize("code", ["US", "ZZ", "CA"])
def test_it_refuses_a_country_without_iban(code):
    assert errors(code, "76", "30006000011234567890189") == {
        "country_code": [f"Le code pays {code} n'utilise pas l'IBAN : vérifiez le code pays indiqué sur votre RIB."]
    }


@pytest.mark.parametrize("code", ["F", "F1", "FRA", ""])
def test_it_refuses_a_country_code_that_is_not_2_letters(code):
    assert errors(code, "76", "30006000011234567890189") == {
        "country_code": ["Le code pays comporte 2 lettres (par exemple FR)."]
    }


@pytest.mark.parametrize(
    "code, message",
    [
        ("GP", "Les IBAN de Guadeloupe commencent par FR : choisissez le code pays FR."),
        ("RE", "Les IBAN de La Réunion commencent par FR : choisissez le code pays FR."),
        ("NC", "Les IBAN de Nouvelle-Calédonie commencent par FR : choisissez le code pays FR."),
        ("YT", "Les IBAN de Mayotte commencent par FR : choisissez le code pays FR."),
        ("PF", "Les IBAN de Polynésie française commencent par FR : choisissez le code pays FR."),
        ("JE", "Les IBAN de Jersey commencent par GB : choisissez le code pays GB."),
        ("IM", "Les IBAN de l'île de Man commencent par GB : choisissez le code pays GB."),
        ("AX", "Les IBAN des îles Åland commencent par FI : choisissez le code pays FI."),
    ],
)
def test_it_points_territories_to_the_iban_prefix_they_use(code, message):
    assert errors(code, "76", "12107000010001234567826") == {"country_code": [message]}


# Check digits (« Clé IBAN »)


@pytest.mark.parametrize("check_digits", ["7", "7A", "761", ""])
def test_it_refuses_check_digits_that_are_not_2_digits(check_digits):
    assert errors("FR", check_digits, "30006000011234567890189") == {"check_digits": [MSG_CHECK_DIGITS]}


@pytest.mark.parametrize(
    "iban",
    [
        "FR7730006000011234567890189",
        "FR7630006000011234567890198",  # two characters swapped
        "MC5911222000010123456789030",
        "DE88370400440532013000",
        "BE32435411161155",
        "ES9121000418450200051333",
        "IT60X0542811101000000123457",
        "GB29NWBK60161331926818",
        "CH9300762011623852958",
    ],
)
def test_it_refuses_a_wrong_iban_checksum(iban):
    assert errors(iban[:2], iban[2:4], iban[4:]) == {"check_digits": [MSG_CHECKSUM]}


# BBAN (« Identification internationale »): length


@pytest.mark.parametrize(
    "country, bban, message",
    [
        (
            "FR",
            "3000600001123456789018",
            "Pour la France (FR), l'identification internationale comporte 23 caractères ; vous en avez saisi 22.",
        ),
        (
            "FR",
            "300060000112345678901899",
            "Pour la France (FR), l'identification internationale comporte 23 caractères ; vous en avez saisi 24.",
        ),
        (
            "MC",
            "1122200001012345678903",
            "Pour Monaco (MC), l'identification internationale comporte 23 caractères ; vous en avez saisi 22.",
        ),
        (
            "DE",
            "37040044053201300",
            "Pour l'Allemagne (DE), l'identification internationale comporte 18 caractères ; vous en avez saisi 17.",
        ),
        (
            "BE",
            "4354111611555",
            "Pour la Belgique (BE), l'identification internationale comporte 12 caractères ; vous en avez saisi 13.",
        ),
        (
            "ES",
            "210004184502000513",
            "Pour l'Espagne (ES), l'identification internationale comporte 20 caractères ; vous en avez saisi 18.",
        ),
        (
            "IT",
            "X054281110100000012345",
            "Pour l'Italie (IT), l'identification internationale comporte 23 caractères ; vous en avez saisi 22.",
        ),
        (
            "GB",
            "NWBK6016133192681",
            "Pour le Royaume-Uni (GB), l'identification internationale comporte 18 caractères ; vous en avez saisi 17.",
        ),
        (
            "CH",
            "0076201162385295",
            "Pour la Suisse (CH), l'identification internationale comporte 17 caractères ; vous en avez saisi 16.",
        ),
        (
            "NL",
            "ABNA04171643001",
            "Pour les Pays-Bas (NL), l'identification internationale comporte 14 caractères ; vous en avez saisi 15.",
        ),
    ],
)
def test_it_checks_the_bban_length_for_the_country(country, bban, message):
    assert errors(country, "76", bban) == {"bban": [message]}


def test_it_reports_key_and_bban_errors_together():
    assert errors("FR", "7", "3000600001123456789018") == {
        "check_digits": [MSG_CHECK_DIGITS],
        "bban": [
            "Pour la France (FR), l'identification internationale comporte 23 caractères ; vous en avez saisi 22."
        ],
    }


def test_it_recognises_a_whole_iban_typed_in_the_bban_field():
    assert errors("FR", "76", "FR76 3000 6000 0112 3456 7890 189") == {
        "bban": [
            "Vous avez saisi l'IBAN complet : dans ce champ, saisissez seulement les 23 caractères qui suivent FR76."
        ]
    }


# BBAN: format for the country


@pytest.mark.parametrize(
    "country, check_digits, bban, message",
    [
        (
            "FR",
            "76",
            "3000600O011234567890189",  # the letter O for a zero, in the branch code
            "L'identification internationale contient la lettre « O » en position 8 alors qu'un chiffre est attendu.",
        ),
        (
            "FR",
            "76",
            "300060000112345678901I9",  # RIB key
            "L'identification internationale contient la lettre « I » en position 22 alors qu'un chiffre est attendu.",
        ),
        (
            "DE",
            "89",
            "37040044O532013000",
            "L'identification internationale contient la lettre « O » en position 9 alors qu'un chiffre est attendu.",
        ),
        (
            "BE",
            "31",
            "43541116115S",
            "L'identification internationale contient la lettre « S » en position 12 alors qu'un chiffre est attendu.",
        ),
        (
            "ES",
            "91",
            "2100041845020005133B",
            "L'identification internationale contient la lettre « B » en position 20 alors qu'un chiffre est attendu.",
        ),
        (
            "CH",
            "93",
            "0O762011623852957",
            "L'identification internationale contient la lettre « O » en position 2 alors qu'un chiffre est attendu.",
        ),
        (
            "IT",
            "60",
            "00542811101000000123456",
            "L'identification internationale contient le chiffre « 0 » en position 1 alors qu'une lettre est attendue.",
        ),
        (
            "GB",
            "29",
            "NW8K60161331926819",
            "L'identification internationale contient le chiffre « 8 » en position 3 alors qu'une lettre est attendue.",
        ),
        (
            "GB",
            "29",
            "NWBK6016/331926819",
            "L'identification internationale contient le caractère « / » en position 9 : saisissez seulement des "
            "lettres et des chiffres.",
        ),
    ],
)
def test_it_checks_the_bban_format_for_the_country(country, check_digits, bban, message):
    assert errors(country, check_digits, bban) == {"bban": [message]}


# National keys


def test_it_checks_the_french_rib_key():
    # FR06…188: the IBAN checksum is right, the RIB key (88 instead of 89) is not.
    assert errors("FR", "06", "30006000011234567890188") == {"bban": [MSG_RIB_KEY]}


def test_it_checks_the_rib_key_for_monaco_too():
    assert errors("MC", "31", "11222000010123456789031") == {"bban": [MSG_RIB_KEY]}


def test_it_checks_the_spanish_control_digits():
    assert errors("ES", "15", "12341234171234567890") == {
        "bban": [
            "Les chiffres de contrôle nationaux de l'identification internationale ne correspondent pas "
            "au reste du numéro : vérifiez chaque caractère."
        ]
    }


def test_it_checks_the_belgian_bank_code():
    assert errors("BE", "68", "539007547034") == {
        "bban": [
            "L'identification internationale ne correspond à aucune banque connue de Belgique (BE) : "
            "vérifiez les premiers caractères."
        ]
    }


# Display


def test_it_formats_an_iban_in_groups_of_4():
    assert format_iban("fr7630006000011234567890189") == "FR76 3000 6000 0112 3456 7890 189"
    assert format_iban("BE31435411161155") == "BE31 4354 1116 1155"


def test_it_masks_an_iban_for_histories():
    assert mask_iban("FR76 3000 6000 0112 3456 7890 189") == "FR76 **** **** **** **** ***0 189"
    assert mask_iban("DE89370400440532013000") == "DE89 **** **** **** **30 00"
    assert mask_iban("BE31435411161155") == "BE31 **** **** 1155"


# BIC


@pytest.mark.parametrize(
    "bic, expected",
    [
        ("AGRIFRPP881", "AGRIFRPP881"),
        ("AGRIFRPP", "AGRIFRPP"),
        ("agri fr pp 881", "AGRIFRPP881"),
        ("DEUTDEFF", "DEUTDEFF"),
    ],
)
def test_it_accepts_a_valid_bic(bic, expected):
    assert validate_bic(bic) == expected


@pytest.mark.parametrize("bic, length", [("AGRIFRPP8", 9), ("AGRIFRP", 7), ("AGRIFRPP8812", 12)])
def test_it_refuses_a_bic_of_the_wrong_length(bic, length):
    assert bic_error(bic) == [f"Le BIC doit comporter 8 ou 11 caractères ; vous en avez saisi {length}."]


def test_it_explains_the_bic_format():
    assert bic_error("AGR1FRPP") == [
        "Le BIC se compose de 4 lettres (la banque), 2 lettres (le pays), 2 lettres ou chiffres (la ville) "
        "et parfois 3 lettres ou chiffres (l'agence)."
    ]


def test_it_refuses_a_bic_with_an_unknown_country():
    assert bic_error("AGRIZZPP") == ["Le BIC contient le code pays ZZ, qui n'existe pas."]


@pytest.mark.parametrize(
    "bic, iban_country",
    [
        ("AGRIFRPP881", "FR"),
        ("BNPADEFF", "DE"),
        ("GEBABEBB", "BE"),
        ("CAIXESBB", "ES"),
        ("BCITITMM", "IT"),
        ("NWBKGB2L", "GB"),
        ("UBSWCHZH80A", "CH"),
        ("CFMOMCMX", "MC"),
        # French overseas banks have their territory's code in the BIC but French IBANs.
        ("BDAFGPGP", "FR"),
        ("BFCORERX", "FR"),
        ("BNPANCNX", "FR"),
        ("SOCBPFTX", "FR"),
        ("BNPAYTYT", "FR"),
        # … and the reverse, should a territory's code be given as the IBAN's country.
        ("AGRIFRPP", "GP"),
        ("BFCORERX", "MQ"),
        # Monaco: accounts at French banks.
        ("AGRIFRPP", "MC"),
        # Crown dependencies use British IBANs; Irish accounts at UK banks; Faroe and Greenland.
        ("RBOSJESX", "GB"),
        ("RBOSGGSX", "GB"),
        ("BOFIIMDX", "GB"),
        ("NWBKGB2L", "JE"),
        ("ULSBGB2B", "IE"),
        ("NORFFOTH", "DK"),
    ],
)
def test_it_accepts_a_bic_consistent_with_the_iban_country(bic, iban_country):
    assert validate_bic(bic, iban_country) == bic


@pytest.mark.parametrize(
    "bic, iban_country, message",
    [
        ("AGRIFRPP", "DE", "Le BIC indique une banque de France (FR) alors que l'IBAN est d'Allemagne (DE)."),
        ("BCITITMM", "ES", "Le BIC indique une banque d'Italie (IT) alors que l'IBAN est d'Espagne (ES)."),
        ("ABNANL2A", "BE", "Le BIC indique une banque des Pays-Bas (NL) alors que l'IBAN est de Belgique (BE)."),
        ("NWBKGB2L", "CH", "Le BIC indique une banque du Royaume-Uni (GB) alors que l'IBAN est de Suisse (CH)."),
        ("CFMOMCMX", "FR", "Le BIC indique une banque de Monaco (MC) alors que l'IBAN est de France (FR)."),
        ("DEUTDEFF", "GP", "Le BIC indique une banque d'Allemagne (DE) alors que l'IBAN est de Guadeloupe (GP)."),
        ("RBOSJESX", "FR", "Le BIC indique une banque de Jersey (JE) alors que l'IBAN est de France (FR)."),
        ("CHASUS33", "FR", "Le BIC indique une banque des États-Unis (US) alors que l'IBAN est de France (FR)."),
        ("BSCHCLRM", "FR", "Le BIC indique une banque du pays Chili (CL) alors que l'IBAN est de France (FR)."),
    ],
)
def test_it_refuses_a_bic_whose_country_does_not_match_the_iban(bic, iban_country, message):
    assert bic_error(bic, iban_country) == [message]


def test_it_gives_error_codes_for_forms():
    with pytest.raises(ValidationError) as caught:
        validate_bic("AGRIFRPP", "DE")
    assert caught.value.code == "bic_country_mismatch"
    with pytest.raises(ValidationError) as caught:
        validate_iban_blocks("FR", "77", "30006000011234567890189")
    assert caught.value.error_dict["check_digits"][0].code == "iban_checksum"


# Country names in messages


@pytest.mark.parametrize(
    "code, the_country, of_country",
    [
        ("FR", "la France", "de France"),
        ("DE", "l'Allemagne", "d'Allemagne"),
        ("GB", "le Royaume-Uni", "du Royaume-Uni"),
        ("NL", "les Pays-Bas", "des Pays-Bas"),
        ("MC", "Monaco", "de Monaco"),
        ("IL", "Israël", "d'Israël"),
        ("RE", "La Réunion", "de La Réunion"),
        ("DO", "la République dominicaine", "de la République dominicaine"),
    ],
)
def test_it_names_countries_with_french_articles(code, the_country, of_country):
    forms = french_country_forms(code)
    assert (forms["the_country"], forms["of_country"]) == (the_country, of_country)


def test_it_gives_plain_country_names_in_other_languages():
    with translation.override("en"):
        assert french_country_forms("DE") == {"name": "Germany", "the_country": "Germany", "of_country": "Germany"}
