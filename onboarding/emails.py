"""E-mails: each one is a subject, a text part and an HTML part rendered from templates.

`templates/emails/<name>_subject.txt`, `<name>.txt` and `<name>.html`.
"""

from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string


def build_email(name, to, context):
    context = {"site_url": settings.SITE_URL, **context}
    # A subject is one line: a template's trailing newline or a typed CRLF must not split it.
    subject = " ".join(render_to_string(f"emails/{name}_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"emails/{name}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to] if isinstance(to, str) else list(to),
    )
    message.attach_alternative(render_to_string(f"emails/{name}.html", context), "text/html")
    return message


def send_email(name, to, context):
    build_email(name, to, context).send()


def send_email_on_commit(name, to, context):
    """Send once the current transaction has committed: never for a rolled-back record."""
    transaction.on_commit(partial(send_email, name, to, context))
