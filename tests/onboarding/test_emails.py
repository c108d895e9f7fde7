import pytest
from django.core import mail

from onboarding import services
from tests.onboarding.factories import PendingSupplierFactory

pytestmark = pytest.mark.django_db


def test_it_sends_the_activation_email_with_subject_text_and_html_parts(django_capture_on_commit_callbacks):
    user = PendingSupplierFactory(first_name="Claire", last_name="Martin")
    with django_capture_on_commit_callbacks(execute=True):
        services.send_activation_email(user)
    (message,) = mail.outbox
    assert message.subject == "Activez votre compte fournisseur de la Ville de Grenoble"
    assert message.to == [user.email]
    assert "Bonjour Claire Martin," in message.body
    assert "Ce lien est valable 24 heures et ne sert qu'une fois." in message.body
    link = services.activation_url(user).rsplit(":", 1)[0]  # the signature's timestamp part varies
    assert link in message.body
    ((html, mimetype),) = message.alternatives
    assert mimetype == "text/html"
    assert '<html lang="fr">' in html
    assert ">Activer mon compte</a>" in html
    assert "Bonjour Claire Martin," in html


def test_it_escapes_typed_names_in_the_html_part_only(django_capture_on_commit_callbacks):
    user = PendingSupplierFactory(first_name="<b>Claire</b>", last_name="O'Neil & fils")
    with django_capture_on_commit_callbacks(execute=True):
        services.send_activation_email(user)
    (message,) = mail.outbox
    assert "Bonjour <b>Claire</b> O'Neil & fils," in message.body
    html = message.alternatives[0][0]
    assert "&lt;b&gt;Claire&lt;/b&gt; O&#x27;Neil &amp; fils" in html
    assert "<b>Claire</b>" not in html
