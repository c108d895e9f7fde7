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


class JobRun(models.Model):
    """When a scheduled job (config/jobs.py) last ran and next may run: one row per job.

    `manage.py run_jobs` on several machines claims a due job by moving `next_run_at` forward in
    one conditional UPDATE: one machine only wins each run (core/jobs.py)."""

    name = models.CharField(_("tâche"), max_length=100, primary_key=True)
    next_run_at = models.DateTimeField(_("prochaine exécution à partir de"))
    started_at = models.DateTimeField(_("dernier début"), null=True, blank=True)
    finished_at = models.DateTimeField(_("dernière fin"), null=True, blank=True)
    host = models.CharField(_("machine"), max_length=255, blank=True)
    outcome = models.TextField(_("dernier résultat"), blank=True)
    succeeded = models.BooleanField(_("réussie"), null=True)

    class Meta:
        verbose_name = _("tâche planifiée")
        verbose_name_plural = _("tâches planifiées")
        ordering = ["name"]

    def __str__(self):
        return self.name
