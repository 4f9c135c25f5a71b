"""Upstream failures become 502/504 in the gateway's JSON shape; operations endpoints and logs."""

from __future__ import annotations

import json
import logging
import socket

import pytest

from .gatewaykit import (
    APIKEY,
    CLIENT_EMAIL,
    CLIENT_PASSWORD,
    SECRET,
    SESSION_ID,
    FakeClicRDV,
    appointment,
    gateway_client,
    login_form,
)

pytestmark = pytest.mark.anyio
FAST = {"call_timeout": 0.3, "request_timeout": 0.9, "connect_timeout": 0.3}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_upstream_down_is_a_502_in_the_gateways_shape() -> None:
    from generator.gateway.upstream import network_transport  # what production uses

    down = f"http://127.0.0.1:{_closed_port()}"
    async with gateway_client(FakeClicRDV(), transport=network_transport(), upstream=down, **FAST) as client:
        read = await client.get("/api/v1/groups/1/calendars")
        write = await client.post("/api/v1/groups/1/appointments", json=appointment())
    for response in (read, write):
        assert response.status_code == 502
        assert response.json() == {"error": {"code": "upstream_unreachable", "message": "ClicRDV could not be reached"}}


@pytest.mark.parametrize(("fault", "status", "code"), [
    ("slow", 504, "upstream_timeout"),
    ("500", 502, "upstream_error"),
    ("html", 502, "upstream_error"),
    ("html200", 502, "upstream_bad_answer"),
    ("truncated", 502, "upstream_bad_answer"),
    ("redirect", 502, "upstream_error"),
])  # fmt: skip
async def test_a_faulty_upstream_answer_is_a_json_502_or_504_never_passed_on(fault: str, status: int, code: str) -> None:
    fake = FakeClicRDV(faults=[fault] * 5)
    async with gateway_client(fake, **FAST) as client:
        response = await client.get("/api/v1/groups/1/interventions")
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"]["code"] == code
    assert "<html" not in response.text and "Traceback" not in response.text


async def test_gets_are_retried_and_posts_are_not() -> None:
    fake = FakeClicRDV(path_faults={"groups/1/calendars": ["500"], "groups/1/appointments": ["500"]})
    async with gateway_client(fake) as client:
        read = await client.get("/api/v1/groups/1/calendars")
        write = await client.post("/api/v1/groups/1/appointments", json=appointment())
    assert read.status_code == 200
    assert len([s for s in fake.seen if s["path"] == "groups/1/calendars"]) == 2 + 1  # + the rules' fetch
    assert write.status_code == 502
    assert len([s for s in fake.seen if s["path"] == "groups/1/appointments"]) == 1


async def test_a_slow_booking_times_out_at_the_request_deadline() -> None:
    fake = FakeClicRDV(path_faults={"groups/1/appointments": ["slow"]})
    async with gateway_client(fake, **FAST) as client:
        response = await client.post("/api/v1/groups/1/appointments", json=appointment())
    assert response.status_code == 504 and response.json()["error"]["code"] == "upstream_timeout"


async def test_clicrdvs_own_refusals_pass_through_unchanged() -> None:
    fake = FakeClicRDV()
    async with gateway_client(fake) as client:
        await client.post("/api/v1/groups/1/appointments", json=appointment())
        taken = await client.post("/api/v1/groups/1/appointments", json=appointment())
        missing = await client.get("/api/v1/groups/9/calendars")
    assert taken.status_code == 400 and taken.json() == {"error": {"code": 10, "message": "NotAvailable"}}
    assert missing.status_code == 404 and missing.json() == {"error": "not found"}


async def test_a_wrong_pro_login_is_a_502_not_a_401_the_visitor_cannot_fix() -> None:
    async with gateway_client(FakeClicRDV(), pro_password="wrong") as client:
        response = await client.get("/api/v1/groups/1/calendars")
    assert response.status_code == 502 and response.json()["error"]["code"] == "upstream_auth"


async def test_healthz_answers_while_readyz_follows_the_upstream() -> None:
    from generator.gateway.upstream import network_transport

    async with gateway_client(FakeClicRDV()) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        assert (await client.get("/readyz")).status_code == 200
    down = f"http://127.0.0.1:{_closed_port()}"
    async with gateway_client(FakeClicRDV(), transport=network_transport(), upstream=down, **FAST) as client:
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/readyz")).status_code == 503
    async with gateway_client(FakeClicRDV(), pro_password="wrong") as client:
        assert (await client.get("/readyz")).status_code == 503


async def test_access_log_is_json_lines_with_a_request_id_and_no_personal_data_or_secret(caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.INFO, logger="bookgen.gateway.access")
    async with gateway_client(FakeClicRDV()) as client:
        answers = [
            await client.post("/api/v1/sessions/login", data=login_form(), headers={"X-Request-Id": "req-42"}),
            await client.post("/api/v1/groups/3/appointments", json=appointment(intervention_ids=[41], calendar_id=45)),
            await client.get("/api/v1/groups/1/availabletimeslots?intervention_ids[]=21&start=2026-12-01"),
            await client.get(f"/api/v1/sessions/login?account[email]={CLIENT_EMAIL}"),
            await client.get(f"/api/v1/fiches/{CLIENT_EMAIL}"),
        ]
    lines = [r.getMessage() for r in caplog.records if r.name == "bookgen.gateway.access"]
    assert len(lines) == len(answers)
    entries = [json.loads(line) for line in lines]
    assert set(entries[0]) == {"ts", "id", "method", "route", "path", "status", "ms", "bytes"}
    assert entries[0]["id"] == "req-42" and answers[0].headers["x-request-id"] == "req-42"
    assert [e["route"] for e in entries] == ["login", "appointments", "availabletimeslots", "-", "-"]
    assert [e["status"] for e in entries] == [a.status_code for a in answers]
    everything = "\n".join(caplog.messages)
    cookie = answers[0].cookies.get("bookgen_session")
    for secret in (APIKEY, SECRET, SESSION_ID, CLIENT_EMAIL, CLIENT_PASSWORD, "Jane", "Doe", "+33", "12 34", cookie):
        assert secret not in everything
    assert all(APIKEY not in f"{a.headers}{a.text}" for a in answers)


async def test_with_redis_down_reads_go_through_and_keyed_bookings_wait_with_503() -> None:
    fake = FakeClicRDV()
    async with gateway_client(fake, storage=f"redis://127.0.0.1:{_closed_port()}/0") as client:
        read = await client.get("/api/v1/groups/1/calendars")
        keyed = await client.post("/api/v1/groups/1/appointments", json=appointment(), headers={"Idempotency-Key": "k"})
        ready = await client.get("/readyz")
    assert read.status_code == 200
    assert keyed.status_code == 503 and keyed.json()["error"]["code"] == "store_unavailable"
    assert keyed.headers["retry-after"] == "1"
    assert ready.status_code == 503 and fake.appointments == []
