"""Origins, CORS, rate limits, idempotent booking and the group's rules, enforced by the gateway."""

from __future__ import annotations

import asyncio

import pytest

from .gatewaykit import ORIGIN, FakeClicRDV, appointment, gateway_client, login_form

pytestmark = pytest.mark.anyio
OTHER = "https://salon.example"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# -- origins and CORS -------------------------------------------------------------------------


@pytest.mark.parametrize("origin", [None, "null", "https://evil.example", "http://127.0.0.1:8003", "not a url"])
async def test_writes_from_other_origins_are_refused(origin: str | None) -> None:
    fake = FakeClicRDV()
    async with gateway_client(fake, allow_origins=frozenset({OTHER})) as client:
        headers = {"Origin": origin} if origin else {}
        if origin is None:
            del client.headers["Origin"]
        response = await client.post("/api/v1/groups/1/appointments", json=appointment(), headers=headers)
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden_origin"
    assert "access-control-allow-origin" not in response.headers
    assert fake.appointments == []


@pytest.mark.parametrize("origin", [ORIGIN, OTHER])
async def test_writes_from_the_gateway_and_allowed_origins_pass(origin: str) -> None:
    async with gateway_client(FakeClicRDV(), allow_origins=frozenset({OTHER})) as client:
        response = await client.post("/api/v1/groups/1/appointments", json=appointment(), headers={"Origin": origin})
    assert response.status_code == 201


async def test_cors_headers_only_for_allowed_origins() -> None:
    async with gateway_client(FakeClicRDV(), allow_origins=frozenset({OTHER})) as client:
        allowed = await client.get("/api/v1/groups/1/calendars", headers={"Origin": OTHER})
        other = await client.get("/api/v1/groups/1/calendars", headers={"Origin": "https://evil.example"})
        same = await client.get("/api/v1/groups/1/calendars")
    assert allowed.headers["access-control-allow-origin"] == OTHER
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert "access-control-allow-origin" not in other.headers and "access-control-allow-origin" not in same.headers
    assert all(r.headers["vary"] == "Origin" for r in (allowed, other, same))


async def test_preflight_answers_allowed_origins_and_refuses_others() -> None:
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,idempotency-key"}
    async with gateway_client(FakeClicRDV(), allow_origins=frozenset({OTHER})) as client:
        ok = await client.options("/api/v1/groups/1/appointments", headers={"Origin": OTHER, **preflight})
        refused = await client.options("/api/v1/groups/1/appointments", headers={"Origin": "https://x.example", **preflight})
    assert ok.status_code == 204
    assert "POST" in ok.headers["access-control-allow-methods"]
    assert "Idempotency-Key" in ok.headers["access-control-allow-headers"]
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers


# -- rate limits ------------------------------------------------------------------------------


async def test_writes_over_the_limit_get_429_with_retry_after_and_reads_count_apart() -> None:
    fake = FakeClicRDV()
    async with gateway_client(fake, rate_write="2/minute", rate_read="3/minute") as client:
        answers = [await client.post("/api/v1/groups/1/appointments", json=appointment(f"2026-12-0{i} 09:00:00"))
                   for i in (1, 2, 3)]  # fmt: skip
        reads = [await client.get("/api/v1/groups/1/calendars") for _ in range(4)]
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert answers[2].json()["error"]["code"] == "rate_limited"
    assert 1 <= int(answers[2].headers["retry-after"]) <= 60
    assert [r.status_code for r in reads] == [200, 200, 200, 429]
    assert len(fake.appointments) == 2


# -- idempotency ------------------------------------------------------------------------------


async def test_a_retry_with_the_same_idempotency_key_returns_the_first_answer_and_books_once() -> None:
    fake = FakeClicRDV()
    async with gateway_client(fake) as client:
        key = {"Idempotency-Key": "7f9c2ba4-e88f-11e4-a1e6-0800200c9a66"}
        first = await client.post("/api/v1/groups/1/appointments", json=appointment(), headers=key)
        again = await client.post("/api/v1/groups/1/appointments", json=appointment(), headers=key)
    assert first.status_code == again.status_code == 201
    assert first.content == again.content
    assert len(fake.appointments) == 1


async def test_a_double_click_sent_at_once_creates_one_appointment() -> None:
    fake = FakeClicRDV(delay=0.2)
    async with gateway_client(fake) as client:
        key = {"Idempotency-Key": "double-click-1"}
        answers = await asyncio.gather(*[
            client.post("/api/v1/groups/1/appointments", json=appointment(), headers=key) for _ in range(5)
        ])  # fmt: skip
    assert {a.status_code for a in answers} == {201}
    assert len({a.content for a in answers}) == 1
    assert len(fake.appointments) == 1


