"""The finance staff's admin in a real browser at 1280 px (tests/e2e/admin_tour.py): axe-core finds
no WCAG 2.1 A/AA violation (the city's colours included), the Content-Security-Policy is never
violated, no page scrolls sideways, and every list fits its box: its statuses are on the screen."""

import json

import pytest

from tests.e2e.admin_tour import AdminTour
from tests.e2e.conftest import AXE, WCAG_TAGS

pytestmark = pytest.mark.django_db(transaction=True)

WIDTH = 1280
# The focused element's text, and whether it is inside the change form (its fields).
FOCUSED = "() => [document.activeElement.textContent.trim(), !!document.activeElement.closest('#bankaccount_form')]"
# The page's width; the list's width and its box's, when there is a list.
WIDTHS = """() => {
  const list = document.querySelector('#result_list');
  const box = document.querySelector('#changelist-form .results');
  return [document.documentElement.scrollWidth, list ? list.scrollWidth : 0, box ? box.clientWidth : 0];
}"""


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_admin_page_passes_axe_and_fits_1280_px(browser, live_server, settings, language):
    settings.RATELIMIT_ENABLE = False  # a whole tour comes from one address
    context = browser.new_context(
        viewport={"width": WIDTH, "height": 900}, locale="en-GB" if language == "en" else "fr-FR"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    csp_violations, checked = [], []
    page.on(
        "console",
        lambda message: csp_violations.append(message.text) if "Content Security Policy" in message.text else None,
    )

    def check(name):
        page.wait_for_load_state("load")
        # The page's own violations; axe-core's checks (run below) apply styles of their own.
        assert csp_violations == [], f"{name}: {csp_violations}"
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
            WCAG_TAGS,
        )
        violations = [
            {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"]
        ]
        assert violations == [], f"axe on {name} ({page.url}):\n{json.dumps(violations, indent=1, ensure_ascii=False)}"
        csp_violations.clear()
        page_width, list_width, box_width = page.evaluate(WIDTHS)
        assert page_width <= WIDTH, f"{name} is {page_width} px wide"
        assert list_width <= box_width, f"{name}: its list is {list_width} px wide in a box of {box_width} px"
        checked.append(name)

    try:
        AdminTour(page, live_server.url, check, language=language).run()
    finally:
        context.close()
    assert len(checked) >= 19


def test_the_decision_buttons_come_first_to_the_keyboard(browser, live_server, settings):
    """From the top of a pending bank details' page, Tab reaches « Valider », then « Rejeter
    (motif) », before any field of the page; Enter on « Valider » decides."""
    settings.RATELIMIT_ENABLE = False
    context = browser.new_context(viewport={"width": WIDTH, "height": 900}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    tour = AdminTour(page, live_server.url, lambda name: None)
    try:
        tour.make_data()
        tour.log_in()
        tour.goto(f"/admin/banking/bankaccount/{tour.pending.pk}/change/")
        reached = []
        for _ in range(40):
            page.keyboard.press("Tab")
            focused = page.evaluate(FOCUSED)
            reached.append(focused)
            if focused[0] == "Valider":
                break
        assert reached[-1] == ["Valider", False], reached
        assert not any(in_form for _text, in_form in reached)
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.textContent.trim()") == "Rejeter (motif)"
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Enter")
        page.wait_for_load_state("load")
        page.get_by_text("Coordonnées bancaires validées :").wait_for()
    finally:
        context.close()
