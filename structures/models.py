from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from .identifiers import DEFAULT_IDENTIFIER_TYPE, IdentifierType


class Structure(models.Model):
    """A supplier's company, association or self-employed activity (« structure »)."""

    class Status(models.TextChoices):
        ACTIVE = "actif", _("Actif")
        INACTIVE = "inactif", _("Inactif")

    identifier_type = models.CharField(
        _("type d'identifiant"), max_length=20, choices=IdentifierType.choices, default=DEFAULT_IDENTIFIER_TYPE
    )
    # Indexed on its own (the unique constraint leads with the type): staff search by SIRET or SIREN.
    identifier = models.CharField(_("identifiant"), max_length=80, db_index=True)
    raison_sociale = models.CharField(_("raison sociale"), max_length=150)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    address = models.CharField(_("adresse"), max_length=150)
    address_complement = models.CharField(_("complément d'adresse"), max_length=150, blank=True)
    postcode = models.CharField(_("code postal"), max_length=10)
    city = models.CharField(_("ville"), max_length=100)
    country = CountryField(_("pays"), default="FR")
    verified_by_directory = models.BooleanField(
        _("identité confirmée par l'INSEE"),
        default=False,
        help_text=_("Faux : raison sociale et adresse saisies à la main (« non vérifié »), à contrôler."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("créée par"),
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="structures", verbose_name=_("membres")
    )

    class Meta:
        verbose_name = _("structure")
        verbose_name_plural = _("structures")
        ordering = ["raison_sociale"]
        constraints = [
            models.UniqueConstraint(fields=["identifier_type", "identifier"], name="structure_identifier_unique"),
        ]
        indexes = [models.Index(fields=["raison_sociale"]), models.Index(fields=["postcode"])]

    def __str__(self):
        return f"{self.raison_sociale} ({self.get_identifier_type_display()} {self.identifier})"

    @property
    def is_active(self):
        return self.status == self.Status.ACTIVE

    @property
    def main_manager(self):
        membership = self.memberships.filter(role=Membership.Role.MAIN_MANAGER).select_related("user").first()
        return membership.user if membership else None


class Membership(models.Model):
    class Role(models.TextChoices):
        MAIN_MANAGER = "gestionnaire_principal", _("Gestionnaire principal")
        USER = "utilisateur", _("Utilisateur")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("utilisateur")
    )
    structure = models.ForeignKey(
        Structure, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("structure")
    )
    role = models.CharField(_("rôle"), max_length=30, choices=Role.choices, default=Role.USER)
    created_at = models.DateTimeField(_("depuis le"), auto_now_add=True)

    class Meta:
        verbose_name = _("rattachement")
        verbose_name_plural = _("rattachements")
        constraints = [
            models.UniqueConstraint(fields=["user", "structure"], name="membership_user_structure_unique"),
            # A structure has one main manager at most; services make sure it always keeps one.
            models.UniqueConstraint(
                fields=["structure"], condition=Q(role="gestionnaire_principal"), name="membership_one_main_manager"
            ),
        ]

    def __str__(self):
        return f"{self.user} — {self.structure.raison_sociale} ({self.get_role_display()})"

    @property
    def is_main_manager(self):
        return self.role == self.Role.MAIN_MANAGER


class AttachmentRequest(models.Model):
    """« Demande de rattachement »: a user asks to join an existing structure."""

    class Status(models.TextChoices):
        PENDING = "en_attente", _("En attente")
        ACCEPTED = "acceptee", _("Acceptée")
        REFUSED = "refusee", _("Refusée")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="attachment_requests",
        verbose_name=_("demandeur"),
    )
    structure = models.ForeignKey(
        Structure, on_delete=models.CASCADE, related_name="attachment_requests", verbose_name=_("structure")
    )
    status = models.CharField(_("statut"), max_length=12, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("demandée le"), auto_now_add=True)
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("décidée par"),
    )
    refusal_reason = models.TextField(_("motif du refus"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("demande de rattachement")
        verbose_name_plural = _("demandes de rattachement")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "structure"], condition=Q(status="en_attente"), name="attachment_request_one_pending"
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return f"{self.user} → {self.structure.raison_sociale} ({self.get_status_display()})"

    @property
    def is_pending(self):
        return self.status == self.Status.PENDING

    @property
    def is_accepted(self):
        return self.status == self.Status.ACCEPTED
