"""The slot step, date first (issue 18 §2, §3; ux-review D4, D5, D9, D15, D16; bug-hunt #3).

Pages from ``bookgen serve``, the API answered inside Chromium (clicrdv_route.py), so the
free days and times are shaped per test and every availability request is counted.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser import test_runtime as runtime
from tests.browser.clicrdv_route import ClicRDVRoute
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_display import spaced
from tests.browser.test_runtime import EN, local_today, set_group, to_slots
from tests.servekit import running

api = runtime.api  # the same fixtures as test_runtime.py
spa = runtime.spa


def every(minutes: int, count: int, start: int = 8 * 60) -> tuple[str, ...]:
    return tuple(f"{(start + i * minutes) // 60:02}:{(start + i * minutes) % 60:02}:00" for i in range(count))


def availability_requests(api: ClicRDVRoute) -> int:
    return len([s for s in api.sent if s.path.endswith("availabletimeslots")])


def test_days_without_free_time_are_disabled_and_the_grid_opens_on_first_slot(spa, page, api) -> None:
    api.first_free = api.today + timedelta(days=3)
    spa()
    to_slots(page)
    dates = page.locator(".dates .date")
    assert dates.count() == 28
    assert [dates.nth(i).is_disabled() for i in range(4)] == [True, True, True, False]
    assert page.locator(".date[aria-pressed=true]").get_attribute("data-date") == str(api.first_free)


def test_only_the_chosen_days_times_are_shown_grouped_by_part_of_day(spa, page, api) -> None:
    spa()
    to_slots(page)
    today = api.today
    assert {s[:10] for s in page.locator(".slot").evaluate_all("b => b.map(x => x.dataset.slot)")} == {str(today)}
    assert page.locator(".slot-day h4").all_inner_texts() == [EN["morning"], EN["afternoon"]]
    other = today + timedelta(days=5)
    page.click(f".date[data-date='{other}']")
    starts = page.locator(".slot").evaluate_all("b => b.map(x => x.dataset.slot)")
    assert starts == [f"{other} 10:00:00", f"{other} 11:00:00", f"{other} 14:30:00"]
    assert availability_requests(api) == 1  # one request covers the four weeks
    assert f"day={other}" in page.url


def test_evening_times_get_their_own_group(spa, page, api) -> None:
    api.hours = ("11:45:00", "12:00:00", "17:45:00", "18:00:00")
    spa()
    to_slots(page)
    groups = page.locator(".slot-day")
    assert groups.locator("h4").all_inner_texts() == [EN["morning"], EN["afternoon"], EN["evening"]]
    assert [groups.nth(i).locator(".slot").count() for i in range(3)] == [1, 2, 1]


def test_reload_keeps_the_chosen_day(spa, page, api) -> None:
    spa()
    to_slots(page)
    other = api.today + timedelta(days=9)
    page.click(f".date[data-date='{other}']")
    page.reload()
    page.wait_for_selector(".slot")
    assert page.locator(".slot").first.get_attribute("data-slot").startswith(str(other))


def test_later_dates_asks_for_the_next_four_weeks(spa, page, api) -> None:
    spa()
    to_slots(page)
    page.click(f".slot-nav .button:text('{EN['later']}')")
    page.wait_for_selector(f".date[data-date='{api.today + timedelta(days=28)}']")
    assert api.sent[-1].query["start"] == [f"{api.today + timedelta(days=28)} 00:00:00"]
    assert api.sent[-1].query["end"] == [f"{api.today + timedelta(days=55)} 23:59:59"]


@pytest.mark.parametrize(("count", "shown", "more"), [(40, 40, False), (41, 40, True)])
def test_at_most_40_time_buttons_at_once(spa, page, api, count: int, shown: int, more: bool) -> None:
    api.hours = every(15, count, start=6 * 60)
    spa()
    to_slots(page)
    assert page.locator(".slot").count() == shown
    later = page.locator(f".slot-times .button:text('{EN['more']}')")
    assert later.count() == int(more)
    if more:
        later.click()
        assert page.locator(".slot").count() == count - 40
        assert page.locator(f".slot-times .button:text('{EN['fewer']}')").count() == 1


def test_each_times_accessible_name_includes_its_date(spa, page, api) -> None:
    spa()
    to_slots(page)
    name = page.locator(".slot").first.get_attribute("aria-label")
    weekday = api.today.strftime("%A")
    assert weekday in name and api.today.strftime("%B") in name and "10:00" in name


def test_the_slot_step_repeats_the_chosen_service_and_person(spa, page, api) -> None:
    spa()
    to_slots(page)
    chosen = page.locator(".chosen").inner_text()
    assert "Massage relaxant" in chosen and "Alice" in chosen


@pytest.mark.parametrize(("rails", "visitor"), [("Kolkata", "Asia/Kolkata"), ("Kolkata", "Asia/Calcutta"),
                                                 ("Buenos Aires", "America/Buenos_Aires"),
                                                 ("Bern", "Europe/Zurich")])
def test_same_offset_zones_show_one_time(minisite, browser, rails: str, visitor: str) -> None:
    set_group(minisite, timezone=rails, validateEmail=False)
    context = browser.new_context(timezone_id=visitor)
    page = context.new_page()
    route = ClicRDVRoute(today=local_today("Asia/Kolkata"))
    route.first_free = route.today + timedelta(days=2)  # clear of "today" in any of these zones
    with running(minisite) as (server, _):
        route.install(page)
        page.goto(f"http://127.0.0.1:{server.port}/spa/en/")
        to_slots(page)
        assert page.locator(".slot-mine").count() == 0
    context.close()


def test_a_different_zone_shows_the_visitors_time_with_date_and_zone_name(minisite, browser) -> None:
    set_group(minisite, validateEmail=False)  # Europe/Paris
    context = browser.new_context(timezone_id="Asia/Tokyo", locale="en-US")
    page = context.new_page()
    route = ClicRDVRoute(today=local_today("Europe/Paris"))
    route.hours = ("20:00:00",)
    with running(minisite) as (server, _):
        route.install(page)
        page.goto(f"http://127.0.0.1:{server.port}/spa/en/")
        to_slots(page)
        slot = page.locator(".slot").first
        paris = datetime.strptime(slot.get_attribute("data-slot"), "%Y-%m-%d %H:%M:%S").replace(
            tzinfo=ZoneInfo("Europe/Paris"))
        tokyo = paris.astimezone(ZoneInfo("Asia/Tokyo"))
        mine = spaced(slot.locator(".slot-mine").inner_text())
        # 20:00 in Paris is the next day in Tokyo: its weekday and time on the button, the zone
        # named once above the buttons, and all of it (with the date) in the button's name.
        assert mine == f"{tokyo:%a} {tokyo.hour % 12 or 12}:00 AM"
        assert page.locator(".slot-legend").inner_text() == "GMT+9 your time"
        expected = f"{tokyo:%a, %b} {tokyo.day}, {tokyo.hour % 12 or 12}:00 AM GMT+9 your time"
        assert expected in spaced(slot.get_attribute("aria-label"))
    context.close()


@pytest.mark.parametrize("locale", ["fr", "ar"])
def test_slot_step_fits_two_phone_screens_without_horizontal_scroll_or_axe_violations(minisite, browser,
                                                                                        locale: str) -> None:
    config = (minisite / "site.toml").read_text("utf-8")
    (minisite / "site.toml").write_text(config.replace('locales = ["fr", "en"]', 'locales = ["fr", "en", "ar"]'))
    set_group(minisite, validateEmail=False)
    route = ClicRDVRoute(today=local_today("Europe/Paris"))
    route.hours = every(15, 40)  # a full day: 40 buttons
    for width, height in ((375, 667), (320, 640)):
        context = browser.new_context(viewport={"width": width, "height": height}, timezone_id="Europe/Paris")
        page = context.new_page()
        with running(minisite) as (server, _):
            route.install(page)
            page.goto(f"http://127.0.0.1:{server.port}/spa/{locale}/")
            to_slots(page)
            assert page.locator(".slot").count() == 40
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            if width == 375:
                # From the step's title to its last button: about two screens at most.
                top = page.locator("#slot-title").bounding_box()["y"]
                bottom = page.locator(".flow-app .back").bounding_box()
                page.screenshot(path=str(SCREENSHOTS / f"slots-{locale}-{width}.png"), full_page=True)
                assert bottom["y"] + bottom["height"] - top <= 2 * height
                violations = [v["id"] for v in Axe().run(page).response["violations"]
                              if v["impact"] in ("serious", "critical")]
                assert violations == []
        context.close()
