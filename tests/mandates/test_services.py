import hashlib
import time
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.core.exceptions import PermissionDenied
from django.core.files.storage import storages
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from mandates import services
from mandates.models import BillingMandate, sha256_of
from onboarding.services import activation_token
from structures.models import Membership
from structures.services import StructureDetails, create_structure
from tests.mandates.factories import BillingMandateFactory
from tests.mandates.helpers import signing_link
from tests.onboarding.factories import PendingSupplierFactory, SupplierFactory
from tests.structures.factories import MainManagerFactory, MembershipFactory

pytestmark = pytest.mark.django_db

Reason = services.MandateLinkError


def generate(structure, manager, capture):
    with capture(execute=True):
        return services.generate_mandate(structure, manager)


def sign(mandate, user, capture):
    with capture(execute=True):
        return services.sign_mandate(mandate, user=user, ip="203.0.113.7", user_agent="Firefox/140.0")


# Generating


def test_it_generates_a_mandate_and_emails_the_signing_link(structure, manager, django_capture_on_commit_callbacks):
    manager.profile.contact_email = "compta@menuiserie-martin.fr"
    manager.profile.save()
    mandate = generate(structure, manager, django_capture_on_commit_callbacks)
    assert (mandate.status, mandate.structure, mandate.signatory) == ("genere", structure, manager)
    assert mandate.template_version == "2026-01"
    assert "Menuiserie Martin" in mandate.document_html
    [message] = mail.outbox
    # The link can set the password of a new account: only the connection address gets it.
    assert message.to == ["claire@menuiserie-martin.fr"]
    assert message.subject == "Signez le mandat de facturation de Menuiserie Martin"
    assert signing_link(message).startswith("https://fournisseurs.grenoble.test/mandats/signer/")
    assert "Ce lien est valable 7 jours, jusqu'au" in message.body
    assert "active aussi votre compte" not in message.body
    assert signing_link(message) in message.alternatives[0][0]


def test_it_only_inserts_the_mandate_of_a_structure_created_in_the_same_transaction(
    manager, django_assert_num_queries, django_capture_on_commit_callbacks
):
    details = StructureDetails("tva_ue", "BE0123456749", "Atelier Royal", "1 rue Royale", "1000", "Bruxelles", "BE")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        outcome = create_structure(manager, details)
        # No main manager to check, no mandate to expire or to collide with, no savepoint.
        with django_assert_num_queries(1):
            mandate = services.generate_mandate(outcome.structure, manager, new_structure=True)
    assert (mandate.status, mandate.structure, mandate.signatory) == ("genere", outcome.structure, manager)
    assert "Atelier Royal" in mandate.document_html
    [message] = mail.outbox
    assert message.subject == "Signez le mandat de facturation de Atelier Royal"


def test_it_refuses_the_new_structure_path_to_whoever_did_not_create_it(structure, manager):
    other = SupplierFactory()
    with pytest.raises(services.MandateError) as error:
        services.generate_mandate(structure, other, new_structure=True)
    assert error.value.message == services.MSG_NOT_MAIN_MANAGER
    assert not BillingMandate.objects.exists()


def test_it_tells_a_new_account_that_the_link_activates_it(django_capture_on_commit_callbacks):
    membership = MainManagerFactory(user=PendingSupplierFactory())
    generate(membership.structure, membership.user, django_capture_on_commit_callbacks)
    assert (
        "Ce lien active aussi votre compte : vous choisirez d'abord votre mot de passe, puis le mandat s'affichera."
        in mail.outbox[0].body
    )


