"""Booking for real in Debian Chromium: every calendarChoice, errors, sign-in, chains, RTL, timezones.

Pages and the sandbox API are served from one preview server, so the sandbox's
record of received payloads is checked field by field.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.servekit import running

FICHE = {"firstname": "Ada", "lastname": "Lovelace", "email": "ada@example.com", "phone": "+33 6 12 34 56 78"}


def set_group(site: Path, **changes) -> None:
    path = site / "groups" / "spa" / "group.json"
    data = json.loads(path.read_text("utf-8"))
    data["group"].update(changes)
    path.write_text(json.dumps(data), "utf-8")


def fill_details(page, fiche: dict[str, str] = FICHE) -> None:
    for name, value in fiche.items():
        page.fill(f"input[name={name}]", value)


def pick_first_slot(page) -> str:
    page.wait_for_selector(".slot")
    slot = page.locator(".slot").first.get_attribute("data-slot")
    page.locator(".slot").first.click()
    return slot


def confirm(page) -> None:
    page.locator("form .button-primary").click()
    page.wait_for_selector(".done")


def expected(slot: str, calendar, service: int = 100, fiche: dict[str, str] = FICHE, sms=True) -> dict:
    return {"appointment": {"date": slot, "calendar_id": calendar, "intervention_ids": [service],
                            "fiche": {**fiche, "sms_reminder": sms}}}


def test_calendar_choice_2_service_then_calendar_then_slot(minisite: Path, page) -> None:
    with running(minisite) as (server, _):
        page.goto(f"http://127.0.0.1:{server.port}/spa/en/")
        page.click("[data-service='101'] button")
        # Only calendars offering the chosen service remain (both offer 101).
        page.click("[data-calendar='11'] button")
        slot = pick_first_slot(page)
        fill_details(page)
        confirm(page)
        assert server.sandbox.received == [expected(slot, "11", 101)]
        assert "Check your email" in page.locator(".done").inner_text()


def test_calendar_choice_1_calendar_first_filters_services(minisite: Path, page) -> None:
    set_group(minisite, calendarChoice=1)
    with running(minisite) as (server, _):
        page.goto(f"http://127.0.0.1:{server.port}/spa/en/")
        page.click("[data-calendar='11'] button")  # Bruno offers 101 and 102, not 100
        assert page.locator("[data-service='100']").is_hidden()
        assert page.locator("[data-service='102']").is_visible()
        page.click("[data-service='102'] button")
        slot = pick_first_slot(page)
        fill_details(page)
        confirm(page)
        assert server.sandbox.received == [expected(slot, "11", 102)]


def test_calendar_choice_0_has_no_calendar_step_and_sends_an_empty_calendar(minisite: Path, page) -> None:
    set_group(minisite, calendarChoice=0)
    with running(minisite) as (server, _):
        page.goto(f"http://127.0.0.1:{server.port}/spa/en/")
        page.click("[data-service='100'] button")
        slot = pick_first_slot(page)
        fill_details(page)
        confirm(page)
        assert server.sandbox.received == [expected(slot, "", 100)]
        assert "calendar" not in page.locator(".progress").inner_text().lower()


def test_no_preference_sends_an_empty_calendar_id(minisite: Path, page) -> None:
    with running(minisite) as (server, _):
        page.goto(f"http://127.0.0.1:{server.port}/spa/en/")
        page.click("[data-service='100'] button")
        page.click("[data-calendar=''] button")
        slot = pick_first_slot(page)
        fill_details(page)
        confirm(page)
        assert server.sandbox.received[0]["appointment"]["calendar_id"] == ""
        assert server.sandbox.received[0]["appointment"]["date"] == slot


def test_booking_with_the_keyboard_only(minisite: Path, page) -> None:
    with running(minisite) as (server, _):
        page.goto(f"http://127.0.0.1:{server.port}/spa/en/")
        page.locator("[data-service='100'] button").focus()
        page.keyboard.press("Enter")
        # Focus moves to the new step's heading (the step renders on the next frame).
        page.wait_for_function("document.activeElement.tagName === 'H2'", timeout=5000)
        page.locator("[data-calendar='10'] button").focus()
        page.keyboard.press("Enter")
        page.wait_for_selector(".slot")
        page.locator(".slot").first.focus()
        page.keyboard.press("Enter")
        page.wait_for_selector("input[name=firstname]")
        page.locator("input[name=firstname]").focus()
        for value in FICHE.values():
            page.keyboard.press("Control+a")
            page.keyboard.type(value)
            page.keyboard.press("Tab")
        page.keyboard.press("Tab")  # past the SMS checkbox, onto "Confirm"
        page.keyboard.press("Enter")
        page.wait_for_selector(".done")
        assert len(server.sandbox.received) == 1


def test_a_slot_taken_meanwhile_shows_a_message_and_fresh_slots(minisite: Path, page) -> None:
    with running(minisite) as (server, _):
        page.goto(f"http://127.0.0.1:{server.port}/spa/en/")
        page.click("[data-service='100'] button")
        page.click("[data-calendar='10'] button")
        slot = pick_first_slot(page)
        fill_details(page)
        # Someone else books the same time first.
        status, _, _ = server.sandbox.handle("POST", "/groups/1/appointments", {},
                                             json.dumps(expected(slot, 10)).encode())
        assert status == 201
        page.locator("form .button-primary").click()
        page.wait_for_selector("[role=alert]")
        assert "just been taken" in page.locator("[role=alert]").inner_text()
        page.wait_for_selector(".slot")
        assert page.locator(f".slot[data-slot='{slot}']").count() == 0


def test_api_down_offers_retry_and_the_hosted_module(minisite: Path, page) -> None:
    with running(minisite) as (server, _):
        page.route("**/api/v1/**", lambda route: route.abort())
        page.goto(f"http://127.0.0.1:{server.port}/spa/en/")
        page.click("[data-service='100'] button")
        page.click("[data-calendar='10'] button")
        alert = page.locator("[role=alert]")
        alert.wait_for()
        assert "cannot be reached" in alert.inner_text()
        assert alert.locator("a").get_attribute("href") == "https://www.clicrdv.com/test-spa"
        page.unroute("**/api/v1/**")
        alert.locator("button").click()
        page.wait_for_selector(".slot")


@pytest.mark.parametrize(("validate", "message"), [(True, "Check your email"), (False, "confirmation has been sent")])
def test_confirmation_follows_validate_email(minisite: Path, page, validate: bool, message: str) -> None:
    set_group(minisite, validateEmail=validate)
    with running(minisite) as (server, _):
        page.goto(f"http://127.0.0.1:{server.port}/spa/en/")
        page.click("[data-service='100'] button")
        page.click("[data-calendar='10'] button")
        pick_first_slot(page)
        fill_details(page)
        confirm(page)
        assert message in page.locator(".done").inner_text()


def test_max_multirdvs_3_chains_three_appointments_then_stops(minisite: Path, page) -> None:
    set_group(minisite, max_multirdvs=3)
    with running(minisite) as (server, _):
        page.goto(f"http://127.0.0.1:{server.port}/spa/en/")
        for round_ in range(3):
            page.click("[data-service='100'] button")
            page.click("[data-calendar='10'] button")
            pick_first_slot(page)
            if round_ == 0:
                fill_details(page)
            else:  # the client's details are remembered between appointments
                assert page.input_value("input[name=email]") == FICHE["email"]
            confirm(page)
            if round_ < 2:
                page.click(".done .button-primary")
        assert len(server.sandbox.received) == 3
        assert len({r["appointment"]["date"] for r in server.sandbox.received}) == 3
        assert page.locator(".done .button-primary").count() == 0
        assert "as many appointments as allowed" in page.locator(".done").inner_text()


def test_open_data_false_signs_in_before_showing_slots(minisite: Path, page) -> None:
    set_group(minisite, openData=False)
    with running(minisite) as (server, _):
        page.goto(f"http://127.0.0.1:{server.port}/spa/en/")
        page.click("[data-service='100'] button")
        page.click("[data-calendar='10'] button")
        assert page.locator(".slot").count() == 0
        page.fill("input[name=email]", "unknown@example.com")
        page.click("form .button-primary")
        page.wait_for_selector("[aria-invalid=true]")
        page.fill("input[name=email]", FICHE["email"])
        page.click("form .button-primary")
        pick_first_slot(page)
        assert page.input_value("input[name=email]") == FICHE["email"]
        fill_details(page)
        confirm(page)
        assert len(server.sandbox.received) == 1


def test_booking_in_a_right_to_left_locale(minisite: Path, page, screenshot_dir: Path) -> None:
    site_toml = minisite / "site.toml"
    site_toml.write_text(site_toml.read_text("utf-8").replace('["fr", "en"]', '["fr", "en", "ar"]'), "utf-8")
    with running(minisite) as (server, _):
        page.goto(f"http://127.0.0.1:{server.port}/spa/ar/")
        assert page.locator("html").get_attribute("dir") == "rtl"
        page.click("[data-service='100'] button")
        page.click("[data-calendar='10'] button")
        pick_first_slot(page)
        page.screenshot(path=str(screenshot_dir / "flow-ar-details.png"), full_page=True)
        fill_details(page)
        confirm(page)
        assert len(server.sandbox.received) == 1


@pytest.mark.parametrize(("zone", "shows_both"), [("America/New_York", True), ("Europe/Paris", False)])
def test_visitor_timezone_different_from_the_groups_shows_both_times(minisite: Path, browser, zone: str,
                                                                      shows_both: bool) -> None:
    context = browser.new_context(timezone_id=zone, locale="en-US")
    page = context.new_page()
    with running(minisite) as (server, _):
        page.goto(f"http://127.0.0.1:{server.port}/spa/en/")
        page.click("[data-service='100'] button")
        page.click("[data-calendar='10'] button")
        page.wait_for_selector(".slot")
        first = page.locator(".slot").first
        slot = first.get_attribute("data-slot")
        assert (first.locator(".slot-mine").count() == 1) is shows_both
        if shows_both:  # Paris is 6 hours ahead of New York in winter
            hour = int(slot[11:13])
            mine = first.locator(".slot-mine").inner_text()
            assert f"{(hour - 6) % 12 or 12}:{slot[14:16]}" in mine
    context.close()


def test_prefill_and_state_come_from_the_url(minisite: Path, page) -> None:
    with running(minisite) as (server, _):
        page.goto(f"http://127.0.0.1:{server.port}/spa/en/?firstname=Grace&email=grace@example.com"
                  "#service=100&calendar=10&step=slot")
        pick_first_slot(page)
        assert page.input_value("input[name=firstname]") == "Grace"
        assert page.input_value("input[name=email]") == "grace@example.com"
        page.go_back()
        page.wait_for_selector(".slot")  # the back button returns to the previous step
