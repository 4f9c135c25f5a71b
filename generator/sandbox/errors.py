"""The statuses and error codes the sandbox answers with, and its one error body.

Statuses are only ClicRDV's documented set (clicrdv-api.md §4): 400 missing or
invalid parameter, 401 not allowed / wrong login, 403 no permission for the
operation, 404 missing or not visible, 405 method not available, 500 server fault;
413 is the transport's refusal of an oversized body (docs/clicrdv-assumptions.md).

Every error body has one shape (the docs leave it open; the login answer's
top-level ``error`` key is what it extends)::

    {"error": {"code": "NotAvailable" | null, "number": 10 | null,
               "field": "appointment.date" | null, "message": "..."}}

``code``/``number`` are the documented appointment code pair (§4) or null.
"""

from __future__ import annotations

from typing import Any

from ..errors import BookgenError

__all__ = ["APPOINTMENT_CODES", "ApiError", "error_body"]

#: The appointment refusal codes of clicrdv-api.md §4 (name → number). NotAvailable's
#: number cell is empty in the docs' table; 10 follows the sequence (unconfirmed).
APPOINTMENT_CODES: dict[str, int] = {
    "MaxRdvNumber": 6,
    "MintimeBetween": 7,
    "MaxRdvPeriod": 8,
    "MintimeRdv": 9,
    "NotAvailable": 10,
    "EmailAlreadyExists": 11,
    "SameTimeRdv": 12,
    "EmailNotFound": 13,
}

STATUSES = frozenset({200, 201, 400, 401, 403, 404, 405, 413, 500})


class ApiError(BookgenError):
    """A refusal: ``status`` from the documented set, optional code name and field path, and
    ``headers`` for the answer (``Allow`` on a 405)."""

    def __init__(
        self, status: int, message: str, *, code: str | None = None, field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:  # fmt: skip
        if status not in STATUSES:  # pragma: no cover - a programming error, caught by tests
            raise ValueError(f"undocumented status {status}")
        if code is not None and code not in APPOINTMENT_CODES:  # pragma: no cover
            raise ValueError(f"undocumented code {code}")
        super().__init__(message)
        self.status, self.message, self.code, self.field = status, message, code, field
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return error_body(self.message, code=self.code, field=self.field)


def error_body(message: str, *, code: str | None = None, field: str | None = None) -> dict[str, Any]:
    """The one error shape (see the module docstring)."""
    return {
        "error": {
            "code": code,
            "number": APPOINTMENT_CODES[code] if code else None,
            "field": field,
            "message": message,
        }
    }


def bad(message: str, field: str | None = None) -> ApiError:
    """400: a missing or invalid parameter, naming it."""
    return ApiError(400, message, field=field)


def refused(code: str, message: str, field: str | None = "appointment.date") -> ApiError:
    """400 with one of the documented appointment codes."""
    return ApiError(400, message, code=code, field=field)
