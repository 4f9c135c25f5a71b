"""The confirmation worth keeping (issue 18 §4; ux-review D2, D16), in Debian Chromium.

What, when (both zones when their offsets differ), where with a map link, with whom,
status, reference, phone, how to cancel or change, and an RFC 5545 file built in the
browser, with Google and Outlook links. The API is answered inside Chromium.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from playwright.sync_api import Page

from tests.browser import test_runtime as runtime
from tests.browser.clicrdv_route import ClicRDVRoute
from tests.browser.test_runtime import (
    EN,
    FICHE,
    confirm,
    fill_details,
    local_today,
    pick,
    set_group,
    to_slots,
)
from tests.browser.waiting import wait_js
from tests.servekit import running

api = runtime.api  # the same fixtures as test_runtime.py
spa = runtime.spa


def book(page) -> str:
    to_slots(page)
    start = pick(page)
    fill_details(page, FICHE)
    confirm(page)
    page.wait_for_selector(".done .add-calendar")
    return start


def calendar_file(page) -> str:
    href = page.locator(".add-calendar a[download]").get_attribute("href")
    prefix = "data:text/calendar;charset=utf-8,"
    assert href.startswith(prefix)
    return unquote(href[len(prefix):])


def unfold(text: str) -> dict[str, str]:
    assert text.endswith("\r\n") and not re.search("[\r\n]", text.replace("\r\n", ""))  # §3.1: CRLF only
    lines = text[:-2].split("\r\n")
    assert all(len(line.encode()) <= 75 for line in lines)
    return dict(line.split(":", 1) for line in text[:-2].replace("\r\n ", "").split("\r\n"))


def utc(start: str, minutes: int = 0) -> str:
    local = datetime.strptime(start, "%Y-%m-%d %H:%M:%S").replace(tzinfo=ZoneInfo("Europe/Paris"))
    return (local + timedelta(minutes=minutes)).astimezone(ZoneInfo("UTC")).strftime("%Y%m%dT%H%M%SZ")


def test_confirmation_repeats_what_when_where_with_whom_reference_and_how_to_change(spa, page, api) -> None:
    spa()
    book(page)
    done = page.locator(".done").inner_text()
    for fact in ("Massage relaxant", "1 hr", "€75.00", "With Alice", "Central European", "1 rue de la Paix, 75002 Paris",
                 "Reference: 701", EN["change"], "01 23 45 67 89", EN["done_title"], EN["done_ok"]):
        assert fact in done, fact
    assert EN["pending_title"] not in done and EN["done_verify"] not in done
    assert page.locator(".done a[href^='tel:']").get_attribute("href") == "tel:0123456789"
    assert "1%20rue%20de%20la%20Paix" in page.locator(f".done a:text('{EN['map']}')").get_attribute("href")


def test_the_calendar_file_is_rfc5545_with_utc_times_and_the_services_length(spa, page, api) -> None:
    spa()
    start = book(page)
    text = calendar_file(page)
    fields = unfold(text)
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and text.endswith("END:VEVENT\r\nEND:VCALENDAR\r\n")
    assert "\r\nBEGIN:VEVENT\r\n" in text
    assert fields["UID"].startswith("701-1@")
    assert fields["DTSTART"] == utc(start) and fields["DTEND"] == utc(start, 60)
    assert len(fields["DTSTAMP"]) == 16 and fields["DTSTAMP"].endswith("Z")
    assert fields["SUMMARY"] == "Massage relaxant — Test Spa"
    assert fields["LOCATION"] == "1 rue de la Paix\\, 75002 Paris"
    assert "With Alice\\nReference: 701" in fields["DESCRIPTION"]


def test_google_and_outlook_links_carry_the_same_event(spa, page, api) -> None:
    spa()
    start = book(page)
    google = parse_qs(urlsplit(page.locator(".add-calendar a:text('Google')").get_attribute("href")).query)
    assert google["action"] == ["TEMPLATE"] and google["dates"] == [f"{utc(start)}/{utc(start, 60)}"]
    assert google["location"] == ["1 rue de la Paix, 75002 Paris"]
    outlook = urlsplit(page.locator(".add-calendar a:text('Outlook')").get_attribute("href"))
    assert outlook.netloc == "outlook.live.com"
    fields = parse_qs(outlook.query)
    assert fields["subject"] == ["Massage relaxant — Test Spa"] and fields["location"] == google["location"]
    assert fields["body"] == google["details"]
    instants = [datetime.fromisoformat(fields[key][0]).strftime("%Y%m%dT%H%M%SZ") for key in ("startdt", "enddt")]
    assert instants == [utc(start), utc(start, 60)]


@contextmanager
def new_york_visitor(minisite, browser) -> Iterator[Page]:
    """The Paris spa's English page (validateEmail off) open in a New York browser."""
    set_group(minisite, validateEmail=False)
    context = browser.new_context(timezone_id="America/New_York", locale="en-US")
    page = context.new_page()
    route = ClicRDVRoute(today=local_today("Europe/Paris") + timedelta(days=1))
    try:
        with running(minisite) as (server, _):
            route.install(page)
            page.goto(f"http://127.0.0.1:{server.port}/spa/en/")
            yield page
    finally:
        context.close()


