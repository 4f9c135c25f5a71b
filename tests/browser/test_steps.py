"""Every step of a booking at 375x667, every built-in theme, fr and ar (issue 18 "Done when"
and budgets): no serious or critical axe violation (the display toggles both ways included),
each step at most two screens high, no horizontal scroll, no button whose content overflows.

The fixture site built once per theme (test_pages.py), served statically; the API answered
inside Chromium (clicrdv_route.py); the visitor in Asia/Tokyo, so every time also shows the
visitor's (the tallest slot step) and the zone switch is offered. Screenshots of each step
land in ./screenshots/steps/ for people to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

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


# The visitor's time on each time button (after its weekday) and on the summary and the
# confirmation (before `legend`, its zone's name), measured with DOM ranges: [its text, lines of
# that time, lines of the whole] (issue 18: it wrapped onto several lines at 375 px). Lines are
# counted from the boxes' heights, as an Arabic and a Latin run on one line have different tops.
VISITOR_TIMES = """(legend) => {
  const lines = (node, from, to) => {
    const range = document.createRange();
    range.setStart(node, from);
    range.setEnd(node, to);
    let count = 0, bottom = -Infinity;
    for (const box of [...range.getClientRects()].sort((a, b) => a.top - b.top)) {
      if (box.top >= bottom - 1) count++;
      bottom = Math.max(bottom, box.bottom);
    }
    return count;
  };
  const found = [];
  const walker = document.createTreeWalker(document.querySelector('.flow-app'), NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode());) {
    const text = node.data, button = node.parentElement.closest('.slot-mine');
    const end = button ? text.length : legend ? text.indexOf(' ' + legend) : -1;
    if (end > 0) found.push([text, lines(node, button ? text.indexOf(' ') + 1 : 0, end), lines(node, 0, text.length)]);
  }
  return found;
}"""


@contextmanager
def walk(themed_builds, serve_dir, browser, theme: str, locale: str,  # noqa: F811
         kind: str, toggle: bool = True, zone: str = "Asia/Tokyo",
         weekday: int | None = None) -> Iterator[tuple[Page, Iterator[str]]]:
    """Book on the spa's `kind` page at 375 px from `zone`: yields each step's name with the step on
    screen; with `toggle`, the slot step once more with both display toggles pressed (kept to the end).
    The first free day is tomorrow, or the first `weekday` (0 = Monday) after it."""
    server = serve_dir(themed_builds[theme])
    route = ClicRDVRoute(today=local_today("Europe/Paris"), hours=HOURS)
    route.first_free = route.today + timedelta(days=1)  # a full day, whatever the hour now
    while weekday is not None and route.first_free.weekday() != weekday:
        route.first_free += timedelta(days=1)
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, timezone_id=zone)
    page = context.new_page()
    route.install(page)

    def steps() -> Iterator[str]:
        page.goto(f"{server.url}/spa/{locale}/{kind}")
        page.wait_for_selector(".is-enhanced")
        yield "1-service"
        page.click("[data-service='100'] button")
        page.wait_for_selector("[data-step=calendar]:not([hidden])")
        yield "2-calendar"
        page.click("[data-calendar='10'] button")
        page.wait_for_selector(".slot")
        assert page.locator(".slot").count() == len(HOURS)
        yield "3-slot"
        if toggle:
            for n in range(2):  # the visitor's zone first, then the other clock: both toggles pressed
                page.locator(".display .toggle").nth(n).click()
            assert page.locator(".display .toggle[aria-pressed=true]").count() >= 1
            yield "3-slot-toggled"
        page.locator(".slot").first.click()
        page.wait_for_selector("input[name=firstname]")
        yield "4-details"
        for field, value in FICHE.items():
            page.fill(f"input[name={field}]", value)
        page.click("form > .button-primary")
        page.wait_for_selector(".done .add-calendar")
        yield "5-done"

    try:
        yield page, steps()
    finally:
        context.close()


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("locale", ["fr", "ar"])
@pytest.mark.parametrize("kind", ["index.html", "widget.html"])
def test_every_step_at_375px_fits_two_screens_without_serious_axe_violations(
    themed_builds, serve_dir, browser, theme: str, locale: str, kind: str  # noqa: F811
) -> None:
    with walk(themed_builds, serve_dir, browser, theme, locale, kind) as (page, steps):
        for step in steps:
            check(page, f"{theme} {locale} {kind.removesuffix('.html')} {step}", kind)


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("locale", ["fr", "ar"])
def test_the_visitors_time_keeps_its_time_on_one_line_and_takes_at_most_two_at_375px(
    themed_builds, serve_dir, browser, theme: str, locale: str  # noqa: F811
) -> None:
    legend = None
    # From New York (as ux-review booked Eden Spa), on a Wednesday: "الأربعاء 10:00 ص" is the
    # widest of the visitor's times on a button.
    with walk(themed_builds, serve_dir, browser, theme, locale, "index.html", toggle=False,
              zone="America/New_York", weekday=2) as (page, steps):
        for step in steps:
            if step == "3-slot":
                legend = page.locator(".slot-legend").inner_text()
            found = page.evaluate(VISITOR_TIMES, legend)
            # Every time button carries the visitor's time (New York is never Paris's offset);
            # the summary and the confirmation once each.
            assert len(found) == (len(HOURS) if step == "3-slot" else int(step > "3")), (step, found)
            for text, time_lines, all_lines in found:
                assert time_lines == 1, f"{theme} {locale} {step}: the time in {text!r} is broken"
                assert all_lines <= 2, f"{theme} {locale} {step}: {text!r} takes {all_lines} lines"
