"""Stage C: the bank details (« coordonnées bancaires ») on which the city pays a structure.

Life of a BankAccount, changed only by banking/services.py:

    en attente de validation ──validate──▶ validées ──(a newer one is validated)──▶ remplacées
              └──────────────reject───────▶ rejetées

Anti-fraud (« fraude au changement de RIB »): new bank details never replace the ones in use
when they are sent. The validated account stays the one the city pays until finance staff
validate the new one; only then is the old one marked « remplacées » (superseded_at / _by).
So a structure has at most one account « validées » at any time — the one in use — which the
database enforces; any number may wait, be rejected or have been replaced.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from core.storage import get_private_storage
from structures.identifiers import IdentifierType

from .iban import format_iban, mask_iban
from .rib import RibHolderCheck, RibStatus

REVIEW_PERMISSION = "banking.review_bankaccount"


def rib_upload_to(instance, filename):
    """A random name: the supplier's file name is kept in `rib_original_name`, never used as a
    path (it may hold anything, and would tell who the file belongs to)."""
    return f"rib/{uuid.uuid4().hex}.pdf"


class BankAccount(models.Model):
    class AccountType(models.TextChoices):
        IBAN = "iban", _("IBAN")

    class AttachmentType(models.TextChoices):
        BANK_DETAILS = "coordonnee_bancaire", _("Coordonnée bancaire")

    class Status(models.TextChoices):
        PENDING = "en_attente", _("En attente de validation")
        VALIDATED = "validees", _("Validées")
        REJECTED = "rejetees", _("Rejetées")
        SUPERSEDED = "remplacees", _("Remplacées")

    structure = models.ForeignKey(
        "structures.Structure",
        # Payments were made on these details: they outlive neither silently nor by accident.
        on_delete=models.PROTECT,
        related_name="bank_accounts",
        verbose_name=_("structure"),
    )
    account_name = models.CharField(_("nom du compte bancaire"), max_length=100)
    account_type = models.CharField(_("type"), max_length=10, choices=AccountType.choices, default=AccountType.IBAN)
    country_code = models.CharField(_("code pays"), max_length=2)
    iban = models.CharField(_("IBAN"), max_length=34, help_text=_("Sans espaces, en majuscules."))
    bic = models.CharField(_("BIC ou Swift"), max_length=11)

    rib_file = models.FileField(_("RIB"), storage=get_private_storage, upload_to=rib_upload_to, max_length=255)
    rib_original_name = models.CharField(_("nom du fichier envoyé"), max_length=255)
    attachment_type = models.CharField(
        _("type de pièce jointe"),
        max_length=30,
        choices=AttachmentType.choices,
        default=AttachmentType.BANK_DETAILS,
    )
    rib_check_status = models.CharField(
        _("contrôle du RIB"), max_length=20, choices=RibStatus.choices, default=RibStatus.TO_REVIEW
    )
    rib_found_ibans = models.JSONField(
        _("IBAN lus dans le RIB"), default=list, blank=True, help_text=_("Sans espaces, dans l'ordre du texte.")
    )
    # The holder's name printed on the RIB, against the structure's (banking.rib.check_holder):
    # what finance staff check before validating, since the first person to register a SIRET
    # becomes its main manager without other proof. Never a refusal.
    rib_holder_check = models.CharField(
        _("titulaire du RIB"),
        max_length=12,
        choices=RibHolderCheck.choices,
        default=RibHolderCheck.NOT_CHECKED,
        help_text=_(
            "Le titulaire lu dans le RIB comparé à la raison sociale de la structure (ou au nom du particulier, "
            "ou à l'affactureur)."
        ),
    )
    rib_holder = models.CharField(_("titulaire lu dans le RIB"), max_length=150, blank=True)

    # « Affactureur »: the factoring company paid instead of the structure, when there is one.
    factor_raison_sociale = models.CharField(_("raison sociale de l'affactureur"), max_length=150, blank=True)
    factor_country = CountryField(_("pays de l'affactureur"), blank=True)
    factor_identifier = models.CharField(_("identifiant de l'affactureur"), max_length=80, blank=True)
    factor_identifier_type = models.CharField(
        _("type d'identifiant de l'affactureur"), max_length=20, choices=IdentifierType.choices, blank=True
    )

    is_rib_change = models.BooleanField(
        _("changement de RIB"),
        default=False,
        help_text=_(
            "Envoyées alors que la structure avait déjà des coordonnées validées ou en attente : "
            "à vérifier auprès d'un contact connu de la structure avant de valider."
        ),
    )
    # Who was told of a change of RIB: the contact e-mail on file when these details were sent.
    contact_email = models.EmailField(_("adresse de contact au dépôt"), max_length=254, blank=True)

    status = models.CharField(_("statut"), max_length=12, choices=Status.choices, default=Status.PENDING)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("validées ou rejetées par"),
    )
    reviewed_at = models.DateTimeField(_("validées ou rejetées le"), null=True, blank=True)
    rejection_reason = models.TextField(_("motif du rejet"), max_length=1000, blank=True)
    superseded_at = models.DateTimeField(_("remplacées le"), null=True, blank=True)
    superseded_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("remplacées par"),
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("envoyées par"),
    )
    created_at = models.DateTimeField(_("envoyées le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiées le"), auto_now=True)

    history = HistoricalRecords(verbose_name=_("historique des coordonnées bancaires"))

    class Meta:
        verbose_name = _("coordonnées bancaires")
        verbose_name_plural = _("coordonnées bancaires")
        ordering = ["-created_at"]
        permissions = [("review_bankaccount", _("Peut valider ou rejeter des coordonnées bancaires"))]
        constraints = [
            # The account in use; the previous one is « remplacées » in the same transaction.
            models.UniqueConstraint(
                fields=["structure"], condition=Q(status="validees"), name="bankaccount_one_in_use_per_structure"
            ),
            models.CheckConstraint(
                condition=~Q(status="rejetees") | ~Q(rejection_reason=""), name="bankaccount_rejection_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(status="en_attente") | Q(reviewed_at__isnull=False), name="bankaccount_reviewed_has_date"
            ),
            models.CheckConstraint(
                condition=~Q(status="remplacees") | Q(superseded_at__isnull=False),
                name="bankaccount_superseded_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            # Finance staff search by IBAN (BankAccountAdmin.get_search_results).
            models.Index(fields=["iban"], name="bankaccount_iban_idx"),
            # The admin's country filter lists the distinct codes: read from this index, not the table.
            models.Index(fields=["country_code"], name="bankaccount_country_idx"),
            # BankAccountAdmin's order, pending ones first: the list reads 100 rows, not 100 000.
            models.Index(
                Case(When(status="en_attente", then=Value(0)), default=Value(1)),
                F("created_at").desc(),
                F("id").desc(),
                name="bankaccount_review_order_idx",
            ),
        ]

    def __str__(self):
        # Masked: this text lands in admin messages, the admin log and the history list.
        return f"{self.account_name} ({mask_iban(self.iban)})"

    @property
    def iban_grouped(self):
        return format_iban(self.iban)

    @property
    def iban_masked(self):
        return mask_iban(self.iban)

    @property
    def is_pending(self):
        return self.status == self.Status.PENDING

    @property
    def is_validated(self):
        return self.status == self.Status.VALIDATED

    @property
    def is_rejected(self):
        return self.status == self.Status.REJECTED

    @property
    def has_factor(self):
        return bool(self.factor_raison_sociale)
