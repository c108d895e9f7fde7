import pytest
from django.utils import formats, timezone, translation

from mandates import services, texts
from tests.structures.factories import MainManagerFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "expected", "unexpected"),
    [
        (
            "en",
            [
                '<article class="mandate-document" lang="en">',
                "Billing mandate",
                "Mandate template, version 2026-01",
                "(Paris time)",
                "Identifier (EU VAT number (European Union outside France))</dt><dd>DE136695976",
                "Berlin<br>Germany",
                "<dt>Capacity</dt><dd>Main manager of the structure</dd>",
                "Article 289, I-2 of the French General Tax Code",
                "clicking “Sign the mandate”",
            ],
            ["Mandat de facturation", "Objet", "heure de Paris", "Allemagne", "mandant"],
        ),
        (
            "fr",
            [
                '<article class="mandate-document" lang="fr">',
                "Mandat de facturation",
                "Modèle de mandat, version 2026-01",
                "(heure de Paris)",
                "Identifiant (TVA intracommunautaire (Union européenne hors France))</dt><dd>DE136695976",
                "Berlin<br>Allemagne",
                "article 289, I-2 du code général des impôts",
                "en cliquant sur « Signer le mandat »",
            ],
            ["Billing mandate", "Paris time", "Germany"],
        ),
    ],
)
def test_the_mandate_text_is_in_the_signatorys_language(language, expected, unexpected):
    membership = MainManagerFactory(
        user__first_name="Anna",
        user__last_name="Schmidt",
        user__language=language,
        structure__raison_sociale="Schreinerei Schmidt GmbH",
        structure__identifier_type="tva_ue",
        structure__identifier="DE136695976",
        structure__postcode="10115",
        structure__city="Berlin",
        structure__country="DE",
    )
    # Whatever the language of the request that generates it (a staff member in French, say).
    other = "fr" if language == "en" else "en"
    with translation.override(other):
        mandate = services.generate_mandate(membership.structure, membership.user, notify=False)

    html = mandate.document_html
    for text in expected:
        assert text in html
    for text in unexpected:
        assert text not in html
    assert "Schreinerei Schmidt GmbH" in html
    assert "<dd>Anna Schmidt</dd>" in html
    with translation.override(language):
        generated_on = formats.date_format(timezone.localtime(mandate.generated_at, texts.PARIS), "j F Y")
    assert generated_on in html
    # What was shown is what is stored and fingerprinted: rendering again gives the same bytes.
    assert html == texts.render_document(
        structure=membership.structure, signatory=membership.user, generated_at=mandate.generated_at
    )