def test_it_sends_nothing_when_the_transaction_rolls_back(structure, manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            services.generate_mandate(structure, manager)
            raise RuntimeError
    assert not BillingMandate.objects.exists()
    assert mail.outbox == []


def test_it_leaves_the_email_to_the_caller_when_asked(structure, manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.generate_mandate(structure, manager, notify=False)
    assert mail.outbox == []


def test_it_refuses_a_second_mandate_while_one_waits(structure, manager, django_capture_on_commit_callbacks):
    first = generate(structure, manager, django_capture_on_commit_callbacks)
    with pytest.raises(services.MandateError) as error:
        generate(structure, manager, django_capture_on_commit_callbacks)
    assert str(error.value.message) == (
        "Un mandat de facturation de cette structure attend déjà d'être signé : "
        "renvoyez le courriel depuis sa page, ou annulez-le pour en générer un nouveau."
    )
    assert error.value.mandate == first
    assert BillingMandate.objects.count() == 1
    assert len(mail.outbox) == 1


def test_it_refuses_a_new_mandate_once_one_is_signed(structure, manager, django_capture_on_commit_callbacks):
    BillingMandateFactory(structure=structure, signatory=manager, signed=True)
    with pytest.raises(services.MandateError) as error:
        generate(structure, manager, django_capture_on_commit_callbacks)
    assert str(error.value.message) == "Cette structure a déjà un mandat de facturation signé."


def test_it_generates_again_after_a_cancellation(structure, manager, django_capture_on_commit_callbacks):
    BillingMandateFactory(structure=structure, signatory=manager, cancelled=True)
    assert generate(structure, manager, django_capture_on_commit_callbacks).status == "genere"


def test_it_expires_an_overdue_mandate_rather_than_refuse_a_new_one(
    structure, manager, django_capture_on_commit_callbacks
):
    old = BillingMandateFactory(structure=structure, signatory=manager, generated_at=timezone.now() - timedelta(days=8))
    new = generate(structure, manager, django_capture_on_commit_callbacks)
    old.refresh_from_db()
    assert (old.status, new.status) == ("expire", "genere")
    assert old.expired_at is not None


def test_it_refuses_a_signatory_who_is_not_the_main_manager(structure, django_capture_on_commit_callbacks):
    member = MembershipFactory(structure=structure).user
    with pytest.raises(services.MandateError) as error:
        generate(structure, member, django_capture_on_commit_callbacks)
    assert str(error.value.message) == (
        "Seul le gestionnaire principal de la structure peut souscrire son mandat de facturation."
    )
    assert not BillingMandate.objects.exists()


def test_it_refuses_an_inactive_structure(structure, manager, django_capture_on_commit_callbacks):
    structure.status = "inactif"
    structure.save()
    with pytest.raises(services.MandateError) as error:
        generate(structure, manager, django_capture_on_commit_callbacks)
    assert str(error.value.message) == (
        "Cette structure est inactive : aucun mandat de facturation ne peut être souscrit."
    )


# Signing links


def test_it_finds_the_mandate_of_a_link(structure, manager):
    mandate = BillingMandateFactory(structure=structure, signatory=manager)
    assert services.mandate_for_token(services.signing_token(mandate)) == mandate


@pytest.mark.parametrize(
    "token",
    [
        "nimporte-quoi",
        "",
        "tampered",
        "activation",
        "unknown",
    ],
)
def test_it_says_a_bad_link_is_invalid(structure, manager, token):
    mandate = BillingMandateFactory(structure=structure, signatory=manager)
    good = services.signing_token(mandate)
    token = {
        "tampered": good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
        "activation": activation_token(manager),  # another salt
        "unknown": signing.dumps(mandate.pk + 1000, salt=services.SIGNING_SALT),
    }.get(token, token)
    with pytest.raises(services.MandateLinkError) as error:
        services.mandate_for_token(token)
    assert error.value.reason == Reason.INVALID


def old_token(mandate, monkeypatch, days=8):
    with monkeypatch.context() as patch:
        patch.setattr(time, "time", lambda: timezone.now().timestamp() - days * 86400)
        return services.signing_token(mandate)


def test_it_says_an_old_link_has_expired(structure, manager, monkeypatch):
    mandate = BillingMandateFactory(structure=structure, signatory=manager)
    with pytest.raises(services.MandateLinkError) as error:
        services.mandate_for_token(old_token(mandate, monkeypatch))
    assert error.value.reason == Reason.EXPIRED


def test_it_says_a_mandate_past_its_signing_period_has_expired(structure, manager):
    mandate = BillingMandateFactory(
        structure=structure, signatory=manager, generated_at=timezone.now() - timedelta(days=7, minutes=1)
    )
    with pytest.raises(services.MandateLinkError) as error:
        services.mandate_for_token(services.signing_token(mandate))
    assert error.value.reason == Reason.EXPIRED


@pytest.mark.parametrize(
    "traits, reason",
    [
        ({"signed": True}, Reason.USED),
        ({"cancelled": True}, Reason.CANCELLED),
        ({"status": "expire", "expired_at": timezone.now()}, Reason.EXPIRED),
    ],
)
def test_it_says_why_a_mandate_can_no_longer_be_signed(structure, manager, traits, reason, monkeypatch):
    mandate = BillingMandateFactory(structure=structure, signatory=manager, **traits)
    for token in (services.signing_token(mandate), old_token(mandate, monkeypatch)):
        with pytest.raises(services.MandateLinkError) as error:
            services.mandate_for_token(token)
        assert error.value.reason == reason


# Signing


def test_it_signs_with_its_evidence_and_stores_the_pdf_once(structure, manager, django_capture_on_commit_callbacks):
    mandate = BillingMandateFactory(structure=structure, signatory=manager)
    before = timezone.now()
    signed = sign(mandate, manager, django_capture_on_commit_callbacks)
    signed.refresh_from_db()
    assert signed.status == "signe"
    assert before <= signed.signed_at <= timezone.now()
    assert (signed.signed_by, signed.signed_ip, signed.signed_user_agent) == (manager, "203.0.113.7", "Firefox/140.0")
    assert signed.document_sha256 == sha256_of(mandate.document_html)
    assert len(signed.document_sha256) == 64
    stored = storages["private"].open(signed.signed_pdf.name).read()
    assert signed.signed_pdf.name.startswith("mandats/")
    assert signed.signed_pdf_sha256 == hashlib.sha256(stored).hexdigest()


def test_it_emails_the_signed_pdf(structure, manager, django_capture_on_commit_callbacks):
    manager.profile.contact_email = "compta@menuiserie-martin.fr"
    manager.profile.save()
    mandate = sign(
        BillingMandateFactory(structure=structure, signatory=manager), manager, django_capture_on_commit_callbacks
    )
    # The signed PDF to the contact address; the connection address gets the security notice.
    message, notice = mail.outbox
    assert notice.to == [manager.email] and "Un mandat de facturation a été signé" in notice.body
    assert message.to == ["compta@menuiserie-martin.fr"]
    assert message.subject == "Mandat de facturation signé — Menuiserie Martin"
    [(filename, content, mimetype)] = message.attachments
    assert (filename, mimetype) == (f"mandat-de-facturation-{mandate.reference}.pdf", "application/pdf")
    assert content == storages["private"].open(mandate.signed_pdf.name).read()


def test_it_signs_once_when_asked_twice(structure, manager, django_capture_on_commit_callbacks):
    mandate = BillingMandateFactory(structure=structure, signatory=manager)
    first = sign(mandate, manager, django_capture_on_commit_callbacks)
    with pytest.raises(services.MandateLinkError) as error:
        sign(mandate, manager, django_capture_on_commit_callbacks)
    assert error.value.reason == Reason.USED
    mandate.refresh_from_db()
    assert (mandate.signed_at, mandate.signed_pdf.name) == (first.signed_at, first.signed_pdf.name)
    assert len(storages["private"].listdir("mandats")[1]) == 1
    assert len(mail.outbox) == 1


def test_it_lets_only_the_signatory_sign(structure, manager, django_capture_on_commit_callbacks):
    mandate = BillingMandateFactory(structure=structure, signatory=manager)
    other = MembershipFactory(structure=structure).user
    with pytest.raises(PermissionDenied):
        sign(mandate, other, django_capture_on_commit_callbacks)
    mandate.refresh_from_db()
    assert mandate.status == "genere"


def test_it_refuses_a_signatory_who_is_no_longer_main_manager(structure, manager, django_capture_on_commit_callbacks):
    mandate = BillingMandateFactory(structure=structure, signatory=manager)
    Membership.objects.filter(user=manager).update(role="utilisateur")
    with pytest.raises(services.MandateError):
        sign(mandate, manager, django_capture_on_commit_callbacks)
    mandate.refresh_from_db()
    assert mandate.status == "genere"


def test_it_leaves_nothing_when_the_pdf_cannot_be_stored(
    structure, manager, monkeypatch, django_capture_on_commit_callbacks
):
    mandate = BillingMandateFactory(structure=structure, signatory=manager)

    def full_disk(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(storages["private"], "save", full_disk)
    with pytest.raises(OSError):
        sign(mandate, manager, django_capture_on_commit_callbacks)
    mandate.refresh_from_db()
    assert (mandate.status, mandate.signed_pdf.name, mandate.document_sha256) == ("genere", "", "")
    assert mail.outbox == []


def test_it_keeps_the_signature_when_the_mail_server_fails(
    structure, manager, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def down(*args, **kwargs):
        raise ConnectionRefusedError

    monkeypatch.setattr("django.core.mail.EmailMessage.send", down)
    mandate = sign(
        BillingMandateFactory(structure=structure, signatory=manager), manager, django_capture_on_commit_callbacks
    )
    mandate.refresh_from_db()
    assert mandate.status == "signe"
    assert "not sent, kept for retry" in caplog.text
    # Kept in the outbox with its PDF, for `manage.py retry_emails`.
    from core.models import PendingEmail

    pending = PendingEmail.objects.get()
    assert pending.recipient == manager.notification_email
    assert pending.attachments[0]["mimetype"] == "application/pdf"


# Cancelling and expiring


def test_it_cancels_a_mandate_not_signed_yet(structure, manager):
    mandate = services.cancel_mandate(BillingMandateFactory(structure=structure, signatory=manager), manager)
    mandate.refresh_from_db()
    assert (mandate.status, mandate.cancelled_by) == ("annule", manager)
    assert mandate.cancelled_at is not None


def test_it_refuses_to_cancel_a_signed_mandate(structure, manager):
    mandate = BillingMandateFactory(structure=structure, signatory=manager, signed=True)
    with pytest.raises(services.MandateLinkError) as error:
        services.cancel_mandate(mandate, manager)
    assert error.value.reason == Reason.USED


def test_it_lets_no_stranger_cancel(structure, manager):
    mandate = BillingMandateFactory(structure=structure, signatory=manager)
    for stranger in (SupplierFactory(), MembershipFactory(structure=structure).user):
        with pytest.raises(PermissionDenied):
            services.cancel_mandate(mandate, stranger)
    mandate.refresh_from_db()
    assert mandate.status == "genere"


def test_it_expires_the_mandates_left_unsigned(structure, manager, capsys):
    overdue = BillingMandateFactory(
        structure=structure, signatory=manager, generated_at=timezone.now() - timedelta(days=8)
    )
    recent = BillingMandateFactory(generated_at=timezone.now() - timedelta(days=6))
    signed_long_ago = BillingMandateFactory(signed=True, generated_at=timezone.now() - timedelta(days=30))
    call_command("expire_mandates")
    assert capsys.readouterr().out == "1 billing mandate(s) expired.\n"
    statuses = [
        m.status
        for m in BillingMandate.objects.filter(pk__in=[overdue.pk, recent.pk, signed_long_ago.pk]).order_by("pk")
    ]
    assert statuses == ["expire", "genere", "signe"]


# Resending


def test_it_resends_the_email_three_times_an_hour(structure, manager, django_capture_on_commit_callbacks):
    mandate = BillingMandateFactory(structure=structure, signatory=manager)
    with django_capture_on_commit_callbacks(execute=True):
        for _attempt in range(3):
            services.resend_signing_email(mandate, by=manager)
        with pytest.raises(services.ResendLimitReached) as error:
            services.resend_signing_email(mandate, by=manager)
    assert str(error.value.message) == (
        "Le courriel a déjà été renvoyé 3 fois en une heure : réessayez plus tard. "
        "Pensez à regarder dans vos courriers indésirables."
    )
    assert len(mail.outbox) == 3
    # Each mandate has its own count.
    other = BillingMandateFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.resend_signing_email(other, by=other.signatory)
    assert len(mail.outbox) == 4


def test_it_resends_nothing_for_a_signed_mandate_or_to_a_stranger(structure, manager):
    signed = BillingMandateFactory(structure=structure, signatory=manager, signed=True)
    with pytest.raises(services.MandateLinkError):
        services.resend_signing_email(signed, by=manager)
    with pytest.raises(PermissionDenied):
        services.resend_signing_email(BillingMandateFactory(), by=manager)
    assert mail.outbox == []


# Where a structure stands


def test_it_tells_where_a_structure_stands(structure, manager, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert services.mandate_state(structure).status is None
    cancelled = BillingMandateFactory(structure=structure, signatory=manager, cancelled=True)
    assert services.mandate_state(structure).status == BillingMandate.Status.CANCELLED
    assert services.mandate_state(structure).mandate == cancelled
    waiting = BillingMandateFactory(
        structure=structure, signatory=manager, generated_at=cancelled.generated_at - timedelta(hours=1)
    )
    state = services.mandate_state(structure)
    assert (state.status, state.mandate, state.done) == (BillingMandate.Status.GENERATED, waiting, False)
    BillingMandate.objects.filter(pk=waiting.pk).update(generated_at=timezone.now() - timedelta(days=8))
    assert services.mandate_state(structure).status == BillingMandate.Status.EXPIRED
    BillingMandate.objects.filter(pk=waiting.pk).delete()
    BillingMandateFactory(structure=structure, signatory=manager, signed=True)
    state = services.mandate_state(structure)
    assert (state.status, state.done) == (BillingMandate.Status.SIGNED, True)
