"""The stub portal's state (chorus/stub.py), in the database so that every process shares it:
runserver shows what a job process submitted. The "piste" backend keeps nothing here."""

from django.db import models
from django.utils.translation import gettext_lazy as _

# The stub's portal numbers start here, so that they look like the portal's (7 or 8 digits) and
# are never mistaken for one of our own primary keys.
STUB_INVOICE_ID_BASE = 4_200_000
STUB_FILE_ID_BASE = 10_320_000


class StubPortalFile(models.Model):
    """A file given to the stub portal: an attachment (upload_file) or a flow (deposit_flow).
    Only what identifies it is kept, never its content."""

    class Kind(models.TextChoices):
        ATTACHMENT = "piece", _("pièce jointe")
        FLOW = "flux", _("flux")

    kind = models.CharField(_("nature"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("nom du fichier"), max_length=255)
    mime = models.CharField(_("type MIME"), max_length=100, blank=True)
    syntax = models.CharField(_("syntaxe du flux"), max_length=50, blank=True)
    size = models.PositiveIntegerField(_("taille (octets)"))
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("reçu le"))

    class Meta:
        verbose_name = _("fichier du portail simulé")
        verbose_name_plural = _("fichiers du portail simulé")
        ordering = ["pk"]

    def __str__(self):
        return self.name

    @property
    def piece_id(self):
        return STUB_FILE_ID_BASE + self.pk


class StubPortalInvoice(models.Model):
    """An invoice the stub portal accepted. Its status is not stored: it follows from
    `submitted_at`, its path and the time elapsed (chorus/stub.py)."""

    class Path(models.TextChoices):
        PAID = "paiement", _("jusqu'à la mise en paiement")
        REJECTED = "rejet", _("rejetée")
        SUSPENDED = "suspension", _("suspendue")

    number = models.CharField(_("numéro de facture"), max_length=50)
    invoice_date = models.DateField(_("date de facture"))
    supplier_id_cpp = models.BigIntegerField(_("fournisseur (idStructureCPP)"))
    recipient_siret = models.CharField(_("SIRET du destinataire"), max_length=14)
    service_code = models.CharField(_("code service"), max_length=100, blank=True)
    engagement_number = models.CharField(_("numéro d'engagement"), max_length=50, blank=True)
    amount_excl_tax = models.DecimalField(_("montant HT"), max_digits=12, decimal_places=2)
    vat_amount = models.DecimalField(_("montant de TVA"), max_digits=12, decimal_places=2)
    amount_incl_tax = models.DecimalField(_("montant TTC"), max_digits=12, decimal_places=2)
    main_piece_id = models.BigIntegerField(_("pièce jointe principale"))
    path = models.CharField(_("parcours"), max_length=12, choices=Path.choices)
    submitted_at = models.DateTimeField(_("déposée le"))

    class Meta:
        verbose_name = _("facture du portail simulé")
        verbose_name_plural = _("factures du portail simulé")
        ordering = ["pk"]
        constraints = [
            # The portal refuses a supplier's second invoice with the same number.
            models.UniqueConstraint(fields=["supplier_id_cpp", "number"], name="stub_portal_invoice_number_unique"),
        ]

    def __str__(self):
        return self.number

    @property
    def invoice_id_cpp(self):
        return STUB_INVOICE_ID_BASE + self.pk
