import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from banking.forms import BankAccountForm, iban_country_choices
from banking.iban import format_iban
from banking.rib import MAX_RIB_SIZE, RibCheck, RibStatus
from tests.banking import pdfs

IBAN = "FR7630006000011234567890189"
HOLDER = "SARL LES ATELIERS DU DRAC"  # the holder printed on tests/banking/pdfs.py's RIB

MSG_FILE_REQUIRED = "Joignez votre RIB au format PDF (taille maximale par fichier : 4096 kilo-octets)."
MSG_CHOOSE_AGAIN = (
    "Pour votre sécurité, le fichier joint n'a pas été conservé à cause de l'erreur ailleurs dans le formulaire : "
    "choisissez-le à nouveau avant de valider."
)
MSG_CHECKSUM = "La clé IBAN ne correspond pas au reste de l'IBAN : vérifiez chaque caractère."
MSG_NOT_PDF = "Ce fichier n'est pas un PDF : joignez votre RIB au format PDF."


@pytest.fixture(autouse=True)
def french():
    with translation.override("fr"):
        yield


def data(**overrides):
    values = {
        "account_name": "Compte principal",
        "account_type": "iban",
        "country_code": "FR",
        "check_digits": "76",
        "bban": "30006000011234567890189",
        "bic": "AGRIFRPP881",
        "attachment_type": "coordonnee_bancaire",
        "factor_raison_sociale": "",
        "factor_country": "",
        "factor_identifier": "",
        "factor_identifier_type": "",
    }
    values.update(overrides)
    return values


def upload(content=None, name="mon RIB.pdf"):
    return SimpleUploadedFile(name, pdfs.rib_pdf() if content is None else content, content_type="application/pdf")


def bound(file=None, **overrides):
    files = {} if file is False else {"rib_file": file or upload()}
    return BankAccountForm(data(**overrides), files)


def errors(file=None, **overrides):
    form = bound(file, **overrides)
    assert not form.is_valid()
    return form.errors


def iban_data(iban):
    return {"country_code": iban[:2], "check_digits": iban[2:4], "bban": iban[4:]}


def test_it_accepts_french_bank_details_and_exposes_what_the_services_need():
    form = bound()
    assert form.is_valid(), form.errors
    assert form.cleaned_data["iban"] == IBAN
    assert form.cleaned_data["bic"] == "AGRIFRPP881"
    assert form.cleaned_data["rib_check"] == RibCheck(RibStatus.IBAN_FOUND, (IBAN,), 1, HOLDER)
    assert form.cleaned_data["rib_original_name"] == "mon RIB.pdf"


def test_it_has_the_seed_labels_blocks_and_defaults():
    form = BankAccountForm()
    labels = {name: str(field.label) for name, field in form.fields.items()}
    assert labels == {
        "account_name": "Nom du compte bancaire",
        "account_type": "Type",
        "country_code": "Code pays",
        "check_digits": "Clé IBAN",
        "bban": "Identification internationale (IBAN)",
        "bic": "BIC ou Swift",
        "rib_file": "Fichier",
        "attachment_type": "Type de pièce jointe",
        "factor_raison_sociale": "Raison sociale",
        "factor_country": "Pays",
        "factor_identifier": "Identifiant",
        "factor_identifier_type": "Type identifiant",
    }
    # The procedure's order: the « Affactureur » block is its block 1.
    assert [str(legend) for legend, _names in form.fieldsets] == [
        "Affactureur",
        "Compte bancaire",
        "Coordonnées bancaires",
        "Pièce jointe",
    ]
    assert sorted(name for _legend, names in form.fieldsets for name in names) == sorted(form.fields)
    assert form["country_code"].value() == "FR"
    assert form["account_type"].value() == "iban"
    assert form["attachment_type"].value() == "coordonnee_bancaire"
    assert "taille maximale par fichier : 4096 kilo-octets" in str(form.fields["rib_file"].help_text)
    assert not form.fields["factor_raison_sociale"].required


