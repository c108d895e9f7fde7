"""Helpers to drive the onboarding wizard from tests, as a browser would post it."""

import re

from captcha.models import CaptchaStore
from django.urls import reverse

MANAGEMENT_PREFIX = "onboarding_wizard"


def step_url(step):
    return reverse("onboarding:wizard_step", args=[step])


def account_data(**overrides):
    data = {
        "email": "claire.martin@menuiserie-martin.fr",
        "email_confirmation": "claire.martin@menuiserie-martin.fr",
        "contact_email": "",
        "last_name": "Martin",
        "first_name": "Claire",
        "address": "12 rue Félix Poulat",
        "address_complement_1": "Bâtiment B",
        "address_complement_2": "",
        "postcode": "38000",
        "city": "Grenoble",
        "country": "FR",
        "phone": "04 76 76 36 36",
        "fax": "",
        "accept_terms": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def solved_captcha():
    """A fresh challenge and its answer, as the supplier would read it in the image."""
    key = CaptchaStore.generate_key()
    return key, CaptchaStore.objects.get(hashkey=key).response


def post_step(client, step, data, *, captcha="solve", extra=None):
    payload = {f"{MANAGEMENT_PREFIX}-current_step": step}
    payload.update({f"{step}-{name}": value for name, value in data.items()})
    if captcha == "solve":
        key, answer = solved_captcha()
        payload.update({f"{step}-captcha_0": key, f"{step}-captcha_1": answer})
    elif captcha is not None:
        key, _ = solved_captcha()
        payload.update({f"{step}-captcha_0": key, f"{step}-captcha_1": captcha})
    payload.update(extra or {})
    return client.post(step_url(step), payload)


def field_errors(response, step, name):
    """The error messages shown next to a field of the wizard's current form."""
    form = response.context["wizard"]["form"]
    return [str(error) for error in form.errors.get(name, [])]


def activation_link(message):
    match = re.search(r"https?://\S+/activation/[^/\s]+/", message.body)
    assert match, message.body
    return match.group(0)


COMPANY_SIRET = "46430577000248"  # Menuiserie Dauphinoise, open, in the stub directory


def search_data(**overrides):
    data = {"identifier_type": "siret", "identifier": "", "raison_sociale": "", "postcode": "", "city": ""}
    data.update(overrides)
    return data


def search(client, **criteria):
    return post_step(client, "structure", search_data(**criteria), captcha=None, extra={"rechercher": "1"})


def choose(client, choice, **criteria):
    return post_step(client, "structure", search_data(choice=choice, **criteria), captcha=None)


def join(client, structure_pk, **criteria):
    """« Demander un rattachement » in the results, then « Confirmer la demande de rattachement »."""
    data = search_data(choice=f"structure:{structure_pk}", **criteria)
    return post_step(client, "structure", data, captcha=None, extra={"confirmer": "1"})


def new_structure_data(**overrides):
    data = {
        "has_siret": "oui",
        "identifier_type": "",
        "identifier": COMPANY_SIRET,
        "raison_sociale": "",
        "address": "",
        "address_complement": "",
        "postcode": "",
        "city": "",
        "country": "FR",
        "verified": "",
        "identified": "",
    }
    data.update(overrides)
    return data


def post_new_structure(client, **overrides):
    return post_step(client, "nouvelle-structure", new_structure_data(**overrides), captcha=None)


def bank_data(**overrides):
    data = {
        "account_name": "Compte principal",
        "account_type": "iban",
        "country_code": "FR",
        "check_digits": "76",
        "bban": "30006000011234567890189",
        "bic": "AGRIFRPP",
        "attachment_type": "coordonnee_bancaire",
        "factor_raison_sociale": "",
        "factor_country": "",
        "factor_identifier": "",
        "factor_identifier_type": "",
    }
    data.update(overrides)
    return data


def post_bank_details(client, rib=None, **overrides):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.banking.pdfs import rib_pdf

    rib = rib_pdf() if rib is None else rib
    files = {} if rib is False else {"coordonnees-bancaires-rib_file": SimpleUploadedFile("mon RIB.pdf", rib)}
    return post_step(client, "coordonnees-bancaires", bank_data(**overrides), captcha=None, extra=files)


def register_with_new_structure(client, siret=COMPANY_SIRET, **account):
    """Account, « Créer cette structure » from the directory (confirmed), bank details, « Générer »."""
    return client.get(fill_wizard_with_new_structure(client, siret, **account))


def fill_wizard_with_new_structure(client, siret=COMPANY_SIRET, **account):
    """Every step of register_with_new_structure(); the URL of the wizard's end, not visited yet."""
    response = post_step(client, "compte", account_data(**account))
    assert response["Location"] == step_url("structure"), response
    response = choose(client, f"siret:{siret}", identifier=siret)
    assert response["Location"] == step_url("nouvelle-structure"), (
        getattr(response, "context", None) and response.context["wizard"]["form"].errors
    )
    response = post_new_structure(client, identifier=siret)  # shows the directory's values
    assert response.status_code == 200
    response = post_new_structure(client, identifier=siret, verified=siret)
    assert response["Location"] == step_url("coordonnees-bancaires"), response.context["wizard"]["form"].errors
    response = post_bank_details(client)
    assert response["Location"] == step_url("mandat"), response.context["wizard"]["form"].errors
    response = post_step(client, "mandat", {}, captcha=None)  # « Générer »
    assert response["Location"] == step_url("fin")
    return response["Location"]


def signing_link(message):
    match = re.search(r"https?://\S+/mandats/signer/[^/\s]+/", message.body)
    assert match, message.body
    return match.group(0)


def generate(client):
    """The last step, « Générer », then the wizard's end."""
    response = post_step(client, "mandat", {}, captcha=None)
    assert response["Location"] == step_url("fin"), response
    return client.get(response["Location"])
