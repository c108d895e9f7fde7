"""The issue's table « Bad input: clear French message, nothing lost, no 500 », row by row."""

import html as html_lib
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from core.storage import wizard_file_storage
from invoices.files import MAX_INVOICE_SIZE
from invoices.models import Invoice
from tests.banking import pdfs as banking_pdfs
from tests.invoices import pdfs
from tests.invoices.conftest import SIRET
from tests.invoices.factories import InvoiceFactory
from tests.invoices.helpers import DEPOSIT_URL, ENTER_URL, entry_data, invoice_data, upload
from tests.mandates.factories import BillingMandateFactory
from tests.structures.factories import MainManagerFactory

pytestmark = pytest.mark.django_db


def page(response):
    return html_lib.unescape(response.content.decode())


# No signed mandate, mandate cancelled, another structure's invoice


@pytest.mark.parametrize(
    "traits, message",
    [
        (None, "La structure Menuiserie Martin n'a pas encore de mandat de facturation signé."),
        (
            {"cancelled": True},
            "Le mandat de facturation de Menuiserie Martin a été annulé : il faut en souscrire un "
            "nouveau et le signer.",
        ),
    ],
)
@pytest.mark.parametrize("url", [DEPOSIT_URL, ENTER_URL])
def test_it_refuses_without_a_signed_mandate(client, traits, message, url):
    membership = MainManagerFactory(structure__raison_sociale="Menuiserie Martin")
    if traits is not None:
        BillingMandateFactory(structure=membership.structure, signatory=membership.user, **traits)
    client.force_login(membership.user)
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 403
        assert message in page(response)


def test_it_hides_another_structures_invoice(logged_in):
    other = InvoiceFactory()
    for name in ("invoices:detail", "invoices:acknowledgement", "invoices:download"):
        assert logged_in.get(reverse(name, args=[other.pk])).status_code == 404
    assert logged_in.post(reverse("invoices:complete", args=[other.pk])).status_code == 404


# The city's data, in both ways in


def step_two(client):
    return upload(client, pdfs.plain_pdf())["Location"]


def test_it_refuses_an_invoice_number_already_used(logged_in, structure, service, account):
    first = InvoiceFactory(structure=structure, number="F-2026-001", bank_account=account)
    deposited = date_format(timezone.localtime(first.deposited_at), "DATETIME_FORMAT")
    expected = (
        f"La facture n° F-2026-001 a déjà été déposée pour cette structure le {deposited} : "
        "une facture corrigée doit porter un nouveau numéro."
    )
    for url, data in ((step_two(logged_in), invoice_data(service, account)), (ENTER_URL, entry_data(service, account))):
        response = logged_in.post(url, data)
        assert response.status_code == 200
        assert expected in page(response)
    assert Invoice.objects.count() == 1


def test_it_lets_another_structure_use_the_same_number(logged_in, service, account):
    InvoiceFactory(number="F-2026-001")
    assert logged_in.post(step_two(logged_in), invoice_data(service, account)).status_code == 302


