"""Booking for real in Debian Chromium: pages → ``bookgen serve``'s proxy → the sandbox.

Every demo flow books end to end through ClicRDV's own paths (no key in the page); the
exact request bodies the page sent are checked, and what was booked is read back from
the sandbox's store. Answers shaped at will (refusal codes, hangs) are in test_runtime.py.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from generator.render.context import locale_messages
from tests.browser.test_display import spaced
from tests.servekit import running

EN = locale_messages("en")
FICHE = {"firstname": "Ada", "lastname": "Lovelace", "email": "ada@example.com", "phone": "+33 6 12 34 56 78"}


def edit(site: Path, slug: str, name: str, change) -> None:
    path = site / "groups" / slug / name
    if name.endswith(".json"):
        data = json.loads(path.read_text("utf-8"))
        change(data)
        path.write_text(json.dumps(data), "utf-8")
    else:
        path.write_text(change(path.read_text("utf-8")), "utf-8")


def set_group(site: Path, slug: str = "spa", **changes) -> None:
    edit(site, slug, "group.json", lambda data: (data.get("group", data)).update(changes))


class Posts:
    """Every POST the page sends to the API, as (path, body) exactly as sent."""

    def __init__(self, page) -> None:
        self.sent: list[tuple[str, object]] = []
        page.on("request", self._record)

    def _record(self, request) -> None:
        path = urlsplit(request.url).path
        if request.method == "POST" and path.startswith("/api/v1/"):
            body = request.post_data or ""
            self.sent.append((path[len("/api/v1/"):], json.loads(body) if body.startswith("{") else body))

    def to(self, end: str) -> list:
        return [body for path, body in self.sent if path.endswith(end)]


def pick(page, index: int = 0) -> str:
    page.wait_for_selector(".slot")
    slot = page.locator(".slot").nth(index)
    start = slot.get_attribute("data-slot")
    slot.click()
    return start


def fill_details(page, fiche: dict[str, str] = FICHE) -> None:
    page.wait_for_selector("input[name=firstname]")
    for name, value in fiche.items():
        field = page.locator(f"input[name={name}]")
        if field.get_attribute("readonly") is not None:  # a signed-in Account's own email
            assert field.input_value() == value
        else:
            field.fill(value)


def confirm(page) -> None:
    page.click("form > .button-primary")
    page.wait_for_selector(".done")


def appointment(start: str, service: int, calendar: int | None, fiche: dict[str, str] = FICHE, sms: int = 1) -> dict:
    body = {"date": start, "intervention_ids": [service], "from_web": 1,
            "fiche": {"firstname": fiche["firstname"], "lastname": fiche["lastname"], "email": fiche["email"],
                      "firstphone": fiche["phone"], "rappel_sms": sms}}
    if calendar is not None:
        body["calendar_id"] = calendar
    return {"appointment": body}


@pytest.fixture
def spa(minisite: Path) -> Path:
    set_group(minisite, validateEmail=False)
    return minisite


@pytest.mark.parametrize(("choice", "clicks", "calendar"), [
    (2, ["[data-service='101']", "[data-calendar='11']"], 11),
    (1, ["[data-calendar='11']", "[data-service='101']"], 11),
    (0, ["[data-service='101']"], None),
])
def test_every_calendar_choice_books_with_the_documented_body(spa: Path, page, choice: int, clicks: list[str],
                                                               calendar: int | None) -> None:
    set_group(spa, calendarChoice=choice)
    with running(spa) as (server, _):
        posts = Posts(page)
        page.goto(f"http://127.0.0.1:{server.port}/spa/en/")
        for selector in clicks:
            page.click(f"{selector} button")
        start = pick(page)
        fill_details(page)
        confirm(page)
        assert posts.to("groups/1/appointments") == [appointment(start, 101, calendar)]
        [booked] = server.sandbox.appointments(1)
        assert booked["start"] == start and booked["intervention_ids"] == [101]
        if calendar:
            assert booked["calendar_id"] == calendar
        assert f"Reference: {booked['id']}" in page.locator(".done").inner_text()


def test_no_preference_leaves_calendar_id_out_and_the_sandbox_picks_one(spa: Path, page) -> None:
    with running(spa) as (server, _):
        posts = Posts(page)
        page.goto(f"http://127.0.0.1:{server.port}/spa/en/")
        page.click("[data-service='101'] button")
        page.click("[data-calendar=''] button")
        start = pick(page)
        fill_details(page)
        confirm(page)
        assert posts.to("appointments") == [appointment(start, 101, None)]
        assert server.sandbox.appointments(1)[0]["calendar_id"] in (10, 11)


def test_a_slot_taken_meanwhile_refreshes_the_slots_with_the_message(spa: Path, page) -> None:
    with running(spa) as (server, _):
        page.goto(f"http://127.0.0.1:{server.port}/spa/en/")
        page.click("[data-service='100'] button")
        page.click("[data-calendar='10'] button")
        start = pick(page)
        fill_details(page)
        # Someone else books the same time first (through the same gateway, from a page of this origin).
        other = appointment(start, 100, 10, {**FICHE, "email": "grace@example.com", "lastname": "Hopper"})
        origin = f"http://127.0.0.1:{server.port}"  # a write carries its page's Origin (the gateway checks it)
        answer = httpx.post(f"{origin}/api/v1/groups/1/appointments", json=other, headers={"Origin": origin})
        assert answer.status_code == 201
        page.click("form > .button-primary")
        page.wait_for_selector(".step [role=alert]")
        assert page.locator(".step [role=alert]").inner_text() == EN["err_NotAvailable"]
        page.wait_for_selector(".slot")
        assert page.locator(f".slot[data-slot='{start}']").count() == 0
        assert len(server.sandbox.appointments(1)) == 1


def sign_in(page, email: str, password: str) -> None:
    page.wait_for_selector("input[name=password]")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("form > .button-primary")


@pytest.mark.parametrize("setting", ["open", "openData"])
def test_registered_clients_sign_in_with_their_account_then_book(spa: Path, page, setting: str) -> None:
    set_group(spa, **{setting: False}, validateEmail=True)
    with running(spa) as (server, _):
        posts = Posts(page)
        page.goto(f"http://127.0.0.1:{server.port}/spa/en/")
        page.click("[data-service='100'] button")
        page.click("[data-calendar='10'] button")
        start = None if setting == "openData" else pick(page)
        page.wait_for_selector("input[name=password]")
        assert page.locator(".slot").count() == 0
        sign_in(page, "client@example.test", "wrong")
        page.wait_for_selector(".form-status:not([hidden])")
        assert EN["bad_login"] in page.locator(".form-status").inner_text()
        sign_in(page, "client@example.test", "sandbox")
        if setting == "openData":
            start = pick(page)
        fill_details(page, {**FICHE, "email": "client@example.test"})
        assert page.input_value("input[name=email]") == "client@example.test"
        confirm(page)
        assert posts.to("sessions/login")[-1] == (
            "account%5Bemail%5D=client%40example.test&account%5Bpassword%5D=" + hashlib.sha1(b"sandbox").hexdigest())
        assert posts.to("appointments") == [appointment(start, 100, 10, {**FICHE, "email": "client@example.test"})]
        assert [a["start"] for a in server.sandbox.appointments(1)] == [start]
        assert EN["done_title"] in page.locator(".done").inner_text()


def test_validate_email_parks_the_booking_until_the_email_is_confirmed(minisite: Path, page) -> None:
    with running(minisite) as (server, _):  # spa: validateEmail true (the default)
        posts = Posts(page)
        page.goto(f"http://127.0.0.1:{server.port}/spa/en/")
        page.click("[data-service='100'] button")
        page.click("[data-calendar='10'] button")
        start = pick(page)
        fill_details(page)
        confirm(page)
        done = page.locator(".done").inner_text()
        assert EN["pending_title"] in done and EN["done_title"] not in done
        [account] = [body["account"] for body in posts.to("accounts")]
        assert account["email"] == FICHE["email"] and account["group_id"] == 1
        assert json.loads(account["pendingRdv"])["date"] == start
        assert server.sandbox.appointments(1) == []
        # The client opens the link of the confirmation email (the sandbox's documented route).
        [mail] = server.sandbox.outbox(FICHE["email"])
        confirmed = httpx.get(f"http://127.0.0.1:{server.port}{urlsplit(mail['link']).path}")
        assert confirmed.status_code == 200
        [booked] = server.sandbox.appointments(1)
        assert booked["start"] == start and booked["calendar_id"] == 10


def test_max_multirdvs_3_books_three_appointments_then_stops(spa: Path, page) -> None:
    set_group(spa, max_multirdvs=3)
    with running(spa) as (server, _):
        page.goto(f"http://127.0.0.1:{server.port}/spa/en/")
        for round_ in range(3):
            page.click("[data-service='100'] button")
            page.click("[data-calendar='10'] button")
            pick(page, round_)
            if round_ == 0:
                fill_details(page)
            else:
                page.wait_for_selector("input[name=firstname]")
                assert page.input_value("input[name=email]") == FICHE["email"]
            confirm(page)
            if round_ < 2:
                page.click(".done .button-primary")
        assert len(server.sandbox.appointments(1)) == 3
        assert page.locator(".done .button-primary").count() == 0
        assert EN["limit"] in page.locator(".done").inner_text()


def test_double_click_on_confirm_makes_one_appointment(spa: Path, page) -> None:
    with running(spa) as (server, _):
        posts = Posts(page)
        page.goto(f"http://127.0.0.1:{server.port}/spa/en/")
        page.click("[data-service='100'] button")
        page.click("[data-calendar='10'] button")
        pick(page)
        fill_details(page)
        page.dblclick("form > .button-primary")
        page.wait_for_selector(".done")
        assert len(posts.to("appointments")) == 1
        assert len(server.sandbox.appointments(1)) == 1


FAULTS = {
    "html-502": {"status": 502, "content_type": "text/html", "body": "<html><h1>502 Bad Gateway</h1></html>"},
    "json-500": {"status": 500, "content_type": "application/json", "body": '{"error": {"message": "fault"}}'},
    "network": None,
}


@pytest.mark.parametrize("fault", FAULTS)
def test_a_failure_at_confirm_keeps_the_form_and_try_again_books(spa: Path, page, fault: str) -> None:
    with running(spa) as (server, _):
        page.goto(f"http://127.0.0.1:{server.port}/spa/en/")
        page.click("[data-service='100'] button")
        page.click("[data-calendar='10'] button")
        start = pick(page)
        fill_details(page)
        failed = []

        def once(route) -> None:
            if failed:
                return route.continue_()
            failed.append(route.request.headers["idempotency-key"])
            return route.abort() if FAULTS[fault] is None else route.fulfill(**FAULTS[fault])

        page.route("**/api/v1/groups/1/appointments", once)
        page.click("form > .button-primary")
        page.wait_for_selector(".form-status:not([hidden]) button")
        assert EN["error"] in page.locator(".form-status").inner_text()
        assert page.input_value("input[name=lastname]") == "Lovelace"
        assert server.sandbox.appointments(1) == []
        with page.expect_request("**/appointments") as retried:
            page.click(f".form-status button:text('{EN['retry']}')")
        page.wait_for_selector(".done")
        assert retried.value.headers["idempotency-key"] == failed[0]
        assert [a["start"] for a in server.sandbox.appointments(1)] == [start]


@pytest.mark.parametrize(("night", "start", "mine"), [
    # 2027-03-28: Paris jumps from 02:00 to 03:00; 03:00 CEST is 01:00 UTC, 21:00 the day before in New York.
    ("2027-03-28", "2027-03-28 03:00:00", "Sat, Mar 27, 9:00 PM EDT your time"),
    # 2027-10-31: Paris goes back from 03:00 to 02:00; 03:00 CET is 02:00 UTC, 22:00 the day before in New York.
    ("2027-10-31", "2027-10-31 03:00:00", "Sat, Oct 30, 10:00 PM EDT your time"),
])
def test_a_dst_night_in_paris_books_in_wall_clock_time(spa: Path, browser, night: str, start: str, mine: str) -> None:
    edit(spa, "spa", "page.toml", lambda text: text.replace("[hours]", "max_days_ahead = 400\n[hours]")
         + 'sun = ["01:00-05:00"]\n')  # both nights are Sundays, opened 01:00–05:00 here
    context = browser.new_context(timezone_id="America/New_York", locale="en-US")
    page = context.new_page()
    with running(spa) as (server, _):
        posts = Posts(page)
        page.goto(f"http://127.0.0.1:{server.port}/spa/en/#service=100&calendar=10&step=slot&week={night}")
        page.wait_for_selector(".slot")
        starts = page.eval_on_selector_all(".slot", "els => els.map(e => e.dataset.slot)")
        sunday = [s for s in starts if s.startswith(night)]
        assert sunday and len(sunday) == len(set(sunday))  # no start twice on the fall-back night
        if night.endswith("03-28"):
            assert not [s for s in sunday if s[11:13] == "02"]  # 02:xx does not exist that night
        page.click(f".date[data-date='{night}']")  # the grid opens on the first free day
        slot = page.locator(f".slot[data-slot='{start}']")
        # The button shows the visitor's weekday and time; its name, the date and zone too.
        assert spaced(slot.locator(".slot-mine").inner_text()) == (
            mine.split(",")[0] + " " + mine.split(", ")[2].removesuffix(" EDT your time"))
        assert mine in spaced(slot.get_attribute("aria-label"))
        slot.click()
        fill_details(page)
        confirm(page)
        assert posts.to("appointments")[0]["appointment"]["date"] == start
        assert server.sandbox.appointments(1)[0]["start"] == start
    context.close()


DEMO = ["eden-spa", "clinique-du-lac", "kings-cross-barbers", "salon-lagon"]


def book_whatever_is_offered(page, email: str) -> str:
    """Walk any group's flow: first offered choice, demo sign-in, first slot, details."""
    start = ""
    while True:
        page.wait_for_selector("[data-step]:not([hidden]) .choice, input[name=password], .slot, "
                               "input[name=firstname], .done")
        if page.locator(".done").count():
            return start
        if page.locator("input[name=password]").count():
            sign_in(page, "client@example.test", "sandbox")
            page.wait_for_selector("input[name=password]", state="detached")
        elif page.locator(".slot").count():
            start = pick(page)
            page.wait_for_selector(".slot", state="detached")
        elif page.locator("input[name=firstname]").count():
            fill_details(page, {**FICHE, "email": email})
            page.click("form > .button-primary")
            page.wait_for_selector(".done")
        else:
            step = page.locator("[data-step]:not([hidden])").get_attribute("data-step")
            page.locator("[data-step]:not([hidden]) .choice-item:not([hidden]) button").first.click()
            page.wait_for_selector(f"[data-step={step}]", state="hidden")


