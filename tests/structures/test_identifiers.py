import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from stdnum import luhn

from structures.identifiers import (
    DEFAULT_IDENTIFIER_TYPE,
    MSG_SIRET_LENGTH,
    IdentifierType,
    normalize_identifier,
)


@pytest.fixture(autouse=True)
def french():
    # The messages are asserted in French whatever language the test settings activate.
    with translation.override("fr"):
        yield


def error_messages(identifier_type, value):
    with pytest.raises(ValidationError) as excinfo:
        normalize_identifier(identifier_type, value)
    return excinfo.value.messages


def test_it_offers_the_seven_identifier_types_with_siret_by_default():
    assert IdentifierType.values == [
        "siret",
        "tva_ue",
        "hors_ue",
        "ridet",
        "tahiti",
        "particulier",
        "en_cours",
    ]
    assert DEFAULT_IDENTIFIER_TYPE == IdentifierType.SIRET
    assert str(IdentifierType.SIRET.label) == "SIRET"


def test_it_accepts_the_plain_string_value_of_a_type():
    assert normalize_identifier("siret", "21380185500015") == "21380185500015"


def test_it_refuses_an_unknown_identifier_type():
    with pytest.raises(ValueError):
        normalize_identifier("iban", "21380185500015")


@pytest.mark.parametrize("identifier_type", IdentifierType.values)
@pytest.mark.parametrize("value", ["", "   ", None])
def test_it_requires_a_value_for_every_type(identifier_type, value):
    assert error_messages(identifier_type, value) == ["Saisissez l'identifiant de la structure."]


# --- SIRET ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "21380185500015",
        " 21380185500015 ",
        "213 801 855 00015",
        "213.801.855.00015",
        "213-801-855-00015",
        "213\u00a0801\u00a0855\u00a000015",
    ],
)
def test_it_normalizes_a_siret(value):
    assert normalize_identifier(IdentifierType.SIRET, value) == "21380185500015"


@pytest.mark.parametrize("value", ["2138018550001A", "213801855 0001O", "２１３８０１８５５０００１５"])
def test_it_refuses_a_siret_with_other_characters_than_digits(value):
    assert error_messages(IdentifierType.SIRET, value) == ["Le SIRET ne doit contenir que des chiffres."]


@pytest.mark.parametrize("value", ["2138018550001", "213801855000150", "2138"])
def test_it_refuses_a_siret_of_the_wrong_length(value):
    assert error_messages(IdentifierType.SIRET, value) == ["Le SIRET doit comporter exactement 14 chiffres."]


def test_it_exports_the_exact_messages():
    assert str(MSG_SIRET_LENGTH) == "Le SIRET doit comporter exactement 14 chiffres."


def test_it_explains_that_nine_digits_are_a_siren():
    assert error_messages(IdentifierType.SIRET, "213 801 855") == [
        "Vous avez saisi 9 chiffres, c'est-à-dire un SIREN : le SIRET en comporte 14 "
        "(le SIREN suivi des 5 chiffres de l'établissement)."
    ]


def test_it_refuses_a_siret_whose_luhn_key_is_wrong():
    assert error_messages(IdentifierType.SIRET, "21380185500016") == [
        "Ce SIRET n'est pas valide : sa clé de contrôle (algorithme de Luhn) est fausse."
    ]


def test_it_points_at_the_siren_when_the_first_nine_digits_are_wrong():
    assert not luhn.is_valid("213801865")
    assert error_messages(IdentifierType.SIRET, "21380186500015") == [
        "Ce SIRET n'est pas valide : la clé de contrôle de son SIREN (ses 9 premiers chiffres) est fausse."
    ]


def test_it_accepts_la_poste_head_office_which_passes_luhn():
    assert luhn.is_valid("35600000000048")
    assert normalize_identifier(IdentifierType.SIRET, "356 000 000 00048") == "35600000000048"


@pytest.mark.parametrize("siret", ["35600000031007", "35600000052018", "35600000071003", "35600000012346"])
def test_it_accepts_la_poste_establishments_by_their_own_rule(siret):
    # They fail plain Luhn: their digits add up to a multiple of 5 instead.
    assert not luhn.is_valid(siret)
    assert sum(map(int, siret)) % 5 == 0
    assert normalize_identifier(IdentifierType.SIRET, siret) == siret


def test_it_refuses_a_la_poste_siret_whose_digits_do_not_add_up_to_a_multiple_of_5():
    assert sum(map(int, "35600000000012")) % 5 != 0
    assert error_messages(IdentifierType.SIRET, "35600000000012") == [
        "Ce SIRET de La Poste n'est pas valide : la somme de ses chiffres doit être un multiple de 5."
    ]


def test_it_refuses_a_la_poste_siret_that_passes_plain_luhn_only():
    # Luhn is not La Poste's rule: passing it is not enough under SIREN 356000000.
    assert luhn.is_valid("35600000000014")
    assert error_messages(IdentifierType.SIRET, "35600000000014") == [
        "Ce SIRET de La Poste n'est pas valide : la somme de ses chiffres doit être un multiple de 5."
    ]


