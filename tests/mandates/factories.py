"""Factories of mandates' models: billing mandates."""

import hashlib

import factory
from django.utils import timezone

from tests.onboarding.factories import SupplierFactory
from tests.structures.factories import StructureFactory


class BillingMandateFactory(factory.django.DjangoModelFactory):
    """A mandate « généré », its text rendered as generate_mandate() does.

    The signatory becomes the structure's main manager unless `main_manager=False` (or the
    structure already has one, then a mere member). `signed=True` / `cancelled=True` for the
    other states (signed without a stored PDF: sign_mandate() makes one).
    """

    class Meta:
        model = "mandates.BillingMandate"
        skip_postgeneration_save = True

    class Params:
        signed = factory.Trait(
            status="signe",
            signed_at=factory.LazyFunction(timezone.now),
            signed_by=factory.SelfAttribute("signatory"),
            signed_ip="203.0.113.7",
            signed_user_agent="Mozilla/5.0 (tests)",
            document_sha256=factory.LazyAttribute(lambda mandate: _sha256(mandate.document_html)),
        )
        cancelled = factory.Trait(status="annule", cancelled_at=factory.LazyFunction(timezone.now))

    structure = factory.SubFactory(StructureFactory)
    signatory = factory.SubFactory(SupplierFactory)
    status = "genere"
    generated_at = factory.LazyFunction(timezone.now)
    template_version = factory.LazyFunction(lambda: _mandate_texts().CURRENT_VERSION)
    document_html = factory.LazyAttribute(
        lambda mandate: _mandate_texts().render_document(
            structure=mandate.structure, signatory=mandate.signatory, generated_at=mandate.generated_at
        )
    )

    @factory.post_generation
    def main_manager(mandate, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        from structures.models import Membership

        has_manager = Membership.objects.filter(structure=mandate.structure, role="gestionnaire_principal").exists()
        Membership.objects.get_or_create(
            user=mandate.signatory,
            structure=mandate.structure,
            defaults={"role": "utilisateur" if has_manager else "gestionnaire_principal"},
        )


def _mandate_texts():
    from mandates import texts

    return texts


def _sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