TOTALS = "Les montants ne concordent pas : 1000,00 € HT + 200,00 € de TVA font 1200,00 €, et non 1100,00 € TTC."


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"amount_incl_tax": "1100,00"}, TOTALS),
        (
            {"amount_excl_tax": "0", "vat_amount": "0", "amount_incl_tax": "0"},
            "Le montant HT doit être supérieur à zéro.",
        ),
        ({"amount_excl_tax": "-1000,00", "amount_incl_tax": "-800,00"}, "Le montant HT doit être supérieur à zéro."),
        ({"vat_amount": "-200,00", "amount_incl_tax": "800,00"}, "Le montant de TVA ne peut pas être négatif."),
        ({"amount_incl_tax": "0,00"}, "Le montant TTC doit être supérieur à zéro."),
        (
            {"amount_incl_tax": "1200,001"},
            "Saisissez un montant en euros, avec 2 décimales au plus (par exemple 1234,56).",
        ),
        (
            {"amount_incl_tax": "douze cents"},
            "Saisissez un montant en euros, avec 2 décimales au plus (par exemple 1234,56).",
        ),
        (
            {"issue_date": (timezone.localdate() + timedelta(days=1)).isoformat()},
            "La date d'émission ne peut pas être dans le futur.",
        ),
        ({"issue_date": "31/02/2026"}, "Saisissez une date valide, au format jj/mm/aaaa."),
        ({"number": "F-2026-0001-RECTIFIEE-BIS"}, "Le numéro de facture ne doit pas dépasser 20 caractères."),
        ({"number": " \t"}, "Saisissez le numéro de la facture."),
        (
            {"service": "999999"},
            "Ce service est inconnu de la Ville : choisissez dans la liste le service qui a passé la commande.",
        ),
        (
            {"service": "VOIRIE"},
            "Ce service est inconnu de la Ville : choisissez dans la liste le service qui a passé la commande.",
        ),
        ({"service": None}, "Choisissez le service de la Ville qui a passé la commande."),
    ],
)
@pytest.mark.parametrize("way", ["deposer", "saisir"])
def test_it_explains_what_is_wrong_with_the_data(logged_in, service, account, overrides, message, way):
    url, data = (
        (step_two(logged_in), invoice_data(service, account, **overrides))
        if way == "deposer"
        else (ENTER_URL, entry_data(service, account, **overrides))
    )
    response = logged_in.post(url, data)
    assert response.status_code == 200
    assert message in page(response)
    assert not Invoice.objects.exists()
    # Nothing lost: what was typed comes back.
    assert f'name="number" value="{data["number"].strip()}"' in page(response) or data["number"].strip() == ""


def test_it_accepts_amounts_as_people_type_them(logged_in, service, account):
    data = invoice_data(
        service, account, amount_excl_tax="1 000", vat_amount="200.00 €", amount_incl_tax="1\u202f200,00"
    )
    assert logged_in.post(step_two(logged_in), data).status_code == 302
    invoice = Invoice.objects.get()
    assert [str(a) for a in (invoice.amount_excl_tax, invoice.vat_amount, invoice.amount_incl_tax)] == [
        "1000.00",
        "200.00",
        "1200.00",
    ]


@pytest.mark.parametrize("way", ["deposer", "saisir"])
def test_it_wants_the_engagement_number_a_service_requires(logged_in, engagement_service, account, way):
    url = step_two(logged_in) if way == "deposer" else ENTER_URL
    build = invoice_data if way == "deposer" else entry_data
    response = logged_in.post(url, build(engagement_service, account))
    assert (
        "Le service « Écoles » exige un numéro d'engagement : saisissez celui qui figure sur le bon de commande de "
        "la Ville."
    ) in page(response)
    assert logged_in.post(url, build(engagement_service, account, engagement_number="ENG-42")).status_code == 302


def test_it_offers_only_the_active_services(logged_in, service, account):
    service.is_active = False
    service.save()
    response = logged_in.post(step_two(logged_in), invoice_data(service, account))
    assert "Ce service est inconnu de la Ville" in page(response)


def test_it_checks_the_vat_against_the_rate_of_an_entered_invoice(logged_in, service, account):
    response = logged_in.post(ENTER_URL, entry_data(service, account, vat_rate="10"))
    assert "La TVA ne correspond pas au taux choisi : 10 % de 1000,00 € font 100,00 €." in page(response)
    response = logged_in.post(
        ENTER_URL, entry_data(service, account, vat_rate="5.5", vat_amount="55,00", amount_incl_tax="1055,00")
    )
    assert response.status_code == 302


# The file


MSG_SCANNED = (
    "Ce PDF ne contient pas de texte : c'est sans doute une facture scannée, que la Ville ne peut pas traiter. "
    "Déposez le PDF produit par votre logiciel de facturation, ou saisissez la facture."
)


MSG_TOO_COSTLY = (
    "Ce PDF est trop complexe pour être lu automatiquement : déposez seulement la facture, telle que produite par "
    "votre logiciel de facturation."
)
MSG_JAVASCRIPT = (
    "Ce PDF contient du JavaScript, refusé pour des raisons de sécurité : déposez la facture telle que produite par "
    "votre logiciel de facturation."
)
MSG_OUTBOUND_ACTION = (
    "Ce PDF contient une action qui envoie des données ou ouvre une adresse ou un fichier extérieurs, refusée pour "
    "des raisons de sécurité : déposez la facture telle que produite par votre logiciel de facturation."
)
MSG_RICH_MEDIA = (
    "Ce PDF contient un média interactif (vidéo, animation, 3D), refusé pour des raisons de sécurité : déposez la "
    "facture telle que produite par votre logiciel de facturation."
)