def test_its_optional_selects_say_select_an_option_as_the_portal_does():
    form = BankAccountForm()
    assert '<option value="" selected>Sélectionner une option</option>' in str(form["factor_identifier_type"])
    assert '<option value="" selected>Sélectionner une option</option>' in str(form["factor_country"])
    assert "---------" not in str(form["factor_identifier_type"]) + str(form["factor_country"])


def test_it_offers_the_iban_countries_by_code():
    choices = dict(iban_country_choices())
    assert choices["FR"] == "FR — France"
    assert choices["DE"] == "DE — Allemagne"
    assert "US" not in choices and "GP" not in choices
    html = str(BankAccountForm()["country_code"])
    assert '<option value="FR" selected>FR — France</option>' in html


def test_it_has_no_maxlength_that_would_cut_a_pasted_iban():
    html = str(BankAccountForm()["bban"]) + str(BankAccountForm()["check_digits"])
    assert "maxlength" not in html


@pytest.mark.parametrize(
    "pasted",
    ["FR76 3000 6000 0112 3456 7890 189", "fr7630006000011234567890189", "IBAN : FR76 3000 6000 0112 3456 7890 189"],
)
def test_it_splits_a_whole_iban_pasted_into_the_identification_block(pasted):
    form = bound(country_code="FR", check_digits="", bban=pasted)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["iban"] == IBAN
    # Shown back in the blocks, should the page come back with an error elsewhere.
    assert (form["country_code"].value(), form["check_digits"].value(), form["bban"].value()) == (
        "FR",
        "76",
        "30006000011234567890189",
    )


