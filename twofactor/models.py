from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class UsedCode(models.Model):
    """A code that has already opened a session, kept as a keyed digest (never the code).

    django-otp forgets an e-mailed code once used and deletes a recovery code: this is what
    lets the code page say « déjà utilisé » rather than « n'est pas le bon ».
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64)
    used_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("code utilisé")
        verbose_name_plural = _("codes utilisés")
        indexes = [models.Index(fields=["user", "digest"], name="usedcode_user_digest_idx")]

    def __str__(self):
        return f"{self.user_id} {self.used_at:%Y-%m-%d %H:%M}"
