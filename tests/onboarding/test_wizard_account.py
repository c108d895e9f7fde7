import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core import mail
from django.urls import reverse

from onboarding.models import SupplierProfile
from tests.onboarding.factories import SupplierFactory
from tests.wizard import (
    account_data,
    field_errors,
    fill_wizard_with_new_structure,
    post_step,
    register_with_new_structure,
    solved_captcha,
    step_url,
)

pytestmark = pytest.mark.django_db

User = get_user_model()


def test_it_redirects_the_wizard_root_to_the_account_step(client):
    response = client.get(reverse("onboarding:wizard"))
    assert response.status_code == 302
    assert response["Location"] == step_url("compte")


def test_it_shows_the_account_step_with_the_seed_blocks(client):
    response = client.get(step_url("compte"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Étape 1 sur 4 — Création de votre compte" in html
    for legend in ["Informations générales", "Adresse postale", "Captcha"]:
        assert f"<legend>{legend}</legend>" in html
    for label in [
        "Adresse électronique de connexion",
        "Confirmation de l&#x27;adresse électronique de connexion",
        "Adresse électronique de contact",
        "Complément d&#x27;adresse 1",
        "Complément d&#x27;adresse 2",
        "Code postal",
        "Téléphone",
        "Fax",
    ]:
        assert label in html
    assert "Enregistrer et Configurer mon compte" in html
    assert "Nouvelle image" in html
    assert 'name="compte-password' not in html  # no password goes through the wizard
    assert '<option value="FR" selected>France</option>' in html


def test_it_goes_on_to_the_structure_step_creating_nothing_yet(client):
    response = post_step(client, "compte", account_data())
    assert response.status_code == 302
    assert response["Location"] == step_url("structure")
    assert User.objects.count() == 0


def test_it_creates_an_inactive_account_and_sends_the_activation_link(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = register_with_new_structure(client, contact_email="compta@menuiserie-martin.fr")
    assert response.status_code == 302
    assert response["Location"] == reverse("onboarding:registration_sent")

    user = User.objects.get()
    assert user.email == "claire.martin@menuiserie-martin.fr"
    assert not user.is_active
    assert not user.has_usable_password()
    profile = user.profile
    assert profile.contact_email == "compta@menuiserie-martin.fr"
    assert profile.address_complement_1 == "Bâtiment B"
    assert str(profile.phone) == "+33476763636"
    assert profile.country == "FR"
    assert profile.terms_accepted_at is not None

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["claire.martin@menuiserie-martin.fr"]

    response = client.get(reverse("onboarding:registration_sent"))
    assert "claire.martin@menuiserie-martin.fr" in response.content.decode()
    assert "Renvoyer le courriel" in response.content.decode()


def test_it_sends_nothing_before_the_transaction_commits(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        register_with_new_structure(client)
    assert len(callbacks) == 1
    assert mail.outbox == []


def test_it_stores_the_connection_email_in_lower_case(client):
    register_with_new_structure(
        client, email="Claire.Martin@Menuiserie-Martin.FR", email_confirmation="claire.martin@menuiserie-martin.fr"
    )
    assert User.objects.get().email == "claire.martin@menuiserie-martin.fr"


def test_it_finishing_twice_creates_one_account(client):
    register_with_new_structure(client)
    # The browser's back button, then the same final URL again: the wizard has been reset.
    response = client.get(step_url("fin"))
    assert response.status_code == 302
    assert response["Location"] == step_url("compte")
    assert User.objects.count() == 1
    assert SupplierProfile.objects.count() == 1


def test_it_starts_again_without_saying_the_address_is_registered_after_done(client):
    register_with_new_structure(client)
    response = post_step(client, "compte", account_data())
    assert (response.status_code, response["Location"]) == (302, step_url("structure"))
    assert User.objects.count() == 1


def test_it_skips_the_account_step_for_a_logged_in_supplier(client):
    client.force_login(SupplierFactory())
    response = client.get(step_url("compte"))
    assert response.status_code == 302
    assert response["Location"] == step_url("structure")


# Bad input: the exact message next to the field, what was typed kept, nothing created.


def assert_refused(response, field, message):
    assert response.status_code == 200
    assert field_errors(response, "compte", field) == [message]
    assert User.objects.count() == 0
    html = response.content.decode()
    # The error summary at the top links to the field.
    assert f'href="#id_compte-{field}' in html


def test_it_refuses_connection_emails_that_differ(client):
    response = post_step(client, "compte", account_data(email_confirmation="claire.martin@menuiserie-martln.fr"))
    assert_refused(
        response, "email_confirmation", "Les deux adresses électroniques de connexion ne sont pas identiques."
    )
    assert 'value="claire.martin@menuiserie-martin.fr"' in response.content.decode()


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("email", "claire.martin@", "Saisissez une adresse de courriel valide."),
        ("contact_email", "compta at martin", "Saisissez une adresse de courriel valide."),
        ("last_name", "", "Ce champ est obligatoire."),
        ("first_name", "", "Ce champ est obligatoire."),
        ("address", "", "Ce champ est obligatoire."),
        ("city", "", "Ce champ est obligatoire."),
        ("postcode", "", "Ce champ est obligatoire."),
        (
            "last_name",
            "M" * 101,
            "Assurez-vous que cette valeur comporte au plus 100 caractères (actuellement 101).",
        ),
        (
            "address",
            "r" * 151,
            "Assurez-vous que cette valeur comporte au plus 150 caractères (actuellement 151).",
        ),
        ("country", "XX", "Sélectionnez un choix valide. XX n’en fait pas partie."),
        ("last_name", "Mar\x00tin", "Le caractère nul n’est pas autorisé."),
    ],
)
def test_it_refuses_a_bad_field(client, field, value, message):
    data = account_data(**{field: value})
    if field == "email":
        data["email_confirmation"] = value
    response = post_step(client, "compte", data)
    assert_refused(response, field, message)


@pytest.mark.parametrize("postcode", ["3800", "380000", "38 00A", "ABCDE"])
def test_it_refuses_a_french_postcode_that_is_not_5_digits(client, postcode):
    response = post_step(client, "compte", account_data(postcode=postcode))
    assert_refused(response, "postcode", "Un code postal français comporte 5 chiffres (par exemple 38000).")


def test_it_accepts_a_free_postcode_abroad(client):
    register_with_new_structure(client, country="GB", postcode="SW1A 1AA", city="London", phone="020 7946 0958")
    profile = User.objects.get().profile
    assert profile.postcode == "SW1A 1AA"
    assert str(profile.phone) == "+442079460958"


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("phone", "12345", "Ce numéro n'est pas un numéro de téléphone valide pour le pays choisi (France)."),
        (
            "phone",
            "+44 20 7946 0958",
            "Ce numéro n'est pas un numéro de téléphone valide pour le pays choisi (France).",
        ),
        ("phone", "appelez-moi", "Ce numéro n'est pas un numéro de téléphone valide pour le pays choisi (France)."),
        ("fax", "04 76", "Ce numéro n'est pas un numéro de fax valide pour le pays choisi (France)."),
    ],
)
def test_it_refuses_a_phone_that_is_not_of_the_chosen_country(client, field, value, message):
    response = post_step(client, "compte", account_data(**{field: value}))
    assert_refused(response, field, message)


