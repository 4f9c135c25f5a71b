"""How times are displayed (issue 18 §3, §5): the zone switch, the 12/24 h toggle, the Arabic
"service · with whom" line and time buttons at 375 px, in Debian Chromium.

Pages from ``bookgen serve`` over the fixture site; the API answered inside Chromium
(clicrdv_route.py); the visitor's zone is the browser context's ``timezone_id``.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel import Locale

from generator.render.context import locale_messages
from tests.browser.clicrdv_route import ClicRDVRoute
from tests.browser.test_runtime import (
    FICHE,
    confirm,
    fill_details,
    local_today,
    pick,
    set_group,
    sign_in,
    to_slots,
)
from tests.servekit import running

EN = locale_messages("en")


@contextmanager
def opened(site: Path, browser, locale: str = "en", zone: str = "Asia/Tokyo", hours: tuple[str, ...] = ("20:00:00",),
           width: int = 1280, **context):
    """The spa page (Europe/Paris) in `locale`, seen from `zone`, on its slot step."""
    config = (site / "site.toml").read_text("utf-8")
    (site / "site.toml").write_text(config.replace('locales = ["fr", "en"]', 'locales = ["fr", "en", "ar"]'))
    set_group(site, validateEmail=False)
    route = ClicRDVRoute(today=local_today("Europe/Paris"), hours=hours)
    ctx = browser.new_context(timezone_id=zone, viewport={"width": width, "height": 667 if width < 500 else 800},
                              **context)
    page = ctx.new_page()
    try:
        with running(site) as (server, _):
            route.install(page)
            page.goto(f"http://127.0.0.1:{server.port}/spa/{locale}/")
            to_slots(page)
            yield page
    finally:
        ctx.close()


def paris(slot: str) -> datetime:
    return datetime.strptime(slot, "%Y-%m-%d %H:%M:%S").replace(tzinfo=ZoneInfo("Europe/Paris"))


def spaced(label: str) -> str:
    """Intl's narrow no-break space and the visitor's time's no-break spaces read as spaces."""
    return label.replace("\u202f", " ").replace("\u00a0", " ")


def text(locator) -> str:
    return spaced(locator.inner_text())


def test_the_zone_switch_shows_the_visitors_time_first_through_summary_and_confirmation(minisite, browser) -> None:
    with opened(minisite, browser) as page:
        toggle = page.get_by_role("button", name=EN["show_mine"])
        assert toggle.get_attribute("aria-pressed") == "false"
        slot = page.locator(".slot").first
        start = paris(slot.get_attribute("data-slot"))
        tokyo = start.astimezone(ZoneInfo("Asia/Tokyo"))
        assert text(slot.locator(".slot-time")) == "8:00 PM"
        assert text(slot.locator(".slot-mine")) == f"{tokyo:%a} 4:00 AM"
        assert text(page.locator(".slot-legend")) == "GMT+9 your time"
        toggle.click()
        assert toggle.get_attribute("aria-pressed") == "true"
        assert page.evaluate("document.activeElement.textContent").endswith(EN["show_mine"])
        # 20:00 in Paris is 04:00 the next day in Tokyo: the weekday says so; Paris stays beside it.
        assert text(slot.locator(".slot-time")) == f"{tokyo:%a} 4:00 AM"
        assert text(slot.locator(".slot-mine")) == f"{start:%a} 8:00 PM"
        assert text(page.locator(".slot-legend")) == "GMT+1 business time"
        assert page.locator(".zone").inner_text() == "Japan Standard Time"
        name = spaced(slot.get_attribute("aria-label"))
        assert f"{tokyo:%a} 4:00 AM, {start:%a, %b} {start.day}, 8:00 PM GMT+1 business time" in name
        pick(page)
        summary = text(page.locator(".summary"))
        assert f"{tokyo:%A, %B} {tokyo.day}, {tokyo.year} at 4:00 AM (Japan Standard Time)" in summary
        assert "8:00 PM GMT+1 business time" in summary
        fill_details(page, FICHE)
        confirm(page)
        when = text(page.locator(".facts dd").nth(1))
        assert when.startswith(f"{tokyo:%A, %B} {tokyo.day}, {tokyo.year} at 4:00 AM (Japan Standard Time)")
        assert when.endswith("8:00 PM GMT+1 business time")
        # Kept for the tab: a new booking's slot step opens with the visitor's zone first.
        page.click(f"text={EN['another']}")
        to_slots(page)
        assert page.get_by_role("button", name=EN["show_mine"]).get_attribute("aria-pressed") == "true"
        again = paris(page.locator(".slot").first.get_attribute("data-slot")).astimezone(ZoneInfo("Asia/Tokyo"))
        assert text(page.locator(".slot-time").first) == f"{again:%a} 4:00 AM"