def test_it_takes_the_country_of_a_pasted_iban_over_the_selected_one():
    form = bound(
        upload(pdfs.rib_pdf(pdfs.OTHER_IBAN)),
        country_code="FR",
        check_digits="76",
        bban="de89 3704 0044 0532 0130 00",
        bic="COBADEFFXXX",
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["iban"] == "DE89370400440532013000"


def test_it_splits_a_pasted_iban_with_a_missing_character_and_counts_the_block():
    errors_ = errors(bban="FR76 3000 6000 0112 3456 7890 18")
    assert errors_["bban"] == [
        "Pour la France (FR), l'identification internationale comporte 23 caractères ; vous en avez saisi 22."
    ]


def test_it_keeps_a_bban_of_the_selected_country_as_typed():
    form = bound(**iban_data("GB29NWBK60161331926819"), bic="NWBKGB2L", file=upload(pdfs.scan_like_pdf()))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["iban"] == "GB29NWBK60161331926819"


# IBAN and BIC vectors: each country the city pays into most, and the cases where the BIC's
# country legitimately differs from the IBAN's (Monaco at a French bank, French overseas).
VECTORS = [
    ("FR7630006000011234567890189", "AGRIFRPP881"),
    ("FR7612107000010001234567826", "BDAFGPGP"),  # Guadeloupe: French IBAN, BIC in GP
    ("FR7630006000011234567890189", "BFCORERXXXX"),  # La Réunion
    ("MC5811222000010123456789030", "BARCMCMX"),
    ("MC5811222000010123456789030", "AGRIFRPP"),  # a Monaco account at a French bank
    ("DE89370400440532013000", "COBADEFFXXX"),
    ("BE31435411161155", "KREDBEBB"),
    ("ES9121000418450200051332", "CAIXESBBXXX"),
    ("IT60X0542811101000000123456", "BCITITMM"),
    ("GB29NWBK60161331926819", "NWBKGB2L"),
    ("CH9300762011623852957", "UBSWCHZH80A"),
]


@pytest.mark.parametrize("iban, bic", VECTORS)
def test_it_accepts_iban_and_bic_vectors_and_finds_the_iban_in_the_rib(iban, bic):
    form = bound(upload(pdfs.rib_pdf(format_iban(iban))), **iban_data(iban), bic=bic.lower())
    assert form.is_valid(), form.errors
    assert form.cleaned_data["iban"] == iban
    assert form.cleaned_data["bic"] == bic
    assert form.cleaned_data["rib_check"].status == RibStatus.IBAN_FOUND


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"check_digits": "77"}, "check_digits", MSG_CHECKSUM),
        (
            {"bban": "3000600001123456789018"},
            "bban",
            "Pour la France (FR), l'identification internationale comporte 23 caractères ; vous en avez saisi 22.",
        ),
        (
            {"bban": "300060000112345678901890"},
            "bban",
            "Pour la France (FR), l'identification internationale comporte 23 caractères ; vous en avez saisi 24.",
        ),
        (
            {"bban": "3000A000011234567890189"},
            "bban",
            "L'identification internationale contient la lettre « A » en position 5 alors qu'un chiffre est attendu.",
        ),
        (
            {"country_code": "ZZ"},
            "country_code",
            "Le code pays ZZ n'utilise pas l'IBAN : vérifiez le code pays indiqué sur votre RIB.",
        ),
        ({"country_code": "F1"}, "country_code", "Le code pays comporte 2 lettres (par exemple FR)."),
        (
            {"country_code": "GP"},
            "country_code",
            "Les IBAN de Guadeloupe commencent par FR : choisissez le code pays FR.",
        ),
        (
            {"check_digits": "7"},
            "check_digits",
            "La clé IBAN comporte 2 chiffres : ce sont les 2 chiffres qui suivent le code pays.",
        ),
        ({"bic": "AGRIFRPP8"}, "bic", "Le BIC doit comporter 8 ou 11 caractères ; vous en avez saisi 9."),
        (
            {"bic": "COBADEFFXXX"},
            "bic",
            "Le BIC indique une banque d'Allemagne (DE) alors que l'IBAN est de France (FR).",
        ),
        (
            {"account_name": ""},
            "account_name",
            "Saisissez un nom pour ce compte bancaire (par exemple « Compte principal »).",
        ),
        ({"bic": ""}, "bic", "Saisissez le BIC (ou code Swift) indiqué sur votre RIB."),
        (
            {"bban": ""},
            "bban",
            "Saisissez l'identification internationale : les caractères de l'IBAN qui suivent la clé.",
        ),
    ],
)
def test_it_puts_each_bad_block_error_on_its_field(overrides, field, message):
    form = bound(upload(), **overrides)
    assert not form.is_valid()
    assert form.errors[field] == [message]
    # The file was fine: no error of its own, the supplier is told (once) to choose it again.
    assert "rib_file" not in form.errors
    assert form.notices == {"rib_file": MSG_CHOOSE_AGAIN}


def test_it_asks_for_the_missing_file():
    assert errors(file=False) == {"rib_file": [MSG_FILE_REQUIRED]}


def test_it_refuses_an_empty_file():
    assert errors(file=upload(b""))["rib_file"] == ["Le fichier joint est vide : joignez votre RIB au format PDF."]


MSG_DAMAGED = (
    "Ce PDF est endommagé ou incomplet : téléchargez à nouveau votre RIB depuis votre banque, puis joignez-le."
)


