"""A small client for the ClicRDV Group API (v1): read groups and their lists, update a group.

Every call sends the API key as ``?apikey=`` (as ClicRDV expects), retries what is
worth retrying (connection errors, 429 and 5xx, with exponential backoff and
``Retry-After``), and turns everything else into :class:`ApiError`, whose message
names the group and never holds the key: every URL or server text that reaches a
message, a log record or a traceback is redacted first.

    with GroupAPI("https://www.clicrdv.com/api/v1", read_apikey(None)) as api:
        group = api.get_group(42)
        calendars = api.list_records(42, "calendars")
"""

from __future__ import annotations

import email.utils
import json
import logging
import os
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from .errors import Problem, SiteError

__all__ = [
    "APIKEY_ENV",
    "PRODUCTION_API",
    "ApiError",
    "GroupAPI",
    "RetryPolicy",
    "read_apikey",
    "redact",
]

PRODUCTION_API = "https://www.clicrdv.com/api/v1"
APIKEY_ENV = "BOOKGEN_APIKEY"
#: The kinds of list a group has, as named in the API's paths.
LIST_KINDS = ("calendars", "interventions", "interventionsets")

_APIKEY_PARAM = re.compile(r"(apikey=)[^&\s\"'<>]*", re.IGNORECASE)
_APIKEY_TEXT = re.compile(r"[\x21-\x7e]{1,200}")


def redact(text: str, secret: str | None = None) -> str:
    """``text`` with every ``apikey=...`` value (and ``secret`` itself, anywhere) masked."""
    text = _APIKEY_PARAM.sub(r"\1***", text)
    if secret:
        text = text.replace(secret, "***")
    return text


class _RedactingFilter(logging.Filter):
    """httpx logs each request's full URL at INFO; mask the key before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True  # a malformed record: logging reports it, with nothing formatted in
        if "apikey=" in message.lower():
            record.msg, record.args = redact(message), ()
        return True


for _name in ("httpx", "httpcore"):
    _logger = logging.getLogger(_name)
    if not any(isinstance(f, _RedactingFilter) for f in _logger.filters):
        _logger.addFilter(_RedactingFilter())


class ApiError(SiteError):
    """The Group API could not do what was asked; ``status`` is the HTTP status, if any."""

    def __init__(self, message: str, *, where: str = "Group API", status: int | None = None) -> None:
        super().__init__([Problem(where, "", message)])
        self.status = status


def read_apikey(apikey_file: Path | None, environ: Mapping[str, str] = os.environ) -> str:
    """The API key from ``apikey_file`` if given, else from ``$BOOKGEN_APIKEY``.

    The key is never taken from the command line, where it would land in shell
    history and process listings. Messages name the source, never its content.
    """
    if apikey_file is not None:
        try:
            key = apikey_file.read_text("utf-8").strip()
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
            raise SiteError([Problem(str(apikey_file), "", f"cannot be read ({reason})")]) from None
        source = str(apikey_file)
    else:
        key = environ.get(APIKEY_ENV, "").strip()
        source = f"${APIKEY_ENV}"
    if not key:
        raise ApiError(
            f"no API key: set {APIKEY_ENV} or pass --apikey-file PATH "
            "(a key is never accepted as a command-line argument)",
            where="API key",
        )
    if not _APIKEY_TEXT.fullmatch(key):
        raise ApiError("does not hold an API key (one line of printable ASCII, no spaces)", where=source)
    return key


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry; ``sleep`` is injectable so tests run fast."""

    attempts: int = 4
    backoff: float = 0.5
    max_backoff: float = 8.0
    #: A ``Retry-After`` longer than this fails at once instead of blocking the run.
    max_retry_after: float = 120.0
    jitter: bool = True
    sleep: Callable[[float], None] | None = None

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        delay = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        return delay * (0.5 + random.random() / 2) if self.jitter else delay

    def wait(self, seconds: float) -> None:
        (time.sleep if self.sleep is None else self.sleep)(seconds)