def test_switching_back_shows_the_business_time_first_again(minisite, browser) -> None:
    with opened(minisite, browser) as page:
        toggle = page.get_by_role("button", name=EN["show_mine"])
        toggle.click()
        toggle.click()
        assert toggle.get_attribute("aria-pressed") == "false"
        assert text(page.locator(".slot-time").first) == "8:00 PM"
        assert page.locator(".zone").inner_text() == "Central European Time"


@pytest.mark.parametrize("zone", ["Europe/Paris", "Europe/Berlin"])  # Berlin: another name, the same offset
def test_no_zone_switch_when_the_visitor_has_the_businesss_offset(minisite, browser, zone: str) -> None:
    with opened(minisite, browser, zone=zone) as page:
        assert page.get_by_role("button", name=EN["show_mine"]).count() == 0
        assert page.get_by_role("button", name=EN["h24"]).count() == 1


@pytest.mark.parametrize(("locale", "default", "flipped"), [("en", "3:00 PM", "15:00"), ("fr", "15:00", "3:00 PM")])
def test_the_clock_follows_the_locale_and_the_toggle_flips_buttons_and_names(minisite, browser, locale: str,
                                                                           default: str, flipped: str) -> None:
    name = locale_messages(locale)["h24"]
    with opened(minisite, browser, locale=locale, zone="Europe/Paris", hours=("15:00:00",)) as page:
        slot = page.locator(".slot").first
        toggle = page.get_by_role("button", name=name)
        assert toggle.get_attribute("aria-pressed") == str(locale == "fr").lower()
        assert text(slot) == default and default in spaced(slot.get_attribute("aria-label"))
        toggle.click()
        assert toggle.get_attribute("aria-pressed") == str(locale != "fr").lower()
        assert text(slot) == flipped
        assert flipped in spaced(slot.get_attribute("aria-label"))
        assert default not in spaced(slot.get_attribute("aria-label"))
        # Remembered in the flow: the summary uses the same clock.
        pick(page)
        assert flipped in text(page.locator(".summary"))


# The right edge of the service name, of "with" and of the calendar's name, in page pixels.
EDGES = """() => {
  const line = document.querySelector(".chosen");
  const [service, withWhom] = line.querySelectorAll(":scope > bdi");
  const name = withWhom.querySelector("bdi");
  const word = document.createRange();
  word.selectNodeContents(withWhom.firstChild);
  return [service.getBoundingClientRect().right, word.getBoundingClientRect().right, name.getBoundingClientRect().right];
}"""


def test_the_arabic_service_and_person_line_reads_in_order(minisite, browser) -> None:
    with opened(minisite, browser, locale="ar", zone="Europe/Paris") as page:
        assert page.locator(".chosen").inner_text().startswith("Massage relaxant")
        service, with_word, person = page.evaluate(EDGES)
        # Right to left: the service, then "مع", then "Alice" (each isolated, none reordered).
        assert service > with_word > person