async def test_without_a_key_a_second_submit_reaches_clicrdv_which_refuses_the_taken_slot() -> None:
    fake = FakeClicRDV()
    async with gateway_client(fake) as client:
        await client.post("/api/v1/groups/1/appointments", json=appointment())
        second = await client.post("/api/v1/groups/1/appointments", json=appointment())
    assert second.status_code == 400 and second.json() == {"error": {"code": 10, "message": "NotAvailable"}}


def _settings_reads(fake: FakeClicRDV) -> int:
    return sum(1 for seen in fake.seen if seen["method"] == "GET" and seen["path"] == "groups/1")


async def test_the_groups_rules_are_read_once_then_again_after_clicrdv_refuses_a_booking() -> None:
    fake = FakeClicRDV()
    async with gateway_client(fake) as client:
        await client.get("/api/v1/groups/1/availabletimeslots", params={"intervention_ids[]": "21"})
        first = await client.post("/api/v1/groups/1/appointments", json=appointment())
        assert first.status_code == 201 and _settings_reads(fake) == 1  # cached: one read for both
        taken = await client.post("/api/v1/groups/1/appointments", json=appointment())
        assert taken.status_code == 400 and _settings_reads(fake) == 1
        await client.post("/api/v1/groups/1/appointments", json=appointment("2026-12-01 10:00:00"))
    assert _settings_reads(fake) == 2  # the refusal dropped the cached rules


async def test_an_upstream_failure_on_slots_drops_the_cached_rules() -> None:
    fake = FakeClicRDV()
    async with gateway_client(fake, retries=0) as client:
        await client.get("/api/v1/groups/1/availabletimeslots", params={"intervention_ids[]": "21"})
        fake.path_faults["groups/1/availabletimeslots"] = ["500"]
        failed = await client.get("/api/v1/groups/1/availabletimeslots", params={"intervention_ids[]": "21"})
        assert failed.status_code == 502 and _settings_reads(fake) == 1
        await client.get("/api/v1/groups/1/availabletimeslots", params={"intervention_ids[]": "21"})
    assert _settings_reads(fake) == 2


async def test_the_same_key_with_another_body_is_refused() -> None:
    async with gateway_client(FakeClicRDV()) as client:
        key = {"Idempotency-Key": "k1"}
        await client.post("/api/v1/groups/1/appointments", json=appointment(), headers=key)
        other = await client.post("/api/v1/groups/1/appointments", json=appointment("2026-12-02 10:00:00"), headers=key)
    assert other.status_code == 400 and other.json()["error"]["code"] == "idempotency_key_reused"


@pytest.mark.parametrize(("key", "status"), [("a" * 255, 201), ("a" * 256, 400), ("", 400), ("é", 400), ("a b", 400)])
async def test_idempotency_keys_are_1_to_255_printable_ascii_characters(key: str, status: int) -> None:
    async with gateway_client(FakeClicRDV()) as client:
        response = await client.post("/api/v1/groups/1/appointments", json=appointment(),
                                     headers={"Idempotency-Key": key.encode("utf-8")})  # type: ignore[dict-item]
    assert response.status_code == status


async def test_a_failed_call_releases_its_key_so_a_retry_books() -> None:
    fake = FakeClicRDV(path_faults={"groups/1/appointments": ["500"]})
    async with gateway_client(fake) as client:
        key = {"Idempotency-Key": "retry-after-502"}
        failed = await client.post("/api/v1/groups/1/appointments", json=appointment(), headers=key)
        retried = await client.post("/api/v1/groups/1/appointments", json=appointment(), headers=key)
    assert failed.status_code == 502 and retried.status_code == 201
    assert len(fake.appointments) == 1


async def test_keys_are_scoped_by_group() -> None:
    fake = FakeClicRDV()
    async with gateway_client(fake) as client:
        key = {"Idempotency-Key": "same"}
        await client.post("/api/v1/groups/1/appointments", json=appointment(), headers=key)
        await client.post("/api/v1/sessions/login", data=login_form())
        other = await client.post("/api/v1/groups/3/appointments",
                                  json=appointment(intervention_ids=[41], calendar_id=45), headers=key)  # fmt: skip
    assert other.status_code == 201 and len(fake.appointments) == 2


# -- the group's rules ------------------------------------------------------------------------


async def test_an_inactive_group_gives_no_slots_and_takes_no_booking() -> None:
    fake = FakeClicRDV()
    async with gateway_client(fake) as client:
        slots = await client.get("/api/v1/groups/2/availabletimeslots", params={"intervention_ids[]": "31"})
        booking = await client.post("/api/v1/groups/2/appointments",
                                    json=appointment(intervention_ids=[31], calendar_id=35))  # fmt: skip
        settings = await client.get("/api/v1/groups/2")
    assert slots.status_code == booking.status_code == 403
    assert booking.json()["error"]["code"] == "inactive"
    assert settings.status_code == 200  # the page still shows the business and its notice
    assert fake.appointments == []