@pytest.mark.parametrize("slug", DEMO)
def test_every_demo_group_books_end_to_end(demo_site: Path, page, slug: str) -> None:
    group = json.loads((demo_site / "groups" / slug / "group.json").read_text("utf-8"))
    group = group.get("group", group)
    signs_in = not group["open"] or not group["openData"]
    email = "client@example.test" if signs_in else "ada@example.com"
    with running(demo_site) as (server, _):
        page.goto(f"http://127.0.0.1:{server.port}/{slug}/en/")
        start = book_whatever_is_offered(page, email)
        pending = group["validateEmail"] and not signs_in
        done = page.locator(".done").inner_text()
        assert (EN["pending_title"] if pending else EN["done_title"]) in done
        if pending:
            assert server.sandbox.appointments(group["id"]) == []
            [mail] = server.sandbox.outbox(email)
            assert httpx.get(f"http://127.0.0.1:{server.port}{urlsplit(mail['link']).path}").status_code == 200
        assert [a["start"] for a in server.sandbox.appointments(group["id"])] == [start]


def test_an_inactive_demo_group_offers_no_booking(demo_site: Path, page) -> None:
    with running(demo_site) as (server, _):
        page.goto(f"http://127.0.0.1:{server.port}/atelier-velo/en/")
        assert page.locator("[data-bookgen-flow]").count() == 0
        assert page.locator("a[href^='tel:']").count() >= 1


