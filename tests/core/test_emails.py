"""Every e-mail, rendered with names that hold ', &, < and ": plain text where it is text (subject,
text part), escaped where it is HTML."""

import datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.utils import timezone, translation
from django.utils.html import escape

from core.emails import build_email

RAISON_SOCIALE = 'Bureau d\'études <Martin> & "fils"'
PERSON = "Zoé O'Brien & <Cie>"
EMAILS = sorted(
    path.name.removesuffix("_subject.txt")
    for path in (Path(settings.BASE_DIR) / "templates" / "emails").glob("*_subject.txt")
)
ENTITIES = ("&#x27;", "&#39;", "&amp;", "&lt;", "&gt;", "&quot;")


def context(structure_name=RAISON_SOCIALE, attachment_status="refusee"):
    now = timezone.now()
    person = SimpleNamespace(get_full_name=lambda: PERSON, email="zoe@bureau-etudes.fr")
    return {
        "structure": SimpleNamespace(raison_sociale=structure_name),
        "user": person,
        "requester": person,
        "manager": person,
        "signatory": person,
        "submitted_by": person,
        "account": SimpleNamespace(
            iban_masked="FR76 **** **** **** **** ***0 189",
            bic="AGRIFRPP881",
            account_name="Compte principal",
            created_at=now,
            rejection_reason="RIB illisible",
        ),
        "invoice": SimpleNamespace(
            number="F-2026-001",
            amount_incl_tax=Decimal("1200.00"),
            issue_date=datetime.date(2026, 3, 2),
            engagement_number="ENG-42",
            deposited_at=now,
            service=SimpleNamespace(name="Voirie", code="VOIRIE"),
            status="rejetee",
        ),
        "mandate": SimpleNamespace(signed_at=now),
        "request": SimpleNamespace(status=attachment_status, refusal_reason="Inconnu de la structure."),
        "previous": "Déposée",
        "current": "Rejetée",
        "comment": "Montant erroné.",
        "deadline": now,
        "days": 7,
        "valid_days": 7,
        "activates_account": True,
        "when": now,
        "event_text": "Vos coordonnées bancaires ont été modifiées.",
        "detail": "Depuis l'adresse 192.0.2.1.",
        "factor": "un code reçu par courriel",
        "left": 3,
        "code": "123456",
        "minutes": 10,
        "valid_hours": 48,
        "uid": "MQ",
        "token": "abc-123",
        "new_email": "nouvelle@bureau-etudes.fr",
        **{
            name: "https://fournisseurs.grenoble.test/lien/"
            for name in (
                "activation_url",
                "home_url",
                "details_url",
                "add_url",
                "url",
                "invoice_url",
                "mandate_url",
                "signing_url",
                "login_url",
                "password_reset_url",
            )
        },
    }


def render(name, **options):
    with translation.override("fr"):
        message = build_email(name, "zoe@bureau-etudes.fr", context(**options))
    (html_part,) = [content for content, mimetype in message.alternatives if mimetype == "text/html"]
    return message.subject, message.body, html_part


def names_the_structure(name, part):
    return "raison_sociale" in (Path(settings.BASE_DIR) / "templates" / "emails" / f"{name}{part}").read_text()


def test_it_knows_every_email():
    assert len(EMAILS) == 15
    assert {"mandate_signing", "mandate_signed", "attachment_requested", "attachment_decided"} <= set(EMAILS)


@pytest.mark.parametrize("attachment_status", ["acceptee", "refusee"])
@pytest.mark.parametrize("name", EMAILS)
def test_it_writes_text_as_text_and_html_escaped(name, attachment_status):
    subject, text, html_part = render(name, attachment_status=attachment_status)

    # The subject: plain text, on one line.
    assert not any(entity in subject for entity in ENTITIES), subject
    assert subject == " ".join(subject.split()) and subject
    if names_the_structure(name, "_subject.txt"):
        assert RAISON_SOCIALE in subject

    # The text part: plain text.
    assert not any(entity in text for entity in ENTITIES), text
    if names_the_structure(name, ".txt"):
        assert RAISON_SOCIALE in text

    # The HTML part: what suppliers typed is escaped, never markup.
    assert "<Martin>" not in html_part and "<Cie>" not in html_part
    if names_the_structure(name, ".html"):
        assert escape(RAISON_SOCIALE) in html_part


@pytest.mark.parametrize(
    "name, subject",
    [
        ("mandate_signing", 'Signez le mandat de facturation de Bureau d\'études <Martin> & "fils"'),
        ("mandate_signed", 'Mandat de facturation signé — Bureau d\'études <Martin> & "fils"'),
        ("attachment_requested", 'Demande de rattachement à « Bureau d\'études <Martin> & "fils" »'),
        ("attachment_decided", 'Votre demande de rattachement à « Bureau d\'études <Martin> & "fils" » est refusée'),
    ],
)
def test_the_subjects_of_the_issue_read_as_typed(name, subject):
    assert render(name)[0] == subject


def test_a_subject_stays_one_line_whatever_the_name_holds():
    subject, _text, _html = render("mandate_signing", structure_name="Alpes\r\nBcc: pirate@exemple.com\n")
    assert subject == "Signez le mandat de facturation de Alpes Bcc: pirate@exemple.com"
