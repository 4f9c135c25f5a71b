"""The one way the gateway talks to ClicRDV: key in the query, an identity, timeouts, retries.

Every call carries ``apikey`` in the query (clicrdv-api.md §2: "in the query string of
every request, never in the body") and one identity: the client's Account session
(``_session_id`` cookie) when it has one, else the gateway's Pro login as HTTP Basic
(§2), except ``sessions/login`` which carries the client's own credentials.

Failures become :class:`~generator.gateway.errors.GatewayError` and never a traceback:
no connection → 502 ``upstream_unreachable``; slower than the call or request deadline →
504 ``upstream_timeout``; 5xx, a redirect, HTML, truncated or oversized JSON → 502
``upstream_error`` / ``upstream_bad_answer``. Idempotent GETs are retried on those with
exponential backoff and full jitter while the request's deadline allows; POSTs never are.
ClicRDV's own 4xx answers (400 codes, 401, 403, 404) come back as :class:`Answer`, except
a 401 to the gateway's Pro login (its settings are wrong): 502 ``upstream_auth``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import random
import time
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import urlencode

import httpx

from .errors import GatewayError
from .settings import Settings

__all__ = ["Answer", "Upstream", "network_transport"]

log = logging.getLogger("bookgen.gateway")
API_ROOT = "/api/v1/"
MAX_ANSWER_BYTES = 8 * 1024 * 1024
BACKOFF_SECONDS = 0.05
SESSION_COOKIE = "_session_id"


@dataclass(frozen=True)
class Answer:
    """An upstream answer that passes through: ``status``, the JSON ``body`` (raw bytes,
    the key scrubbed), its parsed ``data``, and the ``_session_id`` it set (login only)."""

    status: int
    body: bytes
    data: Any
    session_id: str | None = None


def network_transport() -> httpx.AsyncHTTPTransport:
    """httpx's pooled HTTP/1.1 transport, as the gateway uses it towards ClicRDV.

    Idle keep-alive connections are kept 2 s, below common servers' idle timeouts (uvicorn
    closes after 5 s, nginx after 75 s), so a server seldom closes one just as a request
    goes out on it; httpx's pool checks each idle connection before reuse for the rest.
    """
    limits = httpx.Limits(max_connections=512, max_keepalive_connections=128, keepalive_expiry=2.0)
    return httpx.AsyncHTTPTransport(limits=limits, trust_env=False)


class Upstream:
    """Async client of ClicRDV v1 (or the sandbox); one per process, closed by :meth:`aclose`.

    It speaks to an httpx *transport* directly (:func:`network_transport`, or an in-memory ASGI
    transport in tests and the preview): no cookie jar (one client serves every visitor, so
    it must never remember a ``_session_id``), no redirects, no auth flow, no per-request
    URL merging, which keeps the gateway's own cost per call small.
    """

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self._key = settings.apikey.encode()
        self._base = settings.upstream + API_ROOT
        credentials = f"{settings.pro_email}:{settings.pro_password}".encode()
        self._basic = "Basic " + base64.b64encode(credentials).decode()
        self._timeout = {"connect": settings.connect_timeout, "read": settings.call_timeout,
                         "write": settings.call_timeout, "pool": settings.call_timeout}  # fmt: skip
        self.transport = transport or network_transport()

    async def aclose(self) -> None:
        await self.transport.aclose()

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: list[tuple[str, str]] | None = None,
        json_body: Any = None,
        form: list[tuple[str, str]] | None = None,
        session_id: str | None = None,
        anonymous: bool = False,
        deadline: float | None = None,
    ) -> Answer:
        """Call ``/api/v1/<path>`` and return its answer, or raise ``GatewayError``.

        ``deadline`` is a ``time.monotonic()`` instant (default: now + the request timeout).
        ``anonymous`` sends no identity (the client's own credentials are in ``form``).
        """
        deadline = deadline or time.monotonic() + self.settings.request_timeout
        url = self._base + path + "?" + urlencode([*(params or []), ("apikey", self.settings.apikey)])
        headers = {"Accept": "application/json", "Accept-Encoding": "gzip"}
        pro = False
        if session_id:
            headers["Cookie"] = f"{SESSION_COOKIE}={session_id}"
        elif not anonymous:
            headers["Authorization"], pro = self._basic, True
        content: bytes | None = None
        if json_body is not None:
            content = json.dumps(json_body, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            content = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        attempts = 1 + (self.settings.retries if method == "GET" else 0)
        for attempt in range(attempts):
            try:
                return await self._once(method, url, headers, content, pro, deadline)
            except GatewayError as error:
                retry_in = BACKOFF_SECONDS * 2**attempt * random.random()  # full jitter
                if attempt + 1 >= attempts or time.monotonic() + retry_in >= deadline - 0.05:
                    raise
                if error.code not in ("upstream_unreachable", "upstream_timeout", "upstream_error"):
                    raise
                await asyncio.sleep(retry_in)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(self, method: str, url: str, headers: dict[str, str], content: bytes | None, pro: bool,
                    deadline: float) -> Answer:  # fmt: skip
        left = deadline - time.monotonic()
        if left <= 0:
            raise GatewayError(504, "upstream_timeout", "ClicRDV did not answer in time")
        request = httpx.Request(method, url, headers=headers, content=content, extensions={"timeout": self._timeout})
        try:
            async with asyncio.timeout(min(left, self.settings.call_timeout)):
                response = await self.transport.handle_async_request(request)
                try:
                    body = await _read_capped(response)
                finally:
                    await response.aclose()
        except (TimeoutError, httpx.TimeoutException):
            raise GatewayError(504, "upstream_timeout", "ClicRDV did not answer in time") from None
        except httpx.HTTPError:  # refused, reset, truncated body: never echo the URL (it holds the key)
            raise GatewayError(502, "upstream_unreachable", "ClicRDV could not be reached") from None
        if response.status_code >= 500 or 300 <= response.status_code < 400:
            raise GatewayError(502, "upstream_error", f"ClicRDV answered {response.status_code}")
        body = body.replace(self._key, b"[redacted]") if self._key in body else body
        data = _json(body, response.headers.get("content-type", ""))
        if response.status_code == 401 and pro:
            log.error("ClicRDV refused the gateway's Pro login (401): check BOOKGEN_PRO_EMAIL / BOOKGEN_PRO_PASSWORD")
            raise GatewayError(502, "upstream_auth", "the booking service is misconfigured")
        return Answer(response.status_code, body if body.strip() else b"{}", data, _session(response))


def _session(response: httpx.Response) -> str | None:
    """The ``_session_id`` a login answer sets, read from its ``Set-Cookie`` headers."""
    for header in response.headers.get_list("set-cookie"):
        cookie = SimpleCookie()
        try:
            cookie.load(header)
        except CookieError:
            continue
        if SESSION_COOKIE in cookie and cookie[SESSION_COOKIE].value:
            return cookie[SESSION_COOKIE].value
    return None


async def _read_capped(response: httpx.Response) -> bytes:
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise GatewayError(502, "upstream_bad_answer", "ClicRDV's answer is too large")
        chunks.append(chunk)
    return b"".join(chunks)


def _json(body: bytes, content_type: str) -> Any:
    if not body.strip():
        return {}
    if "json" not in content_type.lower():
        raise GatewayError(502, "upstream_bad_answer", "ClicRDV answered something other than JSON")
    try:
        return json.loads(body)
    except ValueError:
        raise GatewayError(502, "upstream_bad_answer", "ClicRDV's answer is not complete JSON") from None