def test_try_again_after_a_lost_answer_shows_the_booking_made_not_a_conflict(spa: Path, page) -> None:
    with running(spa) as (server, _):
        page.goto(f"http://127.0.0.1:{server.port}/spa/en/")
        page.click("[data-service='100'] button")
        page.click("[data-calendar='10'] button")
        start = pick(page)
        fill_details(page)
        lost = []

        def lose_first_answer(route) -> None:
            answer = route.fetch()  # the sandbox books it...
            if lost:
                return route.fulfill(response=answer)
            lost.append(answer.status)
            route.fulfill(status=502, content_type="text/html", body="<h1>502 Bad Gateway</h1>")  # ...the answer is lost

        page.route("**/api/v1/groups/1/appointments", lose_first_answer)
        page.click("form > .button-primary")
        page.wait_for_selector(".form-status:not([hidden]) button")
        assert lost == [201] and len(server.sandbox.appointments(1)) == 1
        page.click(f".form-status button:text('{EN['retry']}')")  # the sandbox answers SameTimeRdv
        page.wait_for_selector(".done")
        assert EN["done_title"] in page.locator(".done").inner_text()
        assert [a["start"] for a in server.sandbox.appointments(1)] == [start]


def test_try_again_after_a_lost_account_answer_shows_the_parked_booking(minisite: Path, page) -> None:
    with running(minisite) as (server, _):  # validateEmail: Confirm parks the booking on a new account
        page.goto(f"http://127.0.0.1:{server.port}/spa/en/")
        page.click("[data-service='100'] button")
        page.click("[data-calendar='10'] button")
        pick(page)
        fill_details(page)
        lost = []

        def lose_first_answer(route) -> None:
            answer = route.fetch()
            if lost:
                return route.fulfill(response=answer)
            lost.append(answer.status)
            route.abort()

        page.route("**/api/v1/accounts", lose_first_answer)
        page.click("form > .button-primary")
        page.wait_for_selector(".form-status:not([hidden]) button")
        page.click(f".form-status button:text('{EN['retry']}')")  # the sandbox answers EmailAlreadyExists
        page.wait_for_selector(".done")
        assert lost == [201]
        done = page.locator(".done").inner_text()
        assert EN["pending_title"] in done and "Reference" not in done  # an account id is no booking reference
        assert len(server.sandbox.outbox(FICHE["email"])) == 1