def test_a_visitor_in_another_zone_sees_both_times(minisite, browser) -> None:
    with new_york_visitor(minisite, browser) as page:
        book(page)
        when = page.locator(".done dd").nth(1).inner_text()
        assert "10:00" in when and "4:00" in when and "your time" in when


def test_waiting_for_email_verification_says_so_and_not_booked(spa, page, api) -> None:
    spa(validateEmail=True)
    book(page)
    done = page.locator(".done").inner_text()
    assert EN["pending_title"] in done and EN["done_verify"] in done
    assert EN["done_title"] not in done and "Reference" not in done
    # One appointment parked out of max_multirdvs (2 in the fixture): no limit is reached yet.
    assert EN["limit"] not in done


# Any text, with the line breaks an address or a note may carry (CRLF, LF, a lone CR).
TRICKY = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), include_characters="\r\n"),
                 min_size=1, max_size=200)


def unescape(value: str) -> str:
    """RFC 5545 §3.3.11 TEXT read back, escape by escape (a sequence of replace() calls misreads "\\\\n")."""
    assert not re.search(r"(?<!\\)(?:\\\\)*\\[^\\;,nN]", value), f"an unknown escape in {value!r}"
    assert not re.search(r"(?<!\\)(?:\\\\)*[;,]", value), f"a bare ; or , in {value!r}"
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], value)


@given(summary=TRICKY, location=TRICKY)
def test_calendar_text_is_escaped_and_folded_at_75_octets(confirmation_page, summary: str, location: str) -> None:
    text = confirmation_page.evaluate("([s, l]) => window.__ics({uid: 'u@x', start: 0, end: 6e4, summary: s,"
                                      " location: l, description: 'a;b,c\\nd'})", [summary, location])
    fields = unfold(text)
    lines = re.sub(r"\r\n?", "\n", summary), re.sub(r"\r\n?", "\n", location)
    assert (unescape(fields["SUMMARY"]), unescape(fields["LOCATION"])) == lines
    assert fields["DESCRIPTION"] == "a\\;b\\,c\\nd"


@pytest.fixture(scope="module")
def confirmation_page(browser, tmp_path_factory):
    """A page with done.js's `ics` exposed as window.__ics (the module, as shipped)."""
    from generator.render.static import static_bytes

    root = tmp_path_factory.mktemp("ics")
    (root / "done.js").write_bytes(static_bytes("done.js"))
    (root / "index.html").write_text('<script type="module">import {ics} from "./done.js"; window.__ics = ics;'
                                     ' document.title = "ready";</script>', "utf-8")
    from tests.browser.conftest import StaticServer

    server = StaticServer(root)
    page = browser.new_page()
    page.goto(server.url + "/index.html")
    wait_js(page, "document.title === 'ready'")
    yield page
    page.close()
    server.close()


def test_reload_keeps_the_full_confirmation(spa, page, api) -> None:
    spa()
    book(page)
    before = page.locator(".done").inner_text()
    page.reload()
    page.wait_for_selector(".done .add-calendar")
    assert page.locator(".done").inner_text() == before
    assert json.loads(page.evaluate("JSON.stringify(Object.keys(sessionStorage))"))


def test_the_summary_before_confirm_shows_the_same_facts(minisite, browser) -> None:
    with new_york_visitor(minisite, browser) as page:
        to_slots(page)
        pick(page)
        summary = page.locator(".summary").inner_text()
        for fact in ("Massage relaxant", "1 hr", "€75.00", "10:00", "4:00", "your time", "With Alice",
                     "1 rue de la Paix, 75002 Paris"):
            assert fact in summary, fact