def test_it_stores_phone_and_fax_in_e164(client):
    register_with_new_structure(client, phone="06 12 34 56 78", fax="+33 4 76 76 39 39")
    profile = User.objects.get().profile
    assert str(profile.phone) == "+33612345678"
    assert str(profile.fax) == "+33476763939"


def test_it_refuses_a_wrong_captcha_with_a_new_image_and_keeps_the_fields(client):
    response = post_step(client, "compte", account_data(), captcha="XXXXX")
    assert_refused(
        response,
        "captcha",
        "Les caractères saisis ne correspondent pas à l'image, ou l'image a expiré. "
        "Recopiez les 5 caractères de la nouvelle image.",
    )
    html = response.content.decode()
    assert 'value="claire.martin@menuiserie-martin.fr"' in html
    assert 'value="12 rue Félix Poulat"' in html
    assert 'value="04 76 76 36 36"' in html
    assert 'name="compte-captcha_1"' in html and 'name="compte-captcha_1" value' not in html


def test_it_refuses_an_expired_captcha(client):
    from captcha.models import CaptchaStore
    from django.utils import timezone

    key = CaptchaStore.generate_key()
    store = CaptchaStore.objects.get(hashkey=key)
    store.expiration = timezone.now() - timezone.timedelta(seconds=1)
    store.save()
    response = post_step(
        client,
        "compte",
        account_data(),
        captcha=None,
        extra={"compte-captcha_0": key, "compte-captcha_1": store.response},
    )
    assert_refused(
        response,
        "captcha",
        "Les caractères saisis ne correspondent pas à l'image, ou l'image a expiré. "
        "Recopiez les 5 caractères de la nouvelle image.",
    )


def test_it_refuses_a_captcha_answered_twice(client):
    from tests.wizard import solved_captcha

    key, answer = solved_captcha()
    extra = {"compte-captcha_0": key, "compte-captcha_1": answer}
    first = post_step(client, "compte", account_data(email_confirmation="autre@exemple.fr"), captcha=None, extra=extra)
    assert field_errors(first, "compte", "captcha") == []
    second = post_step(client, "compte", account_data(), captcha=None, extra=extra)
    assert_refused(
        second,
        "captcha",
        "Les caractères saisis ne correspondent pas à l'image, ou l'image a expiré. "
        "Recopiez les 5 caractères de la nouvelle image.",
    )


def test_it_refuses_when_the_terms_are_not_accepted(client):
    response = post_step(client, "compte", account_data(accept_terms=None))
    assert_refused(
        response,
        "accept_terms",
        "Vous devez accepter les conditions générales d'utilisation pour créer votre compte.",
    )


