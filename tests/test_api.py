"""The Group API client: paging, retries, rate limits, clean errors, and a key that never leaks."""

from __future__ import annotations

import json
import logging
import socket
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest

from generator.api import APIKEY_ENV, ApiError, GroupAPI, RetryPolicy, _retry_after, read_apikey, redact
from generator.errors import SiteError

from .fakeapi import APIKEY, FakeGroupAPI


class Sleeps(list[float]):
    """Records backoff waits instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(fake_api: FakeGroupAPI, sleeps: Sleeps) -> Iterator[GroupAPI]:
    with GroupAPI(fake_api.url, APIKEY, retry=RetryPolicy(jitter=False, sleep=sleeps)) as api:
        yield api


def add_calendars(fake_api: FakeGroupAPI, count: int) -> None:
    fake_api.lists[7]["calendars"] = [{"id": 1000 + i, "name": f"Chair {i}"} for i in range(count)]


def leaked(text: str) -> bool:
    return APIKEY in text or APIKEY[:12] in text


# Paging


def test_lists_follow_start_index_across_pages(fake_api: FakeGroupAPI, sleeps: Sleeps) -> None:
    add_calendars(fake_api, 5)
    with GroupAPI(fake_api.url, APIKEY, page_size=2, retry=RetryPolicy(sleep=sleeps)) as api:
        records = api.list_records(7, "calendars")
    assert [r["id"] for r in records] == [1000, 1001, 1002, 1003, 1004]
    asked = fake_api.seen("GET", "/groups/7/calendars")
    assert [(r.query["results"], r.query["startIndex"]) for r in asked] == [
        (["2"], ["0"]),
        (["2"], ["2"]),
        (["2"], ["4"]),
    ]


def test_paging_continues_when_the_server_caps_the_page_size(
    fake_api: FakeGroupAPI, client: GroupAPI
) -> None:
    add_calendars(fake_api, 60)  # the fake serves at most 25 per page whatever is asked
    records = client.list_records(7, "calendars")
    assert len(records) == 60
    assert len(fake_api.seen("GET", "/groups/7/calendars")) == 3


def test_results_all_fetches_a_list_in_one_request(fake_api: FakeGroupAPI, sleeps: Sleeps) -> None:
    add_calendars(fake_api, 60)
    with GroupAPI(fake_api.url, APIKEY, page_size="all", retry=RetryPolicy(sleep=sleeps)) as api:
        assert len(api.list_records(7, "calendars")) == 60
    (request,) = fake_api.seen("GET", "/groups/7/calendars")
    assert request.query["results"] == ["all"]
    assert "startIndex" not in request.query


def test_groups_list_is_paged_too(fake_api: FakeGroupAPI, sleeps: Sleeps) -> None:
    with GroupAPI(fake_api.url, APIKEY, page_size=1, retry=RetryPolicy(sleep=sleeps)) as api:
        assert [g["id"] for g in api.list_groups()] == [7, 9, 42]
    assert len(fake_api.seen("GET", "/groups")) == 3


def test_a_bare_list_body_is_the_whole_list(fake_api: FakeGroupAPI, client: GroupAPI) -> None:
    fake_api.misbehave("/groups/7/calendars", ("body", 200, b'[{"id": 1, "name": "A"}]'))
    assert client.list_records(7, "calendars") == [{"id": 1, "name": "A"}]


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
        ApiError, match=r'group 7: GET /groups/7/interventions did not answer with \{"records"'
    ):
        client.list_records(7, "interventions")


def test_list_filters_are_sent_as_query_parameters(fake_api: FakeGroupAPI, client: GroupAPI) -> None:
    records = client.list_records(42, "calendars", {"intervention_ids[]": 100})
    assert [r["id"] for r in records] == [10]
    assert fake_api.seen("GET", "/groups/42/calendars")[0].query["intervention_ids[]"] == ["100"]


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
    assert str(caught.value) == "group 42: GET /groups/42: server error (HTTP 504) after 4 attempts"
    assert len(fake_api.seen("GET", "/groups/42")) == 4
    assert len(sleeps) == 3


def test_unreachable_api_fails_after_retries_with_a_redacted_message(sleeps: Sleeps) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again on exit: nothing listens there
    url = f"http://127.0.0.1:{port}/api/v1"
    with (
        GroupAPI(url, APIKEY, retry=RetryPolicy(attempts=3, sleep=sleeps)) as api,
        pytest.raises(ApiError) as caught,
    ):
        api.get_group(42)
    message = str(caught.value)
    assert message.startswith(
        f"group 42: GET /groups/42: no answer from {url} after 3 attempts (ConnectError"
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
    with pytest.raises(ApiError, match=r"group 9: GET /groups/9: the API asks to wait 3600 s \(HTTP 429\)"):
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
    assert str(caught.value) == "group 42: GET /groups/42: the API answered with invalid JSON"
    assert isinstance(caught.value, SiteError)  # so the CLI prints it and exits 1


def test_a_group_body_that_is_not_an_object_is_an_error(fake_api: FakeGroupAPI, client: GroupAPI) -> None:
    fake_api.misbehave("/groups/42", ("body", 200, b"[1, 2]"))
    with pytest.raises(ApiError, match="did not answer with a group object"):
        client.get_group(42)


def test_bare_and_wrapped_group_bodies_read_the_same(fake_api: FakeGroupAPI, client: GroupAPI) -> None:
    wrapped = client.get_group(42)
    fake_api.wrap_group = False
    assert client.get_group(42) == wrapped


@pytest.mark.parametrize(
    ("setup", "status", "message"),
    [
        ("bad-key", 401, "the API key was refused (401 Unauthorized); check BOOKGEN_APIKEY or --apikey-file"),
        ("forbidden", 403, "this API key has no access to group 9 (403 Forbidden)"),
        ("missing", 404, "group 9 was not found (404 Not Found)"),
    ],
)
def test_auth_and_missing_errors_name_the_group(
    fake_api: FakeGroupAPI, sleeps: Sleeps, setup: str, status: int, message: str
) -> None:
    key = "wrong-key-123" if setup == "bad-key" else APIKEY
    if setup == "forbidden":
        fake_api.forbidden.add(9)
    if setup == "missing":
        del fake_api.groups[9]
    with (
        GroupAPI(fake_api.url, key, retry=RetryPolicy(sleep=sleeps)) as api,
        pytest.raises(ApiError) as caught,
    ):
        api.get_group(9)
    assert caught.value.status == status
    assert str(caught.value) == f"group 9: GET /groups/9: {message}"
    assert sleeps == []  # not worth retrying
    assert "wrong-key-123" not in str(caught.value)


def test_other_client_errors_show_the_servers_text_redacted(fake_api: FakeGroupAPI, client: GroupAPI) -> None:
    echo = f'{{"error": "bad request /api/v1/groups/42?apikey={APIKEY}"}}'.encode()
    fake_api.misbehave("/groups/42", ("body", 400, echo))
    with pytest.raises(ApiError) as caught:
        client.update_group(42, {"phone": "1"})
    message = str(caught.value)
    assert message.startswith("group 42: PUT /groups/42: HTTP 400 Bad Request: ")
    assert "apikey=***" in message
    assert not leaked(message)


def test_other_http_failures_are_clean_errors_not_retried(sleeps: Sleeps) -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        raise httpx.DecodingError("Error -3 while decompressing data", request=request)

    transport = httpx.MockTransport(broken)
    with (
        GroupAPI(
            "https://api.test/api/v1", APIKEY, retry=RetryPolicy(sleep=sleeps), transport=transport
        ) as api,
        pytest.raises(ApiError) as caught,
    ):
        api.get_group(42)
    assert str(caught.value) == "group 42: GET /groups/42: DecodingError: Error -3 while decompressing data"
    assert sleeps == []


def test_base_url_must_be_absolute() -> None:
    with pytest.raises(ApiError, match="is not an absolute http"):
        GroupAPI("/api/v1", APIKEY)


# The API key


def test_the_key_is_sent_on_every_request(fake_api: FakeGroupAPI, client: GroupAPI) -> None:
    client.list_groups()
    client.get_group(42)
    client.list_records(42, "interventions")
    client.update_group(42, {"anyCalendar": False})
    assert fake_api.requests
    assert all(r.query["apikey"] == [APIKEY] for r in fake_api.requests)
    assert fake_api.seen("PUT")[0].body == {"group": {"anyCalendar": False}}


def test_the_key_never_reaches_logs(
    fake_api: FakeGroupAPI, client: GroupAPI, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        client.get_group(42)
        client.list_records(42, "calendars")
    assert "apikey=***" in caplog.text  # httpx did log the URL ...
    assert not leaked(caplog.text)  # ... without the key


def test_the_key_never_reaches_exceptions_or_tracebacks(fake_api: FakeGroupAPI, client: GroupAPI) -> None:
    fake_api.misbehave("/groups/42", "drop", "drop", "drop", "drop")
    with pytest.raises(ApiError) as caught:
        client.get_group(42)
    shown = "".join(traceback.format_exception(caught.value)) + repr(caught.value) + repr(client)
    assert "RemoteProtocolError" in shown
    assert not leaked(shown)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_redact_masks_query_values_and_the_secret_itself() -> None:
    text = f"GET https://x.test/groups?apikey={APIKEY}&results=all then {APIKEY}"
    assert redact(text) == f"GET https://x.test/groups?apikey=***&results=all then {APIKEY}"
    assert redact(text, APIKEY) == "GET https://x.test/groups?apikey=***&results=all then ***"


def test_key_comes_from_the_environment() -> None:
    assert read_apikey(None, {APIKEY_ENV: f"  {APIKEY}\n"}) == APIKEY


def test_key_file_wins_over_the_environment(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(APIKEY + "\n")
    assert read_apikey(key_file, {APIKEY_ENV: "other"}) == APIKEY


def test_no_key_is_a_clear_error() -> None:
    with pytest.raises(ApiError) as caught:
        read_apikey(None, {})
    assert str(caught.value) == (
        "API key: no API key: set BOOKGEN_APIKEY or pass --apikey-file PATH "
        "(a key is never accepted as a command-line argument)"
    )


def test_a_key_file_with_more_than_a_key_is_refused_without_echoing_it(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(f"apikey {APIKEY}\nsecond line\n")
    with pytest.raises(ApiError) as caught:
        read_apikey(key_file, {})
    assert (
        str(caught.value) == f"{key_file}: does not hold an API key (one line of printable ASCII, no spaces)"
    )


def test_an_unreadable_key_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SiteError, match=r"missing: cannot be read \(No such file or directory\)"):
        read_apikey(tmp_path / "missing", {})
