"""A sandbox of the ClicRDV booking API, so the flow can be clicked through and tested.

Implements, for every group of a loaded site::

    GET  /groups/:id/availabletimeslots?intervention_ids[]=..&calendar_id=..&start=..&end=..
    POST /groups/:id/appointments          {"appointment": {date, calendar_id, intervention_ids, fiche}}
    POST /groups/:id/clients/signin        {"email": ...}   (open / openData false)

``:id`` is the group's API ``id`` (or its slug when it has none). Availability is
deterministic: opening hours from ``page.toml`` (default Mon–Fri 09:00–18:00),
``slot_step``, ``capacity``, the services' lengths, the calendar/service
association, a fixed pattern of slots already taken, and every booking made so
far. Times are local to the group's timezone, written ``YYYY-MM-DD HH:MM:SS``.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from .booking import bookable_calendars, visible_services
from .config import WEEKDAYS
from .loader import GroupSource, Site
from .timezones import TIMEZONES, zone_for

__all__ = ["Sandbox", "serve_sandbox"]

Response = tuple[int, dict[str, str], bytes]
DEFAULT_HOURS = {day: ["09:00-18:00"] for day in WEEKDAYS[:5]}
MAX_DAYS = 31
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PHONE = re.compile(r"\+?[0-9][0-9 .()-]{5,19}")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class Booking:
    group_id: str
    calendar_id: int
    start: datetime  # naive, group-local
    end: datetime


class ApiError(Exception):
    def __init__(self, status: int, message: str, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(message)
        self.status, self.message, self.field, self.code = status, message, field, code

    def body(self) -> dict[str, Any]:
        error = {"code": self.code, "message": self.message}
        if self.field:
            error["field"] = self.field
        return {"errors": [error]}


class Sandbox:
    """In-memory booking API over a site's groups; bookings survive :meth:`reload`."""

    def __init__(self, site: Site, *, now: Callable[[], datetime] | None = None) -> None:
        self._now = now or (lambda: datetime.now().astimezone())
        self._lock = threading.Lock()
        self.bookings: list[Booking] = []
        self.received: list[dict[str, Any]] = []  # every appointment body, for tests
        self.tokens: dict[str, str] = {}
        self.reload(site)

    def reload(self, site: Site) -> None:
        self.groups = {self._key(source): source for source in site.groups}

    @staticmethod
    def _key(source: GroupSource) -> str:
        extra = source.group.model_extra or {}
        return str(extra.get("id") or source.slug)

    # -- HTTP ---------------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> Response:
        """Answer one request; ``path`` is relative to the API root (``/groups/1/...``)."""
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
            "Access-Control-Allow-Headers": "Content-Type",
            "Cache-Control": "no-store",
        }
        if method == "OPTIONS":
            return 204, headers, b""
        try:
            status, payload = self._route(method, path, query, body)
        except ApiError as error:
            status, payload = error.status, error.body()
        return status, headers, json.dumps(payload, ensure_ascii=False).encode("utf-8")

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> tuple[int, Any]:
        match = re.fullmatch(r"/groups/([^/]+)/(availabletimeslots|appointments|clients/signin)/?", path)
        if not match:
            raise ApiError(404, "no such endpoint", code="not_found")
        source = self.groups.get(match.group(1))
        if source is None:
            raise ApiError(404, f"no group {match.group(1)}", code="not_found")
        endpoint = match.group(2)
        if endpoint == "availabletimeslots" and method == "GET":
            return 200, self.available(source, query)
        if method != "POST":
            raise ApiError(405, f"{method} is not allowed here", code="method_not_allowed")
        data = _json_body(body)
        if endpoint == "clients/signin":
            return 200, self.sign_in(source, data)
        with self._lock:
            return 201, self.book(source, data, query)

    def wsgi_app(self) -> Callable[..., Any]:
        """A WSGI application serving the API at its root."""

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
            from urllib.parse import parse_qs

            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
            status, headers, payload = self.handle(environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), query, body)
            start_response(f"{status} {_REASONS.get(status, 'OK')}", list(headers.items()))
            return [payload]

        return app

    # -- endpoints ----------------------------------------------------------------------------

    def sign_in(self, source: GroupSource, data: dict[str, Any]) -> dict[str, Any]:
        """Registered clients only. The sandbox treats any address as registered except
        ones starting with ``unknown`` (so the refusal can be tried too)."""
        email = str(data.get("email", "")).strip()
        if not EMAIL.fullmatch(email):
            raise ApiError(422, "enter a valid email address", "email")
        if email.lower().startswith("unknown"):
            raise ApiError(403, "no client account uses this email address", "email", "not_registered")
        token = hashlib.sha256(f"{self._key(source)}:{email.lower()}".encode()).hexdigest()[:24]
        self.tokens[token] = email.lower()
        return {"client": {"email": email, "token": token}}

    def available(self, source: GroupSource, query: dict[str, list[str]]) -> dict[str, Any]:
        if source.group.inactive:
            raise ApiError(403, "online booking is not available for this business", code="inactive")
        if not source.group.openData:
            self._require_token(query)
        services = self._services(source, _list(query, "intervention_ids[]") or _list(query, "intervention_ids"))
        calendars = self._calendars(source, services, _first(query, "calendar_id"))
        start = _parse_day(_first(query, "start"), "start") or self._local_now(source).date()
        end = _parse_day(_first(query, "end"), "end") or start + timedelta(days=6)
        if end < start or (end - start).days >= MAX_DAYS:
            raise ApiError(422, f"start..end must span 1 to {MAX_DAYS} days", "end")
        length = sum(s.length for s in services)
        slots = []
        day = start
        while day <= end:
            for moment in self._day_slots(source, day, length):
                free = [c for c in calendars if self._is_free(source, c.id, moment, length)]
                if free:
                    slots.append({
                        "start": moment.strftime(TIME_FORMAT),
                        "end": (moment + timedelta(minutes=length)).strftime(TIME_FORMAT),
                        "calendar_id": free[0].id,
                    })  # fmt: skip
            day += timedelta(days=1)
        return {"records": slots, "totalRecords": len(slots), "timezone": TIMEZONES[source.group.timezone]}

    def book(self, source: GroupSource, data: dict[str, Any], query: dict[str, list[str]]) -> dict[str, Any]:
        self.received.append(data)
        if source.group.inactive:
            raise ApiError(403, "online booking is not available for this business", code="inactive")
        appointment = data.get("appointment")
        if not isinstance(appointment, dict):
            raise ApiError(422, 'the body must be {"appointment": {...}}', "appointment")
        if not source.group.open or not source.group.openData:
            self._require_token(query, appointment.get("token"))
        raw_ids = appointment.get("intervention_ids")
        ids = [str(i) for i in raw_ids] if isinstance(raw_ids, list) else []
        services = self._services(source, ids)
        calendar_ref = appointment.get("calendar_id")
        calendars = self._calendars(source, services, "" if calendar_ref in (None, "") else str(calendar_ref))
        try:
            start = datetime.strptime(str(appointment.get("date")), TIME_FORMAT)
        except ValueError:
            raise ApiError(422, "date must be YYYY-MM-DD HH:MM:SS", "date") from None
        _check_fiche(appointment.get("fiche"))
        length = sum(s.length for s in services)
        if start not in self._day_slots(source, start.date(), length):
            raise ApiError(409, "this time is not available", "date", "slot_taken")
        free = [c for c in calendars if self._is_free(source, c.id, start, length)]
        if not free:
            raise ApiError(409, "this time has just been booked by someone else", "date", "slot_taken")
        booking = Booking(self._key(source), free[0].id, start, start + timedelta(minutes=length))
        self.bookings.append(booking)
        status = "waiting_email_validation" if source.group.validateEmail else "confirmed"
        return {
            "appointment": {
                "id": len(self.bookings),
                "date": start.strftime(TIME_FORMAT),
                "end": booking.end.strftime(TIME_FORMAT),
                "calendar_id": booking.calendar_id,
                "intervention_ids": [s.id for s in services],
                "status": status,
            }
        }

    # -- rules --------------------------------------------------------------------------------

    def _require_token(self, query: dict[str, list[str]], token: Any = None) -> None:
        if (token or _first(query, "token")) not in self.tokens:
            raise ApiError(401, "sign in first: this business only shows times to its clients", code="signin_required")

    def _services(self, source: GroupSource, ids: list[str]) -> list[Any]:
        if not ids:
            raise ApiError(422, "choose at least one service", "intervention_ids")
        by_id = {str(s.id): s for s in visible_services(source)}
        unknown = [i for i in ids if i not in by_id]
        if unknown:
            raise ApiError(422, f"unknown service {unknown[0]}", "intervention_ids")
        return [by_id[i] for i in ids]

    def _calendars(self, source: GroupSource, services: list[Any], calendar_id: str | None) -> list[Any]:
        offering = [c for c in bookable_calendars(source) if all(c.offers(s.id) for s in services)]
        if calendar_id:
            chosen = [c for c in offering if str(c.id) == calendar_id]
            if not chosen:
                raise ApiError(422, f"calendar {calendar_id} does not offer these services", "calendar_id")
            return chosen
        if not offering:
            raise ApiError(422, "no calendar offers all these services", "intervention_ids")
        return offering

    def _local_now(self, source: GroupSource) -> datetime:
        return self._now().astimezone(zone_for(source.group.timezone)).replace(tzinfo=None)

    def _day_slots(self, source: GroupSource, day: date, length: int) -> list[datetime]:
        """Start times on ``day`` where ``length`` minutes fit in opening hours, in the future."""
        hours = source.page.hours or DEFAULT_HOURS
        step = timedelta(minutes=source.page.slot_step)
        now = self._local_now(source)
        slots = []
        for span in hours.get(WEEKDAYS[day.weekday()], []):
            opens, closes = (datetime.combine(day, datetime.strptime(t, "%H:%M").time()) for t in _span(span))
            moment = opens
            while moment + timedelta(minutes=length) <= closes:
                if moment > now:
                    slots.append(moment)
                moment += step
        return slots

    def _is_free(self, source: GroupSource, calendar_id: int, start: datetime, length: int) -> bool:
        end = start + timedelta(minutes=length)
        key = self._key(source)
        taken = sum(
            1 for b in self.bookings
            if b.group_id == key and b.calendar_id == calendar_id and b.start < end and start < b.end
        )  # fmt: skip
        # A fixed pattern of slots already taken by other clients, so the calendar looks real.
        seed = hashlib.sha256(f"{key}:{calendar_id}:{start:%Y%m%d%H%M}".encode()).digest()[0]
        taken += source.page.capacity if seed % 5 == 0 else 0
        return taken < source.page.capacity


