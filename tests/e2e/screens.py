"""`make screens`: a full-page screenshot of every supplier page (tests/e2e/tour.py) at 375 and
1280 px, in French and in English, written under screens/<language>-<width>/ (ignored by git);
and of the finance staff's admin (tests/e2e/admin_tour.py) at 1280 px, under
screens/admin-<language>-1280/.

Run by pytest, which starts the live server and the browser as for tests/e2e (same chromium,
same flags); this file is not collected by `make test` (its name does not start with test_).
Each page is also measured at 320 px: the command prints the pages wider than the screen.
"""

import re
import shutil

import pytest

from tests.e2e.admin_tour import AdminTour
from tests.e2e.conftest import NARROWEST, ROOT, TOO_WIDE
from tests.e2e.tour import Tour

pytestmark = pytest.mark.django_db(transaction=True)

SCREENS = ROOT / "screens"
WIDTHS = (375, 1280)


@pytest.fixture
def open_site(settings):
    settings.RATELIMIT_ENABLE = False  # a whole tour comes from one address, fast


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("width", WIDTHS)
def test_screens(browser, live_server, open_site, language, width):
    folder = SCREENS / f"{language}-{width}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    context = browser.new_context(
        viewport={"width": width, "height": 900},
        locale="en-GB" if language == "en" else "fr-FR",
        is_mobile=width < 500,
        has_touch=width < 500,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    shots, too_wide = [], []

    def shoot(name):
        page.wait_for_load_state("load")
        page.screenshot(path=str(folder / f"{len(shots):02d}-{name}.png"), full_page=True)
        shots.append(name)
        if width == WIDTHS[0]:
            page.set_viewport_size({"width": NARROWEST, "height": 900})
            scroll, culprits = page.evaluate(TOO_WIDE)
            page.set_viewport_size({"width": width, "height": 900})
            if scroll > NARROWEST:
                too_wide.append(f"{name}: {scroll} px ({'; '.join(culprits)})")

    def shoot_print(name):
        """The print stylesheet, as the page would be printed (A4 width)."""
        printed = SCREENS / f"{language}-print"
        printed.mkdir(exist_ok=True)
        page.emulate_media(media="print")
        page.set_viewport_size({"width": 794, "height": 1123})
        page.screenshot(path=str(printed / f"{name}.png"), full_page=True)
        page.set_viewport_size({"width": width, "height": 900})
        page.emulate_media(media="screen")

    if width == WIDTHS[-1]:
        shutil.rmtree(SCREENS / f"{language}-print", ignore_errors=True)
    try:
        Tour(
            page, live_server.url, shoot, language=language, shoot_print=shoot_print if width == WIDTHS[-1] else None
        ).run()
    finally:
        context.close()
    print(f"\n{folder.relative_to(ROOT)}: {len(shots)} pages")
    for line in too_wide:
        print(f"  wider than 320 px: {line}")

    assert all(re.fullmatch(r"[a-z0-9-]+", name) for name in shots)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_admin_screens(browser, live_server, open_site, language):
    folder = SCREENS / f"admin-{language}-1280"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-GB" if language == "en" else "fr-FR"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    shots = []

    def shoot(name):
        page.wait_for_load_state("load")
        page.screenshot(path=str(folder / f"{len(shots):02d}-{name}.png"), full_page=True)
        shots.append(name)

    try:
        AdminTour(page, live_server.url, shoot, language=language).run()
    finally:
        context.close()
    print(f"\n{folder.relative_to(ROOT)}: {len(shots)} pages")
