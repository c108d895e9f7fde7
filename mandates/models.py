"""Stage D: the billing mandate (« mandat de facturation ») a structure's signatory signs online.

Life of a BillingMandate, changed only by mandates/services.py:

    généré ──sign──▶ signé
       ├───cancel──▶ annulé
       └──(7 days)─▶ expiré

The text the signatory reads is rendered once, when the mandate is generated, and stored in
`document_html` with the version of its template: the signing page, the PDF and the SHA-256 of
the signature evidence all use these stored bytes, so a later change of a template, of the
structure's address or of the user's name cannot change what was signed.
"""

import hashlib
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.storage import get_private_storage

VIEW_PERMISSION = "mandates.view_billingmandate"


def signed_pdf_upload_to(instance, filename):
    # A random name: the path must tell nothing about the structure it belongs to.
    return f"mandats/{uuid.uuid4().hex}.pdf"


def sha256_of(text):
    """What the evidence's SHA-256 covers: the stored document's HTML, encoded in UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class BillingMandate(models.Model):
    class Status(models.TextChoices):
        GENERATED = "genere", _("Généré")
        SIGNED = "signe", _("Signé")
        CANCELLED = "annule", _("Annulé")
        EXPIRED = "expire", _("Expiré")

    structure = models.ForeignKey(
        "structures.Structure",
        # A signed mandate is legal evidence: it outlives neither silently nor by accident.
        on_delete=models.PROTECT,
        related_name="billing_mandates",
        verbose_name=_("structure"),
    )
    signatory = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="billing_mandates",
        verbose_name=_("signataire"),
    )
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.GENERATED)

    template_version = models.CharField(_("version du modèle de mandat"), max_length=20)
    document_html = models.TextField(
        _("texte du mandat tel qu'affiché"),
        help_text=_("Rendu à la génération, échappé ; c'est ce document que l'empreinte SHA-256 couvre."),
    )

    generated_at = models.DateTimeField(_("généré le"))
    signed_at = models.DateTimeField(_("signé le"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("annulé le"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("annulé par"),
    )
    expired_at = models.DateTimeField(_("expiré le"), null=True, blank=True)

    # Signature evidence (« preuve de signature »).
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("signé par"),
    )
    signed_ip = models.GenericIPAddressField(_("adresse IP du signataire"), null=True, blank=True)
    signed_user_agent = models.CharField(_("navigateur du signataire"), max_length=512, blank=True)
    document_sha256 = models.CharField(
        _("empreinte SHA-256 du mandat signé"),
        max_length=64,
        blank=True,
        help_text=_("SHA-256 du texte du mandat tel qu'affiché (HTML en UTF-8)."),
    )
    signed_pdf = models.FileField(
        _("PDF signé"), storage=get_private_storage, upload_to=signed_pdf_upload_to, max_length=255, blank=True
    )
    signed_pdf_sha256 = models.CharField(_("empreinte SHA-256 du PDF signé"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("mandat de facturation")
        verbose_name_plural = _("mandats de facturation")
        ordering = ["-generated_at"]
        constraints = [
            # One mandate in progress or in force per structure; cancelled and expired ones stay
            # as history, any number of them.
            models.UniqueConstraint(
                fields=["structure"],
                condition=Q(status__in=["genere", "signe"]),
                name="billingmandate_one_current_per_structure",
            ),
            models.CheckConstraint(
                condition=~Q(status="signe")
                | (Q(signed_at__isnull=False) & Q(signed_by__isnull=False) & ~Q(document_sha256="")),
                name="billingmandate_signed_has_evidence",
            ),
            models.CheckConstraint(
                condition=~Q(status="annule") | Q(cancelled_at__isnull=False),
                name="billingmandate_cancelled_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status="expire") | Q(expired_at__isnull=False),
                name="billingmandate_expired_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "generated_at"]),
            # The admin list's order (-generated_at, then -pk): read backwards, 100 rows of 100 000.
            models.Index(fields=["generated_at", "id"], name="billingmandate_list_order_idx"),
        ]

    def __str__(self):
        return f"{self.reference} — {self.structure.raison_sociale} ({self.get_status_display()})"

    @property
    def reference(self):
        return f"M-{self.pk:06d}" if self.pk else "M-……"

    @property
    def is_signed(self):
        return self.status == self.Status.SIGNED

    @property
    def is_generated(self):
        return self.status == self.Status.GENERATED

    @property
    def signing_deadline(self):
        """The signing link works until then; later the mandate is « expiré »."""
        return self.generated_at + timedelta(seconds=settings.MANDATE_LINK_MAX_AGE)

    def compute_document_sha256(self):
        return sha256_of(self.document_html)
