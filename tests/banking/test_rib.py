import hashlib
import io
import json
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from banking.rib import (
    MAX_RIB_SIZE,
    KnownRibCheck,
    RibCheck,
    RibHolderCheck,
    RibStatus,
    check_holder,
    check_rib,
    check_rib_once,
    find_holder,
    find_ibans,
    holder_matches,
)
from core.pdf import MAX_PDF_OBJECTS
from tests.banking import pdfs

RIB_IBAN = "FR7630006000011234567890189"
HOLDER = "SARL LES ATELIERS DU DRAC"  # tests/banking/pdfs.py's RIBs
OTHER_IBAN = "DE89370400440532013000"

MSG_TOO_LARGE = "Le fichier dépasse la taille maximale de 4096 kilo-octets par fichier."
MSG_NOT_PDF = "Ce fichier n'est pas un PDF : joignez votre RIB au format PDF."
MSG_DAMAGED = (
    "Ce PDF est endommagé ou incomplet : téléchargez à nouveau votre RIB depuis votre banque, puis joignez-le."
)
MSG_ENCRYPTED = "Ce PDF est protégé par un mot de passe : joignez un RIB sans protection, lisible par l'administration."
MSG_JAVASCRIPT = (
    "Ce PDF contient du JavaScript, refusé pour des raisons de sécurité : joignez le RIB tel que fourni par "
    "votre banque."
)
MSG_LAUNCH = (
    "Ce PDF contient une commande qui lance un programme, refusée pour des raisons de sécurité : joignez le "
    "RIB tel que fourni par votre banque."
)
MSG_EMBEDDED_FILE = (
    "Ce PDF contient un fichier joint, refusé pour des raisons de sécurité : joignez un RIB sans pièce jointe."
)
MSG_TOO_COMPLEX = "Ce PDF est trop complexe pour un RIB : joignez seulement le RIB, tel que fourni par votre banque."
MSG_TOO_COSTLY = (
    "Ce PDF est trop complexe pour être lu automatiquement : joignez seulement le RIB, tel que fourni par votre banque."
)
MSG_OUTBOUND_ACTION = (
    "Ce PDF contient une action qui envoie des données ou ouvre une adresse ou un fichier extérieurs, refusée pour "
    "des raisons de sécurité : joignez le RIB tel que fourni par votre banque."
)
MSG_RICH_MEDIA = (
    "Ce PDF contient un média interactif (vidéo, animation, 3D), refusé pour des raisons de sécurité : joignez le "
    "RIB tel que fourni par votre banque."
)


@pytest.fixture(autouse=True)
def french():
    with translation.override("fr"):
        yield


