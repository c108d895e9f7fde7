"""Hostile values in every text field of the journey: stored or refused, always escaped, never a 500."""

import pytest
from django.core import mail
from django.urls import reverse

from structures.models import Structure
from tests.wizard import account_data, choose, generate, post_bank_details, post_new_structure, post_step, step_url

pytestmark = pytest.mark.django_db

HOSTILE = {
    "html": "<script>alert('x')</script><b>gras</b>",
    "attribute": "\"'><img src=x onerror=alert(1)>",
    "sql": "'; DROP TABLE onboarding_user; --",
    "template": "{{ settings.SECRET_KEY }}{% debug %}",
    "crlf": "Dupont\r\nBcc: pirate@exemple.com",
    "nul": "Du\x00pont",
    "rtl": "Dupont\u202egnp.exe",
    "long": "x" * 10_000,
    "emoji": "Plomberie 🔧🏔️",
    "decomposed": "Cafe\u0301 Me\u0301ribel",
}
SCRIPT_MARKERS = ["<script>alert", "<img src=x", "<b>gras</b>"]


def assert_escaped(html):
    for marker in SCRIPT_MARKERS:
        assert marker not in html
    assert "DROP TABLE" not in html or "&#x27;; DROP TABLE" in html


@pytest.mark.parametrize("kind", HOSTILE)
@pytest.mark.parametrize("field", ["last_name", "first_name", "address", "address_complement_1", "city"])
def test_it_stores_or_refuses_hostile_account_fields(client, kind, field):
    value = HOSTILE[kind]
    response = post_step(client, "compte", account_data(**{field: value}))
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert response.context["wizard"]["form"].errors.get(field), f"{kind} refused without a message"
        assert_escaped(response.content.decode())
    else:
        assert response["Location"] == step_url("structure")


@pytest.mark.parametrize("kind", HOSTILE)
def test_it_escapes_a_hostile_structure_everywhere_it_is_shown(client, kind, django_capture_on_commit_callbacks):
    value = HOSTILE[kind]
    post_step(client, "compte", account_data(last_name=value[:100] if kind != "nul" else "Dupont"))
    choose(client, "nouvelle")
    response = post_new_structure(
        client,
        has_siret="non",
        identifier_type="particulier",
        identifier=value[:80] if kind not in ("nul", "long") else "Claire Martin",
        raison_sociale=value,
        address="1 rue Lesdiguières",
        postcode="38000",
        city="Grenoble",
    )
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        form = response.context["wizard"]["form"]
        assert form.errors, f"{kind} refused without a message"
        assert_escaped(response.content.decode())
        return
    post_bank_details(client)
    with django_capture_on_commit_callbacks(execute=True):
        generate(client)
    structure = Structure.objects.get()
    # Stored as typed, a line break included: it is escaped or flattened where it is shown.
    assert structure.raison_sociale == value.strip()
    # The e-mail's headers are intact: a typed CRLF never adds a header.
    (message,) = mail.outbox
    assert "\n" not in message.subject and "\r" not in message.subject
    assert message.bcc == []
    assert_escaped(message.alternatives[0][0])
    html = client.get(reverse("onboarding:registration_sent")).content.decode()
    assert_escaped(html)


@pytest.mark.parametrize("kind", HOSTILE)
def test_it_searches_hostile_text_without_a_500(client, kind):
    post_step(client, "compte", account_data())
    response = post_step(
        client,
        "structure",
        {
            "identifier_type": "siret",
            "identifier": "",
            "raison_sociale": HOSTILE[kind][:150],
            "postcode": "",
            "city": "",
        },
        captcha=None,
        extra={"rechercher": "1"},
    )
    assert response.status_code == 200
    assert_escaped(response.content.decode())
    export = client.get(
        reverse("structures:search_export"), {"identifier_type": "siret", "raison_sociale": HOSTILE[kind][:150]}
    )
    assert export.status_code == 200
