"""One bounded HTTP exchange with ClicRDV API v1: retries, a deadline, a size cap, clean errors.

Every request runs under two clocks and one cap (reliability review D21):

- ``Limits.timeout``: seconds one request may take from sending to the last byte of
  the answer (headers *and* body, so a server dripping one byte at a time is cut off);
- ``Limits.deadline``: seconds the whole run may take, retries and waits included;
- ``Limits.max_bytes``: the decoded answer's size; a bigger or endless body is
  abandoned as soon as it passes the cap (a gzip bomb is counted inflated).

Connection errors, timeouts, 429 and 5xx are retried with exponential backoff or the
server's ``Retry-After``; 401/403/404 and other answers that will not change are
not (statuses per ``clicrdv-api.md`` §4). Every message is redacted of the secrets
before it exists, and re-raised without the HTTP layer's exception attached, so no
traceback carries a URL.
"""

from __future__ import annotations

import email.utils
import json
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from ..errors import BookgenError, Problem
from .credentials import APIKEY_ENV, EMAIL_ENV, PASSWORD_ENV, redact

__all__ = ["ApiError", "BoundedClient", "Limits", "RetryPolicy"]

MIB = 1024 * 1024
#: How much of an error answer is read to show its text (the rest is not needed).
_ERROR_TEXT_BYTES = 64 * 1024


class ApiError(BookgenError):
    """The API could not do what was asked; ``status`` is the HTTP status, if any.

    Not a :class:`~generator.errors.SiteError`: an API outage is not a fault of the site.
    It prints as ``where: message`` (``Group API: ...`` by default).
    """

    def __init__(self, message: str, *, where: str = "Group API", status: int | None = None) -> None:
        super().__init__(f"{where}: {message}")
        self.where, self.message, self.status = where, message, status

    @property
    def problems(self) -> list[Problem]:
        return [Problem(self.where, "", self.message)]


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
        delay = min(self.max_backoff, self.backoff * 2.0 ** (attempt - 1))
        return delay * (0.5 + random.random() / 2) if self.jitter else delay

    def wait(self, seconds: float) -> None:
        (time.sleep if self.sleep is None else self.sleep)(seconds)


@dataclass(frozen=True)
class Limits:
    """Seconds per request (``timeout``) and per run (``deadline``), bytes per answer."""

    timeout: float = 30.0
    deadline: float = 900.0
    max_bytes: int = 64 * MIB
    connect: float = 5.0


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


_CREDENTIALS = f"check {APIKEY_ENV}, {EMAIL_ENV} and {PASSWORD_ENV} (or their --*-file options)"
_STATUS_MESSAGES = {
    401: "the API key or the Pro login was refused (401 Unauthorized); " + _CREDENTIALS,
    403: "the Pro login may not read or change {what} (403 Forbidden)",
    404: "{what} was not found or is not visible to this Pro login (404 Not Found)",
}


def _error_text(content: bytes) -> str:
    """What an error answer says: ``field: message (Code)`` from the error object bookgen's
    sandbox answers (docs/clicrdv-assumptions.md; ClicRDV documents no general shape),
    else the body's text."""
    text = content.decode("utf-8", "replace")
    try:
        error = json.loads(text).get("error")
    except (ValueError, RecursionError, AttributeError):
        return text
    if not (isinstance(error, dict) and isinstance(error.get("message"), str)):
        return text
    parts = [f"{error['field']}: " if isinstance(error.get("field"), str) else "", error["message"]]
    if isinstance(error.get("code"), str):
        parts.append(f" ({error['code']})")
    return "".join(parts)


class _Slow(BookgenError):
    """An answer that outlived its request's time: handled like a read timeout."""


