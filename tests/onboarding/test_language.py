import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from tests.wizard import register_with_new_structure

pytestmark = pytest.mark.django_db


def english(text):
    with translation.override("en"):
        return gettext(text)


def test_it_has_an_english_catalogue():
    assert english("Commencer mon inscription") != "Commencer mon inscription"
    assert english("Enregistrer et Configurer mon compte") != "Enregistrer et Configurer mon compte"


def test_it_speaks_french_whatever_the_browser_asks(client):
    response = client.get(reverse("onboarding:landing"), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert response["Content-Language"] == "fr"
    assert '<html lang="fr">' in response.content.decode()
    assert "Commencer mon inscription" in response.content.decode()


def test_it_switches_to_english_for_the_session_and_back(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get(reverse("onboarding:landing")).content.decode()
    assert '<html lang="en">' in html
    assert english("Commencer mon inscription") in html
    assert 'value="fr" lang="fr" class="link-button">Français</button>' in html
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    assert '<html lang="fr">' in client.get(reverse("onboarding:landing")).content.decode()


def test_it_ignores_an_unknown_language(client):
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert '<html lang="fr">' in client.get(reverse("onboarding:landing")).content.decode()


def test_it_writes_to_a_supplier_in_the_language_they_registered_in(client, django_capture_on_commit_callbacks):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    with django_capture_on_commit_callbacks(execute=True):
        register_with_new_structure(client)
    from onboarding.models import User

    assert User.objects.get().language == "en"
    (message,) = mail.outbox
    with translation.override("en"):
        assert message.subject != "" and "mandat de facturation de" not in message.subject.lower()
    assert english("Bonjour %(name)s,") % {"name": "Claire Martin"} in message.body