def upload(data, name="rib.pdf", content_type="application/pdf"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def refusal(data, typed_iban=pdfs.RIB_IBAN, **upload_options):
    with pytest.raises(ValidationError) as caught:
        check_rib(upload(data, **upload_options), typed_iban)
    return caught.value


class SpyFile(io.BytesIO):
    """A file object that records how much is read from it, with an optional `.size`."""

    def __init__(self, data, size=None):
        super().__init__(data)
        self.reads = []
        if size is not None:
            self.size = size

    def read(self, size=-1):
        self.reads.append(size)
        return super().read(size)


# Text found


def test_it_finds_the_typed_iban_in_a_text_rib():
    assert check_rib(upload(pdfs.rib_pdf()), pdfs.RIB_IBAN) == RibCheck(RibStatus.IBAN_FOUND, (RIB_IBAN,), 1, HOLDER)
    assert RibStatus.IBAN_FOUND.label == "IBAN retrouvé dans le RIB"


def test_it_compares_the_typed_iban_whatever_its_spacing_or_case():
    assert check_rib(upload(pdfs.rib_pdf()), "fr76-3000-6000-0112-3456-7890-189").status == RibStatus.IBAN_FOUND


def test_it_finds_the_iban_in_a_rib_rendered_like_a_bank_does():
    result = check_rib(upload(pdfs.weasyprint_rib_pdf()), RIB_IBAN)
    assert result == RibCheck(RibStatus.IBAN_FOUND, (RIB_IBAN,), 1, HOLDER)


def test_it_refuses_a_rib_holding_another_iban():
    error = refusal(pdfs.rib_pdf(pdfs.OTHER_IBAN))
    assert error.messages == [
        "Le RIB contient l'IBAN DE89 3704 0044 0532 0130 00, différent de celui saisi : corrigez l'IBAN saisi "
        "ou joignez le bon RIB."
    ]
    assert error.code == "rib_iban_mismatch"


def test_it_lists_every_other_iban_found():
    data = pdfs.pdf(pdfs.rib_lines(pdfs.OTHER_IBAN) + ["Compte d'épargne : BE31 4354 1116 1155"])
    assert refusal(data).messages == [
        "Le RIB contient les IBAN DE89 3704 0044 0532 0130 00, BE31 4354 1116 1155, différents de celui "
        "saisi : corrigez l'IBAN saisi ou joignez le bon RIB."
    ]


def test_it_accepts_a_rib_holding_the_typed_iban_among_others():
    data = pdfs.pdf(["Compte courant : " + pdfs.OTHER_IBAN] + pdfs.rib_lines())
    assert check_rib(upload(data), RIB_IBAN) == RibCheck(RibStatus.IBAN_FOUND, (OTHER_IBAN, RIB_IBAN), 1, HOLDER)


# Left to the finance staff (« à vérifier »)


def test_it_leaves_a_scanned_rib_to_review():
    assert check_rib(upload(pdfs.scan_like_pdf()), RIB_IBAN) == RibCheck(RibStatus.TO_REVIEW, (), 1)
    assert RibStatus.TO_REVIEW.label == "à vérifier"


def test_it_leaves_a_text_without_iban_to_review():
    assert check_rib(upload(pdfs.no_iban_pdf()), RIB_IBAN) == RibCheck(RibStatus.TO_REVIEW, (), 1)


def test_it_returns_the_ibans_found_when_none_was_typed():
    assert check_rib(upload(pdfs.rib_pdf())) == RibCheck(RibStatus.TO_REVIEW, (RIB_IBAN,), 1, HOLDER)


def test_it_reads_the_text_of_the_first_5_pages_only():
    assert check_rib(upload(pdfs.pages_pdf(6, iban_on_page=5)), RIB_IBAN).status == RibStatus.IBAN_FOUND
    assert check_rib(upload(pdfs.pages_pdf(6, iban_on_page=6)), RIB_IBAN) == RibCheck(RibStatus.TO_REVIEW, (), 6)


# Refused files


def test_it_refuses_a_png_named_like_a_pdf():
    error = refusal(pdfs.png_bytes(), name="rib.pdf", content_type="application/pdf")
    assert error.messages == [MSG_NOT_PDF]
    assert error.code == "rib_not_pdf"


@pytest.mark.parametrize("data", [b"", b"\n%PDF-1.7\n", b"PK\x03\x04 a zip"])
def test_it_wants_the_pdf_signature_at_byte_0(data):
    assert refusal(data).messages == [MSG_NOT_PDF]


def test_it_judges_by_content_not_by_name_or_type():
    result = check_rib(upload(pdfs.rib_pdf(), name="scan.png", content_type="image/png"), RIB_IBAN)
    assert result.status == RibStatus.IBAN_FOUND


def test_it_refuses_a_truncated_pdf():
    error = refusal(pdfs.truncated_pdf())
    assert error.messages == [MSG_DAMAGED]
    assert error.code == "rib_damaged"


def test_it_refuses_a_pdf_header_followed_by_garbage():
    assert refusal(b"%PDF-1.7\n" + bytes(range(256)) * 10).messages == [MSG_DAMAGED]


def test_it_refuses_a_pdf_without_pages():
    builder = pdfs.PdfBuilder()
    catalog = builder.add(b"<< /Type /Catalog /Pages 2 0 R >>")
    builder.add(b"<< /Type /Pages /Kids [] /Count 0 >>")
    assert refusal(builder.build(catalog)).messages == [MSG_DAMAGED]


def test_it_refuses_an_encrypted_pdf():
    error = refusal(pdfs.encrypted_pdf())
    assert error.messages == [MSG_ENCRYPTED]
    assert error.code == "rib_encrypted"


@pytest.mark.parametrize("place", ["names", "open_action", "annotation", "page_open", "hidden_names"])
def test_it_refuses_javascript(place):
    error = refusal(pdfs.javascript_pdf(place))
    assert error.messages == [MSG_JAVASCRIPT]
    assert error.code == "rib_javascript"


@pytest.mark.parametrize("layout", ["stream", "array"])
def test_it_refuses_javascript_in_an_xfa_form(layout):
    error = refusal(pdfs.xfa_pdf(layout=layout))
    assert error.messages == [MSG_JAVASCRIPT]
    assert error.code == "rib_javascript"


@pytest.mark.parametrize(
    "kind",
    [
        "open_action_uri",
        "page_open_uri",
        "next_uri",
        "submit_form",
        "import_data",
        "goto_remote",
        "goto_embedded",
        "xfa_submit",
    ],
)
def test_it_refuses_an_action_that_sends_data_or_reaches_outside(kind):
    error = refusal(pdfs.action_pdf(kind))
    assert error.messages == [MSG_OUTBOUND_ACTION]
    assert error.code == "rib_outbound_action"


def test_it_accepts_a_link_to_the_banks_site_that_the_reader_clicks():
    assert check_rib(upload(pdfs.link_pdf()), RIB_IBAN).status == RibStatus.IBAN_FOUND


def test_it_refuses_rich_media():
    error = refusal(pdfs.rich_media_pdf())
    assert error.messages == [MSG_RICH_MEDIA]
    assert error.code == "rib_rich_media"


def test_it_refuses_a_rib_too_costly_to_read():
    # The budget stops it before pypdf parses a page (20 to 40 s before; tests/core/test_pdf.py).
    error = refusal(pdfs.costly_pdf())
    assert error.messages == [MSG_TOO_COSTLY]
    assert error.code == "rib_too_costly"


@pytest.mark.parametrize("place", ["open_action", "annotation"])
def test_it_refuses_a_launch_action(place):
    error = refusal(pdfs.launch_pdf(place))
    assert error.messages == [MSG_LAUNCH]
    assert error.code == "rib_launch"


@pytest.mark.parametrize("place", ["names", "annotation"])
def test_it_refuses_an_embedded_file(place):
    error = refusal(pdfs.embedded_file_pdf(place))
    assert error.messages == [MSG_EMBEDDED_FILE]
    assert error.code == "rib_embedded_file"


def test_it_refuses_a_pdf_with_too_many_objects():
    builder, catalog = pdfs.text_pdf(pdfs.rib_lines())
    for _number in range(MAX_PDF_OBJECTS):
        builder.add(b"<< /Dummy true >>")
    error = refusal(builder.build(catalog))
    assert error.messages == [MSG_TOO_COMPLEX]
    assert error.code == "rib_too_complex"


# Size


def test_it_accepts_a_pdf_of_exactly_4096_ko():
    data = pdfs.padded_rib_pdf(4096 * 1024)
    assert len(data) == MAX_RIB_SIZE
    assert check_rib(upload(data), RIB_IBAN) == RibCheck(RibStatus.IBAN_FOUND, (RIB_IBAN,), 1, HOLDER)


def test_it_refuses_a_pdf_of_4097_ko_without_reading_it():
    data = pdfs.padded_rib_pdf(4097 * 1024)
    file = SpyFile(data, size=len(data))
    with pytest.raises(ValidationError) as caught:
        check_rib(file, RIB_IBAN)
    assert caught.value.messages == [MSG_TOO_LARGE]
    assert caught.value.code == "rib_too_large"
    assert file.reads == []


@pytest.mark.parametrize("announced_size", [None, 1000])
def test_it_reads_at_most_one_byte_over_the_limit_when_the_size_is_unknown_or_wrong(announced_size):
    file = SpyFile(pdfs.padded_rib_pdf(4097 * 1024), size=announced_size)
    with pytest.raises(ValidationError) as caught:
        check_rib(file, RIB_IBAN)
    assert caught.value.messages == [MSG_TOO_LARGE]
    assert file.reads == [MAX_RIB_SIZE + 1]


def test_it_rewinds_the_file_for_the_caller_to_save_it():
    file = upload(pdfs.rib_pdf())
    file.read(10)
    check_rib(file, RIB_IBAN)
    assert file.tell() == 0


# Finding IBANs in text


@pytest.mark.parametrize(
    "text",
    [
        "IBAN : FR76 3000 6000 0112 3456 7890 189 BIC : AGRIFRPP881",
        "IBAN FR7630006000011234567890189BIC AGRIFRPP",  # the next word glued by text extraction
        "IBAN\nFR76 3000 6000\n0112 3456 7890 189",
        "FR76  3000  6000  0112  3456  7890  189",
        "IBAN:FR76\u00a03000\u00a06000\u00a00112\u00a03456\u00a07890\u00a0189.",
    ],
)
def test_it_finds_an_iban_however_the_text_is_laid_out(text):
    assert find_ibans(text) == (RIB_IBAN,)


def test_it_finds_ibans_printed_one_after_the_other():
    text = "FR76 3000 6000 0112 3456 7890 189 DE89 3704 0044 0532 0130 00 FR76 3000 6000 0112 3456 7890 189"
    assert find_ibans(text) == (RIB_IBAN, OTHER_IBAN)


@pytest.mark.parametrize(
    "text",
    [
        "FR77 3000 6000 0112 3456 7890 189",  # wrong checksum
        "FR76 3000 6000 0112 3456 7890 18",  # too short
        "XFR76 3000 6000 0112 3456 7890 189",  # glued to a preceding letter
        "Référence FR76-3000",
        "",
    ],
)
def test_it_finds_no_iban_in_iban_lookalikes(text):
    assert find_ibans(text) == ()


# --- the check kept for the wizard's end (KnownRibCheck, check_rib_once) ------------------------

COMPACT_IBAN = pdfs.RIB_IBAN.replace(" ", "")


def test_it_reuses_the_check_made_for_the_same_bytes_and_iban(monkeypatch):
    known = check_rib_once(upload(pdfs.rib_pdf()), COMPACT_IBAN)
    assert known.check == RibCheck(RibStatus.IBAN_FOUND, (COMPACT_IBAN,), 1, HOLDER)
    assert known.sha256 == hashlib.sha256(pdfs.rib_pdf()).hexdigest()

    def no_second_check(*args):
        raise AssertionError("checked again")

    monkeypatch.setattr("banking.rib.check_rib", no_second_check)
    assert check_rib_once(upload(pdfs.rib_pdf(), name="autre-nom.pdf"), COMPACT_IBAN, known) is known


def test_it_checks_again_other_bytes_or_another_iban():
    known = check_rib_once(upload(pdfs.rib_pdf()), COMPACT_IBAN)
    with pytest.raises(ValidationError) as caught:
        check_rib_once(upload(pdfs.png_bytes()), COMPACT_IBAN, known)
    assert caught.value.code == "rib_not_pdf"
    other = pdfs.OTHER_IBAN.replace(" ", "")
    with pytest.raises(ValidationError) as caught:
        check_rib_once(upload(pdfs.rib_pdf()), other, known)
    assert caught.value.messages == [
        "Le RIB contient l'IBAN FR76 3000 6000 0112 3456 7890 189, différent de celui saisi : "
        "corrigez l'IBAN saisi ou joignez le bon RIB."
    ]


def test_it_keeps_the_check_as_json_and_refuses_anything_else():
    known = check_rib_once(upload(pdfs.rib_pdf()), COMPACT_IBAN)
    kept = json.loads(json.dumps(known.as_dict()))
    assert KnownRibCheck.from_dict(kept) == known
    before_the_holder = {name: value for name, value in kept.items() if name != "holder"}  # checked again
    for broken in [None, {}, "x", {**kept, "status": "inconnu"}, {**kept, "page_count": "deux"}, before_the_holder]:
        assert KnownRibCheck.from_dict(broken) is None


# --- the account holder (« Titulaire du compte ») --------------------------------------------


@pytest.mark.parametrize(
    "text, holder",
    [
        ("Titulaire du compte : SARL LES ATELIERS DU DRAC, 12 rue des Alliés, 38100 Grenoble", HOLDER),
        ("Titulaire : SARL LES ATELIERS DU DRAC\n12 rue des Alliés, 38100 Grenoble", HOLDER),
        ("Titulaire du compte (Account Owner)\nM JEAN DUPONT\n12 RUE DES LILAS\n38000 GRENOBLE", "M JEAN DUPONT"),
        ("Titulaire du compte / Account holder : SAS ALPES BOIS", "SAS ALPES BOIS"),
        ("Intitulé du compte : MME MARTINE DURAND 4 AVENUE ALSACE LORRAINE", "MME MARTINE DURAND"),
        ("TITULAIRE(S) M OU MME DUPONT JEAN", "M OU MME DUPONT JEAN"),
        ("Code banque 30006 Titulaire du compte SARL PIC VERT Domiciliation CA SUD RHONE ALPES", "SARL PIC VERT"),
        ("Raison sociale : Bureau d'études Martin & fils", "Bureau d'études Martin & fils"),
        ("Account holder: Acme Trading Ltd IBAN GB29 NWBK 6016 1331 9268 19", "Acme Trading Ltd"),
        ("Account name : ACME TRADING LIMITED", "ACME TRADING LIMITED"),
        ("Kontoinhaber: Müller Holzbau GmbH", "Müller Holzbau GmbH"),
        ("Nom de la banque : Crédit Agricole\nNom : DUPONT JEAN", "DUPONT JEAN"),
        ("Domiciliation : CAISSE RÉGIONALE\nIBAN : FR76 3000 6000 0112 3456 7890 189", ""),
        ("Titulaire du compte\nDomiciliation : CAISSE RÉGIONALE", ""),
        ("Titulaire du compte : 12345", ""),
        ("", ""),
    ],
)
def test_it_reads_the_account_holder_in_the_rib_text(text, holder):
    assert find_holder(text) == holder


def test_it_returns_the_holder_with_the_check():
    assert check_rib(upload(pdfs.rib_pdf()), RIB_IBAN).holder == HOLDER
    assert check_rib(upload(pdfs.weasyprint_rib_pdf()), RIB_IBAN).holder == HOLDER
    assert check_rib(upload(pdfs.scan_like_pdf()), RIB_IBAN).holder == ""


@pytest.mark.parametrize(
    "holder, name",
    [
        ("SARL LES ATELIERS DU DRAC", "Les Ateliers du Drac"),
        ("LES ATELIERS DU DRAC SAS, 12 RUE DES ALLIES", "Ateliers du Drac (SARL)"),
        ("M JEAN DUPONT", "Jean Dupont"),
        ("DUPONT JEAN-PIERRE", "Jean-Pierre Dupont"),
        ("MME MARTINE DURAND", "Martine Durand"),
        ("M OU MME DUPONT JEAN", "Jean Dupont"),
        ("Bureau d'études Martin & fils", "BUREAU D'ETUDES MARTIN ET FILS"),
        ("STE NLE DES ETS MARTIN", "Société nouvelle des établissements Martin"),  # abbreviations: no
        ("LESATELIERSDUDRAC", "Les Ateliers du Drac"),  # words glued by text extraction
    ],
)
def test_it_compares_the_holder_with_a_name_leniently(holder, name):
    expected = "STE NLE" not in holder
    assert holder_matches(holder, name) is expected


@pytest.mark.parametrize(
    "holder, name",
    [
        ("SARL LES ATELIERS DU DRAC", "Menuiserie Martin"),
        ("M JEAN DUPONT", "Jeanne Dupont"),
        ("SARL DRAC", "Les Ateliers du Drac"),
        ("SARL", "SARL"),  # nothing left to compare
    ],
)
def test_it_tells_a_different_holder(holder, name):
    assert not holder_matches(holder, name)


def structure(raison_sociale, identifier_type="siret", identifier="46430577000248"):
    return SimpleNamespace(raison_sociale=raison_sociale, identifier_type=identifier_type, identifier=identifier)


def test_it_checks_the_holder_against_the_structure_the_person_or_the_factor():
    person = SimpleNamespace(get_full_name=lambda: "Jean Dupont")
    drac = structure("Les Ateliers du Drac")
    assert check_holder(HOLDER, structure=drac, user=person) == RibHolderCheck.MATCHES
    assert check_holder(HOLDER, structure=structure("Menuiserie Martin"), user=person) == RibHolderCheck.DIFFERS
    assert check_holder("", structure=drac, user=person) == RibHolderCheck.UNREADABLE
    # A « Particulier »: its identifier is a name, and the person sending the details is the holder.
    individual = structure("Plomberie Jean D.", identifier_type="particulier", identifier="Dupont plomberie")
    assert check_holder("M JEAN DUPONT", structure=individual, user=person) == RibHolderCheck.MATCHES
    assert check_holder("DUPONT PLOMBERIE", structure=individual) == RibHolderCheck.MATCHES
    assert check_holder("M JEAN DUPONT", structure=structure("Plomberie Jean D."), user=person) == (
        RibHolderCheck.DIFFERS  # a company is not its manager
    )
    # Paid to a factoring company: the RIB is the factor's.
    factor = {"factor_raison_sociale": "Affacturage Alpin"}
    assert check_holder("AFFACTURAGE ALPIN SA", structure=drac, **factor) == RibHolderCheck.MATCHES
    assert [str(check.label) for check in RibHolderCheck] == ["conforme", "différent", "illisible", "non contrôlé"]