@pytest.mark.parametrize("locale", ["fr", "ar"])
@pytest.mark.parametrize("zone", ["Europe/Paris", "Asia/Tokyo", "America/New_York"])
def test_no_time_or_date_button_content_overflows_at_375px(minisite, browser, locale: str, zone: str) -> None:
    hours = tuple(f"{h:02}:{m:02}:00" for h in range(8, 20) for m in (0, 30))
    with opened(minisite, browser, locale=locale, zone=zone, hours=hours, width=375) as page:
        for pressed in (False, True):  # both zones first (or, in Paris, both clocks)
            over = page.evaluate("""() => [...document.querySelectorAll('.slot, .date, .toggle, .slot-nav .button')]
                .filter((b) => b.scrollWidth > b.clientWidth || b.scrollHeight > b.clientHeight + 1)
                .map((b) => b.textContent)""")
            assert over == [], f"overflowing at 375 px ({locale}, {zone}, toggled: {pressed})"
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
            page.click(".display .toggle >> nth=0")


def test_passed_steps_in_the_progress_list_are_buttons_back_to_them(minisite, browser) -> None:
    # ux-review D16: the progress list was text only; Back at the bottom was the only way back.
    with opened(minisite, browser, zone="Europe/Paris") as page:
        progress = page.locator(".progress")
        assert progress.locator("button").all_inner_texts() == ["Service", "With whom"]
        assert progress.locator("[aria-current=step] button").count() == 0
        progress.get_by_role("button", name="Service").click()
        page.wait_for_selector("[data-step=service]:not([hidden])")
        assert "step=service" in page.url
        assert progress.locator("button").count() == 0  # nothing passed on the first step


def test_parts_of_the_day_follow_the_zone_shown_first(minisite, browser) -> None:
    # 17:00 and 20:00 in Paris are 01:00 and 04:00 the next morning in Tokyo.
    with opened(minisite, browser, hours=("17:00:00", "20:00:00")) as page:
        assert page.locator(".slot-day h4").all_inner_texts() == [EN["afternoon"], EN["evening"]]
        page.get_by_role("button", name=EN["show_mine"]).click()
        assert page.locator(".slot-day h4").all_inner_texts() == [EN["morning"]]
        assert page.locator(".slot").count() == 2


def test_a_signed_in_client_stays_signed_in_after_reloading_the_slot_step(minisite, browser) -> None:
    # ux-review D16: sign-in was kept only in memory, so a reload of the slot step asked again.
    set_group(minisite, openData=False, validateEmail=True)
    route = ClicRDVRoute(today=local_today("Europe/Paris"), accounts={"ada@example.com": "s3cret"})
    context = browser.new_context(timezone_id="Europe/Paris")
    page = context.new_page()
    with running(minisite) as (server, _):
        route.install(page)
        page.goto(f"http://127.0.0.1:{server.port}/spa/en/")
        page.click("[data-service='100'] button")
        page.click("[data-calendar='10'] button")
        sign_in(page, "ada@example.com", "s3cret")
        page.wait_for_selector(".slot")
        page.reload()
        page.wait_for_selector(".slot")
        assert page.locator("input[name=password]").count() == 0
        assert len(route.posts("sessions/login")) == 1
    context.close()


@pytest.mark.parametrize("locale", ["en", "fr", "ar"])
def test_a_group_in_utc_is_named_by_its_own_name_on_the_page_and_the_slot_step(minisite, browser, locale: str) -> None:
    # bug-hunt #7 (babel #1260): "timezone": "UTC" read "Unknown Region (UTC) Time". The name is
    # CLDR's own for Etc/UTC ("Coordinated Universal Time" in en), whatever the data version says.
    own = Locale.parse(locale).time_zones["Etc/UTC"]["long"]
    expected = own.get("generic", own.get("standard"))
    set_group(minisite, timezone="UTC")
    with opened(minisite, browser, locale=locale, zone="Africa/Abidjan") as page:  # UTC+0 all year
        assert page.locator(".zone").inner_text() == expected
        assert expected in page.locator(".facts").inner_text()
        assert "(UTC)" not in page.locator("body").inner_text()
