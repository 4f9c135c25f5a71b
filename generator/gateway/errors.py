"""The gateway's own error answers: ``{"error": {"code": ..., "message": ...}}``.

ClicRDV documents no 413, 429, 502, 503 or 504 (clicrdv-api.md §4), so when the
gateway itself refuses or fails a request it speaks this one shape, documented in
``docs/clicrdv-assumptions.md`` (``## Gateway``). Answers that come from ClicRDV (its 400
codes, 401, 403, 404) are passed through unchanged and never use this shape.
"""

from __future__ import annotations

import json

from starlette.responses import Response

from ..errors import BookgenError, Problem

__all__ = ["ConfigError", "GatewayError", "error_response"]


class ConfigError(BookgenError):
    """The gateway cannot start: one line per missing or bad setting, each naming it (never a
    secret's value). ``str()`` is the lines joined; ``problems`` renders one each."""

    def __init__(self, *messages: str) -> None:
        super().__init__("\n".join(messages))
        self.messages = messages

    @property
    def problems(self) -> list[Problem]:
        return [Problem("", "", message) for message in self.messages]


class GatewayError(BookgenError):
    """A refusal or failure decided by the gateway: HTTP ``status``, a stable ``code``, a message.

    ``headers`` are added to the answer (``Retry-After`` on 429 and 503). ``extra`` keys join
    ``code`` and ``message``: ``field`` (the body path at fault, as the sandbox's error body
    names it) and ``number`` (ClicRDV's code number, when the gateway refuses with one).
    """

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None,
                 **extra: object) -> None:  # fmt: skip
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}
        self.extra = extra

    def response(self) -> Response:
        return error_response(self.status, self.code, self.message, self.headers, **self.extra)


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None,
                   **extra: object) -> Response:  # fmt: skip
    """The JSON error answer, never cached."""
    body = json.dumps({"error": {"code": code, "message": message, **extra}}).encode()
    return Response(
        body,
        status_code=status,
        media_type="application/json",
        headers={"Cache-Control": "no-store", **(headers or {})},
    )
