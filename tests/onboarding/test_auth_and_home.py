import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.clients import last_code_sent_to
from tests.onboarding.factories import DEFAULT_PASSWORD, PendingSupplierFactory, SupplierFactory

pytestmark = pytest.mark.django_db


def test_it_logs_in_with_the_connection_email_in_any_case(client):
    SupplierFactory(email="claire@exemple.fr")
    response = client.post(reverse("twofactor:login"), {"username": "Claire@EXEMPLE.fr", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("twofactor:login_code")  # then the second factor (tests/twofactor)
    response = client.post(reverse("twofactor:login_code"), {"code": last_code_sent_to("claire@exemple.fr")})
    assert response["Location"] == reverse("onboarding:home")


def test_it_shows_the_login_form_in_french(client):
    html = client.get(reverse("twofactor:login")).content.decode()
    assert "Adresse électronique de connexion" in html
    assert "Mot de passe oublié ?" in html


def test_it_refuses_a_wrong_password_with_a_french_message(client):
    SupplierFactory(email="claire@exemple.fr")
    response = client.post(reverse("twofactor:login"), {"username": "claire@exemple.fr", "password": "faux"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Adresse électronique de connexion ou mot de passe incorrect. "
        "Attention : le mot de passe distingue les majuscules des minuscules."
    ]


def test_it_refuses_login_to_an_account_not_yet_activated(client):
    user = PendingSupplierFactory(email="attente@exemple.fr")
    user.set_password(DEFAULT_PASSWORD)
    user.save()
    response = client.post(reverse("twofactor:login"), {"username": "attente@exemple.fr", "password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_it_logs_out_on_post(client):
    client.force_login(SupplierFactory())
    response = client.post(reverse("twofactor:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("onboarding:landing")
    assert client.get(reverse("onboarding:home")).status_code == 302


def test_it_sends_a_password_reset_link_built_from_the_site_url(client, django_capture_on_commit_callbacks):
    SupplierFactory(email="claire@exemple.fr", first_name="Claire", last_name="Martin")
    response = client.post(reverse("twofactor:password_reset"), {"email": "claire@exemple.fr"}, HTTP_HOST="localhost")
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.subject == "Nouveau mot de passe pour votre compte fournisseur de la Ville de Grenoble"
    assert "Bonjour Claire Martin," in message.body
    link = re.search(r"https://fournisseurs\.grenoble\.test(/mot-de-passe/nouveau/\S+/)", message.body)
    assert link, message.body
    assert message.alternatives[0][1] == "text/html"
    # The link works: it leads to the form to choose a new password.
    response = client.get(link.group(1), follow=True)
    assert "Choisir un nouveau mot de passe" in response.content.decode()
    response = client.post(
        response.redirect_chain[-1][0],
        {"new_password1": "Un-nouveau-mot-de-passe-1", "new_password2": "Un-nouveau-mot-de-passe-1"},
    )
    assert response["Location"] == reverse("twofactor:password_reset_complete")


def test_it_sends_the_home_of_anonymous_visitors_to_the_login(client):
    response = client.get(reverse("onboarding:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("twofactor:login") + "?next=/accueil/"


def test_it_shows_the_connected_home_with_a_card_per_stage(client, django_assert_num_queries):
    client.force_login(SupplierFactory(first_name="Claire", last_name="Martin"))
    with django_assert_num_queries(4):  # session, user, memberships, pending requests
        response = client.get(reverse("onboarding:home"))
    html = response.content.decode()
    assert "<h1>Accueil connecté</h1>" in html
    assert "Bonjour Claire Martin." in html
    assert html.count('<li class="stage-card') == 4


def test_it_shows_the_landing_page_with_the_four_stages(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(reverse("onboarding:landing"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('<li class="stage-card"') == 4
    # The city's guided path to Chorus Pro, named with the portal's own words.
    assert "déposent leurs factures sur Chorus Pro" in html
    assert "« S&#x27;inscrire sur Chorus Portail Pro »" in html or "« S'inscrire sur Chorus Portail Pro »" in html
    assert f'href="{reverse("onboarding:wizard")}"' in html


def test_it_shows_the_terms_of_use(client):
    response = client.get(reverse("onboarding:terms"))
    assert response.status_code == 200
    assert "Conditions générales d'utilisation" in response.content.decode()