_REASONS = {200: "OK", 201: "Created", 204: "No Content", 401: "Unauthorized", 403: "Forbidden",
            404: "Not Found", 405: "Method Not Allowed", 409: "Conflict", 422: "Unprocessable Entity"}  # fmt: skip


def _span(span: str) -> tuple[str, str]:
    opens, closes = span.split("-")
    return opens, "23:59" if closes == "24:00" else closes


def _first(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _list(query: dict[str, list[str]], name: str) -> list[str]:
    return [v for value in query.get(name, []) for v in value.split(",") if v]


def _parse_day(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return datetime.strptime(value[:10], "%Y-%m-%d").date()
    except ValueError:
        raise ApiError(422, f"{field} must be a date YYYY-MM-DD", field) from None


def _json_body(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise ApiError(400, "the body is not valid JSON", code="bad_json") from None
    if not isinstance(data, dict):
        raise ApiError(400, "the body must be a JSON object", code="bad_json")
    return data


def _check_fiche(fiche: Any) -> None:
    """The client's details, checked as the API does; each error names its field."""
    if not isinstance(fiche, dict):
        raise ApiError(422, "your details are missing", "fiche")
    for name in ("firstname", "lastname"):
        value = str(fiche.get(name) or "").strip()
        if not value or len(value) > 64:
            raise ApiError(422, "required (at most 64 characters)", f"fiche.{name}")
    if not EMAIL.fullmatch(str(fiche.get("email") or "").strip()):
        raise ApiError(422, "enter a valid email address", "fiche.email")
    phone = str(fiche.get("phone") or "").strip()
    if phone and not PHONE.fullmatch(phone):
        raise ApiError(422, "enter a valid phone number", "fiche.phone")


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve_sandbox(site: Site, host: str = "127.0.0.1", port: int = 0, **kwargs: Any) -> Iterator[tuple[str, Sandbox]]:
    """Run the sandbox on loopback in a thread; yields (base URL ending in /api/v1, sandbox)."""
    sandbox = Sandbox(site, **kwargs)
    inner = sandbox.wsgi_app()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/api/v1"):
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        environ["PATH_INFO"] = path[len("/api/v1"):]
        return inner(environ, start_response)

    server = make_server(host, port, app, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_port}/api/v1", sandbox
    finally:
        server.shutdown()
        server.server_close()
