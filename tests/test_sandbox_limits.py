"""The sandbox is bounded (reliability review D16): body size, JSON depth and oddities,
memory under repeated large POSTs, sessions; only documented statuses, never a 500 page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.sandbox import MAX_BODY_BYTES
from generator.sandbox.app import MAX_DEPTH
from generator.sandbox.store import LIMITS

from .sandboxkit import CLIENT, PRO, Api, error, sha1

DOCUMENTED = {200, 201, 400, 401, 403, 404, 405, 413, 500}


@pytest.fixture
def api(minisite: Path) -> Iterator[Api]:
    client = Api(minisite)
    yield client
    client.close()


def padded(size: int) -> bytes:
    """A JSON appointment body of exactly ``size`` bytes (a bad one: no fiche)."""
    head = b'{"appointment": {"date": "2026-12-01 09:00:00", "intervention_ids": [100]}}'
    return head + b" " * (size - len(head))


@pytest.mark.parametrize(("size", "status"), [(MAX_BODY_BYTES, 400), (MAX_BODY_BYTES + 1, 413)])
def test_bodies_over_the_limit_are_413_and_at_the_limit_are_read(api: Api, size: int, status: int) -> None:
    answer = api.call("POST", "groups/1/appointments", raw=padded(size), headers={"content-type": "application/json"})
    assert answer.status_code == status
    assert error(answer)["field"] == (None if status == 413 else "appointment.fiche")


def test_a_streamed_body_without_length_is_cut_at_the_limit(api: Api) -> None:
    async def chunks():
        for _ in range(MAX_BODY_BYTES // 1024 + 2):
            yield b" " * 1024

    request = api.client.request("POST", "/api/v1/groups/1/appointments", params={"apikey": "sandbox"}, auth=PRO,
                                 content=chunks(), headers={"content-type": "application/json"})  # fmt: skip
    assert api.loop.run_until_complete(request).status_code == 413


@pytest.mark.parametrize(("depth", "ok"), [(MAX_DEPTH, True), (MAX_DEPTH + 1, False), (30_000, False)])
def test_json_nested_deeper_than_the_limit_is_400(api: Api, depth: int, ok: bool) -> None:
    raw = ('{"group": ' + "[" * (depth - 2) + "{}" + "]" * (depth - 2) + "}").encode()
    answer = api.call("PUT", "groups/1", raw=raw, headers={"content-type": "application/json"})
    assert answer.status_code == 400
    assert ("nested" in error(answer)["message"]) is not ok


@pytest.mark.parametrize("raw", [b"{", b"\xff\xfe", b'{"group": {"max_multirdvs": ' + b"9" * 5000 + b"}}",
                                 b"NaN", b'{"group": {"max_multirdvs": Infinity}}', b"",
                                 b'{"group": {"phone": "1"}, "group": {}}', b'{"group": {"phone": "1", "phone": "2"}}'])  # fmt: skip
def test_odd_json_is_a_400_never_a_500(api: Api, raw: bytes) -> None:
    answer = api.call("PUT", "groups/1", raw=raw, headers={"content-type": "application/json"})
    assert answer.status_code == 400 and error(answer)


@pytest.mark.parametrize("kind", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_bodies_must_be_declared_json(api: Api, kind: str) -> None:
    answer = api.call("PUT", "groups/1", raw=b'{"group": {"phone": "1"}}', headers={"content-type": kind})
    assert answer.status_code == 400 and "Content-Type" in error(answer)["message"]


def test_memory_stays_flat_under_repeated_large_posts(api: Api) -> None:
    before = api.store.object_count()
    big = "x" * (MAX_BODY_BYTES - 1000)
    for _ in range(30):
        api.post("groups/1/appointments", {"appointment": {"date": "2026-12-01 09:00:00", "intervention_ids": [100],
                                                           "comments": big, "fiche": {"lastname": "X"}}})  # fmt: skip
        api.post("accounts", {"account": {"email": "x@example.test", "group_id": 1, "pendingRdv": big}}, auth=None)
        api.call("POST", "groups/1/appointments", raw=b" " * (MAX_BODY_BYTES * 4),
                 headers={"content-type": "application/json"})  # fmt: skip
    assert api.store.object_count() == before
    # A valid booking sent 30 times books once.
    for _ in range(30):
        api.book("2026-12-01 09:00:00")
    assert len(api.store.appointments(1)) == 1 and api.store.object_count() == before + 2  # + its fiche


def test_sessions_are_capped_oldest_first(api: Api) -> None:
    data = {"pro[email]": PRO[0], "pro[password]": sha1(PRO[1])}
    for _ in range(LIMITS["sessions"] + 5):
        api.client.cookies.clear()
        assert api.post("sessions/login", auth=None, data=data).status_code == 200
    assert len(api.store.sessions) == LIMITS["sessions"]


def test_accounts_per_group_are_capped_with_403(api: Api) -> None:
    for index in range(LIMITS["accounts"] - 1):  # the demo client is one
        api.store.add_account(1, f"a{index}@example.test")
    answer = api.post("accounts", {"account": {"email": "last@example.test", "group_id": 1}}, auth=None)
    assert answer.status_code == 403 and api.store.outbox() == []


def test_the_host_header_can_be_pinned_against_dns_rebinding(minisite: Path) -> None:
    api = Api(minisite, hosts=["127.0.0.1:8001"])
    assert error(api.get("groups", headers={"host": "evil.example"}))["message"] == "unexpected Host header"
    assert api.get("groups", headers={"host": "127.0.0.1:8001"}).status_code == 200
    api.close()


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[Api]:
    """One sandbox over the fixture site (read, never written) for every fuzzed request."""
    client = Api(Path(__file__).parent / "fixtures" / "minisite")
    yield client
    client.close()


WORDS = ["groups", "1", "2", "999", "calendars", "interventions", "interventionsets", "fiches", "appointments",
         "availabletimeslots", "accounts", "sessions", "login", "logout", "10", "100", "x.json", ".xml", ""]  # fmt: skip
JSONS = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
                     max_leaves=12)  # fmt: skip


@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
    parts=st.lists(st.sampled_from(WORDS), min_size=1, max_size=4),
    params=st.dictionaries(st.sampled_from(["results", "startIndex", "sort", "dir", "intervention_ids[]", "calendar_id",
                                            "start", "end", "nDays", "cal_qty"]), st.text(max_size=12), max_size=4),
    body=st.one_of(st.none(), JSONS, st.fixed_dictionaries({"appointment": JSONS}),
                   st.fixed_dictionaries({"group": JSONS}), st.fixed_dictionaries({"account": JSONS})),
    auth=st.sampled_from([PRO, CLIENT, None]),
)  # fmt: skip
def test_any_request_gets_a_documented_status_and_a_json_body(fuzzed: Api, method, parts, params, body, auth) -> None:
    api = fuzzed
    answer = api.call(method, "/".join(parts), params=params, body=body, auth=auth)
    assert answer.status_code in DOCUMENTED - {500}, answer.text
    payload = answer.json()
    if answer.status_code >= 400:
        error(answer)
    else:
        assert isinstance(payload, dict)

