"""The sandbox booking API: deterministic slots, conflicts, validation, ClicRDV-shaped errors."""

from __future__ import annotations

import json
import urllib.request
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from generator.loader import load_site
from generator.sandbox import Sandbox, serve_sandbox

# A Monday morning in Paris, before opening time.
NOW = datetime(2026, 11, 23, 7, 0, tzinfo=ZoneInfo("Europe/Paris"))


@pytest.fixture
def site(minisite: Path):
    return load_site(minisite)


@pytest.fixture
def sandbox(site) -> Sandbox:
    return Sandbox(site, now=lambda: NOW)


def call(sandbox: Sandbox, method: str, path: str, query=None, body=None) -> tuple[int, dict]:
    status, headers, raw = sandbox.handle(method, path, query or {}, json.dumps(body).encode() if body else b"")
    assert headers["Content-Type"].startswith("application/json")
    return status, json.loads(raw) if raw else {}


def slots(sandbox: Sandbox, **query) -> list[dict]:
    params = {"intervention_ids[]": ["100"], "start": ["2026-11-23"], "end": ["2026-11-23"]}
    params.update({k: [v] if isinstance(v, str) else v for k, v in query.items()})
    status, body = call(sandbox, "GET", "/groups/1/availabletimeslots", params)
    assert status == 200, body
    return body["records"]


def appointment(date: str, calendar="", services=(100,), **fiche) -> dict:
    details = {"firstname": "Ada", "lastname": "Lovelace", "email": "ada@example.com", "phone": "+33 6 12 34 56 78"}
    details.update(fiche)
    return {"appointment": {"date": date, "calendar_id": calendar, "intervention_ids": list(services), "fiche": details}}


def test_slots_follow_opening_hours_step_and_service_length(sandbox: Sandbox) -> None:
    starts = [s["start"][11:16] for s in slots(sandbox)]
    # page.toml: mon 09:00-12:00 and 14:00-19:00; a 60-minute service; 15-minute steps.
    assert starts[0] >= "09:00" and max(s for s in starts if s < "13:00") <= "11:00"
    assert all(s <= "11:00" or s >= "14:00" for s in starts)  # the service ends by 12:00
    assert max(starts) <= "18:00"
    assert all(s[3:5] in ("00", "15", "30", "45") for s in starts)


def test_slots_are_deterministic(site) -> None:
    assert slots(Sandbox(site, now=lambda: NOW)) == slots(Sandbox(site, now=lambda: NOW))


def test_no_preference_offers_any_calendar_that_offers_the_service(sandbox: Sandbox) -> None:
    calendars = {s["calendar_id"] for s in slots(sandbox, **{"intervention_ids[]": ["101"]})}
    assert calendars <= {10, 11} and calendars
    only_bruno = slots(sandbox, calendar_id="11", **{"intervention_ids[]": ["101"]})
    assert {s["calendar_id"] for s in only_bruno} == {11}


def test_a_calendar_that_does_not_offer_the_service_is_a_field_error(sandbox: Sandbox) -> None:
    status, body = call(sandbox, "GET", "/groups/1/availabletimeslots",
                        {"intervention_ids[]": ["100"], "calendar_id": ["11"]})
    assert status == 422
    assert body == {"errors": [{"code": "invalid", "field": "calendar_id",
                                "message": "calendar 11 does not offer these services"}]}


def test_booking_takes_the_slot_and_a_second_booking_conflicts(sandbox: Sandbox) -> None:
    first = slots(sandbox, calendar_id="10")[0]
    status, body = call(sandbox, "POST", "/groups/1/appointments", body=appointment(first["start"], 10))
    assert status == 201
    assert body["appointment"]["status"] == "waiting_email_validation"  # validateEmail defaults to true
    assert first["start"] not in [s["start"] for s in slots(sandbox, calendar_id="10")]
    status, body = call(sandbox, "POST", "/groups/1/appointments", body=appointment(first["start"], 10))
    assert status == 409 and body["errors"][0]["code"] == "slot_taken"
    assert len(sandbox.received) == 2


def test_several_services_add_up_their_lengths(sandbox: Sandbox) -> None:
    slot = slots(sandbox, calendar_id="10", **{"intervention_ids[]": ["100", "101"]})[0]
    start, end = (datetime.strptime(slot[k], "%Y-%m-%d %H:%M:%S") for k in ("start", "end"))
    assert (end - start).total_seconds() == 150 * 60


@pytest.mark.parametrize(
    ("fiche", "field"),
    [({"email": "not-an-email"}, "fiche.email"), ({"firstname": ""}, "fiche.firstname"),
     ({"phone": "abc"}, "fiche.phone")],
)
def test_client_details_are_validated_per_field(sandbox: Sandbox, fiche: dict, field: str) -> None:
    first = slots(sandbox)[0]
    status, body = call(sandbox, "POST", "/groups/1/appointments", body=appointment(first["start"], **fiche))
    assert status == 422 and body["errors"][0]["field"] == field


def test_past_times_are_never_offered(site) -> None:
    late = Sandbox(site, now=lambda: NOW.replace(hour=15, minute=7))
    assert all(s["start"] > "2026-11-23 15:07:00" for s in slots(late))


def test_times_are_local_to_the_groups_timezone(site) -> None:
    # 07:00 in Paris is 06:00 UTC: a UTC clock must not shift the opening hours.
    utc = Sandbox(site, now=lambda: NOW.astimezone(ZoneInfo("UTC")))
    assert slots(utc)[0]["start"].startswith("2026-11-23 09:")


def test_inactive_groups_refuse_bookings(sandbox: Sandbox) -> None:
    status, body = call(sandbox, "GET", "/groups/2/availabletimeslots", {"intervention_ids[]": ["200"]})
    assert status == 403 and body["errors"][0]["code"] == "inactive"


def test_open_data_false_requires_signing_in_first(site) -> None:
    spa = site.groups[1]
    closed = replace(site, groups=(replace(spa, group=spa.group.model_copy(update={"openData": False})),))
    sandbox = Sandbox(closed, now=lambda: NOW)
    status, body = call(sandbox, "GET", "/groups/1/availabletimeslots", {"intervention_ids[]": ["100"]})
    assert status == 401 and body["errors"][0]["code"] == "signin_required"
    status, body = call(sandbox, "POST", "/groups/1/clients/signin", body={"email": "unknown@example.com"})
    assert status == 403
    status, body = call(sandbox, "POST", "/groups/1/clients/signin", body={"email": "ada@example.com"})
    token = body["client"]["token"]
    assert slots(sandbox, token=token)


def test_unknown_groups_and_endpoints_are_404(sandbox: Sandbox) -> None:
    assert call(sandbox, "GET", "/groups/999/availabletimeslots")[0] == 404
    assert call(sandbox, "GET", "/nope")[0] == 404


def test_served_over_loopback_with_cors(site) -> None:
    with serve_sandbox(site, now=lambda: NOW) as (base, _):
        url = f"{base}/groups/1/availabletimeslots?intervention_ids[]=100&start=2026-11-23&end=2026-11-23"
        with urllib.request.urlopen(url, timeout=5) as response:
            assert response.headers["Access-Control-Allow-Origin"] == "*"
            assert json.loads(response.read())["records"]
