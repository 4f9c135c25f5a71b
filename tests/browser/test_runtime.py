"""booking.js on ClicRDV v1's documented shapes, in Debian Chromium (issue 15 §2, issue 18 §1).

Pages come from ``bookgen serve``; the API answers from inside the browser
(tests/browser/clicrdv_route.py), so each test shapes the answer it needs (an empty
month, a refusal code, a proxy's HTML 502, a hang) and checks the exact requests.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from generator.render.context import locale_messages
from tests.browser.clicrdv_route import ClicRDVRoute
from tests.servekit import running

EN = locale_messages("en")
FICHE = {"firstname": "Ada", "lastname": "Lovelace", "email": "ada@example.com", "phone": "+33 6 12 34 56 78"}


def set_group(site: Path, **changes) -> None:
    path = site / "groups" / "spa" / "group.json"
    data = json.loads(path.read_text("utf-8"))
    data["group"].update(changes)
    path.write_text(json.dumps(data), "utf-8")


def local_today(zone: str) -> date:
    return datetime.now(ZoneInfo(zone)).date()


@pytest.fixture
def api() -> ClicRDVRoute:
    return ClicRDVRoute(today=local_today("Europe/Paris"))


@pytest.fixture
def spa(minisite: Path, page, api: ClicRDVRoute):
    """The spa page in en (validateEmail off unless a test sets it), API routed in the page."""
    set_group(minisite, validateEmail=False)

    def open_page(path: str = "spa/en/", **group) -> str:
        if group:
            set_group(minisite, **group)
        server = stack.enter_context(running(minisite))[0]
        api.install(page)
        page.goto(f"http://127.0.0.1:{server.port}/{path}")
        return f"http://127.0.0.1:{server.port}/{path}"

    from contextlib import ExitStack

    with ExitStack() as stack:
        yield open_page


def to_slots(page, service: str = "100", calendar: str = "10") -> None:
    page.click(f"[data-service='{service}'] button")
    page.click(f"[data-calendar='{calendar}'] button")
    page.wait_for_selector(".slot")


def pick(page, index: int = 0) -> str:
    slot = page.locator(".slot").nth(index)
    start = slot.get_attribute("data-slot")
    slot.click()
    page.wait_for_selector("input[name=firstname]")
    return start


def fill_details(page, fiche: dict[str, str] = FICHE) -> None:
    for name, value in fiche.items():
        page.fill(f"input[name={name}]", value)


def confirm(page) -> None:
    page.click("form > .button-primary")


def appointment(start: str, calendar: int | None = 10, service: int = 100, sms: int = 1) -> dict:
    body = {"date": start, "intervention_ids": [service], "from_web": 1,
            "fiche": {"firstname": "Ada", "lastname": "Lovelace", "email": "ada@example.com",
                      "firstphone": "+33 6 12 34 56 78", "rappel_sms": sms}}
    if calendar is not None:
        body["calendar_id"] = calendar
    return {"appointment": body}


def test_slots_are_asked_for_the_groups_local_week_with_documented_parameters(spa, page, api) -> None:
    spa()
    to_slots(page)
    query = api.sent[0].query
    today = local_today("Europe/Paris")
    assert api.sent[0].path == "groups/1/availabletimeslots"
    assert query == {"intervention_ids[]": ["100"], "calendar_id": ["10"],
                     "start": [f"{today} 00:00:00"], "end": [f"{today + timedelta(days=27)} 23:59:59"]}
    assert "apikey" not in query


@pytest.mark.parametrize(("zone", "rails"), [("Asia/Tokyo", "Tokyo"), ("Pacific/Honolulu", "Hawaii")])
def test_today_is_the_groups_local_date_not_the_visitors_nor_utcs(minisite: Path, browser, zone: str,
                                                                   rails: str) -> None:
    set_group(minisite, timezone=rails)
    api = ClicRDVRoute(today=local_today(zone))
    context = browser.new_context(timezone_id="America/New_York" if rails == "Tokyo" else "Asia/Tokyo")
    page = context.new_page()
    with running(minisite) as (server, _):
        api.install(page)
        page.goto(f"http://127.0.0.1:{server.port}/spa/en/")
        to_slots(page)
        assert api.sent[0].query["start"] == [f"{local_today(zone)} 00:00:00"]
        assert page.locator(".slot").first.get_attribute("data-slot").startswith(str(local_today(zone)))
    context.close()


def test_the_slot_step_opens_on_first_slots_day_within_four_weeks_in_one_request(spa, page, api) -> None:
    api.first_free = api.today + timedelta(days=20)
    spa()
    to_slots(page)
    assert page.locator(".slot").first.get_attribute("data-slot").startswith(str(api.first_free))
    assert len([s for s in api.sent if s.path.endswith("availabletimeslots")]) == 1
    assert page.locator(f".date[data-date='{api.first_free}']").get_attribute("aria-pressed") == "true"


def test_a_first_slot_beyond_four_weeks_asks_again_from_its_day(spa, page, api) -> None:
    api.first_free = api.today + timedelta(days=40)
    spa()
    to_slots(page)
    assert page.locator(".slot").first.get_attribute("data-slot").startswith(str(api.first_free))
    assert len([s for s in api.sent if s.path.endswith("availabletimeslots")]) == 2
    assert api.sent[1].query["start"] == [f"{api.first_free} 00:00:00"]


def test_first_available_jumps_to_first_slot_in_one_click(spa, page, api) -> None:
    api.first_free = api.today + timedelta(days=70)
    spa(f"spa/en/#service=100&calendar=10&step=slot&week={api.today + timedelta(days=28)}")
    page.click(f".slots .button-primary:text('{EN['first']}')")
    page.wait_for_selector(".slot")
    assert page.locator(".slot").first.get_attribute("data-slot").startswith(str(api.first_free))


def test_no_free_time_at_all_says_so_without_a_dead_button(spa, page, api) -> None:
    api.first_free = api.today + timedelta(days=400)
    spa()
    page.click("[data-service='100'] button")
    page.click("[data-calendar='10'] button")
    page.wait_for_selector(".slots .empty")
    assert page.locator(".slots .empty").inner_text() == EN["none_soon"] + " 01 23 45 67 89"  # the number to call
    assert page.locator(".slots .button-primary").count() == 0


def test_confirm_sends_the_documented_appointment_with_an_idempotency_key(spa, page, api) -> None:
    spa()
    to_slots(page)
    start = pick(page)
    fill_details(page)
    confirm(page)
    page.wait_for_selector(".done")
    [post] = api.posts("appointments")
    assert post.path == "groups/1/appointments"
    assert post.body == appointment(start)
    assert post.headers["content-type"] == "application/json"
    assert len(post.headers["idempotency-key"]) >= 16
    done = page.locator(".done").inner_text()
    assert EN["done_title"] in done and EN["done_ok"] in done and "Reference: 701" in done
    assert EN["pending_title"] not in done


def test_no_preference_leaves_calendar_id_out(spa, page, api) -> None:
    spa()
    to_slots(page, calendar="")
    assert api.sent[0].query["calendar_id"] == [""]
    start = pick(page)
    fill_details(page)
    page.uncheck("input[name=sms]")
    confirm(page)
    page.wait_for_selector(".done")
    assert api.posts("appointments")[0].body == appointment(start, calendar=None, sms=0)


def test_a_taken_slot_returns_to_refreshed_slots_with_the_message(spa, page, api) -> None:
    spa()
    to_slots(page)
    start = pick(page)
    fill_details(page)
    api.taken.add(start)  # someone else books it meanwhile
    confirm(page)
    page.wait_for_selector(".slot")
    assert page.locator(".step [role=alert]").inner_text() == EN["err_NotAvailable"]
    assert page.locator(f".slot[data-slot='{start}']").count() == 0
    assert "details" not in page.url and "slot=" not in page.url


@pytest.mark.parametrize("code", ["SameTimeRdv", "MintimeRdv", "MintimeBetween", "MaxRdvPeriod"])
def test_codes_asking_for_another_time_return_to_the_slots_with_their_message(spa, page, api, code: str) -> None:
    spa()
    to_slots(page)
    pick(page)
    fill_details(page)
    api.refuse.append(code)
    confirm(page)
    page.wait_for_selector(".slot")
    assert page.locator(".step [role=alert]").inner_text() == EN[f"err_{code}"]


def test_max_rdv_number_keeps_the_form_and_says_why_beside_the_button(spa, page, api) -> None:
    spa()
    to_slots(page)
    pick(page)
    fill_details(page)
    api.refuse.append("MaxRdvNumber")
    confirm(page)
    status = page.locator(".form-status")
    status.wait_for()
    # The message and the hosted-module link only: nothing to retry, no stray text.
    assert status.inner_text().split("\n")[0] == EN["err_MaxRdvNumber"]
    assert status.locator("button").count() == 0 and "undefined" not in status.inner_text()
    assert page.input_value("input[name=lastname]") == "Lovelace"


def test_validate_email_creates_an_account_with_the_pending_booking(spa, page, api) -> None:
    spa(validateEmail=True)
    to_slots(page)
    start = pick(page)
    fill_details(page)
    confirm(page)
    page.wait_for_selector(".done")
    assert api.posts("appointments") == []
    [post] = api.posts("accounts")
    assert post.path == "accounts"
    account = post.body["account"]
    assert {k: v for k, v in account.items() if k != "pendingRdv"} == {"email": "ada@example.com", "group_id": 1}
    assert json.loads(account["pendingRdv"]) == {
        "intervention_ids": [100], "names": ["Massage relaxant"], "calendar_id": 10, "calendar_name": "Alice",
        "date": start,
        "fiche": {"firstname": "Ada", "lastname": "Lovelace", "firstphone": "+33 6 12 34 56 78", "rappel_sms": 1}}
    done = page.locator(".done").inner_text()
    assert EN["pending_title"] in done and EN["done_verify"] in done
    assert EN["done_title"] not in done  # never "booked" while the email waits
    assert page.locator(".done .button-primary").count() == 0


def test_validate_email_with_no_preference_parks_calendar_id_0(spa, page, api) -> None:
    spa(validateEmail=True)
    to_slots(page, calendar="")
    pick(page)
    fill_details(page)
    confirm(page)
    page.wait_for_selector(".done")
    pending = json.loads(api.posts("accounts")[0].body["account"]["pendingRdv"])
    assert pending["calendar_id"] == 0 and pending["calendar_name"] == ""


def test_an_email_already_registered_is_said_under_the_email(spa, page, api) -> None:
    spa(validateEmail=True)
    to_slots(page)
    pick(page)
    fill_details(page)
    api.refuse.append("EmailAlreadyExists")
    confirm(page)
    page.wait_for_selector("input[name=email][aria-invalid=true]")
    assert EN["err_EmailAlreadyExists"] in page.locator(".field-error:not(:empty)").inner_text()
    # The next step is signing in; then the same booking goes straight to appointments.
    api.accounts["ada@example.com"] = "pw"
    page.click(f".form-status button:text('{EN['signin']}')")
    page.wait_for_selector("input[name=password]")
    assert page.locator(".flow-live").inner_text() == "Step 4 of 5: Sign in"
    sign_in(page, "ada@example.com", "pw")
    page.wait_for_selector("input[name=firstname]")
    assert page.input_value("input[name=lastname]") == "Lovelace"
    confirm(page)
    page.wait_for_selector(".done")
    assert len(api.posts("appointments")) == 1
    assert EN["done_title"] in page.locator(".done").inner_text()


def test_a_refused_field_is_marked_where_it_is_typed(spa, page, api) -> None:
    spa()
    to_slots(page)
    pick(page)
    fill_details(page)
    api.faults.append((400, "application/json",
                       '{"error": {"code": null, "field": "appointment.fiche.firstphone", "message": "too long"}}'))
    confirm(page)
    page.wait_for_selector("input[name=phone][aria-invalid=true]")
    assert page.locator(".form-status").is_hidden()


def sign_in(page, email: str, password: str) -> None:
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("form > .button-primary")


@pytest.mark.parametrize(("setting", "before_slots"), [("open", False), ("openData", True)])
def test_sign_in_uses_the_account_login_with_a_sha1_password(spa, page, api, setting: str,
                                                             before_slots: bool) -> None:
    api.accounts["ada@example.com"] = "s3cret é"
    spa(**{setting: False, "validateEmail": True})
    page.click("[data-service='100'] button")
    page.click("[data-calendar='10'] button")
    if before_slots:
        page.wait_for_selector("input[name=password]")
        assert page.locator(".slot").count() == 0
    else:
        page.wait_for_selector(".slot")
        page.locator(".slot").first.click()
    page.wait_for_selector("input[name=password]")
    sign_in(page, "ada@example.com", "wrong")
    page.wait_for_selector(".form-status:not([hidden])")
    status = page.locator(".form-status")
    assert EN["bad_login"] in status.inner_text() and "undefined" not in status.inner_text()
    # The next step is beside it: the hosted module; the password field is marked and focused.
    assert status.locator("a.button").get_attribute("href") == "https://www.clicrdv.com/test-spa"
    assert page.evaluate("document.activeElement.name") == "password"
    assert page.locator("input[name=password]").get_attribute("aria-invalid") == "true"
    sign_in(page, "ada@example.com", "s3cret é")
    if before_slots:
        page.wait_for_selector(".slot")
        pick(page)
    page.wait_for_selector("input[name=firstname]")
    login = api.posts("sessions/login")[-1]
    assert login.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert login.body == {"account[email]": ["ada@example.com"],
                          "account[password]": [hashlib.sha1("s3cret é".encode()).hexdigest()]}
    assert page.input_value("input[name=email]") == "ada@example.com"
    assert "_session_id" not in page.evaluate("document.cookie")  # HttpOnly: the page never reads it
    fill_details(page)
    confirm(page)
    page.wait_for_selector(".done")
    # A signed-in account's email is verified: the appointment is booked, not parked.
    assert len(api.posts("appointments")) == 1 and api.posts("accounts") == []


def test_double_click_on_confirm_books_once(spa, page, api) -> None:
    spa()
    to_slots(page)
    pick(page)
    fill_details(page)
    page.dblclick("form > .button-primary")
    page.keyboard.press("Enter")
    page.wait_for_selector(".done")
    assert len(api.posts("appointments")) == 1


FAULTS = {
    "html-502": (502, "text/html", "<html><body><h1>502 Bad Gateway</h1></body></html>"),
    "json-500": (500, "application/json", '{"error": {"code": null, "message": "server fault"}}'),
    "network": (0, "", ""),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_a_failure_at_confirm_keeps_the_form_and_try_again_books_with_the_same_key(spa, page, api,
                                                                                    fault: str) -> None:
    spa()
    to_slots(page)
    start = pick(page)
    fill_details(page)
    api.faults.append(FAULTS[fault])
    api.faults.append(FAULTS[fault])
    confirm(page)
    status = page.locator(".form-status")
    page.wait_for_selector(".form-status:not([hidden]) button")
    confirm_button = page.locator("form > .button-primary")
    assert confirm_button.is_enabled() and confirm_button.inner_text() == EN["confirm"]
    status.locator("p").evaluate("el => el.dataset.old = 1")
    status.locator("button").click()  # Try again: fails once more
    page.wait_for_selector(".form-status:not([hidden]) p:not([data-old])")
    assert page.locator(".form-status").count() == 1 and page.locator(".form-status p").count() == 1
    assert EN["error"] in status.inner_text()
    assert status.get_attribute("role") == "alert"
    assert page.input_value("input[name=firstname]") == "Ada"
    status.locator("button").click()
    page.wait_for_selector(".done")
    posts = api.posts("appointments")
    assert len(posts) == 3 and posts[-1].body == appointment(start)
    assert len({p.headers["idempotency-key"] for p in posts}) == 1


def test_a_changed_booking_gets_a_new_idempotency_key(spa, page, api) -> None:
    spa()
    to_slots(page)
    pick(page)
    fill_details(page)
    api.faults.append(FAULTS["json-500"])
    confirm(page)
    page.wait_for_selector(".form-status:not([hidden])")
    page.fill("input[name=firstname]", "Augusta")
    confirm(page)
    page.wait_for_selector(".done")
    keys = [p.headers["idempotency-key"] for p in api.posts("appointments")]
    assert len(keys) == 2 and keys[0] != keys[1]


def test_same_time_rdv_right_after_our_lost_answer_is_a_booking(spa, page, api) -> None:
    spa()
    to_slots(page)
    pick(page)
    fill_details(page)
    api.faults.append(FAULTS["html-502"])  # the booking went through, its answer did not
    api.refuse.append("SameTimeRdv")
    confirm(page)
    page.wait_for_selector(".form-status:not([hidden]) button")
    page.locator(".form-status button").click()
    page.wait_for_selector(".done")
    assert EN["done_title"] in page.locator(".done").inner_text()


def test_a_hanging_api_times_out_into_try_again(spa, page, api) -> None:
    spa()
    to_slots(page)
    pick(page)
    fill_details(page)
    page.eval_on_selector("[data-bookgen-flow]", "el => el.dataset.timeout = '300'")
    hung = []
    page.unroute("**/api/v1/**")
    page.route("**/api/v1/**", lambda route, request: hung.append(route))  # never answers
    confirm(page)
    page.wait_for_selector(".form-status:not([hidden]) button")
    assert page.locator("form > .button-primary").is_enabled()
    page.unroute("**/api/v1/**")
    api.install(page)
    page.locator(".form-status button").click()
    page.wait_for_selector(".done")


def test_a_hanging_slot_request_times_out_into_try_again(spa, page, api) -> None:
    spa()
    page.eval_on_selector("[data-bookgen-flow]", "el => el.dataset.timeout = '300'")
    page.unroute("**/api/v1/**")
    page.route("**/api/v1/**", lambda route, request: None)
    page.click("[data-service='100'] button")
    page.click("[data-calendar='10'] button")
    page.wait_for_selector(".slots button:text('Try again')")
    assert page.locator(".slots").get_attribute("aria-busy") is None
    page.unroute("**/api/v1/**")
    api.install(page)
    page.click(".slots button:text('Try again')")
    page.wait_for_selector(".slot")


def test_reload_keeps_the_confirmation_and_back_starts_a_new_booking(spa, page, api) -> None:
    spa()
    to_slots(page)
    pick(page)
    fill_details(page)
    confirm(page)
    page.wait_for_selector(".done")
    page.reload()
    page.wait_for_selector(".done")
    assert "Reference: 701" in page.locator(".done").inner_text()
    page.go_back()
    page.wait_for_selector("[data-step=service]:not([hidden])")
    assert page.locator("input[name=firstname]").count() == 0
    assert "slot=" not in page.url
    assert len(api.posts("appointments")) == 1


def test_max_multirdvs_3_chains_three_appointments_then_stops(spa, page, api) -> None:
    spa(max_multirdvs=3)
    for round_ in range(3):
        to_slots(page)
        pick(page)
        if round_ == 0:
            fill_details(page)
        else:  # the client's details are remembered between appointments
            assert page.input_value("input[name=email]") == FICHE["email"]
        confirm(page)
        page.wait_for_selector(".done")
        if round_ < 2:
            page.click(".done .button-primary")
    assert len({p.body["appointment"]["date"] for p in api.posts("appointments")}) == 3
    assert page.locator(".done .button-primary").count() == 0
    assert EN["limit"] in page.locator(".done").inner_text()


def test_sms_reminder_ticked_requires_a_phone_number(spa, page, api) -> None:
    spa()
    to_slots(page)
    pick(page)
    fill_details(page, {**FICHE, "phone": "+33 "})
    confirm(page)
    page.wait_for_selector("input[name=phone][aria-invalid=true]")
    assert api.posts("appointments") == []
