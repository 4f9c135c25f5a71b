"""Request bodies the gateway accepts, validated with pydantic before anything goes upstream.

Shapes and limits are ClicRDV's (clicrdv-api.md §2 accounts, §5 appointments and fiches);
unknown fields are refused, so a page cannot reach what the booking flow does not need
(``fiche.id`` would update another client's record with the gateway's Pro identity,
``comments`` on a fiche are staff notes). Any problem → 400 ``bad_request`` naming the
field in its message (``appointment.fiche.firstname: ...``) and in ``field``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from ..errors import format_loc
from ..fields import MAX_ID
from .errors import GatewayError

__all__ = ["AccountBody", "AppointmentBody", "LoginForm", "parse_json", "validate"]

MAX_IDS = 20
M = TypeVar("M", bound=BaseModel)


def _blank_to_none(value: Any) -> Any:
    return None if value in ("", 0, "0") else value


Text64 = Annotated[str, Field(max_length=64)]
Flag = Annotated[int, Field(ge=0, le=1)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]  # the loader's bound too (generator.fields.MAX_ID)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Fiche(_Strict):
    """The client's record (§5 fiches): only what a client types into the booking form."""

    firstname: Text64 | None = None
    lastname: Text64 | None = None
    email: Annotated[str, Field(max_length=255)] | None = None
    firstphone: Annotated[str, Field(max_length=25)] | None = None
    secondphone: Annotated[str, Field(max_length=25)] | None = None
    birthdate: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")] | None = None
    rappel_sms: Flag | None = None
    rappel_email: Flag | None = None


class Appointment(_Strict):
    """``{"appointment": {...}}`` of ``POST groups/:id/appointments`` (§5 appointments).

    ``calendar_id`` empty, null or 0 means "no preference" and is left out upstream.
    """

    date: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")]
    calendar_id: Annotated[Id | None, BeforeValidator(_blank_to_none)] = None
    intervention_ids: Annotated[list[Id], Field(min_length=1, max_length=MAX_IDS)]
    comments: Annotated[str, Field(max_length=2000)] | None = None
    websource: Annotated[str, Field(max_length=255)] | None = None
    from_web: Flag | None = None
    fiche: Fiche | None = None


class AppointmentBody(_Strict):
    appointment: Appointment

    def upstream(self) -> dict[str, Any]:
        return {"appointment": self.appointment.model_dump(exclude_none=True)}


class Account(_Strict):
    """``{"account": {email, group_id, pendingRdv}}`` of ``POST accounts`` (§2)."""

    email: Annotated[str, Field(min_length=3, max_length=255)]
    group_id: Id
    pendingRdv: Annotated[str, Field(max_length=4096)] | None = None

    def pending(self) -> dict[str, Any]:
        """The parked booking (a JSON string holding an object), ``{}`` when absent."""
        if not self.pendingRdv:
            return {}
        try:
            data = json.loads(self.pendingRdv)
        except ValueError:
            raise GatewayError(400, "bad_request", "account.pendingRdv: is not a JSON string") from None
        if not isinstance(data, dict):
            raise GatewayError(400, "bad_request", "account.pendingRdv: must hold a JSON object")
        return data


class AccountBody(_Strict):
    account: Account

    def upstream(self) -> dict[str, Any]:
        return {"account": self.account.model_dump(exclude_none=True)}


class LoginForm(_Strict):
    """``account[email]`` + ``account[password]`` (SHA-1 hex, §2) of ``sessions/login``."""

    email: Annotated[str, Field(min_length=3, max_length=255)]
    password: Annotated[str, Field(pattern=r"^[0-9a-fA-F]{40}$")]


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise GatewayError(400, "bad_request", "the body is not JSON") from None


def validate(model: type[M], data: Any, prefix: str = "") -> M:
    """``model`` from ``data`` or 400 ``bad_request`` naming the first bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        item = error.errors(include_url=False)[0]
        where = format_loc([p for p in item["loc"] if isinstance(p, int) or "[" not in p], prefix) or "body"
        raise GatewayError(400, "bad_request", f"{where}: {_message(item)}", field=where) from None


def _message(item: Any) -> str:
    """Pydantic's message for one error, in the API's words: no Python class names."""
    kind = item["type"]
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "must be a JSON object"
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a field the booking gateway accepts"
    return str(item["msg"])
