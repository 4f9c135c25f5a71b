"""Appointments and client accounts (clicrdv-api.md §2, §4, §5).

``POST /groups/:id/appointments`` with ``{"appointment": {date, calendar_id?,
intervention_ids, comments?, websource?, from_web?, fiche}}`` answers 201 with the
bare record, or 400 with a documented code. The rules of the booking module apply to
appointments ``from_web`` (the default, 1), checked in this order:

- ``inactive`` group → 403;
- ``MintimeRdv`` (9): before now + ``min_notice``; ``MaxRdvPeriod`` (8): after now +
  ``max_days_ahead`` days (page.toml);
- ``EmailNotFound`` (13): the group is ``open`` false or ``validateEmail`` true and the
  fiche's email is no confirmed Account of the group;
- ``SameTimeRdv`` (12): that email already has an appointment overlapping this one;
- ``MaxRdvNumber`` (6): that email already has ``max_multirdvs`` upcoming appointments;
- ``NotAvailable`` (10): not a start the opening hours offer, or no calendar free.

``from_web`` 0 (a Pro's booking) only meets ``NotAvailable``. ``calendar_id`` absent,
empty or 0 = any free calendar, picked at random. ``fiche`` with an ``id`` updates that
record; without, a new one is created.

``POST /accounts`` with ``{"account": {email, group_id, pendingRdv?}}`` creates an
Account and "emails" it a confirmation link
(:meth:`Store.outbox`); ``GET|POST /sandbox/confirm/<token>`` is that link: the email is
confirmed, the password set (``password`` form field, default ``sandbox``) and the
parked ``pendingRdv`` booked. See docs/clicrdv-assumptions.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Set
from typing import Any

from pydantic import TypeAdapter, ValidationError

from ..fields import ApiBool
from ..models import Calendar
from ..protocol import EMAIL_PATTERN
from .availability import Slot, free_calendars
from .catalog import visible_group
from .errors import ApiError, bad, refused
from .store import Account, Appointment, Identity, Store, sha1_hex
from .timeslots import busy, calendars_for, find_slot, horizon, parse_wall, services_for

__all__ = ["FICHE_FIELDS", "confirm_account", "create_account", "create_appointment"]

EMAIL = re.compile(EMAIL_PATTERN)  # the booking form's own check (protocol.py)
#: The local part's limit (RFC 5321 §4.5.3.1.1), beyond what the form checks.
MAX_LOCAL_PART = 64
#: Fiche fields a booking may send, with their length limits (§5, fiches).
FICHE_FIELDS: dict[str, int] = {
    "lastname": 64, "firstname": 64, "firstphone": 25, "secondphone": 25, "email": 255,
    "birthdate": 10, "comments": 1000, "externid": 255,
}  # fmt: skip
FICHE_FLAGS = ("rappel_email", "rappel_sms", "from_web")
APPOINTMENT_FIELDS = {"date", "calendar_id", "intervention_ids", "comments", "websource", "from_web", "fiche"}
ACCOUNT_FIELDS = {"email", "group_id", "pendingRdv"}
PENDING_FIELDS = {
    "intervention_ids",
    "calendar_id",
    "date",
    "names",
    "intervention_names",
    "calendar_name",
    "fiche",
}


_BOOL = TypeAdapter(ApiBool)


def _flag(value: Any, field: str) -> int:
    """A flag as the API sends it (true/false, 1/0, "1"/"0"), answered as 1 or 0."""
    try:
        return int(_BOOL.validate_python(value))
    except ValidationError:
        raise bad('must be true/false, 1/0 or "1"/"0"', field) from None


def _text(value: Any, field: str, limit: int, *, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise bad("is required", field)
        return None
    if not isinstance(value, str) or "\x00" in value:
        raise bad("must be text", field)
    if len(value) > limit:
        raise bad(f"is {len(value)} characters long; at most {limit} allowed", field)
    if required and not value.strip():
        raise bad("is required", field)
    return value


def _email(value: Any, field: str) -> str:
    text = _text(value, field, 255, required=True) or ""
    address = text.strip()
    if not EMAIL.fullmatch(address) or len(address.split("@", 1)[0]) > MAX_LOCAL_PART:
        raise bad("is not an email address", field)
    return address


def _ids(value: Any, field: str) -> list[int]:
    if not isinstance(value, list) or not value:
        raise bad("must be a non-empty list of service ids", field)
    ids = []
    for item in value:
        if isinstance(item, bool) or not (
            isinstance(item, int) or (isinstance(item, str) and item.isdigit())
        ):
            raise bad("must be a list of whole numbers", field)
        ids.append(int(item))
    return ids


def _calendar(value: Any, field: str) -> int | None:
    if value in (None, "", 0, "0"):
        return None
    if isinstance(value, bool) or not (
        isinstance(value, int) or (isinstance(value, str) and value.isdigit())
    ):
        raise bad("must be a calendar id (empty = no preference)", field)
    return int(value)


def _fiche(store: Store, group_id: int, data: Any, identity: Identity | None, prefix: str) -> dict[str, Any]:
    """The validated fiche fields (the existing record's when ``id`` is given)."""
    if data is None and identity is not None and identity.kind == "account":
        data = {}
    if not isinstance(data, dict):
        raise bad("must be an object with the client's details", prefix)
    unknown = sorted(set(data) - set(FICHE_FIELDS) - set(FICHE_FLAGS) - {"id"})
    if unknown:
        raise bad("is not a fiche field", f"{prefix}.{unknown[0][:40]}")
    base: dict[str, Any] = {}
    if data.get("id") is not None:
        match = [f for f in store.fiches[group_id] if f["id"] == data["id"]]
        if not match:
            raise bad(f"no fiche {str(data['id'])[:20]} in group {group_id}", f"{prefix}.id")
        base = dict(match[0])
    fiche: dict[str, Any] = {**{k: None for k in FICHE_FIELDS}, "rappel_email": 1, "rappel_sms": 1, "from_web": 1,
                             **base}  # fmt: skip
    for name, limit in FICHE_FIELDS.items():
        if name in data:
            fiche[name] = _text(data[name], f"{prefix}.{name}", limit)
    for name in FICHE_FLAGS:
        if name in data:
            fiche[name] = _flag(data[name], f"{prefix}.{name}")
    if identity is not None and identity.kind == "account":
        if fiche["email"] and fiche["email"].lower() != identity.email.lower():
            raise bad("must be the signed-in account's email", f"{prefix}.email")
        fiche["email"] = identity.email
        account = next((a for a in store.accounts_for(identity.email) if a.group_id == group_id), None)
        for name, value in (account.details if account else {}).items():
            fiche[name] = fiche.get(name) or value
    fiche["email"] = _email(fiche["email"], f"{prefix}.email")
    _text(fiche["lastname"], f"{prefix}.lastname", 64, required=True)
    if fiche["birthdate"] is not None:
        parse_wall(fiche["birthdate"], f"{prefix}.birthdate")
    return fiche


def _check_horizon(store: Store, group_id: int, slot: Slot | None, field: str) -> None:
    """MintimeRdv before now + min_notice, MaxRdvPeriod after now + max_days_ahead."""
    earliest, latest = horizon(store, group_id)
    if slot is not None and slot.start < earliest:
        raise refused("MintimeRdv", "this time is too soon to be booked online", field)
    if slot is not None and slot.start > latest:
        raise refused("MaxRdvPeriod", "this time is too far ahead to be booked online", field)


def _envelope(body: Any, name: str, fields: Set[str]) -> dict[str, Any]:
    """``body[name]``, the record of a ``{"<name>": {...}}`` body whose keys are all
    ``fields``; else 400 naming the body or the first unknown key."""
    if not isinstance(body, dict) or not isinstance(body.get(name), dict):
        raise bad(f'the body must be {{"{name}": {{...}}}}', name)
    data: dict[str, Any] = body[name]
    unknown = sorted(set(data) - fields)
    if unknown:
        article = "an" if name[0] in "aeiou" else "a"
        raise bad(f"is not {article} {name} field", f"{name}.{unknown[0][:40]}")
    return data


def _free(
    store: Store, group_id: int, calendars: list[Calendar], slot: Slot | None, field: str
) -> tuple[Slot, list[tuple[int, int]]]:
    """``slot`` and the calendars with room during it; NotAvailable when it is no slot or
    none has (clicrdv-api.md §4)."""
    capacity = store.source(group_id).page.capacity
    free = free_calendars([c.id for c in calendars], busy(store, group_id), slot, capacity) if slot else []
    if slot is None or not free:
        raise refused("NotAvailable", "this time is not available", field)
    return slot, free


def _upcoming(store: Store, group_id: int, email: str) -> list[Appointment]:
    now = store.now()
    return [a for a in store.booked[group_id] if a.email.lower() == email.lower() and a.end > now]


def create_appointment(
    store: Store,
    identity: Identity | None,
    group_id: int,
    body: Any,
    *,
    confirmed_account: Account | None = None,
) -> dict[str, Any]:
    """Validate and book ``body``; the 201 record (see the module docstring).

    ``identity`` None is the confirmation link booking a parked ``pendingRdv`` for
    ``confirmed_account``.
    """
    if identity is not None:
        visible_group(store, identity, group_id)
    data = _envelope(body, "appointment", APPOINTMENT_FIELDS)
    wall = parse_wall(data.get("date"), "appointment.date", date_only_ok=False)
    services = services_for(store, group_id, _ids(data.get("intervention_ids"), "appointment.intervention_ids"),
                            "appointment.intervention_ids")  # fmt: skip
    calendar_id = _calendar(data.get("calendar_id"), "appointment.calendar_id")
    calendars = calendars_for(store, group_id, services, calendar_id, "appointment.calendar_id")
    comments = _text(data.get("comments"), "appointment.comments", 1000)
    websource = _text(data.get("websource"), "appointment.websource", 255)
    from_web = _flag(data.get("from_web", 1), "appointment.from_web")
    fiche = _fiche(store, group_id, data.get("fiche"), identity, "appointment.fiche")
    length = sum(s.length for s in services)
    group = store.group(group_id)
    with store.lock:
        slot = find_slot(store, group_id, wall, length)
        if from_web:
            if group.inactive:
                raise ApiError(403, "online booking is turned off for this group (inactive)")
            _check_horizon(store, group_id, slot, "appointment.date")
            known = confirmed_account is not None or any(
                a.validated for a in store.accounts_for(fiche["email"]) if a.group_id == group_id
            )
            if (not group.open or group.validateEmail) and not known:
                raise refused("EmailNotFound", "no confirmed account of this group has this email",
                              "appointment.fiche.email")  # fmt: skip
            mine = _upcoming(store, group_id, fiche["email"])
            if slot is not None and any(a.start < slot.end and slot.start < a.end for a in mine):
                raise refused("SameTimeRdv", "this client already has an appointment at this time")
            if len(mine) >= group.max_multirdvs:
                raise refused("MaxRdvNumber", f"this client already has {len(mine)} upcoming appointments")
        slot, free = _free(store, group_id, calendars, slot, "appointment.date")
        chosen = free[0][0] if calendar_id is not None else store.random.choice(free)[0]
        if fiche.get("id") is not None:
            record = next(f for f in store.fiches[group_id] if f["id"] == fiche["id"])
            record.update(fiche)
        else:
            record = store.add_fiche(group_id, {k: v for k, v in fiche.items() if k != "id"})
        appointment = Appointment(
            id=store.new_id(), group_id=group_id, calendar_id=chosen, intervention_ids=[s.id for s in services],
            fiche_id=record["id"], email=fiche["email"], start=slot.start, end=slot.end, created_at=store.now(),
            comments=comments, websource=websource, from_web=from_web,
        )  # fmt: skip
        store.add_appointment(appointment)
        return appointment.record(store.zone(group_id))


def _pending(value: Any) -> dict[str, Any]:
    """``pendingRdv``: a JSON string parking {intervention_ids, calendar_id (0 = no
    preference), date, names? / intervention_names?, calendar_name?} (§2), plus the
    client's ``fiche`` details (firstname, lastname, firstphone...; not the email)."""
    field = "account.pendingRdv"
    if isinstance(value, str):
        if len(value) > 4096:
            raise bad("is longer than 4096 characters", field)
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            raise bad("is not valid JSON", field) from None
    if not isinstance(value, dict):
        raise bad("must be a JSON string holding an object", field)
    extra = sorted(set(value) - PENDING_FIELDS)
    if extra:
        raise bad(f"unexpected key {extra[0][:40]!r}", field)
    fiche = value.get("fiche", {})
    if not isinstance(fiche, dict) or "email" in fiche or "id" in fiche:
        raise bad("fiche must be an object of the client's details (the email is the account's)", field)
    return value


def create_account(store: Store, body: Any) -> dict[str, Any]:
    """``POST /accounts``: a new, unconfirmed Account and its confirmation email."""
    data = _envelope(body, "account", ACCOUNT_FIELDS)
    email = _email(data.get("email"), "account.email")
    raw_group = data.get("group_id")
    if isinstance(raw_group, bool) or not isinstance(raw_group, int | str) or not str(raw_group).isdigit():
        raise bad("must be a group id", "account.group_id")
    group_id = int(raw_group)
    store.source(group_id)
    pending = _pending(data["pendingRdv"]) if data.get("pendingRdv") not in (None, "") else None
    details: dict[str, Any] = {}
    if pending is not None:
        fiche = _fiche(
            store, group_id, {**pending.get("fiche", {}), "email": email}, None, "account.pendingRdv.fiche"
        )
        details = {k: fiche[k] for k in ("firstname", "lastname", "firstphone") if fiche.get(k)}
    with store.lock:
        if any(a.group_id == group_id for a in store.accounts_for(email)):
            raise refused(
                "EmailAlreadyExists", "an account of this group already has this email", "account.email"
            )
        if pending is not None:
            _check_pending(store, group_id, email, pending)
        account = store.add_account(group_id, email, details=details, pending=pending)
        store.send_confirmation(account)
    return account.profile()


def _pending_body(email: str, pending: dict[str, Any]) -> dict[str, Any]:
    return {"appointment": {"date": pending.get("date"), "intervention_ids": pending.get("intervention_ids"),
                            "calendar_id": pending.get("calendar_id"),
                            "fiche": {**pending.get("fiche", {}), "email": email}}}  # fmt: skip


def _check_pending(store: Store, group_id: int, email: str, pending: dict[str, Any]) -> None:
    """Refuse at once a parked booking that could not be made (same codes, same fields)."""
    data = _pending_body(email, pending)["appointment"]
    wall = parse_wall(data["date"], "account.pendingRdv.date", date_only_ok=False)
    services = services_for(store, group_id, _ids(data["intervention_ids"], "account.pendingRdv.intervention_ids"),
                            "account.pendingRdv.intervention_ids")  # fmt: skip
    calendars = calendars_for(store, group_id, services, _calendar(data["calendar_id"], "account.pendingRdv.calendar_id"),
                              "account.pendingRdv.calendar_id")  # fmt: skip
    slot = find_slot(store, group_id, wall, sum(s.length for s in services))
    _check_horizon(store, group_id, slot, "account.pendingRdv.date")
    _free(store, group_id, calendars, slot, "account.pendingRdv.date")


def confirm_account(store: Store, token: str, password: str | None) -> dict[str, Any]:
    """The confirmation link: confirm the email, set the password, book the parked
    appointment. ``{"account": profile, "appointment": record | null}``; a parked time
    taken meanwhile → 400 with its code (the account stays confirmed)."""
    with store.lock:
        account_id = store.confirmations.pop(token, None)
        account = store.accounts.get(account_id) if account_id is not None else None
        if account is None:
            raise ApiError(404, "this confirmation link is unknown or was already used")
        account.validated = True
        account.password_sha1 = sha1_hex(password or "sandbox")
        pending, account.pending = account.pending, None
    record = None
    if pending is not None:
        record = create_appointment(store, None, account.group_id, _pending_body(account.email, pending),
                                    confirmed_account=account)  # fmt: skip
    return {"account": account.profile(), "appointment": record}
