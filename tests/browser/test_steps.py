"""Every step of a booking at 375x667, every built-in theme, fr and ar (issue 18 "Done when"
and budgets): no serious or critical axe violation (the display toggles both ways included),
each step at most two screens high, no horizontal scroll, no button whose content overflows.

The fixture site built once per theme (test_pages.py), served statically; the API answered
inside Chromium (clicrdv_route.py); the visitor in Asia/Tokyo, so every time also shows the
visitor's (the tallest slot step) and the zone switch is offered. Screenshots of each step
land in ./screenshots/steps/ for people to look at.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.clicrdv_route import ClicRDVRoute
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_pages import THEMES, serious, themed_builds  # noqa: F401 (a fixture)
from tests.browser.test_runtime import FICHE, local_today

WIDTH, HEIGHT = 375, 667
# "No more than two screens of scrolling": the step itself (its title to its Back button)
# at most two viewport heights, plus the room of one line for fonts that differ by a pixel.
MOST = 2 * HEIGHT + 24
# A busy day: every half hour from 09:00 to 18:30, 20 times.
HOURS = tuple(f"{h:02}:{m:02}:00" for h in range(9, 19) for m in (0, 30))

# The step on screen: from its first visible part to its last (the flow without its progress list).
STEP_HEIGHT = """() => {
  const parts = [...document.querySelectorAll('.flow > :not(.progress)')].filter((el) => el.offsetParent)
    .map((el) => el.getBoundingClientRect());
  return Math.max(...parts.map((r) => r.bottom)) - Math.min(...parts.map((r) => r.top));
}"""
OVERFLOWING = """() => [...document.querySelectorAll('button, .button')]
  .filter((b) => b.offsetParent && b.scrollWidth > b.clientWidth + 1)
  .map((b) => b.textContent.trim())"""


def check(page, where: str, kind: str) -> None:
    shot = SCREENSHOTS / "steps" / f"{where.replace(' ', '-')}.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)
    assert serious(Axe().run(page)) == [], where
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH, where
    assert page.evaluate(OVERFLOWING) == [], where
    height = page.evaluate(STEP_HEIGHT)
    assert height <= MOST, f"{where}: the step is {height:.0f} px > {MOST}"


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("locale", ["fr", "ar"])
@pytest.mark.parametrize("kind", ["index.html", "widget.html"])
def test_every_step_at_375px_fits_two_screens_without_serious_axe_violations(
    themed_builds, serve_dir, browser, theme: str, locale: str, kind: str  # noqa: F811
) -> None:
    server = serve_dir(themed_builds[theme])
    route = ClicRDVRoute(today=local_today("Europe/Paris"), hours=HOURS)
    route.first_free = route.today + timedelta(days=1)  # a full day, whatever the hour now
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, timezone_id="Asia/Tokyo")
    page = context.new_page()
    route.install(page)
    page.goto(f"{server.url}/spa/{locale}/{kind}")
    page.wait_for_selector(".is-enhanced")
    name = f"{theme} {locale} {kind.removesuffix('.html')}"
    check(page, f"{name} 1-service", kind)
    page.click("[data-service='100'] button")
    page.wait_for_selector("[data-step=calendar]:not([hidden])")
    check(page, f"{name} 2-calendar", kind)
    page.click("[data-calendar='10'] button")
    page.wait_for_selector(".slot")
    assert page.locator(".slot").count() == len(HOURS)
    check(page, f"{name} 3-slot", kind)
    for toggle in range(2):  # the visitor's zone first, then the other clock: both toggles pressed
        page.locator(".display .toggle").nth(toggle).click()
    assert page.locator(".display .toggle[aria-pressed=true]").count() >= 1
    check(page, f"{name} 3-slot-toggled", kind)
    page.locator(".slot").first.click()
    page.wait_for_selector("input[name=firstname]")
    check(page, f"{name} 4-details", kind)
    for field, value in FICHE.items():
        page.fill(f"input[name={field}]", value)
    page.click("form > .button-primary")
    page.wait_for_selector(".done .add-calendar")
    check(page, f"{name} 5-done", kind)
    context.close()