@pytest.mark.parametrize(
    "build, message",
    [
        (banking_pdfs.scan_like_pdf, MSG_SCANNED),
        (
            lambda: pdfs.encrypted(pdfs.plain_pdf()),
            "Ce PDF est protégé par un mot de passe : déposez une facture sans protection, lisible par les services de "
            "la Ville.",
        ),
        (
            lambda: banking_pdfs.javascript_pdf("open_action"),
            "Ce PDF contient du JavaScript, refusé pour des raisons de sécurité : déposez la facture telle que "
            "produite "
            "par votre logiciel de facturation.",
        ),
        (
            lambda: banking_pdfs.javascript_pdf("hidden_names"),
            "Ce PDF contient du JavaScript, refusé pour des raisons de sécurité : déposez la facture telle que "
            "produite "
            "par votre logiciel de facturation.",
        ),
        (
            lambda: banking_pdfs.launch_pdf("open_action"),
            "Ce PDF contient une commande qui lance un programme, refusée pour des raisons de sécurité : déposez la "
            "facture telle que produite par votre logiciel de facturation.",
        ),
        (banking_pdfs.png_bytes, "Ce fichier n'est pas un PDF : déposez votre facture au format PDF ou Factur-X."),
        (
            lambda: b"<html>facture</html>",
            "Ce fichier n'est pas un PDF : déposez votre facture au format PDF ou Factur-X.",
        ),
        (lambda: banking_pdfs.padded_rib_pdf(MAX_INVOICE_SIZE + 1), "Le fichier dépasse la taille maximale de 10 Mo."),
        (
            banking_pdfs.truncated_pdf,
            "Ce PDF est endommagé ou incomplet : exportez à nouveau la facture depuis votre logiciel de "
            "facturation, puis "
            "déposez-la.",
        ),
        (
            lambda: banking_pdfs.embedded_file_pdf("names"),
            "Ce PDF contient un fichier joint autre que le XML Factur-X, refusé pour des raisons de sécurité : "
            "déposez la "
            "facture sans autre pièce jointe.",
        ),
        (
            lambda: pdfs.with_other_attachment(SIRET),
            "Ce PDF contient un fichier joint autre que le XML Factur-X, refusé pour des raisons de sécurité : "
            "déposez la "
            "facture sans autre pièce jointe.",
        ),
        (banking_pdfs.costly_pdf, MSG_TOO_COSTLY),
        (lambda: banking_pdfs.drawn_form_pdf(operators=1000, draws=200), MSG_TOO_COSTLY),
        (lambda: banking_pdfs.xfa_pdf(layout="stream"), MSG_JAVASCRIPT),
        (lambda: banking_pdfs.xfa_pdf(layout="array"), MSG_JAVASCRIPT),
        *[
            (lambda kind=kind: banking_pdfs.action_pdf(kind), MSG_OUTBOUND_ACTION)
            for kind in (
                "open_action_uri",
                "page_open_uri",
                "next_uri",
                "submit_form",
                "import_data",
                "goto_remote",
                "goto_embedded",
                "xfa_submit",
            )
        ],
        (banking_pdfs.rich_media_pdf, MSG_RICH_MEDIA),
    ],
)
def test_it_refuses_a_file_with_the_reason(logged_in, build, message):
    response = upload(logged_in, build())
    assert response.status_code == 200
    assert message in page(response)
    assert not Invoice.objects.exists()
    assert not wizard_file_storage.exists("factures") or wizard_file_storage.listdir("factures") == ([], [])


def test_it_accepts_a_file_at_the_size_limit(logged_in):
    assert upload(logged_in, banking_pdfs.padded_rib_pdf(MAX_INVOICE_SIZE)).status_code == 302


