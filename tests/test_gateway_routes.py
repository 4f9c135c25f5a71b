"""The gateway's public paths: ClicRDV v1's under /api/v1, key added upstream, nothing else."""

from __future__ import annotations

import json

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from .gatewaykit import APIKEY, ORIGIN, FakeClicRDV, appointment, gateway_client

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.parametrize(
    ("method", "path", "upstream"),
    [
        ("GET", "/api/v1/groups/1", "groups/1"),
        ("GET", "/api/v1/groups/1.json", "groups/1"),
        ("GET", "/api/v1/groups/1/interventionsets.json", "groups/1/interventionsets"),
        ("GET", "/api/v1/groups/1/interventions", "groups/1/interventions"),
        ("GET", "/api/v1/groups/1/calendars.json", "groups/1/calendars"),
        ("GET", "/api/v1/groups/1/availabletimeslots?intervention_ids[]=21", "groups/1/availabletimeslots"),
    ],
)
async def test_public_reads_reach_clicrdv_with_the_key_and_answer_without_it(method: str, path: str, upstream: str) -> None:
    fake = FakeClicRDV()
    async with gateway_client(fake) as client:
        response = await client.request(method, path)
    assert response.status_code == 200, response.text
    assert APIKEY not in response.text
    last = fake.seen[-1]
    assert last["path"] == upstream
    assert ("apikey", APIKEY) in last["query"]
    assert last["headers"]["authorization"].startswith("Basic ")


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v1/groups", 404),
        ("GET", "/api/v1/groups/1/fiches", 404),
        ("GET", "/api/v1/groups/1/appointments", 405),
        ("PUT", "/api/v1/groups/1", 405),
        ("DELETE", "/api/v1/groups/1/calendars", 405),
        ("GET", "/api/v1/groups/1/vevents.json", 404),
        ("GET", "/api/v1/groups/0", 404),
        ("GET", "/api/v1/groups/abc", 404),
        ("GET", "/api/v2/groups/1", 404),
        ("GET", "/", 404),
        ("GET", "/api/v1/sessions/login", 405),
    ],
)
async def test_everything_outside_the_booking_flow_is_refused(method: str, path: str, status: int) -> None:
    fake = FakeClicRDV()
    async with gateway_client(fake) as client:
        response = await client.request(method, path)
    assert response.status_code == status
    assert set(response.json()["error"]) == {"code", "message"}
    assert fake.seen == []


@given(path=st.text(alphabet="abcdefgh0123456789/._-%?=&[]", max_size=60))
def test_no_path_ever_fails_with_a_500_or_shows_the_key(path: str) -> None:
    import asyncio

    async def run() -> httpx.Response:
        async with gateway_client(FakeClicRDV()) as client:
            return await client.get("/api/v1/" + path)

    response = asyncio.run(run())
    assert response.status_code < 500
    assert APIKEY not in response.text
    assert response.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("path", ["%0a0", "groups/1%0a.json", "%0d%0a"])
async def test_a_path_with_a_decoded_line_break_is_a_json_404(path: str) -> None:
    # The catch-all route's pattern stops at a newline: the router's own default answered text.
    fake = FakeClicRDV()
    async with gateway_client(fake) as client:
        response = await client.get("/api/v1/" + path)
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert response.headers["cache-control"] == "no-store" and fake.seen == []


async def test_a_key_sent_by_the_page_and_unknown_parameters_are_dropped() -> None:
    fake = FakeClicRDV()
    async with gateway_client(fake) as client:
        await client.get("/api/v1/groups/1/calendars", params={"apikey": "evil", "intervention_ids[]": "21",
                                                               "conditions[0][field]": "x", "results": "all"})  # fmt: skip
    query = fake.seen[-1]["query"]
    assert [v for k, v in query if k == "apikey"] == [APIKEY]
    assert ("intervention_ids[]", "21") in query and ("results", "all") in query
    assert all(not k.startswith("conditions") for k, _ in query)


async def test_group_settings_are_cut_to_the_public_fields() -> None:
    async with gateway_client(FakeClicRDV()) as client:
        group = (await client.get("/api/v1/groups/1.json")).json()["group"]
    assert group["name"] == "Open Salon" and group["max_multirdvs"] == 2
    assert "sms_sender_name" not in group and "check_sms" not in group


