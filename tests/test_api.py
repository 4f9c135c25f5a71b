"""The API client: documented paths, auth and paging (against the sandbox); retries, limits,
clean errors and no leaks (against a fake that misbehaves on purpose)."""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import socket
import time
import traceback
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from generator.errors import BookgenError, SiteError
from generator.remote import ApiError, GroupAPI, Limits, RetryPolicy, read_credentials, redact
from generator.remote.transport import _retry_after

from .fakeapi import APIKEY, ENV, PRO_PASSWORD, FakeGroupAPI, credentials
from .sandboxapi import Sandbox


class Sleeps(list[float]):
    """Records backoff waits instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(fake_api: FakeGroupAPI, sleeps: Sleeps) -> Iterator[GroupAPI]:
    with GroupAPI(fake_api.url, credentials(), retry=RetryPolicy(jitter=False, sleep=sleeps)) as api:
        yield api


def add_calendars(fake_api: FakeGroupAPI, count: int) -> None:
    fake_api.lists[7]["calendars"] = [{"id": 1000 + i, "name": f"Chair {i}"} for i in range(count)]


def leaked(text: str) -> bool:
    return any(secret in text for secret in (APIKEY, APIKEY[:12], PRO_PASSWORD, *credentials().secrets()))


# Paging


def test_lists_follow_start_index_across_pages(sandbox: Sandbox) -> None:
    api, sent = sandbox.client(page_size=2)
    with api:
        records = api.list_records(4102, "interventions")
        assert records == api.list_records(4102, "interventions") and len(records) >= 5
    pages = -(-len(records) // 2)
    asked = [dict(r.url.params) for r in sent.requests[:pages]]
    assert [(q["results"], q["startIndex"]) for q in asked] == [("2", str(2 * i)) for i in range(pages)]
    assert [r["id"] for r in records] == sorted(r["id"] for r in records)


def test_paging_continues_when_the_server_caps_the_page_size(
    fake_api: FakeGroupAPI, client: GroupAPI
) -> None:
    add_calendars(fake_api, 60)  # the fake serves at most 25 per page whatever is asked
    records = client.list_records(7, "calendars")
    assert len(records) == 60
    assert len(fake_api.seen("GET", "/groups/7/calendars")) == 3


def test_results_all_fetches_a_list_in_one_request(sandbox: Sandbox) -> None:
    api, sent = sandbox.client(page_size="all")
    with api:
        everything = api.list_records(4102, "interventions")
    paged, _ = sandbox.client(page_size=2)
    with paged:
        assert paged.list_records(4102, "interventions") == everything
    (request,) = sent.requests
    assert request.url.params["results"] == "all"
    assert "startIndex" not in request.url.params


def test_groups_list_is_paged_too(sandbox: Sandbox) -> None:
    api, sent = sandbox.client(page_size=2)
    with api:
        assert [g["id"] for g in api.list_groups()] == [8501, 5230, 4102, 6311, 7420]
    assert [r.url.params["startIndex"] for r in sent.requests] == ["0", "2", "4"]


def test_a_bare_list_body_is_not_the_documented_envelope(fake_api: FakeGroupAPI, client: GroupAPI) -> None:
    fake_api.misbehave("/groups/7/calendars", ("body", 200, b'[{"id": 1, "name": "A"}]'))
    with pytest.raises(ApiError, match=r"did not answer with the list envelope"):
        client.list_records(7, "calendars")


def test_an_envelope_without_total_records_is_an_error(fake_api: FakeGroupAPI, client: GroupAPI) -> None:
    fake_api.misbehave("/groups/7/calendars", ("body", 200, b'{"records": [{"id": 1, "name": "A"}]}'))
    with pytest.raises(
        ApiError, match=r"GET /groups/7/calendars.json: the list envelope has no totalRecords"
    ):
        client.list_records(7, "calendars")


def test_an_envelope_from_another_start_index_is_an_error(fake_api: FakeGroupAPI, client: GroupAPI) -> None:
    body = json.dumps({"records": [{"id": 1}], "totalRecords": 3, "startIndex": 2}).encode()
    fake_api.misbehave("/groups/7/calendars", ("body", 200, body))
    with pytest.raises(ApiError, match=r"answered from startIndex 2, not 0"):
        client.list_records(7, "calendars")


def test_every_path_ends_in_json(sandbox: Sandbox) -> None:
    api, sent = sandbox.client()
    with api:
        api.list_groups()
        api.get_group(4102)
        api.list_records(4102, "interventions", {"calendar_ids[]": 11})
        api.update_group(4102, {"anyCalendar": False})
    assert [(r.method, r.url.path) for r in sent.requests] == [
        ("GET", "/api/v1/groups.json"),
        ("GET", "/api/v1/groups/4102.json"),
        ("GET", "/api/v1/groups/4102/interventions.json"),
        ("PUT", "/api/v1/groups/4102.json"),
    ]


def test_a_server_that_ignores_start_index_is_an_error_not_a_loop(
    fake_api: FakeGroupAPI, client: GroupAPI
) -> None:
    page = json.dumps({"records": [{"id": 1, "name": "A"}], "totalRecords": 5}).encode()
    fake_api.misbehave("/groups/7/calendars", ("body", 200, page), ("body", 200, page))
    with pytest.raises(ApiError, match="repeated a page"):
        client.list_records(7, "calendars")


def test_a_list_body_of_the_wrong_shape_is_an_error(fake_api: FakeGroupAPI, client: GroupAPI) -> None:
    fake_api.misbehave("/groups/7/interventions", ("body", 200, b'{"items": []}'))
    with pytest.raises(
        ApiError, match=r"group 7: GET /groups/7/interventions.json did not answer with the list envelope"
    ):
        client.list_records(7, "interventions")


def test_list_filters_are_sent_as_query_parameters(sandbox: Sandbox) -> None:
    api, sent = sandbox.client()
    with api:
        assert [r["id"] for r in api.list_records(4102, "calendars", {"intervention_ids[]": 102})] == [11]
        assert [r["id"] for r in api.list_records(4102, "calendars", {"intervention_ids[]": 201})] == [12, 13]
    assert [r.url.params["intervention_ids[]"] for r in sent.requests] == ["102", "201"]


# Retries


def test_transient_failures_are_retried_with_exponential_backoff(
    fake_api: FakeGroupAPI, client: GroupAPI, sleeps: Sleeps
) -> None:
    fake_api.misbehave("/groups/42", 503, "drop", 502)
    assert client.get_group(42)["name"] == "Eden Spa"
    assert sleeps == [0.5, 1.0, 2.0]
    assert len(fake_api.seen("GET", "/groups/42")) == 4


def test_retries_stop_after_the_configured_attempts(
    fake_api: FakeGroupAPI, client: GroupAPI, sleeps: Sleeps
) -> None:
    fake_api.misbehave("/groups/42", 500, 503, 502, 504, 500)
    with pytest.raises(ApiError) as caught:
        client.get_group(42)
    assert str(caught.value) == "group 42: GET /groups/42.json: server error (HTTP 504) after 4 attempts"
    assert len(fake_api.seen("GET", "/groups/42")) == 4
    assert len(sleeps) == 3


def test_unreachable_api_fails_after_retries_with_a_redacted_message(sleeps: Sleeps) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again on exit: nothing listens there
    url = f"http://127.0.0.1:{port}/api/v1"
    with (
        GroupAPI(url, credentials(), retry=RetryPolicy(attempts=3, sleep=sleeps)) as api,
        pytest.raises(ApiError) as caught,
    ):
        api.get_group(42)
    message = str(caught.value)
    assert message.startswith(
        f"group 42: GET /groups/42.json: no answer from {url} after 3 attempts (ConnectError"
    )
    assert len(sleeps) == 2
    assert not leaked("".join(traceback.format_exception(caught.value)))


def test_backoff_grows_exponentially_up_to_its_cap() -> None:
    policy = RetryPolicy(backoff=0.5, max_backoff=3.0, jitter=False)
    assert [policy.delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    jittered = RetryPolicy(backoff=1.0, jitter=True)
    assert all(1.0 <= jittered.delay(2) <= 2.0 for _ in range(50))


def test_rate_limit_honours_retry_after(fake_api: FakeGroupAPI, client: GroupAPI, sleeps: Sleeps) -> None:
    fake_api.misbehave("/groups", ("retry-after", "3"))
    assert [g["id"] for g in client.list_groups()] == [7, 9, 42]
    assert sleeps == [3.0]


def test_rate_limit_asking_for_a_long_wait_fails_at_once(
    fake_api: FakeGroupAPI, client: GroupAPI, sleeps: Sleeps
) -> None:
    fake_api.misbehave("/groups/9", ("retry-after", "3600"))
    with pytest.raises(
        ApiError, match=r"group 9: GET /groups/9.json: the API asks to wait 3600 s \(HTTP 429\)"
    ):
        client.get_group(9)
    assert sleeps == []
    assert len(fake_api.seen("GET", "/groups/9")) == 1


def test_rate_limit_exhaustion_says_so(fake_api: FakeGroupAPI, client: GroupAPI) -> None:
    fake_api.misbehave("/groups/9", *[("retry-after", "1")] * 4)
    with pytest.raises(ApiError, match=r"rate limited \(HTTP 429\) after 4 attempts"):
        client.get_group(9)


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert _retry_after(httpx.Response(429, headers={"Retry-After": "7"})) == 7.0
    assert 25 <= (_retry_after(httpx.Response(429, headers={"Retry-After": later})) or 0) <= 30
    assert _retry_after(httpx.Response(429, headers={"Retry-After": "soon"})) is None
    assert _retry_after(httpx.Response(429)) is None


# Clean errors


def test_malformed_json_is_an_error_naming_the_group(fake_api: FakeGroupAPI, client: GroupAPI) -> None:
    fake_api.misbehave("/groups/42", ("body", 200, b'{"group": {"name": "Eden'))
    with pytest.raises(ApiError) as caught:
        client.get_group(42)
    assert str(caught.value) == "group 42: GET /groups/42.json: the API answered with invalid JSON"
    assert isinstance(caught.value, BookgenError)  # so the CLI prints it and exits 1


def test_a_group_body_that_is_not_an_object_is_an_error(fake_api: FakeGroupAPI, client: GroupAPI) -> None:
    fake_api.misbehave("/groups/42", ("body", 200, b"[1, 2]"))
    with pytest.raises(ApiError, match="did not answer with a group object"):
        client.get_group(42)


def test_bare_and_wrapped_group_bodies_read_the_same(fake_api: FakeGroupAPI, client: GroupAPI) -> None:
    wrapped = client.get_group(42)
    fake_api.wrap_group = False
    assert client.get_group(42) == wrapped


REFUSED = (
    "the API key or the Pro login was refused (401 Unauthorized); check BOOKGEN_APIKEY, "
    "BOOKGEN_PRO_EMAIL and BOOKGEN_PRO_PASSWORD (or their --*-file options)"
)


@pytest.mark.parametrize(
    ("setup", "status", "message"),
    [
        ("bad-key", 401, REFUSED),
        ("bad-password", 401, REFUSED),
        ("missing", 404, "group 9 was not found or is not visible to this Pro login (404 Not Found)"),
    ],
)
def test_auth_and_missing_errors_from_the_sandbox_are_one_line_naming_the_group(
    sandbox: Sandbox, setup: str, status: int, message: str
) -> None:
    creds = credentials(
        **({"apikey": "wrong-key-123"} if setup == "bad-key" else {}),
        **({"password": "wrong-password-456"} if setup == "bad-password" else {}),
    )
    api, sent = sandbox.client(credentials=creds)
    with api, pytest.raises(ApiError) as caught:
        api.get_group(9)
    assert caught.value.status == status
    assert str(caught.value) == f"group 9: GET /groups/9.json: {message}"
    assert "\n" not in str(caught.value)
    assert len(sent.requests) == 1  # not worth retrying
    assert "wrong-key-123" not in str(caught.value) and "wrong-password-456" not in str(caught.value)


@pytest.mark.parametrize(
    ("fields", "shown"),
    [
        ({"nope": 1}, "group.nope: is not a field of a group"),
        ({"phone": "0" * 21}, "group.phone: "),
    ],
)
def test_a_refusal_from_the_sandbox_names_its_field_in_one_line(
    sandbox: Sandbox, fields: dict[str, Any], shown: str
) -> None:
    """The client reads the error object the sandbox chose (docs/clicrdv-assumptions.md)."""
    api, sent = sandbox.client()
    with api, pytest.raises(ApiError) as caught:
        api.update_group(4102, fields)
    assert str(caught.value).startswith(f"group 4102: PUT /groups/4102.json: HTTP 400 Bad Request: {shown}")
    assert "\n" not in str(caught.value) and len(sent.requests) == 1


def test_a_phone_of_20_characters_is_accepted_by_the_sandbox(sandbox: Sandbox) -> None:
    api, _ = sandbox.client()
    with api:
        api.update_group(4102, {"phone": "0" * 20})
        assert api.get_group(4102)["phone"] == "0" * 20


def test_a_forbidden_group_is_one_line_naming_it(fake_api: FakeGroupAPI, client: GroupAPI) -> None:
    """The sandbox answers 404 for a group the Pro may not see; ClicRDV documents 403 too."""
    fake_api.forbidden.add(9)
    with pytest.raises(ApiError) as caught:
        client.get_group(9)
    assert caught.value.status == 403
    assert (
        str(caught.value)
        == "group 9: GET /groups/9.json: the Pro login may not read or change group 9 (403 Forbidden)"
    )


def test_a_missing_identity_is_refused_by_the_api(sandbox: Sandbox) -> None:
    """ClicRDV, and the sandbox, want a Pro identity on every call: the key alone gets 401."""
    api, _ = sandbox.client()
    with api:
        api._http.client.auth = None
        with pytest.raises(ApiError) as caught:
            api.list_groups()
    assert caught.value.status == 401
    assert str(caught.value) == f"the group list: GET /groups.json: {REFUSED}"


def test_other_client_errors_show_the_servers_text_redacted(fake_api: FakeGroupAPI, client: GroupAPI) -> None:
    echo = f'{{"error": "bad request /api/v1/groups/42?apikey={APIKEY}"}}'.encode()
    fake_api.misbehave("/groups/42", ("body", 400, echo))
    with pytest.raises(ApiError) as caught:
        client.update_group(42, {"phone": "1"})
    message = str(caught.value)
    assert message.startswith("group 42: PUT /groups/42.json: HTTP 400 Bad Request: ")
    assert "apikey=***" in message
    assert not leaked(message)


def test_other_http_failures_are_clean_errors_not_retried(sleeps: Sleeps) -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        raise httpx.DecodingError("Error -3 while decompressing data", request=request)

    transport = httpx.MockTransport(broken)
    with (
        GroupAPI(
            "https://api.test/api/v1", credentials(), retry=RetryPolicy(sleep=sleeps), transport=transport
        ) as api,
        pytest.raises(ApiError) as caught,
    ):
        api.get_group(42)
    assert str(caught.value) == (
        "group 42: GET /groups/42.json: DecodingError: Error -3 while decompressing data"
    )
    assert sleeps == []


# Limits: a deadline per request and per run, a size cap (reliability review D21)


def wait_for(condition: Callable[[], object], seconds: float = 20.0) -> None:
    """Poll ``condition`` until it holds (the server thread notices a hang-up on its next write)."""
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, "condition never held"
        time.sleep(0.01)


def limited(fake_api: FakeGroupAPI, sleeps: Sleeps, attempts: int = 1, **limits: float) -> GroupAPI:
    return GroupAPI(
        fake_api.url,
        credentials(),
        retry=RetryPolicy(attempts=attempts, sleep=sleeps),
        limits=Limits(**limits),
    )


def test_a_slow_drip_is_cut_off_at_the_request_timeout(fake_api: FakeGroupAPI, sleeps: Sleeps) -> None:
    fake_api.misbehave("/groups/42", ("drip", 0.02, 100_000))  # 2000 s of body, one byte at a time
    with limited(fake_api, sleeps, timeout=0.3) as api, pytest.raises(ApiError) as caught:
        api.get_group(42)
    assert str(caught.value) == (
        f"group 42: GET /groups/42.json: no answer from {fake_api.url} after 1 attempts "
        "(the answer took over 0.3 s)"
    )
    wait_for(lambda: fake_api.streamed)
    assert fake_api.streamed[0] < 100_000  # the client hung up mid-body


def test_a_slow_drip_is_retried_like_a_timeout_within_the_run(fake_api: FakeGroupAPI, sleeps: Sleeps) -> None:
    fake_api.misbehave("/groups/42", ("drip", 0.02, 100_000))
    # 2 s, not less: the retried (normal) answer must come within it on a loaded machine.
    with limited(fake_api, sleeps, attempts=2, timeout=2) as api:
        assert api.get_group(42)["name"] == "Eden Spa"
    assert len(sleeps) == 1 and len(fake_api.seen("GET", "/groups/42")) == 2


def test_the_whole_run_stops_at_its_deadline_even_mid_answer(fake_api: FakeGroupAPI, sleeps: Sleeps) -> None:
    fake_api.misbehave("/groups/7/calendars", ("drip", 0.02, 100_000))
    # 3 s, not less: the first (normal) answer must come within it on a loaded machine.
    with limited(fake_api, sleeps, attempts=4, timeout=60, deadline=3) as api:
        api.get_group(7)
        with pytest.raises(ApiError) as caught:
            api.list_records(7, "calendars")
    assert str(caught.value) == (
        "group 7: GET /groups/7/calendars.json: stopped: the run took over its 3 s deadline (--deadline)"
    )
    assert sleeps == []  # not retried: the run is over


def test_a_retry_wait_past_the_deadline_stops_at_once(fake_api: FakeGroupAPI, sleeps: Sleeps) -> None:
    fake_api.misbehave("/groups/7", ("retry-after", "30"))
    with limited(fake_api, sleeps, attempts=4, deadline=20) as api, pytest.raises(ApiError) as caught:
        api.get_group(7)
    assert "stopped: the run took over its 20 s deadline" in str(caught.value)
    assert sleeps == []


def test_an_endless_body_is_abandoned_at_the_size_cap(fake_api: FakeGroupAPI, sleeps: Sleeps) -> None:
    fake_api.misbehave("/groups", ("endless", 65536))
    with (
        limited(fake_api, sleeps, attempts=4, max_bytes=1024 * 1024) as api,
        pytest.raises(ApiError) as caught,
    ):
        api.list_groups()
    assert (
        str(caught.value) == "the group list: GET /groups.json: the answer is over 1 MB; stopped reading it"
    )
    assert len(fake_api.seen("GET", "/groups")) == 1  # a size refusal is not retried
    wait_for(lambda: fake_api.streamed)
    assert fake_api.streamed[0] < 64 * 1024 * 1024


def group_of_size(size: int) -> bytes:
    body = b'{"group": {"id": 42, "name": "Eden Spa", "x": ""}}'
    return body.replace(b'"x": ""', b'"x": "' + b"a" * (size - len(body)) + b'"')


def test_an_answer_of_exactly_the_cap_is_read_and_one_byte_more_is_not(
    fake_api: FakeGroupAPI, sleeps: Sleeps
) -> None:
    fake_api.misbehave("/groups/42", ("body", 200, group_of_size(4096)), ("body", 200, group_of_size(4097)))
    with limited(fake_api, sleeps, max_bytes=4096) as api:
        assert api.get_group(42)["name"] == "Eden Spa"
        with pytest.raises(ApiError, match=r"GET /groups/42.json: the answer is over 4096 bytes"):
            api.get_group(42)


def test_a_compressed_answer_is_capped_by_its_inflated_size(fake_api: FakeGroupAPI, sleeps: Sleeps) -> None:
    bomb = gzip.compress(group_of_size(8 * 1024 * 1024))  # 8 MB of JSON in a few KB
    assert len(bomb) < 64 * 1024
    fake_api.misbehave("/groups/42", ("body", 200, bomb, {"Content-Encoding": "gzip"}))
    with limited(fake_api, sleeps, max_bytes=1024 * 1024) as api, pytest.raises(ApiError) as caught:
        api.get_group(42)
    assert str(caught.value).endswith("the answer is over 1 MB; stopped reading it")


# The API's URL (reliability review D24)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("/api/v1", "is not an absolute http(s) URL"),
        ("ftp://api.test/api/v1", "is not an absolute http(s) URL"),
        ("http://[::1/api", "is not an absolute http(s) URL"),
        ("https://exa mple.test/api", "is not an absolute http(s) URL"),
        ("https://api.test/api/v1?apikey=" + APIKEY, "is not an absolute http(s) URL"),
        ("https://user:pw@api.test/api/v1", "is not an absolute http(s) URL"),
        ("http://xn--a.com:1/api", "is not a valid URL (its host name or port cannot be used)"),
        ("https://api.test:99999/api", "is not a valid URL"),
        ("http://api.test/api/v1", "would send the API key and the Pro password unencrypted"),
    ],
)
def test_a_malformed_api_url_is_one_line_naming_its_source(url: str, reason: str) -> None:
    with pytest.raises(ApiError) as caught:
        GroupAPI(url, credentials(), url_source="site/site.toml: booking.api_base_url")
    message = str(caught.value)
    assert message.startswith("site/site.toml: booking.api_base_url: '")
    assert reason in message
    assert "\n" not in message and not leaked(message) and ":pw@" not in message
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None or caught.value.__suppress_context__


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8001/api/v1", "http://localhost/api/v1", "http://[::1]:9/api", "https://x.test"]
)
def test_https_anywhere_and_plain_http_on_loopback_are_accepted(url: str) -> None:
    with GroupAPI(url + "/", credentials()) as api:
        assert api.base_url == url


# The API key and the Pro identity


@pytest.mark.parametrize("auth", ["basic", "session"])
def test_the_key_is_in_the_query_of_every_request_and_never_in_a_body(sandbox: Sandbox, auth: str) -> None:
    api, sent = sandbox.client(auth)
    with api:
        api.list_groups()
        api.get_group(4102)
        api.list_records(4102, "interventions")
        api.update_group(4102, {"anyCalendar": False})
        assert api.get_group(4102)["anyCalendar"] is False
    assert all(r.url.params.get_list("apikey") == [APIKEY] for r in sent.requests)
    put = next(r for r in sent.requests if r.method == "PUT")
    assert json.loads(put.content) == {"group": {"anyCalendar": False}}
    assert all(APIKEY.encode() not in r.content for r in sent.requests)


def test_basic_auth_sends_the_pro_login_on_every_request(sandbox: Sandbox) -> None:
    api, sent = sandbox.client("basic")
    with api:
        api.list_groups()
        api.get_group(4102)
    token = credentials().secrets()[3]
    assert [r.headers.get("authorization") for r in sent.requests] == [f"Basic {token}"] * 2
    assert [r.method for r in sent.requests] == ["GET", "GET"]  # no login


def test_session_auth_logs_in_once_with_a_sha1_password_then_sends_the_cookie(sandbox: Sandbox) -> None:
    api, sent = sandbox.client("session")
    with api:
        api.list_groups()
        api.get_group(4102)
        api.update_group(4102, {"anyCalendar": False})
        session = api._http.client.cookies["_session_id"]
    login, *calls = sent.requests
    assert (login.method, login.url.path) == ("POST", "/api/v1/sessions/login.json")
    assert dict(login.url.params) == {"apikey": APIKEY}
    assert parse_qs(login.content.decode()) == {
        "pro[email]": ["pro@example.test"],
        "pro[password]": [hashlib.sha1(PRO_PASSWORD.encode()).hexdigest()],
    }
    assert PRO_PASSWORD.encode() not in login.content
    assert sandbox.store.session(session) is not None
    assert [r.headers.get("cookie") for r in calls] == [f"_session_id={session}"] * 3
    assert all("authorization" not in r.headers for r in sent.requests)


def test_an_expired_session_is_renewed_once(sandbox: Sandbox) -> None:
    api, sent = sandbox.client("session")
    with api:
        api.get_group(6311)
        sandbox.store.close_session(api._http.client.cookies["_session_id"])  # the server forgot it
        assert api.get_group(4102)["name"] == "Eden Spa"
    assert [r.url.path for r in sent.requests if r.method == "POST"] == ["/api/v1/sessions/login.json"] * 2


def test_a_refused_session_login_is_one_line_without_the_password(sandbox: Sandbox) -> None:
    api, sent = sandbox.client(credentials=credentials("session", password="not-the-password-99"))
    with api, pytest.raises(ApiError) as caught:
        api.get_group(4102)
    assert str(caught.value) == f"Pro login: POST /sessions/login.json: {REFUSED}"
    assert "not-the-password-99" not in repr(caught.value)
    assert [r.method for r in sent.requests] == ["POST"]


def test_a_login_answer_with_an_error_or_no_cookie_is_refused(fake_api: FakeGroupAPI, sleeps: Sleeps) -> None:
    fake_api.misbehave("/sessions/login", ("body", 200, b'{"pro": null, "error": "locked"}'))
    with GroupAPI(fake_api.url, credentials("session"), retry=RetryPolicy(sleep=sleeps)) as api:
        with pytest.raises(
            ApiError, match=r"Pro login: POST /sessions/login.json: the Pro login was refused"
        ):
            api.login()
        fake_api.misbehave("/sessions/login", ("body", 200, b'{"pro": {"id": 1}, "error": null}'))
        with pytest.raises(ApiError, match=r"the answer set no _session_id cookie"):
            api.login()


def test_the_secrets_never_reach_logs(sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    sessions = []
    with caplog.at_level(logging.DEBUG):
        for auth in ("basic", "session"):
            api, _ = sandbox.client(auth)
            with api:
                api.get_group(4102)
                api.list_records(4102, "calendars")
                sessions.append(api._http.client.cookies.get("_session_id"))
    assert "apikey=***" in caplog.text  # httpx did log the URL ...
    assert "_session_id=***" in caplog.text  # ... and httpcore the Set-Cookie header ...
    assert not leaked(caplog.text)  # ... without the key
    assert sessions[1] and sessions[1] not in caplog.text


def test_the_secrets_never_reach_exceptions_or_tracebacks(fake_api: FakeGroupAPI, client: GroupAPI) -> None:
    fake_api.misbehave("/groups/42", "drop", "drop", "drop", "drop")
    with pytest.raises(ApiError) as caught:
        client.get_group(42)
    shown = "".join(traceback.format_exception(caught.value)) + repr(caught.value) + repr(client)
    shown += repr(client.credentials)
    assert "RemoteProtocolError" in shown
    assert not leaked(shown)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


@pytest.mark.parametrize("echoed", ["key", "password", "sha1", "basic"])
def test_an_error_answer_echoing_a_secret_is_shown_redacted(
    fake_api: FakeGroupAPI, client: GroupAPI, echoed: str
) -> None:
    secret = dict(zip(["key", "password", "sha1", "basic"], credentials().secrets(), strict=True))[echoed]
    fake_api.misbehave("/groups/42", ("body", 418, json.dumps({"error": f"you sent {secret}!"}).encode()))
    with pytest.raises(ApiError) as caught:
        client.get_group(42)
    assert str(caught.value).endswith('HTTP 418 I\'m a teapot: {"error": "you sent ***!"}')


def test_redact_masks_query_values_and_the_secrets_themselves() -> None:
    text = f"GET https://x.test/groups?apikey={APIKEY}&results=all then {APIKEY} and {PRO_PASSWORD}"
    assert (
        redact(text) == f"GET https://x.test/groups?apikey=***&results=all then {APIKEY} and {PRO_PASSWORD}"
    )
    assert (
        redact(text, [APIKEY, PRO_PASSWORD])
        == "GET https://x.test/groups?apikey=***&results=all then *** and ***"
    )


# Reading the secrets


def test_secrets_come_from_the_environment() -> None:
    creds = read_credentials(environ={k: f"  {v}\n" for k, v in ENV.items()})
    assert (creds.apikey, creds.email, creds.password, creds.auth) == (
        APIKEY,
        "pro@example.test",
        PRO_PASSWORD,
        "basic",
    )
    assert APIKEY not in repr(creds) and PRO_PASSWORD not in repr(creds)


def test_secret_files_win_over_the_environment(tmp_path: Path) -> None:
    files = {}
    for name, value in [("key", APIKEY), ("email", "other@example.test"), ("password", "from a file")]:
        files[name] = tmp_path / name
        files[name].write_text(value + "\n")
    creds = read_credentials(
        apikey_file=files["key"], email_file=files["email"], password_file=files["password"], environ=ENV
    )
    assert (creds.apikey, creds.email, creds.password) == (APIKEY, "other@example.test", "from a file")


def test_every_missing_secret_is_named_at_once() -> None:
    with pytest.raises(SiteError) as caught:
        read_credentials(environ={})
    assert [str(p) for p in caught.value.problems] == [
        "API key: none given: set BOOKGEN_APIKEY or pass --apikey-file PATH",
        "Pro login: no email: set BOOKGEN_PRO_EMAIL or pass --pro-email-file PATH",
        "Pro login: no password: set BOOKGEN_PRO_PASSWORD or pass --pro-password-file PATH",
    ]


def test_a_key_file_with_more_than_a_key_is_refused_without_echoing_it(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(f"apikey {APIKEY}\nsecond line\n")
    with pytest.raises(SiteError) as caught:
        read_credentials(apikey_file=key_file, environ=ENV)
    assert (
        str(caught.value) == f"{key_file}: does not hold an API key (one line of printable ASCII, no spaces)"
    )


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("BOOKGEN_PRO_EMAIL", "not an email", "$BOOKGEN_PRO_EMAIL: does not hold an email address"),
        ("BOOKGEN_PRO_PASSWORD", "x" * 1025, "$BOOKGEN_PRO_PASSWORD: does not hold a password"),
    ],
)
def test_a_malformed_login_is_refused_without_echoing_it(variable: str, value: str, message: str) -> None:
    with pytest.raises(SiteError) as caught:
        read_credentials(environ={**ENV, variable: value})
    assert str(caught.value).startswith(message)
    assert value not in str(caught.value)


def test_a_password_of_1024_characters_is_accepted() -> None:
    assert len(read_credentials(environ={**ENV, "BOOKGEN_PRO_PASSWORD": "x" * 1024}).password) == 1024


def test_an_unreadable_or_huge_secret_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SiteError, match=r"missing: cannot be read \(No such file or directory\)"):
        read_credentials(password_file=tmp_path / "missing", environ=ENV)
    huge = tmp_path / "huge"
    huge.write_bytes(b"x" * 4097)
    with pytest.raises(SiteError, match=r"huge: is over 4096 bytes"):
        read_credentials(password_file=huge, environ=ENV)
    fits = tmp_path / "fits"
    fits.write_bytes(b"x" * 1024 + b"\n" + b" " * (4096 - 1025))
    assert read_credentials(password_file=fits, environ=ENV).password == "x" * 1024
