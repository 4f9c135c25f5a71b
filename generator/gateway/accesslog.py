"""One JSON line per request on the ``bookgen.gateway.access`` logger, without personal data.

Fields: ``ts`` (UTC, ISO 8601), ``id`` (request id: the caller's ``X-Request-Id`` when it
is 1-64 characters of ``[A-Za-z0-9._-]``, else a new one; echoed in the answer), ``method``,
``route`` (the matched route's name, e.g. ``availabletimeslots``, or ``-``), ``path`` (the
path of a known route only, never the query: a login may carry credentials there), ``status``, ``ms``
(duration), ``bytes`` (answer body). No client IP, no headers, no cookie, no body, no key.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["AccessLog", "json_lines_handler"]

log = logging.getLogger("bookgen.gateway.access")
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
MAX_PATH = 200


class AccessLog:
    """ASGI middleware: sets ``scope["state"]["request_id"]`` and logs when the answer ends."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if REQUEST_ID.fullmatch(given) else secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = request_id
        status, size = 500, 0

        async def send_logged(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_logged)
        finally:
            route = scope["state"].get("route", "-")
            entry: dict[str, Any] = {
                "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "id": request_id,
                "method": scope["method"],
                "route": route,
                "path": scope["path"][:MAX_PATH] if route != "-" else "-",
                "status": status,
                "ms": round((time.perf_counter() - started) * 1000, 2),
                "bytes": size,
            }
            log.info(json.dumps(entry, separators=(",", ":")))


def json_lines_handler(stream: Any = None) -> logging.Handler:
    """A handler writing each access record's message (already JSON) as one line."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    return handler