async def test_a_closed_group_books_only_for_signed_in_accounts_and_hides_slots_without_one() -> None:
    fake = FakeClicRDV()
    body = appointment(intervention_ids=[41], calendar_id=45)
    async with gateway_client(fake) as client:
        slots = await client.get("/api/v1/groups/3/availabletimeslots", params={"intervention_ids[]": "41"})
        anonymous = await client.post("/api/v1/groups/3/appointments", json=body)
        login = await client.post("/api/v1/sessions/login", data=login_form())
        signed_slots = await client.get("/api/v1/groups/3/availabletimeslots", params={"intervention_ids[]": "41"})
        signed = await client.post("/api/v1/groups/3/appointments", json=body)
    assert slots.status_code == anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "signin_required"
    assert login.status_code == 200 and signed_slots.status_code == 200 and signed.status_code == 201
    booked = [s for s in fake.seen if s["path"] == "groups/3/appointments"]
    assert len(booked) == 1 and "authorization" not in booked[0]["headers"]
    assert "_session_id=upstream-session-4f7a" in booked[0]["headers"]["cookie"]


@pytest.mark.parametrize(("ids", "calendar", "code"), [
    ([22], 15, "unknown_intervention"),  # deleted
    ([41], 15, "unknown_intervention"),  # another group's
    ([21], 16, "unknown_calendar"),  # deleted
    ([21], 45, "unknown_calendar"),  # another group's
])  # fmt: skip
async def test_only_the_groups_own_services_and_calendars_can_be_booked(ids: list[int], calendar: int, code: str) -> None:
    fake = FakeClicRDV()
    async with gateway_client(fake) as client:
        booking = await client.post("/api/v1/groups/1/appointments", json=appointment(intervention_ids=ids, calendar_id=calendar))
        slots = await client.get("/api/v1/groups/1/availabletimeslots",
                                 params=[*[("intervention_ids[]", str(i)) for i in ids], ("calendar_id", str(calendar))])  # fmt: skip
    assert booking.status_code == slots.status_code == 400
    assert booking.json()["error"]["code"] == slots.json()["error"]["code"] == code
    assert fake.appointments == []


async def test_max_multirdvs_bounds_appointments_per_client_session() -> None:
    fake = FakeClicRDV()  # group 1 allows 2 in a row
    async with gateway_client(fake) as client:
        answers = [await client.post("/api/v1/groups/1/appointments", json=appointment(f"2026-12-0{i} 09:00:00"))
                   for i in (1, 2, 3)]  # fmt: skip
    assert [a.status_code for a in answers] == [201, 201, 400]
    assert answers[2].json()["error"] == {"code": "MaxRdvNumber", "number": 6, "field": None,
                                          "message": "at most 2 appointment(s) in a row"}
    assert len(fake.appointments) == 2


async def test_a_sign_up_parks_only_the_groups_own_services() -> None:
    import json

    fake = FakeClicRDV()
    async with gateway_client(fake) as client:
        def account(group: int, ids: list[int]) -> dict:
            pending = json.dumps({"intervention_ids": ids, "calendar_id": 0, "date": "2026-12-01 09:00:00"})
            return {"account": {"email": "new@example.test", "group_id": group, "pendingRdv": pending}}

        ok = await client.post("/api/v1/accounts", json=account(1, [21]))
        foreign = await client.post("/api/v1/accounts", json=account(1, [41]))
        inactive = await client.post("/api/v1/accounts", json=account(2, [31]))
    assert ok.status_code == 201
    signup = next(s for s in fake.seen if s["path"] == "accounts")
    assert "authorization" not in signup["headers"] and "cookie" not in signup["headers"]  # creates an identity
    assert foreign.status_code == 400 and foreign.json()["error"]["code"] == "unknown_intervention"
    assert inactive.status_code == 403


async def test_a_replay_is_answered_even_after_its_booking_reached_max_multirdvs() -> None:
    fake = FakeClicRDV()  # group 3 allows 1 in a row
    body = appointment(intervention_ids=[41], calendar_id=45)
    async with gateway_client(fake) as client:
        await client.post("/api/v1/sessions/login", data=login_form())
        key = {"Idempotency-Key": "only-one"}
        first = await client.post("/api/v1/groups/3/appointments", json=body, headers=key)
        replay = await client.post("/api/v1/groups/3/appointments", json=body, headers=key)
        another = await client.post("/api/v1/groups/3/appointments", json=appointment("2026-12-09 09:00:00",
                                    intervention_ids=[41], calendar_id=45), headers={"Idempotency-Key": "two"})  # fmt: skip
    assert first.status_code == replay.status_code == 201 and first.content == replay.content
    assert another.status_code == 400 and another.json()["error"]["code"] == "MaxRdvNumber"
    assert len(fake.appointments) == 1
