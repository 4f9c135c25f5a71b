"""The sandbox's availabletimeslots, appointments and accounts (clicrdv-api.md §2, §4, §5):
documented shapes, every refusal code, validateEmail through pendingRdv."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from .sandboxkit import CLIENT, NOW, Api, error, sha1, write_hours

SLOT_KEYS = {"group_id", "firstSlot", "intervention_ids", "calendar_id", "calendar_ids", "availabletimeslots"}
RECORD_KEYS = {"id", "group_id", "calendar_id", "intervention_ids", "fiche_id", "date", "start", "end",
               "comments", "websource", "from_web", "created_at", "updated_at"}  # fmt: skip


def set_group(site: Path, **changes) -> None:
    path = site / "groups" / "spa" / "group.json"
    data = json.loads(path.read_text("utf-8"))
    data["group"].update(changes)
    path.write_text(json.dumps(data), "utf-8")


@pytest.fixture
def api(minisite: Path) -> Iterator[Api]:
    client = Api(minisite)
    yield client
    client.close()


def test_availabletimeslots_answers_the_documented_object(api: Api) -> None:
    params = {"intervention_ids[]": "101", "calendar_id": "", "start": "2026-12-01 00:00:00", "end": "2026-12-02 00:00:00"}
    body = api.get("groups/1/availabletimeslots.json", params=params).json()
    assert set(body) == SLOT_KEYS
    assert body["group_id"] == 1 and body["intervention_ids"] == [101]
    assert body["calendar_id"] == "" and body["calendar_ids"] == [10, 11]
    assert body["firstSlot"] == "2026-12-01 09:00:00"
    first = body["availabletimeslots"][0]
    assert first == {"start": "2026-12-01 09:00:00", "capacity": 2, "calendar_ids": [10, 11]}
    starts = [s["start"][11:16] for s in body["availabletimeslots"]]
    assert starts[-1] == "17:30" and len(starts) == len(set(starts))  # 90 minutes end by 19:00


def test_one_calendar_and_the_step_and_hours_shape_the_slots(api: Api) -> None:
    starts = api.slots(calendar_id=10, start="2026-11-30", nDays=1)
    assert [s[11:16] for s in starts] == ["09:00", "09:15", "09:30", "09:45", "10:00", "10:15", "10:30", "10:45",
                                         "11:00", *[f"{h}:{m}" for h in range(14, 18) for m in ("00", "15", "30", "45")],
                                         "18:00"]  # fmt: skip


def test_without_start_slots_begin_now_and_without_end_run_seven_days(api: Api) -> None:
    api.clock[0] = NOW + timedelta(hours=2, minutes=5)  # 10:05 in Paris
    starts = api.slots()
    assert starts[0] == "2026-11-30 10:15:00"
    assert starts[-1] < "2026-12-07 10:05:00" and starts[-1] >= "2026-12-01"


def test_firstslot_looks_past_the_window_when_it_is_empty(api: Api) -> None:
    body = api.get("groups/1/availabletimeslots", params={"intervention_ids[]": "100", "start": "2026-12-02",
                                                          "end": "2026-12-06"}).json()  # fmt: skip
    assert body["availabletimeslots"] == [] and body["firstSlot"] == "2026-12-07 09:00:00"


@pytest.mark.parametrize(("params", "field"), [
    ({}, "intervention_ids[]"), ({"intervention_ids[]": "103"}, "intervention_ids[]"),
    ({"intervention_ids[]": "999"}, "intervention_ids[]"), ({"intervention_ids[]": "x"}, "intervention_ids[]"),
    ({"calendar_id": "11"}, "calendar_id"), ({"start": "2026-13-01"}, "start"), ({"start": "tomorrow"}, "start"),
    ({"end": "2026-12-01", "nDays": "2"}, "nDays"), ({"start": "2026-12-02", "end": "2026-12-01"}, "end"),
    ({"nDays": "0"}, "nDays"), ({"cal_qty": "0"}, "cal_qty"), ({"min_capacity": "-1"}, "min_capacity"),
])  # fmt: skip
def test_bad_slot_parameters_are_400_naming_them(api: Api, params: dict[str, str], field: str) -> None:
    query = {"intervention_ids[]": "100", **params} if params else {}
    answer = api.get("groups/1/availabletimeslots", params=query)
    assert answer.status_code == 400 and error(answer)["field"] == field


@pytest.mark.parametrize(("days", "ok"), [(62, True), (63, False)])
def test_a_window_spans_at_most_62_days(api: Api, days: int, ok: bool) -> None:
    answer = api.get("groups/1/availabletimeslots", params={"intervention_ids[]": "100", "nDays": str(days)})
    assert (answer.status_code == 200) is ok


@pytest.mark.parametrize("params", [
    {"start": "9999-12-31", "end": "9999-12-31 23:59:59"}, {"start": "9999-12-30", "end": "9999-12-31"},
    {"start": "9999-12-31 00:00:00", "end": "9999-12-31 12:00:00"},
])  # fmt: skip
def test_a_window_on_the_last_day_of_year_9999_is_answered_not_a_500(api: Api, params: dict[str, str]) -> None:
    answer = api.get("groups/1/availabletimeslots", params={"intervention_ids[]": "100", **params})
    assert answer.status_code == 200 and answer.json()["availabletimeslots"] == []


@pytest.mark.parametrize(("params", "field"), [
    ({"start": "9999-12-31"}, "start"), ({"start": "9999-12-30", "nDays": "2"}, "nDays"),
])  # fmt: skip
def test_a_window_ending_after_year_9999_is_400_naming_the_field(api: Api, params: dict[str, str], field: str) -> None:
    answer = api.get("groups/1/availabletimeslots", params={"intervention_ids[]": "100", **params})
    assert answer.status_code == 400 and error(answer)["field"] == field


def test_cal_qty_and_min_capacity_keep_slots_with_enough_room(api: Api) -> None:
    base = {"intervention_ids[]": "101", "start": "2026-12-01", "nDays": "1"}
    assert api.book("2026-12-01 09:00:00", services=(101,), calendar=10).status_code == 201
    two = api.get("groups/1/availabletimeslots", params={**base, "cal_qty": "2"}).json()["availabletimeslots"]
    assert two[0]["start"] == "2026-12-01 10:30:00"
    one = api.get("groups/1/availabletimeslots", params=base).json()["availabletimeslots"]
    assert one[0] == {"start": "2026-12-01 09:00:00", "capacity": 1, "calendar_ids": [11]}


# -- appointments ------------------------------------------------------------------------------


def test_a_booking_answers_201_with_the_bare_record_and_takes_its_slot(api: Api) -> None:
    answer = api.book("2026-12-01 09:00:00", calendar=10, comments=None)
    assert answer.status_code == 201
    record = answer.json()
    assert set(record) == RECORD_KEYS
    assert (record["date"], record["end"], record["calendar_id"], record["from_web"]) == (
        "2026-12-01 09:00:00", "2026-12-01 10:00:00", 10, 1)  # fmt: skip
    assert api.store.appointments(1) == [record]
    assert "2026-12-01 09:00:00" not in api.slots(start="2026-12-01", nDays=1)


def test_no_calendar_books_a_free_calendar(api: Api) -> None:
    first = api.book("2026-12-01 09:00:00", services=(101,)).json()
    api.store.add_account(1, "b@example.test", validated=True)
    second = api.book("2026-12-01 09:00:00", services=(101,), email="b@example.test", calendar="")
    assert {first["calendar_id"], second.json()["calendar_id"]} == {10, 11}


def test_a_taken_slot_is_400_not_available_with_the_documented_pair(api: Api) -> None:
    assert api.book("2026-12-01 09:00:00", calendar=10).status_code == 201
    answer = api.book("2026-12-01 09:30:00", calendar=10, email=CLIENT[0])
    assert answer.status_code == 400
    assert error(answer)["code"] == "SameTimeRdv" and error(answer)["number"] == 12
    api.store.add_account(1, "b@example.test", validated=True)
    answer = api.book("2026-12-01 09:30:00", calendar=10, email="b@example.test")
    assert (answer.status_code, error(answer)["code"], error(answer)["number"]) == (400, "NotAvailable", 10)
    assert error(answer)["field"] == "appointment.date"


@pytest.mark.parametrize("date", ["2026-12-01 09:05:00", "2026-11-30 12:00:00", "2026-12-01 18:15:00",
                                  "2026-12-06 10:00:00", "2026-12-01 08:45:00"])  # fmt: skip
def test_a_time_the_hours_do_not_offer_is_not_available(api: Api, date: str) -> None:
    assert error(api.book(date))["code"] == "NotAvailable"


def test_too_soon_and_too_far_are_mintimerdv_and_maxrdvperiod(minisite: Path) -> None:
    write_hours(minisite, "spa", 'mon = ["00:00-24:00"]\nsun = ["00:00-24:00"]', min_notice=120, max_days_ahead=7)
    api = Api(minisite)
    # Now is Monday 08:00: 10:00 is the first bookable start, Monday 7 December 08:00 the last.
    assert error(api.book("2026-11-30 09:45:00"))["code"] == "MintimeRdv"
    assert api.book("2026-11-30 10:00:00").status_code == 201
    assert error(api.book("2026-12-07 08:15:00", email="x@example.test"))["code"] == "MaxRdvPeriod"
    api.store.add_account(1, "y@example.test", validated=True)
    assert error(api.book("2026-12-07 08:15:00", email="y@example.test"))["code"] == "MaxRdvPeriod"
    assert api.book("2026-12-07 08:00:00", email="y@example.test").status_code == 201
    assert error(api.book("2026-11-30 07:00:00", email="y@example.test"))["code"] == "MintimeRdv"
    api.close()


def test_max_multirdvs_bounds_the_upcoming_appointments_of_one_client(minisite: Path) -> None:
    set_group(minisite, max_multirdvs=3)
    api = Api(minisite)
    for hour in ("09", "10", "11"):
        assert api.book(f"2026-12-01 {hour}:00:00").status_code == 201
    answer = api.book("2026-12-01 14:00:00")
    assert (error(answer)["code"], error(answer)["number"]) == ("MaxRdvNumber", 6)
    api.clock[0] = NOW + timedelta(days=1, hours=3)  # the 09:00 one is past
    assert api.book("2026-12-01 14:00:00").status_code == 201
    api.close()


def test_a_pros_booking_from_web_0_only_meets_not_available(api: Api) -> None:
    body = {"appointment": {"date": "2026-12-01 09:00:00", "intervention_ids": [100], "from_web": 0,
                            "fiche": {"lastname": "Walk-in", "email": "walk@example.test"}}}  # fmt: skip
    assert api.post("groups/1/appointments", body).status_code == 201
    assert error(api.post("groups/1/appointments", body))["code"] == "NotAvailable"


def test_open_false_needs_a_confirmed_account_email_not_found_otherwise(minisite: Path) -> None:
    set_group(minisite, open=False, validateEmail=False)
    api = Api(minisite)
    answer = api.book("2026-12-01 09:00:00", email="stranger@example.test")
    assert (error(answer)["code"], error(answer)["number"], error(answer)["field"]) == (
        "EmailNotFound", 13, "appointment.fiche.email")  # fmt: skip
    assert api.book("2026-12-01 09:00:00", auth=CLIENT, email=CLIENT[0]).status_code == 201
    api.close()


def test_an_inactive_group_refuses_web_bookings_with_403(api: Api) -> None:
    answer = api.post("groups/2/appointments", {"appointment": {"date": "2026-12-01 09:00:00", "intervention_ids": [200],
                                                                "fiche": {"lastname": "X", "email": CLIENT[0]}}})  # fmt: skip
    assert answer.status_code == 403


def test_an_account_books_as_itself(api: Api) -> None:
    body = {"appointment": {"date": "2026-12-01 09:00:00", "intervention_ids": [100]}}
    answer = api.post("groups/1/appointments", body, auth=CLIENT)
    assert answer.status_code == 201
    fiche = api.get(f"groups/1/fiches/{answer.json()['fiche_id']}").json()
    assert (fiche["email"], fiche["lastname"]) == (CLIENT[0], "Client")
    other = {"appointment": {**body["appointment"], "date": "2026-12-01 11:00:00", "fiche": {"email": "x@example.test"}}}
    assert error(api.post("groups/1/appointments", other, auth=CLIENT))["field"] == "appointment.fiche.email"


@pytest.mark.parametrize(("appointment", "field"), [
    ({"date": "2026-12-01T09:00:00"}, "appointment.date"), ({"date": "2026-12-01"}, "appointment.date"),
    ({"intervention_ids": []}, "appointment.intervention_ids"), ({"intervention_ids": [103]}, "appointment.intervention_ids"),
    ({"intervention_ids": [100, 100]}, "appointment.intervention_ids"), ({"calendar_id": 11}, "appointment.calendar_id"),
    ({"fiche": {"lastname": "X", "email": "x@example.test", "phone": "1"}}, "appointment.fiche.phone"),
    ({"fiche": {"lastname": "X", "email": "x@example.test", "sms_reminder": True}}, "appointment.fiche.sms_reminder"),
    ({"fiche": {"lastname": "", "email": "x@example.test"}}, "appointment.fiche.lastname"),
    ({"fiche": {"lastname": "X" * 65, "email": "x@example.test"}}, "appointment.fiche.lastname"),
    ({"fiche": {"lastname": "X", "email": "x@example.test", "firstphone": "1" * 26}}, "appointment.fiche.firstphone"),
    ({"fiche": {"lastname": "X", "email": "not an email"}}, "appointment.fiche.email"),
    ({"fiche": {"lastname": "X", "email": "x@example.test", "rappel_sms": "yes"}}, "appointment.fiche.rappel_sms"),
    ({"fiche": "X"}, "appointment.fiche"), ({"status": "confirmed"}, "appointment.status"),
])  # fmt: skip
def test_bad_appointment_fields_are_400_naming_them(api: Api, appointment: dict, field: str) -> None:
    base = {"date": "2026-12-01 09:00:00", "intervention_ids": [100],
            "fiche": {"lastname": "X", "email": CLIENT[0]}}  # fmt: skip
    answer = api.post("groups/1/appointments", {"appointment": {**base, **appointment}})
    assert answer.status_code == 400 and error(answer)["field"] == field and error(answer)["code"] is None
    assert api.store.appointments(1) == []


@pytest.mark.parametrize(("name", "limit"), [("lastname", 64), ("firstname", 64), ("firstphone", 25),
                                             ("secondphone", 25), ("email", 255)])  # fmt: skip
def test_fiche_lengths_on_both_sides_of_the_limit(api: Api, name: str, limit: int) -> None:
    def value(size: int) -> str:
        return "a@" + "b" * (size - 7) + ".test" if name == "email" else "1" * size

    api.store.add_account(1, value(limit), validated=True)
    assert api.book("2026-12-01 09:00:00", **{name: value(limit)}).status_code == 201
    answer = api.book("2026-12-01 10:00:00", **{name: value(limit + 1)})
    assert answer.status_code == 400 and error(answer)["field"] == f"appointment.fiche.{name}"


def test_a_fiche_with_an_id_updates_that_record(api: Api) -> None:
    first = api.book("2026-12-01 09:00:00").json()
    answer = api.post("groups/1/appointments", {"appointment": {"date": "2026-12-01 10:00:00", "intervention_ids": [100],
                                                                "fiche": {"id": first["fiche_id"], "firstphone": "+33 6"}}})  # fmt: skip
    assert answer.json()["fiche_id"] == first["fiche_id"]
    assert api.get(f"groups/1/fiches/{first['fiche_id']}").json()["firstphone"] == "+33 6"


# -- accounts and validateEmail ------------------------------------------------------------------


def pending(date: str = "2026-12-01 09:00:00", **extra) -> str:
    return json.dumps({"intervention_ids": [100], "intervention_names": ["Massage relaxant"], "calendar_id": 0,
                       "calendar_name": "", "date": date, "fiche": {"firstname": "Ana", "lastname": "Lima",
                       "firstphone": "+33 6 12", "rappel_sms": 1}, **extra})  # fmt: skip


def test_validate_email_parks_the_booking_until_the_link_is_opened(api: Api) -> None:
    answer = api.post("accounts.json", {"account": {"email": "ana@example.test", "group_id": 1, "pendingRdv": pending()}},
                      auth=None)  # fmt: skip
    assert answer.status_code == 201
    assert answer.json() == {"id": answer.json()["id"], "email": "ana@example.test", "group_id": 1,
                             "firstname": "Ana", "lastname": "Lima", "firstphone": "+33 6 12"}  # fmt: skip
    assert api.store.appointments(1) == []
    [mail] = api.store.outbox("ana@example.test")
    assert api.get("/sandbox/outbox", params={"email": "ana@example.test"}, auth=None).json()["records"] == [mail]
    assert api.get("/sandbox/outbox", key="wrong", auth=None).status_code == 401
    confirmed = api.call("POST", mail["link"], key=None, auth=None, data={"password": "s3cret"})
    assert confirmed.status_code == 200
    record = confirmed.json()["appointment"]
    assert api.store.appointments(1) == [record] and record["date"] == "2026-12-01 09:00:00"
    assert api.get(mail["link"], key=None, auth=None).status_code == 404  # a link works once
    login = {"account[email]": "ana@example.test", "account[password]": sha1("s3cret")}
    assert api.post("sessions/login", auth=None, data=login).status_code == 200



def test_head_on_a_confirmation_link_is_a_405_and_the_link_still_works(api: Api) -> None:
    # A mail scanner's HEAD must not confirm the account or book the parked time.
    account = {"account": {"email": "ana@example.test", "group_id": 1, "pendingRdv": pending()}}
    api.post("accounts", account, auth=None)
    [mail] = api.store.outbox("ana@example.test")
    answer = api.call("HEAD", mail["link"], key=None, auth=None)
    assert answer.status_code == 405 and answer.headers["allow"] == "GET, POST" and answer.content == b""
    assert api.store.appointments(1) == []
    assert api.get(mail["link"], key=None, auth=None).status_code == 200
    assert len(api.store.appointments(1)) == 1


def test_a_parked_time_taken_before_the_link_is_opened_is_not_available(api: Api) -> None:
    api.post("accounts", {"account": {"email": "ana@example.test", "group_id": 1, "pendingRdv": pending()}}, auth=None)
    assert api.book("2026-12-01 09:00:00").status_code == 201
    answer = api.get(api.store.outbox()[0]["link"], key=None, auth=None)
    assert error(answer)["code"] == "NotAvailable"
    assert api.post("sessions/login", auth=None, data={"account[email]": "ana@example.test",
                                                       "account[password]": sha1("sandbox")}).status_code == 200  # fmt: skip


@pytest.mark.parametrize(("account", "status", "code", "field"), [
    ({"email": CLIENT[0], "group_id": 1}, 400, "EmailAlreadyExists", "account.email"),
    ({"email": "n@example.test", "group_id": 1, "pendingRdv": pending("2026-11-30 12:00:00")}, 400, "NotAvailable",
     "account.pendingRdv.date"),
    ({"email": "n@example.test", "group_id": 1, "pendingRdv": "{"}, 400, None, "account.pendingRdv"),
    ({"email": "n@example.test", "group_id": 1, "pendingRdv": pending(token="x")}, 400, None, "account.pendingRdv"),
    ({"email": "n@example.test", "group_id": 999}, 404, None, None),
    ({"email": "nope", "group_id": 1}, 400, None, "account.email"),
    ({"email": "n@example.test", "group_id": 1, "password": "x"}, 400, None, "account.password"),
])  # fmt: skip
def test_account_refusals(api: Api, account: dict, status: int, code: str | None, field: str | None) -> None:
    answer = api.post("accounts", {"account": account}, auth=None)
    assert answer.status_code == status
    assert (error(answer)["code"], error(answer)["field"]) == (code, field)
    assert api.store.outbox() == []


def test_reload_keeps_bookings_and_accounts_and_takes_the_new_settings(minisite: Path) -> None:
    from generator.load.loader import load_site

    api = Api(minisite)
    booked = api.book("2026-12-01 09:00:00").json()
    api.post("accounts", {"account": {"email": "ana@example.test", "group_id": 1}}, auth=None)
    assert api.call("PUT", "groups/1", body={"group": {"phone": "09 99"}}).status_code == 200
    set_group(minisite, max_multirdvs=1, name="Renamed Spa")
    api.store.reload(load_site(minisite))
    group = api.get("groups/1").json()
    assert group["name"] == "Renamed Spa" and group["phone"] == "01 23 45 67 89"  # the files win over a PUT
    assert api.store.appointments(1) == [booked]
    assert len([a for a in api.store.accounts.values() if a.group_id == 1]) == 2  # demo client + ana
    assert error(api.book("2026-12-01 11:00:00"))["code"] == "MaxRdvNumber"
    api.close()
