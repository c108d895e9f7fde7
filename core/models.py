from django.db import models
from django.utils.translation import gettext_lazy as _


class PendingEmail(models.Model):
    """An e-mail the mail server refused or could not take: sent again by `retry_emails`."""

    recipient = models.EmailField(_("destinataire"), max_length=254, db_index=True)
    recipients = models.JSONField(_("destinataires"), default=list)
    subject = models.CharField(_("objet"), max_length=998)
    body = models.TextField(_("texte"))
    html = models.TextField(_("HTML"), blank=True)
    attachments = models.JSONField(_("pièces jointes"), default=list, blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    attempts = models.PositiveIntegerField(_("tentatives"), default=1)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("courriel en attente d'envoi")
        verbose_name_plural = _("courriels en attente d'envoi")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.subject} → {self.recipient}"