@pytest.mark.parametrize(
    "content, message",
    [
        (lambda: pdfs.png_bytes(), MSG_NOT_PDF),
        (lambda: pdfs.truncated_pdf(), MSG_DAMAGED),
        (
            lambda: pdfs.encrypted_pdf(),
            "Ce PDF est protégé par un mot de passe : joignez un RIB sans protection, lisible par l'administration.",
        ),
        (
            lambda: pdfs.javascript_pdf("open_action"),
            "Ce PDF contient du JavaScript, refusé pour des raisons de sécurité : joignez le RIB tel que fourni "
            "par votre banque.",
        ),
        (
            lambda: pdfs.launch_pdf("open_action"),
            "Ce PDF contient une commande qui lance un programme, refusée pour des raisons de sécurité : joignez "
            "le RIB tel que fourni par votre banque.",
        ),
        (
            lambda: pdfs.embedded_file_pdf("names"),
            "Ce PDF contient un fichier joint, refusé pour des raisons de sécurité : joignez un RIB sans pièce jointe.",
        ),
        (
            lambda: pdfs.padded_rib_pdf(MAX_RIB_SIZE + 1),
            "Le fichier dépasse la taille maximale de 4096 kilo-octets par fichier.",
        ),
        (
            lambda: pdfs.rib_pdf(pdfs.OTHER_IBAN),
            "Le RIB contient l'IBAN DE89 3704 0044 0532 0130 00, différent de celui saisi : corrigez l'IBAN saisi "
            "ou joignez le bon RIB.",
        ),
    ],
    ids=["renamed-png", "truncated", "encrypted", "javascript", "launch", "embedded-file", "4097-ko", "other-iban"],
)
def test_it_refuses_a_bad_rib_on_the_file_field_and_keeps_the_other_fields(content, message):
    form = bound(upload(content(), name="rib.pdf"))
    assert not form.is_valid()
    assert form.errors == {"rib_file": [message]}
    assert form["bban"].value() == "30006000011234567890189"
    assert form["account_name"].value() == "Compte principal"


def test_it_accepts_a_scanned_rib_to_be_checked_by_staff():
    form = bound(upload(pdfs.scan_like_pdf()))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["rib_check"] == RibCheck(RibStatus.TO_REVIEW, (), 1)


def test_it_accepts_a_rib_exactly_at_the_size_limit():
    form = bound(upload(pdfs.padded_rib_pdf(MAX_RIB_SIZE)))
    assert form.is_valid(), form.errors


def test_it_checks_the_rib_only_once_the_iban_is_valid(monkeypatch):
    calls = []
    monkeypatch.setattr("banking.forms.check_rib_once", lambda *args: calls.append(args))
    errors(check_digits="77", file=upload(pdfs.png_bytes()))
    assert calls == []


def test_it_validates_a_file_reopened_from_storage_as_the_wizard_does():
    storage = storages["private"]
    name = storage.save("wizard/tmp-rib.pdf", ContentFile(pdfs.rib_pdf()))
    with storage.open(name) as stored:
        form = BankAccountForm(data(), {"rib_file": stored})
        assert form.is_valid(), form.errors
        assert form.cleaned_data["rib_check"].status == RibStatus.IBAN_FOUND
        assert form.cleaned_data["rib_original_name"] == "tmp-rib.pdf"


def test_it_keeps_only_the_last_part_of_the_file_name():
    form = bound(upload(name="C:\\Users\\claire\\Documents\\RIB\x07 banque.pdf"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["rib_original_name"] == "RIB banque.pdf"


def test_it_requires_the_whole_factor_block_once_started():
    assert errors(factor_raison_sociale="Factor Lyon") == {
        "factor_country": ["Choisissez le pays de l'affactureur."],
        "factor_identifier_type": ["Choisissez le type d'identifiant de l'affactureur."],
        "factor_identifier": ["Saisissez l'identifiant de l'affactureur."],
    }


def test_it_validates_the_factor_identifier_like_a_structure_s():
    errors_ = errors(
        factor_raison_sociale="Factor Lyon",
        factor_country="FR",
        factor_identifier_type="siret",
        factor_identifier="732 829 320 00075",
    )
    assert errors_["factor_identifier"] == [
        "Ce SIRET n'est pas valide : sa clé de contrôle (algorithme de Luhn) est fausse."
    ]


def test_it_normalises_a_valid_factor_identifier():
    form = bound(
        factor_raison_sociale="Factor Lyon",
        factor_country="FR",
        factor_identifier_type="siret",
        factor_identifier="732 829 320 00074",
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["factor_identifier"] == "73282932000074"


def test_it_refuses_a_type_that_is_not_offered():
    assert errors(account_type="rib")["account_type"] == ["Sélectionnez un choix valide. rib n’en fait pas partie."]