async def test_a_key_echoed_by_clicrdv_never_reaches_the_page() -> None:
    async with gateway_client(FakeClicRDV(echo_key=True), groups=None) as client:
        response = await client.get("/api/v1/groups/1/interventions")
        fake_group = await client.get("/api/v1/groups/1")
    assert APIKEY not in response.text + fake_group.text


async def test_groups_outside_the_configured_list_are_not_found() -> None:
    fake = FakeClicRDV()
    async with gateway_client(fake, groups=frozenset({1})) as client:
        assert (await client.get("/api/v1/groups/1/calendars")).status_code == 200
        refused = await client.get("/api/v1/groups/3/calendars")
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "not_found"
    assert all(s["path"] != "groups/3/calendars" for s in fake.seen)


@pytest.mark.parametrize("size_over", [0, 1])
async def test_bodies_over_the_limit_get_413_and_at_the_limit_pass(size_over: int) -> None:
    body = json.dumps(appointment()).encode()
    limit = len(body) - size_over
    fake = FakeClicRDV()
    async with gateway_client(fake, max_body=limit) as client:
        response = await client.post("/api/v1/groups/1/appointments", content=body,
                                     headers={"Content-Type": "application/json"})  # fmt: skip
    if size_over:
        assert response.status_code == 413 and response.json()["error"]["code"] == "body_too_large"
        assert fake.appointments == []
    else:
        assert response.status_code == 201


async def test_a_chunked_body_over_the_limit_gets_413() -> None:
    async def chunks():  # no Content-Length: the limit is counted while reading
        for _ in range(10):
            yield b"x" * 100

    async with gateway_client(FakeClicRDV(), max_body=500) as client:
        response = await client.post("/api/v1/groups/1/appointments", content=chunks())
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"fiche": {"id": 5, "firstname": "A"}}, "appointment.fiche.id"),
        ({"fiche": {"firstname": "x" * 65}}, "appointment.fiche.firstname"),
        ({"fiche": {"firstphone": "1" * 26}}, "appointment.fiche.firstphone"),
        ({"date": "2026-12-01T09:00"}, "appointment.date"),
        ({"intervention_ids": []}, "appointment.intervention_ids"),
        ({"apikey": "x"}, "appointment.apikey"),
    ],
)
async def test_appointment_bodies_outside_clicrdv_limits_are_refused_naming_the_field(change: dict, field: str) -> None:
    fake = FakeClicRDV()
    async with gateway_client(fake) as client:
        response = await client.post("/api/v1/groups/1/appointments", json=appointment(**change))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"
    assert response.json()["error"]["message"].startswith(field + ":")
    assert response.json()["error"]["field"] == field
    assert fake.appointments == []


async def test_appointment_fields_at_clicrdv_limits_pass_and_no_preference_leaves_calendar_out() -> None:
    fake = FakeClicRDV()
    fiche = {"firstname": "x" * 64, "lastname": "y" * 64, "email": "a@" + "b" * 251 + ".c", "firstphone": "1" * 25}
    async with gateway_client(fake) as client:
        response = await client.post("/api/v1/groups/1/appointments", json=appointment(fiche=fiche, calendar_id=""))
    assert response.status_code == 201, response.text
    assert "calendar_id" not in json.loads(fake.seen[-1]["body"])["appointment"]


async def test_not_json_is_a_400_not_a_500() -> None:
    async with gateway_client(FakeClicRDV()) as client:
        response = await client.post("/api/v1/groups/1/appointments", content=b"[[[[" * 1000)
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (None, "body: must be a JSON object"),
        ([1], "body: must be a JSON object"),
        ({}, "appointment: is required"),
        ({"appointment": "x"}, "appointment: must be a JSON object"),
        ({"appointment": {**appointment()["appointment"], "fiche": "x"}}, "appointment.fiche: must be a JSON object"),
    ],
)
async def test_a_body_of_the_wrong_shape_is_a_400_without_python_class_names(body: object, message: str) -> None:
    fake = FakeClicRDV()
    async with gateway_client(fake) as client:
        response = await client.post("/api/v1/groups/1/appointments", content=json.dumps(body).encode())
    assert response.status_code == 400 and response.json()["error"]["message"] == message
    assert fake.appointments == []


