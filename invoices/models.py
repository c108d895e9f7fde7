"""Invoices sent to the Ville de Grenoble once a structure's billing mandate is signed.

Life of an Invoice, changed only by invoices/services.py (its TRANSITIONS say exactly which
status may follow which; finance staff make every change but « Complétée »):

    déposée → mise à disposition → service fait → mandatée → mise en paiement
    rejetée (with a reason; a corrected invoice needs a new number), before « service fait »
    suspendue (documents asked) → complétée, when the supplier adds them; processing goes on

Every change, the deposit included, is a row of InvoiceStatusChange (who, when, from, to,
comment, and where it came from): the supplier's invoice page and the admin show that history.

Each invoice is transmitted to Chorus Pro, the national portal (invoices/transmission.py, run by
the scheduled jobs): « À transmettre » until the portal numbers it (`portal_invoice_id`), then
the portal's statuses come back (`portal_status`); they are what the supplier reads.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from chorus.portal import PortalStatus, status_label
from core.storage import get_private_storage

PROCESS_PERMISSION = "invoices.process_invoice"
VIEW_PERMISSION = "invoices.view_invoice"

# Factur-X profiles (levels), as the standard writes them.
PROFILE_LABELS = {
    "minimum": "MINIMUM",
    "basicwl": "BASIC WL",
    "basic": "BASIC",
    "en16931": "EN 16931",
    "extended": "EXTENDED",
}


def invoice_upload_to(instance, filename):
    # A random name: the path must tell nothing about the structure it belongs to.
    return f"factures/{uuid.uuid4().hex}.pdf"


def document_upload_to(instance, filename):
    return f"factures/pieces/{uuid.uuid4().hex}.pdf"


class Service(models.Model):
    """A service of the city that orders (« code service »), kept by finance staff in the admin."""

    code = models.CharField(_("code service"), max_length=100, unique=True)
    name = models.CharField(_("nom"), max_length=150)
    engagement_required = models.BooleanField(
        _("numéro d'engagement obligatoire"),
        default=False,
        help_text=_("Les factures adressées à ce service doivent porter le numéro d'engagement du bon de commande."),
    )
    is_active = models.BooleanField(
        _("proposé aux fournisseurs"), default=True, help_text=_("Décochez plutôt que supprimer un service.")
    )

    class Meta:
        verbose_name = _("service de la Ville")
        verbose_name_plural = _("services de la Ville")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.code})"


class Invoice(models.Model):
    class Source(models.TextChoices):
        DEPOSITED = "deposee", _("Déposée")
        ENTERED = "saisie", _("Saisie")

    class Status(models.TextChoices):
        DEPOSITED = "deposee", _("Déposée")
        MADE_AVAILABLE = "mise_a_disposition", _("Mise à disposition")
        SERVICE_DONE = "service_fait", _("Service fait")
        MANDATED = "mandatee", _("Mandatée")
        PAYMENT = "mise_en_paiement", _("Mise en paiement")
        REJECTED = "rejetee", _("Rejetée")
        SUSPENDED = "suspendue", _("Suspendue")
        COMPLETED = "completee", _("Complétée")

    structure = models.ForeignKey(
        "structures.Structure", on_delete=models.PROTECT, related_name="invoices", verbose_name=_("structure")
    )
    number = models.CharField(_("numéro de facture"), max_length=20)
    issue_date = models.DateField(_("date d'émission"))
    amount_excl_tax = models.DecimalField(_("montant HT"), max_digits=12, decimal_places=2)
    vat_amount = models.DecimalField(_("montant de TVA"), max_digits=12, decimal_places=2)
    amount_incl_tax = models.DecimalField(_("montant TTC"), max_digits=12, decimal_places=2)
    vat_rate = models.DecimalField(
        _("taux de TVA"), max_digits=4, decimal_places=2, null=True, blank=True, help_text=_("Factures saisies.")
    )
    description = models.CharField(_("désignation"), max_length=300, blank=True, help_text=_("Factures saisies."))
    engagement_number = models.CharField(_("numéro d'engagement"), max_length=50, blank=True)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("service"))
    bank_account = models.ForeignKey(
        "banking.BankAccount",
        # The details it is paid on: they outlive the invoice's payment, never silently.
        on_delete=models.PROTECT,
        related_name="invoices",
        verbose_name=_("coordonnées bancaires"),
    )

    file = models.FileField(_("fichier"), storage=get_private_storage, upload_to=invoice_upload_to, max_length=255)
    original_name = models.CharField(_("nom du fichier déposé"), max_length=255)
    sha256 = models.CharField(_("empreinte SHA-256 du fichier"), max_length=64)
    facturx_xml = models.TextField(_("XML Factur-X"), blank=True)
    facturx_profile = models.CharField(_("profil Factur-X"), max_length=20, blank=True)
    source = models.CharField(_("origine"), max_length=10, choices=Source.choices)

    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.DEPOSITED)
    status_changed_at = models.DateTimeField(_("dernier changement"))
    rejection_reason = models.TextField(_("motif du rejet"), max_length=1000, blank=True)

    deposited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("déposée par"),
    )
    deposited_at = models.DateTimeField(
        _("déposée le"), help_text=_("Le délai de paiement court à partir de ce moment.")
    )

    # Its transmission to Chorus Pro (invoices/transmission.py).
    class Transmission(models.TextChoices):
        PENDING = "a_transmettre", _("À transmettre à Chorus Pro")
        TRANSMITTED = "transmise", _("Transmise à Chorus Pro")
        REFUSED = "refusee", _("Refusée par Chorus Pro : à reprendre par les services de la Ville")

    transmission = models.CharField(
        _("transmission à Chorus Pro"), max_length=20, choices=Transmission.choices, default=Transmission.PENDING
    )
    transmission_attempts = models.PositiveIntegerField(_("tentatives de transmission"), default=0)
    transmission_error = models.TextField(_("dernière erreur de transmission"), blank=True)
    transmission_next_at = models.DateTimeField(_("prochaine tentative"), null=True, blank=True)
    # Set before the submission leaves: if no answer came back, the next attempt looks the invoice
    # up on the portal by its number before submitting it again (never twice).
    transmission_sent_at = models.DateTimeField(_("soumission envoyée le"), null=True, blank=True)
    # Held by the job runner transmitting it (two runners never transmit the same invoice).
    transmission_claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    transmitted_at = models.DateTimeField(_("transmise le"), null=True, blank=True)
    portal_piece_id = models.PositiveBigIntegerField(_("pièce jointe sur Chorus Pro"), null=True, blank=True)
    portal_invoice_id = models.PositiveBigIntegerField(
        _("identifiant Chorus Pro"), null=True, blank=True, unique=True, help_text=_("identifiantFactureCPP")
    )
    portal_status = models.CharField(_("statut sur Chorus Pro"), max_length=40, blank=True)
    portal_status_at = models.DateTimeField(_("statut sur Chorus Pro depuis"), null=True, blank=True)
    portal_checked_at = models.DateTimeField(_("statut demandé à Chorus Pro le"), null=True, blank=True)
    portal_final = models.BooleanField(_("statut final sur Chorus Pro"), default=False)

    class Meta:
        verbose_name = _("facture")
        verbose_name_plural = _("factures")
        ordering = ["-deposited_at", "-pk"]
        permissions = [("process_invoice", _("Peut faire avancer les factures (statuts)"))]
        constraints = [
            models.UniqueConstraint(fields=["structure", "number"], name="invoice_number_unique_per_structure"),
            # The same file twice is the same invoice twice.
            models.UniqueConstraint(fields=["structure", "sha256"], name="invoice_file_unique_per_structure"),
            models.CheckConstraint(condition=Q(amount_excl_tax__gt=0), name="invoice_amount_excl_tax_positive"),
            models.CheckConstraint(condition=Q(vat_amount__gte=0), name="invoice_vat_amount_not_negative"),
            models.CheckConstraint(condition=Q(amount_incl_tax__gt=0), name="invoice_amount_incl_tax_positive"),
            models.CheckConstraint(
                condition=~Q(status="rejetee") | ~Q(rejection_reason=""), name="invoice_rejection_has_reason"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "deposited_at"]),
            # The admin list's order (-deposited_at, then -pk): read backwards, 100 rows of 100 000.
            models.Index(fields=["deposited_at", "id"], name="invoice_list_order_idx"),
            # Finance staff search by invoice or engagement number, in any case
            # (InvoiceAdmin.get_search_results); the unique constraint leads with the structure.
            models.Index(Upper("number"), name="invoice_number_upper_idx"),
            models.Index(Upper("engagement_number"), name="invoice_engagement_upper_idx"),
            # The jobs: what waits for its transmission, what waits for news from the portal.
            models.Index(fields=["transmission", "transmission_next_at"], name="invoice_transmission_idx"),
            models.Index(fields=["portal_final", "portal_checked_at"], name="invoice_portal_follow_idx"),
        ]

    def __str__(self):
        return _("Facture n° %(number)s") % {"number": self.number}

    @property
    def facturx_profile_label(self):
        return PROFILE_LABELS.get(self.facturx_profile, self.facturx_profile)

    @property
    def is_rejected(self):
        return self.status == self.Status.REJECTED

    @property
    def is_suspended(self):
        return self.status == self.Status.SUSPENDED

    @property
    def is_in_payment(self):
        return self.status == self.Status.PAYMENT

    @property
    def is_transmitted(self):
        return self.transmission == self.Transmission.TRANSMITTED

    @property
    def is_transmission_refused(self):
        return self.transmission == self.Transmission.REFUSED

    @property
    def shown_status(self):
        """What the supplier reads: the portal's status once transmitted, else the city's own."""
        if self.transmission != self.Transmission.TRANSMITTED:
            return self.get_status_display()
        return portal_status_label(self.portal_status)


def portal_status_label(code):
    """A status of Chorus Pro as the supplier reads it (its first one: « Transmise à Chorus Pro »)."""
    if code in ("", PortalStatus.DEPOSEE):
        return str(Invoice.Transmission.TRANSMITTED.label)
    return status_label(code)


class InvoiceStatusChange(models.Model):
    """One line of an invoice's history: its deposit (from ""), a change made by finance staff
    (« changement manuel »), by the supplier (« Complétée »), or one Chorus Pro made."""

    class Source(models.TextChoices):
        DEPOSIT = "depot", _("Dépôt")
        STAFF = "manuel", _("Changement manuel par les services de la Ville")
        SUPPLIER = "fournisseur", _("Fournisseur")
        PORTAL = "chorus_pro", _("Chorus Pro")

    invoice = models.ForeignKey(
        Invoice, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("facture")
    )
    from_status = models.CharField(_("ancien statut"), max_length=20, choices=Invoice.Status.choices, blank=True)
    to_status = models.CharField(_("nouveau statut"), max_length=20, choices=Invoice.Status.choices)
    changed_at = models.DateTimeField(_("le"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("par"),
    )
    comment = models.TextField(_("commentaire"), max_length=1000, blank=True)
    source = models.CharField(_("origine"), max_length=20, choices=Source.choices, default=Source.STAFF)
    # The portal's own status, for a change that came from Chorus Pro.
    portal_status = models.CharField(_("statut sur Chorus Pro"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("changement de statut")
        verbose_name_plural = _("historique des statuts")
        ordering = ["changed_at", "pk"]

    def __str__(self):
        return f"{self.get_from_status_display() or '—'} → {self.get_to_status_display()}"

    @property
    def is_manual(self):
        return self.source == self.Source.STAFF

    @property
    def is_from_portal(self):
        return self.source == self.Source.PORTAL

    @property
    def shown_status(self):
        """The status this line says, as the supplier reads it: the portal's, or from → to."""
        if self.source == self.Source.PORTAL:
            return portal_status_label(self.portal_status)
        if self.from_status:
            return f"{self.get_from_status_display()} → {self.get_to_status_display()}"
        return self.get_to_status_display()


class SupportingDocument(models.Model):
    """A document the supplier added to a suspended invoice (« pièces complémentaires »)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="documents", verbose_name=_("facture"))
    file = models.FileField(_("fichier"), storage=get_private_storage, upload_to=document_upload_to, max_length=255)
    original_name = models.CharField(_("nom du fichier"), max_length=255)
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ajoutée par"),
    )
    added_at = models.DateTimeField(_("ajoutée le"))

    class Meta:
        verbose_name = _("pièce complémentaire")
        verbose_name_plural = _("pièces complémentaires")
        ordering = ["added_at", "pk"]

    def __str__(self):
        return self.original_name