# --- TVA intracommunautaire ----------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("DE136695976", "DE136695976"),
        ("de 136 695 976", "DE136695976"),
        ("BE 0403.019.261", "BE0403019261"),
        ("ATU13585627", "ATU13585627"),
        ("IT-00743110157", "IT00743110157"),
        ("NL004495445B01", "NL004495445B01"),
        ("EL094259216", "EL094259216"),
        ("GR094259216", "EL094259216"),
        ("XI 980780684", "XI980780684"),
    ],
)
def test_it_normalizes_an_eu_vat_number(value, expected):
    assert normalize_identifier(IdentifierType.TVA_UE, value) == expected


@pytest.mark.parametrize("value", ["FR40303265045", "fr 40 303 265 045"])
def test_it_sends_french_structures_to_the_siret(value):
    assert error_messages(IdentifierType.TVA_UE, value) == [
        "Les structures françaises s'identifient par leur SIRET, pas par leur numéro de TVA : "
        "choisissez le type d'identifiant « SIRET »."
    ]


@pytest.mark.parametrize("value", ["136695976", "US123456789", "CH123456789", "EU372000041", "GB980780684"])
def test_it_refuses_a_vat_number_without_an_eu_country_prefix(value):
    assert error_messages(IdentifierType.TVA_UE, value) == [
        "Le numéro de TVA intracommunautaire doit commencer par le code d'un pays de l'Union "
        "européenne (par exemple DE, BE ou IT)."
    ]


def test_it_names_the_country_when_a_vat_number_is_too_short():
    assert error_messages(IdentifierType.TVA_UE, "DE13669597") == [
        "Ce numéro de TVA (Allemagne) n'a pas le bon nombre de caractères."
    ]


def test_it_names_the_country_when_a_vat_key_is_wrong():
    assert error_messages(IdentifierType.TVA_UE, "BE0403019262") == [
        "Ce numéro de TVA (Belgique) n'est pas valide : sa clé de contrôle est fausse."
    ]


def test_it_names_the_country_when_a_vat_number_has_the_wrong_shape():
    assert error_messages(IdentifierType.TVA_UE, "DE13669597X") == [
        "Ce numéro de TVA (Allemagne) n'a pas la forme attendue dans ce pays."
    ]


# --- RIDET and numéro TAHITI ---------------------------------------------------------------


@pytest.mark.parametrize("value", ["1234567.001", "1234567001", "1 234 567.001", " 1234567-001 "])
def test_it_normalizes_a_ridet(value):
    assert normalize_identifier(IdentifierType.RIDET, value) == "1234567001"


@pytest.mark.parametrize("value", ["123456.001", "12345678.001", "1234567", "A234567.001", "1234567.01"])
def test_it_refuses_a_ridet_of_the_wrong_shape(value):
    assert error_messages(IdentifierType.RIDET, value) == [
        "Le numéro RIDET comporte 10 chiffres : les 7 chiffres de l'entreprise puis les 3 chiffres "
        "de l'établissement (par exemple 1234567.001)."
    ]


def test_it_refuses_a_ridet_with_establishment_rank_000():
    assert error_messages(IdentifierType.RIDET, "1234567.000") == [
        "Le rang de l'établissement (les 3 derniers chiffres du RIDET) commence à 001."
    ]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("A12345001", "A12345001"),
        ("a12345 001", "A12345001"),
        ("A12345.001", "A12345001"),
        # Numbers given before October 2011 have 6 digits.
        ("123456001", "123456001"),
    ],
)
def test_it_normalizes_a_tahiti_number(value, expected):
    assert normalize_identifier(IdentifierType.TAHITI, value) == expected


@pytest.mark.parametrize("value", ["AB2345001", "A1234500", "A123450012", "A12345", "É12345001", "A1234500A"])
def test_it_refuses_a_tahiti_number_of_the_wrong_shape(value):
    assert error_messages(IdentifierType.TAHITI, value) == [
        "Le numéro TAHITI comporte 9 caractères : les 6 de l'entreprise (6 chiffres, ou une lettre "
        "suivie de 5 chiffres) puis les 3 chiffres de l'établissement (par exemple A12345001)."
    ]


# --- free text: hors UE, particulier, en cours d'immatriculation ---------------------------

FREE_TEXT_TYPES = [IdentifierType.HORS_UE, IdentifierType.PARTICULIER, IdentifierType.EN_COURS]


@pytest.mark.parametrize("identifier_type", FREE_TEXT_TYPES)
def test_it_trims_free_text_identifiers(identifier_type):
    assert normalize_identifier(identifier_type, "  Company No.\t 12345678 \n(UK) ") == "Company No. 12345678 (UK)"


@pytest.mark.parametrize("identifier_type", FREE_TEXT_TYPES)
def test_it_accepts_free_text_of_1_to_80_characters(identifier_type):
    assert normalize_identifier(identifier_type, "x") == "x"
    assert normalize_identifier(identifier_type, "x" * 80) == "x" * 80


@pytest.mark.parametrize("identifier_type", FREE_TEXT_TYPES)
def test_it_refuses_free_text_longer_than_80_characters(identifier_type):
    assert error_messages(identifier_type, "x" * 81) == [
        "L'identifiant ne doit pas dépasser 80 caractères (vous en avez saisi 81)."
    ]
