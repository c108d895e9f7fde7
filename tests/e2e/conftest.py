"""A real browser (Debian's chromium, driven by Playwright) against pytest-django's live server.

`make test` runs these tests. Without a browser they are skipped with the way to get one,
except in CI (CI=true), where a missing browser is a failure, never a silent skip.
"""

import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HOW_TO_GET_A_BROWSER = (
    "Browser tests need Debian's chromium and axe-core: `apt-get install chromium` "
    "(or set CHROMIUM_PATH) and `npm install` in the project folder."
)
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# The narrowest screen every page must fit (WCAG 1.4.10 reflow: 320 CSS px).
NARROWEST = 320
# The page's width, and the first elements reaching past the screen's right edge.
TOO_WIDE = """() => {
  const width = document.documentElement.clientWidth;
  const culprits = [...document.querySelectorAll("body *")]
    .filter(e => e.offsetParent !== null && e.getBoundingClientRect().right > width + 0.5)
    .slice(0, 5)
    .map(e => e.tagName.toLowerCase() + "." + e.className + " « " + (e.textContent || "").trim().slice(0, 40) + " »");
  return [document.documentElement.scrollWidth, culprits];
}"""

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are plain
# synchronous code all the same.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _missing():
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
        return f"no browser at {CHROMIUM}"
    if not AXE.exists():
        return "axe-core is not installed"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


@pytest.fixture(scope="session")
def browser():
    missing = _missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing}. {HOW_TO_GET_A_BROWSER}")
        pytest.skip(f"{missing}. {HOW_TO_GET_A_BROWSER}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


class Journey:
    """A page of the browser plus what the tests check on every page they visit."""

    def __init__(self, page, live_server, name):
        self.page = page
        self.base = live_server.url
        self.name = name
        self.csp_violations = []
        self.pages_checked = []
        self.axe_rules = 0
        self.narrowest = 0  # the widest page at 320 px
        self.started = time.monotonic()
        page.on("console", self._on_console)

    def _on_console(self, message):
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.csp_violations.append(message.text)

    def goto(self, path):
        self.page.goto(self.base + path)

    def check(self, label):
        """Screenshot the page, and run axe-core on it: no WCAG 2.1 A/AA violation allowed."""
        page = self.page
        page.wait_for_load_state("load")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", f"{self.name}-{len(self.pages_checked):02d}-{label}".lower())
        page.screenshot(path=str(SCREENSHOTS / f"{slug}.png"), full_page=True)
        # Evaluated through the DevTools protocol: the page's CSP (no inline script) still holds.
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
            WCAG_TAGS,
        )
        self.axe_rules = max(
            self.axe_rules,
            len(result["passes"]) + len(result["violations"]) + len(result["inapplicable"]) + len(result["incomplete"]),
        )
        violations = [
            {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"]
        ]
        assert violations == [], f"axe on {label} ({page.url}):\n{json.dumps(violations, indent=1, ensure_ascii=False)}"
        assert self.csp_violations == [], self.csp_violations
        self.check_width(label)
        self.pages_checked.append(label)

    def check_width(self, label, width=NARROWEST):
        """Nothing wider than a 320 px screen: the page is laid out again at that width (then back
        to the journey's own), and must not scroll sideways."""
        page = self.page
        size = page.viewport_size
        if size["width"] != width:
            page.set_viewport_size({"width": width, "height": size["height"]})
        try:
            scroll_width, culprits = page.evaluate(TOO_WIDE)
        finally:
            if size["width"] != width:
                page.set_viewport_size(size)
        self.narrowest = max(self.narrowest, scroll_width)
        assert scroll_width <= width, f"{label} ({page.url}) is {scroll_width} px wide at {width} px: {culprits}"

    def report(self):
        seconds = time.monotonic() - self.started
        line = (
            f"{self.name}: {len(self.pages_checked)} pages checked by axe ({self.axe_rules} rules), "
            f"widest at {NARROWEST} px: {self.narrowest} px, {seconds:.1f} s"
        )
        (SCREENSHOTS.parent / "journeys.txt").open("a", encoding="utf-8").write(line + "\n")
        print(line)


@pytest.fixture
def journey_factory(browser, live_server, request):
    contexts = []

    def make(name, **context_options):
        context_options.setdefault("locale", "fr-FR")
        context = browser.new_context(**context_options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return Journey(page, live_server, name)

    yield make
    for context in contexts:
        context.close()