def _retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` as seconds (a number or an HTTP date), or None."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


_STATUS_MESSAGES = {
    401: "the API key was refused (401 Unauthorized); check {env} or --apikey-file",
    403: "this API key has no access to {what} (403 Forbidden)",
    404: "{what} was not found (404 Not Found)",
}


class GroupAPI:
    """The Group API at ``base_url`` (e.g. ``https://www.clicrdv.com/api/v1``).

    ``transport`` lets tests mount an in-process transport; ``page_size`` is the
    ``results`` asked for per page, or ``"all"`` for one request per list.
    """

    def __init__(
        self,
        base_url: str,
        apikey: str,
        *,
        timeout: float = 15.0,
        retry: RetryPolicy | None = None,
        page_size: int | str = 100,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", base_url):
            raise ApiError(f"{redact(base_url[:80])!r} is not an absolute http(s) URL", where="--api-url")
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self.page_size = page_size
        self._apikey = apikey
        self._client = httpx.Client(
            base_url=self.base_url + "/",
            params={"apikey": apikey},
            headers={"Accept": "application/json", "User-Agent": "bookgen"},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            follow_redirects=False,
            transport=transport,
        )

    def __enter__(self) -> GroupAPI:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"GroupAPI({self.base_url!r})"

    def close(self) -> None:
        self._client.close()

    # Endpoints

    def list_groups(self) -> list[dict[str, Any]]:
        """``GET /groups``: every group the key can read, all pages."""
        return self._paged("groups", {}, where="Group API")

    def get_group(self, group_id: int) -> dict[str, Any]:
        """``GET /groups/:id``, unwrapped from ``{"group": {...}}`` if the API wraps it."""
        where = f"group {group_id}"
        body = self._request("GET", f"groups/{group_id}", where=where)
        if isinstance(body, dict) and set(body) == {"group"}:
            body = body["group"]
        if not isinstance(body, dict):
            raise ApiError(f"GET /groups/{group_id} did not answer with a group object", where=where)
        return body

    def list_records(
        self, group_id: int, kind: str, filters: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """``GET /groups/:id/<kind>`` (calendars, interventions, interventionsets), all pages.

        ``filters`` adds query parameters, e.g. ``{"intervention_ids[]": 21}``.
        """
        if kind not in LIST_KINDS:
            raise ValueError(f"unknown list {kind!r}")
        return self._paged(f"groups/{group_id}/{kind}", dict(filters or {}), where=f"group {group_id}")

    def update_group(self, group_id: int, fields: Mapping[str, Any]) -> Any:
        """``PUT /groups/:id`` with ``{"group": fields}``; returns the API's answer (if any)."""
        return self._request("PUT", f"groups/{group_id}", where=f"group {group_id}", body={"group": fields})

    # Plumbing

    def _paged(self, path: str, params: dict[str, Any], *, where: str) -> list[dict[str, Any]]:
        """Follow ``startIndex`` until ``totalRecords`` (or an empty page) is reached."""
        records: list[dict[str, Any]] = []
        seen: set[Any] = set()
        while True:
            query = {**params, "results": self.page_size, "startIndex": len(records)}
            if self.page_size == "all":
                del query["startIndex"]
            body = self._request("GET", path, where=where, params=query)
            if isinstance(body, list):  # an unpaged list: the whole answer
                page, total = body, len(body)
            elif isinstance(body, dict) and isinstance(body.get("records"), list):
                page, total = body["records"], body.get("totalRecords")
                if isinstance(total, str) and total.isdigit():
                    total = int(total)
            else:
                raise ApiError(f'GET /{path} did not answer with {{"records": [...]}}', where=where)
            if not all(isinstance(item, dict) for item in page):
                raise ApiError(f"GET /{path} answered with a record that is not an object", where=where)
            ids = {item.get("id", object()) for item in page}
            if page and ids <= seen:
                raise ApiError(f"GET /{path} repeated a page (the API ignored startIndex)", where=where)
            seen |= ids
            records.extend(page)
            if self.page_size == "all" or isinstance(body, list) or not page:
                return records
            if isinstance(total, int) and len(records) >= total:
                return records

    def _request(
        self,
        method: str,
        path: str,
        *,
        where: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        shown = f"{method} /{path}"
        retry = self.retry
        for attempt in range(1, retry.attempts + 1):
            last = attempt == retry.attempts
            try:
                response = self._client.request(method, path, params=params, json=body)
            except httpx.TransportError as error:
                if not last:
                    retry.wait(retry.delay(attempt))
                    continue
                reason = self._redact(f"{type(error).__name__}: {error}".rstrip(": "))
                raise ApiError(
                    f"{shown}: no answer from {self._redact(self.base_url)} after "
                    f"{retry.attempts} attempts ({reason})",
                    where=where,
                ) from None
            except httpx.HTTPError as error:  # not worth retrying: a bad encoding, a redirect loop
                reason = self._redact(f"{type(error).__name__}: {error}")
                raise ApiError(f"{shown}: {reason}", where=where) from None
            status = response.status_code
            if status == 429 or 500 <= status <= 599:
                wait = _retry_after(response)
                if wait is not None and wait > retry.max_retry_after:
                    raise ApiError(
                        f"{shown}: the API asks to wait {wait:.0f} s (HTTP {status}); try again later",
                        where=where,
                        status=status,
                    )
                if not last:
                    retry.wait(wait if wait is not None else retry.delay(attempt))
                    continue
                kind = "rate limited" if status == 429 else "server error"
                raise ApiError(
                    f"{shown}: {kind} (HTTP {status}) after {retry.attempts} attempts",
                    where=where,
                    status=status,
                )
            return self._decode(response, shown, where)
        raise AssertionError("unreachable")  # pragma: no cover

    def _decode(self, response: httpx.Response, shown: str, where: str) -> Any:
        status = response.status_code
        if status in _STATUS_MESSAGES:
            message = _STATUS_MESSAGES[status].format(what=where, env=APIKEY_ENV)
            raise ApiError(f"{shown}: {message}", where=where, status=status)
        if not 200 <= status <= 299:
            detail = self._redact(" ".join(response.text.split())[:300])
            raise ApiError(
                f"{shown}: HTTP {status} {response.reason_phrase}" + (f": {detail}" if detail else ""),
                where=where,
                status=status,
            )
        if not response.content.strip():
            return None
        try:
            return json.loads(response.content)
        except (ValueError, RecursionError):
            raise ApiError(f"{shown}: the API answered with invalid JSON", where=where) from None

    def _redact(self, text: str) -> str:
        return redact(text, self._apikey)