def test_it_gives_a_new_image_without_javascript_keeping_what_was_typed(client):
    response = post_step(client, "compte", account_data(), captcha=None, extra={"nouvelle_image": "1"})
    assert response.status_code == 200
    form = response.context["wizard"]["form"]
    assert not form.is_bound
    html = response.content.decode()
    assert 'value="claire.martin@menuiserie-martin.fr"' in html
    assert 'value="Bâtiment B"' in html
    assert "Le formulaire contient des erreurs" not in html
    assert User.objects.count() == 0


def test_it_refuses_a_tampered_management_form_without_a_500(client):
    # Without the page's hidden step: the current step's page again (formtools' English 400 before).
    response = client.post(step_url("compte"), {"compte-email": "x@exemple.fr"})
    assert (response.status_code, response["Location"]) == (302, step_url("compte"))
    assert User.objects.count() == 0


def test_it_ignores_an_unknown_step_in_the_url(client):
    response = client.get(step_url("banque-secrete"))
    assert response.status_code == 302
    assert response["Location"] == step_url("compte")


def test_it_ends_the_wizard_within_its_query_budget(
    client, django_assert_num_queries, django_capture_on_commit_callbacks
):
    end = fill_wizard_with_new_structure(client)
    # 17, down from 31 (issue 9). Reading: the session; the revalidation of every step (the
    # new structure's identifier's: the directory's answer is kept with the wizard's data, the
    # RIB's check too); the account with this e-mail, if any (onboarding.services); the transaction (2: BEGIN/COMMIT, a
    # savepoint here inside the test's); the account and its profile (2); the structure and
    # its main manager (2) in the savepoint that turns a structure created at the same moment
    # into an attachment request (2); the bank details and their history row (2); the mandate;
    # the session saved (3 with its transaction). The services skip what a structure created
    # in the same transaction cannot have (bank details to lock, a mandate to expire or
    # collide with) and open no other savepoint.
    with django_assert_num_queries(17), django_capture_on_commit_callbacks(execute=True):
        response = client.get(end)
    assert response["Location"] == reverse("onboarding:registration_sent")
    user = User.objects.get()
    assert user.memberships.get().role == "gestionnaire_principal"
    structure = user.memberships.get().structure
    assert structure.bank_accounts.get().status == "en_attente"
    assert structure.billing_mandates.get().status == "genere"
    assert [message.to for message in mail.outbox] == [[user.email]]  # the signing link, once


def test_it_saves_the_session_only_when_the_wizard_changes(client, django_assert_num_queries):
    post_step(client, "compte", account_data())
    with django_assert_num_queries(1):  # the session, read: nothing changed, nothing written
        assert client.get(step_url("structure")).status_code == 200
    # Back to the account step by its URL: the current step changes, and is kept.
    assert client.get(step_url("compte")).status_code == 200
    assert client.session["wizard_onboarding_wizard"]["step"] == "compte"
    assert client.session["wizard_onboarding_wizard"]["step_data"]["compte"]["compte-last_name"] == ["Martin"]


def test_it_puts_the_wizard_in_the_session_at_its_first_change_and_empties_it_on_reset(client):
    client.get(step_url("compte"))
    assert "wizard_onboarding_wizard" not in client.session
    post_step(client, "compte", account_data())
    wizard = client.session["wizard_onboarding_wizard"]
    assert wizard["step"] == "structure" and wizard["step_data"]["compte"]["compte-last_name"] == ["Martin"]
    response = client.get(reverse("onboarding:wizard") + "?reset=1")
    assert response["Location"] == step_url("compte") + "?reset=1"
    assert client.session["wizard_onboarding_wizard"] == {
        "step": "compte",
        "step_data": {},
        "step_files": {},
        "extra_data": {},
    }


def test_it_keeps_the_page_within_its_query_budget(client, django_assert_num_queries):
    # The captcha challenge only: a wizard with nothing in it yet is not put in the session
    # (onboarding.storage.WizardSessionStorage), so a visitor who only looks writes no session row.
    with django_assert_num_queries(1):
        client.get(step_url("compte"))
    assert Session.objects.count() == 0 and settings.SESSION_COOKIE_NAME not in client.cookies
    key, answer = solved_captcha()
    extra = {"compte-captcha_0": key, "compte-captcha_1": answer}
    # A refused post: captcha check (expired ones removed, this one read and consumed) and a
    # new challenge. No session to read or save: the wizard's data did not change
    # (onboarding.storage.WizardSessionStorage). No e-mail check: the step never says whether
    # an address is registered (5 queries until then).
    with django_assert_num_queries(4):
        post_step(client, "compte", account_data(email_confirmation="autre@exemple.fr"), captcha=None, extra=extra)


def test_the_required_note_is_small_and_only_where_fields_are_required(client):
    from tests.wizard import step_url

    html = client.get(step_url("compte")).content.decode()
    assert '<p class="required-note">Les champs marqués « (obligatoire) » doivent être remplis.</p>' in html
    assert '<p class="lead">Les champs marqués' not in html


def test_the_mandate_step_has_no_required_note(client):
    from tests.wizard import fill_wizard_with_new_structure, step_url

    fill_wizard_with_new_structure(client)
    html = client.get(step_url("mandat")).content.decode()
    assert "Étape 4 sur 4" in html
    assert "Les champs marqués" not in html
