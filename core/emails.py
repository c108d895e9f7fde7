"""E-mails: each one is a subject, a text part and an HTML part rendered from templates.

`templates/emails/<name>_subject.txt`, `<name>.txt` and `<name>.html`. The subject and the text
part are plain text: rendered here without Django's autoescaping, which is for HTML (a subject
read « Bureau d&#x27;études »); the HTML part is escaped as any template.

A mail server that fails must never lose a registration nor show an error for something
that is saved: the message is kept in the outbox (PendingEmail) and `manage.py retry_emails`
sends it later.
"""

import base64
import logging
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation

logger = logging.getLogger(__name__)


def build_email(name, to, context, language=None):
    """The e-mail `name`, in `language` (by default the language of the current request)."""
    context = {"site_url": settings.SITE_URL, **context}
    with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
        # A subject is one line: a template's trailing newline or a typed CRLF must not split it.
        subject = " ".join(render_plain_text(f"emails/{name}_subject.txt", context).split())
        message = EmailMultiAlternatives(
            subject=subject,
            body=render_plain_text(f"emails/{name}.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[to] if isinstance(to, str) else list(to),
        )
        message.attach_alternative(render_to_string(f"emails/{name}.html", context), "text/html")
    return message


def render_plain_text(template_name, context):
    """A template rendered as plain text: what suppliers typed (« Bureau d'études & fils ») as they
    typed it, whether or not the template says {% autoescape off %}."""
    return get_template(template_name).template.render(Context(context, autoescape=False))


def deliver(message):
    """Send `message` now; if the mail server fails, keep it in the outbox. True when sent."""
    try:
        message.send()
    except Exception as error:  # SMTP errors, refused connections, timeouts: all retried later
        logger.warning("E-mail to %s not sent, kept for retry: %s", message.to, error)
        keep_for_retry(message, error)
        return False
    return True


def keep_for_retry(message, error):
    from .models import PendingEmail

    html = next((content for content, mimetype in message.alternatives if mimetype == "text/html"), "")
    PendingEmail.objects.create(
        recipient=message.to[0] if message.to else "",
        recipients=list(message.to),
        subject=message.subject,
        body=message.body,
        html=html,
        attachments=[
            {"filename": name, "content": base64.b64encode(content).decode(), "mimetype": mimetype}
            for name, content, mimetype in message.attachments
            if isinstance(content, bytes)
        ],
        last_error=str(error)[:1000],
    )


def message_of(pending):
    message = EmailMultiAlternatives(
        subject=pending.subject, body=pending.body, from_email=settings.DEFAULT_FROM_EMAIL, to=pending.recipients
    )
    if pending.html:
        message.attach_alternative(pending.html, "text/html")
    for attachment in pending.attachments:
        message.attach(attachment["filename"], base64.b64decode(attachment["content"]), attachment["mimetype"])
    return message


def retry_pending_emails(limit=500):
    """Send the outbox again; returns (sent, still failing).

    Each message is locked while it is sent (`select_for_update(skip_locked=True)`): two runs at
    once, on two machines, never send one message twice; each skips what the other is sending.
    """
    from .models import PendingEmail

    sent = failed = 0
    waiting = PendingEmail.objects.filter(sent_at__isnull=True).order_by("created_at")
    for pk in list(waiting.values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            pending = PendingEmail.objects.select_for_update(skip_locked=True).filter(pk=pk, sent_at__isnull=True)
            pending = pending.first()
            if pending is None:  # sent meanwhile, or being sent by another run
                continue
            try:
                message_of(pending).send()
            except Exception as error:
                pending.attempts += 1
                pending.last_error = str(error)[:1000]
                pending.save(update_fields=["attempts", "last_error"])
                failed += 1
            else:
                pending.sent_at = timezone.now()
                pending.attempts += 1
                pending.save(update_fields=["sent_at", "attempts"])
                sent += 1
    return sent, failed


def has_pending_email(address):
    from .models import PendingEmail

    return PendingEmail.objects.filter(recipient=address, sent_at__isnull=True).exists()


def send_email(name, to, context, language=None):
    return deliver(build_email(name, to, context, language))


def send_email_on_commit(name, to, context, language=None):
    """Send once the current transaction has committed: never for a rolled-back record.

    In `language`, or else in the language of the request that sends it (captured now: the
    e-mail leaves after the request's language may have been reset).
    """
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    transaction.on_commit(partial(send_email, name, to, context, language))