class BoundedClient:
    """Sends requests through ``client`` within ``limits``; answers are parsed JSON.

    ``secrets`` are masked in every message. The run's clock starts at construction.
    """

    def __init__(
        self,
        client: httpx.Client,
        *,
        secrets: Iterable[str],
        retry: RetryPolicy,
        limits: Limits,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.retry = retry
        self.limits = limits
        self._secrets = tuple(secrets)
        self._clock = clock
        self._end = clock() + limits.deadline

    def redact(self, text: str) -> str:
        return redact(text, self._secrets)

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every secret masked in messages."""
        return self._secrets

    def add_secret(self, secret: str) -> None:
        """Mask ``secret`` too from now on (a session id learnt during the run)."""
        self._secrets += (secret,)

    def request(
        self,
        method: str,
        path: str,
        *,
        where: str,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
    ) -> tuple[int, Any]:
        """(status, parsed JSON or None) of a 2xx answer, after retries; else :class:`ApiError`."""
        shown = f"{method} /{path}"
        retry = self.retry
        for attempt in range(1, retry.attempts + 1):
            last = attempt == retry.attempts
            try:
                status, headers, content = self._exchange(method, path, shown, where, params, json_body, form)
            except (httpx.TransportError, _Slow) as error:
                if not last:
                    self._wait(retry.delay(attempt), shown, where)
                    continue
                if isinstance(error, _Slow):
                    reason = f"the answer took over {self.limits.timeout:g} s"
                else:
                    reason = self.redact(f"{type(error).__name__}: {error}".rstrip(": "))
                raise ApiError(
                    f"{shown}: no answer from {self.redact(str(self.client.base_url).rstrip('/'))} "
                    f"after {retry.attempts} attempts ({reason})",
                    where=where,
                ) from None
            except httpx.HTTPError as error:  # not worth retrying: a bad encoding, an invalid URL
                raise ApiError(
                    f"{shown}: {self.redact(f'{type(error).__name__}: {error}')}", where=where
                ) from None
            if status == 429 or 500 <= status <= 599:
                wait = _retry_after(httpx.Response(status, headers=headers))
                if wait is not None and wait > retry.max_retry_after:
                    raise ApiError(
                        f"{shown}: the API asks to wait {wait:.0f} s (HTTP {status}); try again later",
                        where=where,
                        status=status,
                    )
                if not last:
                    self._wait(wait if wait is not None else retry.delay(attempt), shown, where)
                    continue
                kind = "rate limited" if status == 429 else "server error"
                raise ApiError(
                    f"{shown}: {kind} (HTTP {status}) after {retry.attempts} attempts",
                    where=where,
                    status=status,
                )
            return status, self._decode(status, content, shown, where)
        raise AssertionError("unreachable")  # pragma: no cover

    # Plumbing

    def _out_of_time(self, shown: str, where: str) -> ApiError:
        return ApiError(
            f"{shown}: stopped: the run took over its {self.limits.deadline:g} s deadline (--deadline)",
            where=where,
        )

    def _wait(self, seconds: float, shown: str, where: str) -> None:
        if self._clock() + seconds >= self._end:
            raise self._out_of_time(shown, where)
        self.retry.wait(seconds)

    def _exchange(
        self,
        method: str,
        path: str,
        shown: str,
        where: str,
        params: Mapping[str, Any] | None,
        json_body: Any,
        form: Mapping[str, str] | None,
    ) -> tuple[int, httpx.Headers, bytes]:
        """Send once; read at most the size cap, within the request's and the run's time."""
        started = self._clock()
        if started >= self._end:
            raise self._out_of_time(shown, where)
        run_left = self._end - started
        limit = started + min(self.limits.timeout, run_left)
        seconds = limit - started
        timeout = httpx.Timeout(seconds, connect=min(self.limits.connect, seconds))
        request = self.client.build_request(
            method, path, params=params, json=json_body, data=form, timeout=timeout
        )
        response = self.client.send(request, stream=True)
        try:
            ok = 200 <= response.status_code <= 299
            cap = self.limits.max_bytes if ok else _ERROR_TEXT_BYTES
            declared = response.headers.get("content-length", "")
            if ok and declared.isdigit() and int(declared) > cap:
                raise self._too_big(shown, where)
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > cap:
                    if ok:
                        raise self._too_big(shown, where)
                    chunks.append(chunk[: cap - (size - len(chunk))])
                    break
                chunks.append(chunk)
                if self._clock() > limit:
                    if limit >= self._end:
                        raise self._out_of_time(shown, where)
                    raise _Slow()
            return response.status_code, response.headers, b"".join(chunks)
        finally:
            response.close()

    def _too_big(self, shown: str, where: str) -> ApiError:
        size = self.limits.max_bytes
        shown_size = f"{size // MIB} MB" if size >= MIB else f"{size} bytes"
        return ApiError(f"{shown}: the answer is over {shown_size}; stopped reading it", where=where)

    def _decode(self, status: int, content: bytes, shown: str, where: str) -> Any:
        if status in _STATUS_MESSAGES:
            message = _STATUS_MESSAGES[status].format(what=where)
            raise ApiError(f"{shown}: {message}", where=where, status=status)
        if not 200 <= status <= 299:
            detail = self.redact(" ".join(_error_text(content).split())[:300])
            phrase = httpx.codes.get_reason_phrase(status)
            raise ApiError(
                f"{shown}: HTTP {status} {phrase}".rstrip() + (f": {detail}" if detail else ""),
                where=where,
                status=status,
            )
        if not content.strip():
            return None
        try:
            return json.loads(content)
        except (ValueError, RecursionError):
            raise ApiError(f"{shown}: the API answered with invalid JSON", where=where) from None
