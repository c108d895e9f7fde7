"""Checks of the files suppliers deposit: the invoice itself, and documents added later.

Decided from the bytes, like the RIB (core/pdf.py's checks run first, in a child process with
bounded work): at most 10 Mo, a PDF, not damaged nor encrypted nor too costly to read, no active
content nor outbound action. An invoice must also be native text — a scan cannot be read by the
city's processing, which is Chorus Pro's first cause of rejection — and may embed one file only,
exactly its Factur-X XML, which must then pass the schema.
"""

import hashlib
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.pdf import PdfRefusals, check_pdf_safety

from . import facturx

MAX_INVOICE_SIZE = 10 * 1024 * 1024  # bytes: « 10 Mo »

# Fewer letters and digits than this on the first pages: a scan (at most a stamp or a page number).
MIN_TEXT_CHARACTERS = 20

INVOICE_REFUSALS = PdfRefusals(
    prefix="invoice",
    too_large=_("Le fichier dépasse la taille maximale de 10 Mo."),
    not_pdf=_("Ce fichier n'est pas un PDF : déposez votre facture au format PDF ou Factur-X."),
    damaged=_(
        "Ce PDF est endommagé ou incomplet : exportez à nouveau la facture depuis votre logiciel de facturation, "
        "puis déposez-la."
    ),
    too_complex=_(
        "Ce PDF est trop complexe pour une facture : déposez seulement la facture, telle que produite par votre "
        "logiciel de facturation."
    ),
    too_costly=_(
        "Ce PDF est trop complexe pour être lu automatiquement : déposez seulement la facture, telle que produite "
        "par votre logiciel de facturation."
    ),
    encrypted=_(
        "Ce PDF est protégé par un mot de passe : déposez une facture sans protection, lisible par les services "
        "de la Ville."
    ),
    javascript=_(
        "Ce PDF contient du JavaScript, refusé pour des raisons de sécurité : déposez la facture telle que produite "
        "par votre logiciel de facturation."
    ),
    launch=_(
        "Ce PDF contient une commande qui lance un programme, refusée pour des raisons de sécurité : déposez la "
        "facture telle que produite par votre logiciel de facturation."
    ),
    outbound_action=_(
        "Ce PDF contient une action qui envoie des données ou ouvre une adresse ou un fichier extérieurs, refusée "
        "pour des raisons de sécurité : déposez la facture telle que produite par votre logiciel de facturation."
    ),
    rich_media=_(
        "Ce PDF contient un média interactif (vidéo, animation, 3D), refusé pour des raisons de sécurité : déposez "
        "la facture telle que produite par votre logiciel de facturation."
    ),
    embedded_file=_(
        "Ce PDF contient un fichier joint autre que le XML Factur-X, refusé pour des raisons de sécurité : déposez "
        "la facture sans autre pièce jointe."
    ),
)

DOCUMENT_REFUSALS = PdfRefusals(
    prefix="document",
    too_large=INVOICE_REFUSALS.too_large,
    not_pdf=_("Ce fichier n'est pas un PDF : joignez les pièces demandées au format PDF."),
    damaged=_("Ce PDF est endommagé ou incomplet : enregistrez-le à nouveau, puis joignez-le."),
    too_complex=_("Ce PDF est trop complexe : joignez seulement les pièces demandées."),
    too_costly=_("Ce PDF est trop complexe pour être lu automatiquement : joignez seulement les pièces demandées."),
    encrypted=_("Ce PDF est protégé par un mot de passe : joignez-le sans protection."),
    javascript=_("Ce PDF contient du JavaScript, refusé pour des raisons de sécurité."),
    launch=_("Ce PDF contient une commande qui lance un programme, refusée pour des raisons de sécurité."),
    outbound_action=_(
        "Ce PDF contient une action qui envoie des données ou ouvre une adresse ou un fichier extérieurs, refusée "
        "pour des raisons de sécurité."
    ),
    rich_media=_("Ce PDF contient un média interactif (vidéo, animation, 3D), refusé pour des raisons de sécurité."),
    embedded_file=_(
        "Ce PDF contient un fichier joint, refusé pour des raisons de sécurité : joignez-le sans pièce jointe."
    ),
)

MSG_SCANNED = _(
    "Ce PDF ne contient pas de texte : c'est sans doute une facture scannée, que la Ville ne peut pas traiter. "
    "Déposez le PDF produit par votre logiciel de facturation, ou saisissez la facture."
)


@dataclass(frozen=True)
class CheckedInvoiceFile:
    data: bytes
    sha256: str
    page_count: int
    facturx: facturx.FacturxInvoice | None  # None for a plain PDF
    xml: bytes | None = None


def check_invoice_file(uploaded_file):
    """Check a deposited invoice; ValidationError (one message) when it is refused."""
    pdf = check_pdf_safety(
        uploaded_file,
        max_size=MAX_INVOICE_SIZE,
        refusals=INVOICE_REFUSALS,
        allowed_attachments=facturx.FACTURX_FILENAMES,
    )
    if sum(c.isalnum() for c in pdf.text) < MIN_TEXT_CHARACTERS:
        raise ValidationError(MSG_SCANNED, code="invoice_scanned")
    summary, xml = None, None
    if pdf.has_attachment:  # after check_pdf_safety, only a Factur-X XML can be there
        # The factur-x library parses the file again: work the check's child process has just
        # done within its limits (the attachment decoded and counted), on the same bytes.
        xml = facturx.extract_xml(pdf.data)
        if xml is None:
            raise ValidationError(facturx.MSG_XML_UNREADABLE, code="facturx_unreadable")
        summary = facturx.read_facturx(xml)
    return CheckedInvoiceFile(pdf.data, hashlib.sha256(pdf.data).hexdigest(), pdf.page_count, summary, xml)


def check_supporting_document(uploaded_file):
    """A document added to a suspended invoice: a safe PDF; a scan is fine (a signed delivery note)."""
    pdf = check_pdf_safety(uploaded_file, max_size=MAX_INVOICE_SIZE, refusals=DOCUMENT_REFUSALS)
    return hashlib.sha256(pdf.data).hexdigest()
