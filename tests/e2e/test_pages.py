"""Every supplier page of tests/e2e/tour.py at 320 px, in French and in English: axe-core finds no
WCAG 2.1 A/AA violation, and nothing is wider than the screen."""

import pytest

from tests.e2e.tour import Tour

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def open_site(settings):
    settings.RATELIMIT_ENABLE = False  # a whole tour comes from one address


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_page_fits_320_px_and_passes_axe(journey_factory, open_site, language):
    journey = journey_factory(
        f"pages-320px-{language}",
        viewport={"width": 320, "height": 800},
        locale="en-GB" if language == "en" else "fr-FR",
        is_mobile=True,
        has_touch=True,
    )
    Tour(journey.page, journey.base, journey.check, language=language).run()
    assert len(journey.pages_checked) >= 50
    journey.report()