# -- HEAD (RFC 9110 §9.3.2): a GET's status and headers, no body, no other effect -------------

GET_PATHS = [
    "/api/v1/groups/1",
    "/api/v1/groups/1.json",
    "/api/v1/groups/1/interventionsets",
    "/api/v1/groups/1/interventions.json",
    "/api/v1/groups/1/calendars?intervention_ids[]=21",
    "/api/v1/groups/1/availabletimeslots?intervention_ids[]=21",
    "/api/v1/groups/2/calendars",  # a 200 for a group that takes no bookings
    "/api/v1/groups/4",  # ClicRDV's own 404, passed through
    "/api/v1/groups/1/availabletimeslots?intervention_ids[]=99",  # the gateway's own 400
    "/healthz",
    "/readyz",
]


def _comparable(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k != "x-request-id"}  # new per request


@pytest.mark.parametrize("path", GET_PATHS)
async def test_head_on_a_get_path_answers_the_gets_status_and_headers_without_a_body(path: str) -> None:
    got_fake, head_fake = FakeClicRDV(), FakeClicRDV()
    async with gateway_client(got_fake) as client:
        got = await client.get(path, headers={"Origin": ORIGIN})
    async with gateway_client(head_fake) as client:
        head = await client.head(path, headers={"Origin": ORIGIN})
    assert head.status_code == got.status_code
    assert _comparable(head) == _comparable(got)
    assert int(head.headers["content-length"]) == len(got.content) > 0
    assert head.content == b""


@pytest.mark.parametrize("path", GET_PATHS[:6])
async def test_head_reaches_clicrdv_as_the_same_get_and_nothing_else(path: str) -> None:
    got_fake, head_fake = FakeClicRDV(), FakeClicRDV()
    async with gateway_client(got_fake) as client:
        await client.get(path)
    async with gateway_client(head_fake) as client:
        await client.head(path)
    assert head_fake.seen == got_fake.seen and {s["method"] for s in head_fake.seen} == {"GET"}


WRITE_PATHS = [
    "/api/v1/groups/1/appointments",
    "/api/v1/sessions/login",
    "/api/v1/sessions/logout",
    "/api/v1/accounts",
]


@pytest.mark.parametrize("path", WRITE_PATHS)
async def test_head_on_a_write_path_is_a_405_naming_the_allowed_methods_and_writes_nothing(path: str) -> None:
    fake = FakeClicRDV()
    async with gateway_client(fake) as client:
        response = await client.head(path, headers={"Cookie": "bookgen_session=x"})
    assert response.status_code == 405 and response.content == b""
    assert response.headers["allow"] == "POST, OPTIONS"
    assert fake.seen == [] and fake.appointments == []


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/api/v1/groups/1/appointments", "POST, OPTIONS"),
        ("PUT", "/api/v1/groups/1", "GET, HEAD, OPTIONS"),
        ("DELETE", "/api/v1/groups/1/calendars.json", "GET, HEAD, OPTIONS"),
    ],
)
async def test_a_405_names_the_methods_the_path_has(method: str, path: str, allow: str) -> None:
    async with gateway_client(FakeClicRDV()) as client:
        response = await client.request(method, path)
    assert response.status_code == 405 and response.headers["allow"] == allow


@pytest.mark.parametrize("path", ["/api/v1/groups", "/", "/api/v1/%0a0", "/api/v1/groups/99999999999"])
async def test_head_on_an_unknown_path_is_a_404_without_a_body(path: str) -> None:
    fake = FakeClicRDV()
    async with gateway_client(fake) as client:
        got, head = await client.get(path), await client.head(path)
    assert got.status_code == head.status_code == 404
    assert head.headers["content-length"] == got.headers["content-length"] and head.content == b""
    assert fake.seen == []


async def test_head_counts_against_the_read_rate_limit_like_a_get() -> None:
    async with gateway_client(FakeClicRDV(), rate_read="2/minute") as client:
        answers = [await client.head("/api/v1/groups/1"), await client.get("/api/v1/groups/1"),
                   await client.head("/api/v1/groups/1")]  # fmt: skip
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].content == b"" and "retry-after" in answers[2].headers