def test_it_asks_for_a_file(logged_in):
    assert "Choisissez le fichier de la facture : un PDF ou un Factur-X de 10 Mo au plus." in page(
        logged_in.post(DEPOSIT_URL, {})
    )
    empty = SimpleUploadedFile("facture.pdf", b"", content_type="application/pdf")
    assert "Le fichier choisi est vide : choisissez le PDF de la facture." in page(
        logged_in.post(DEPOSIT_URL, {"file": empty})
    )


def test_it_refuses_a_facturx_whose_xml_fails_the_schema(logged_in):
    response = upload(logged_in, pdfs.facturx_pdf(xml=pdfs.schema_invalid_xml(SIRET)))
    assert (
        "Le XML Factur-X de ce fichier n'est pas conforme au schéma officiel (profil EN 16931) : ligne 9 : Element "
        "'ram:TypeCode': This element is not expected. Expected is ( ram:ID ). Corrigez-le dans votre logiciel de "
        "facturation, ou déposez la facture en PDF simple."
    ) in page(response)


def test_it_refuses_a_facturx_whose_seller_is_another_structure(logged_in):
    response = upload(logged_in, pdfs.facturx_pdf(pdfs.OTHER_SIRET))
    html = page(response)
    assert (
        "Le vendeur indiqué dans le XML Factur-X n'est pas votre structure : la facture doit être émise par "
        f"Menuiserie Martin, avec son identifiant {SIRET}."
    ) in html
    # What differs, side by side.
    assert (
        '<td data-label="Donnée">Vendeur</td>\n      <td data-label="Dans le XML Factur-X du fichier">'
        f'Menuiserie Martin — {pdfs.OTHER_SIRET}</td>\n      <td data-label="Attendu">Menuiserie Martin — {SIRET}</td>'
    ) in html


def test_it_refuses_a_facturx_whose_buyer_is_not_the_city(logged_in):
    buyer = {"name": "Grenoble-Alpes Métropole", "legal_identifier": "20004545700013", "country_code": "FR"}
    response = upload(logged_in, pdfs.facturx_pdf(SIRET, **{"BG-7": buyer}))
    html = page(response)
    assert (
        "L'acheteur indiqué dans le XML Factur-X n'est pas la Ville de Grenoble : la facture doit lui être adressée, "
        "avec son SIRET 21380185500015."
    ) in html
    assert (
        '<td data-label="Dans le XML Factur-X du fichier">Grenoble-Alpes Métropole — 20004545700013</td>\n'
        '      <td data-label="Attendu">Ville de Grenoble — 21380185500015</td>'
    ) in html


def test_it_refuses_a_facturx_credit_note(logged_in):
    response = upload(logged_in, pdfs.facturx_pdf(SIRET, **{"BT-3": "381"}))
    assert (
        "Ce fichier est un avoir (code 381), pas une facture : envoyez-le aux services financiers de la Ville "
        "(fournisseurs@grenoble.fr)."
    ) in page(response)


def test_it_refuses_a_facturx_in_another_currency(logged_in):
    response = upload(logged_in, pdfs.facturx_pdf(SIRET, **{"BT-5": "CHF"}))
    assert "La facture doit être établie en euros : son XML Factur-X indique la devise CHF." in page(response)


def test_it_refuses_a_facturx_whose_xml_cannot_be_read(logged_in):
    response = upload(logged_in, pdfs.facturx_pdf(xml=b"<?xml version='1.0'?><facture>pas du CII</facture>"))
    assert (
        "Le fichier XML joint à ce PDF n'est pas un XML Factur-X lisible : exportez à nouveau la facture depuis votre "
        "logiciel de facturation, ou déposez-la en PDF simple."
    ) in page(response)


def test_it_refuses_the_same_file_twice_naming_the_first_invoice(logged_in, service, account):
    data = pdfs.facturx_pdf(SIRET)
    logged_in.post(upload(logged_in, data)["Location"], invoice_data(service, account))
    first = Invoice.objects.get()
    deposited = date_format(timezone.localtime(first.deposited_at), "DATETIME_FORMAT")
    issued = date_format(pdfs.ISSUE_DATE, "SHORT_DATE_FORMAT")
    assert (f"Ce fichier a déjà été déposé le {deposited} : c'est la facture n° F-2026-001 du {issued}.") in page(
        upload(logged_in, data)
    )
