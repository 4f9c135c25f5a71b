"""``GET /groups/:id/availabletimeslots`` (clicrdv-api.md §5, availabletimeslots).

Parameters: ``intervention_ids[]`` (required), ``calendar_id`` (empty or 0 = no
preference), ``calendar_ids[]``, ``calendarset_ids[]``, ``start`` (date-time, default
now), ``end`` (date-time) or ``nDays`` (not both; default start + 7 days), ``cal_qty``
(default 1), ``min_capacity`` (default 1). Date-times are the group's wall clock,
``YYYY-MM-DD HH:MM:SS`` (a bare ``YYYY-MM-DD`` means its 00:00:00); slots start at or
after ``start`` and before ``end``; a window spans at most ``MAX_WINDOW_DAYS``.

The answer is a plain object, not the list envelope::

    {"group_id": 4102, "firstSlot": "2026-12-01 10:00:00" | null,
     "intervention_ids": [101], "calendar_id": 12 | "", "calendar_ids": [11, 12],
     "availabletimeslots": [{"start": "2026-12-01 10:00:00", "capacity": 2,
                             "calendar_ids": [11, 12]}, ...]}

``capacity`` is how many more appointments that start can take (free room summed
over ``calendar_ids``, the calendars free then). ``firstSlot`` is the first free start
at or after ``start`` within the booking horizon, even past ``end`` (null if none).
Slots honour ``page.toml``'s ``min_notice`` (minutes) and ``max_days_ahead``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from ..models import Calendar, Intervention
from .availability import Busy, Schedule, Slot, day_slots, free_calendars, is_deleted, to_wall
from .catalog import visible_group
from .errors import bad
from .lists import int_list
from .store import TIME_FORMAT, Identity, Store

__all__ = [
    "MAX_WINDOW_DAYS",
    "available",
    "busy",
    "calendars_for",
    "find_slot",
    "horizon",
    "parse_wall",
    "services_for",
]

MAX_WINDOW_DAYS = 62
_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2}:[0-9]{2})?")
_SMALL_INT = re.compile(r"[0-9]{1,4}")


def parse_wall(value: Any, field: str, *, date_only_ok: bool = True) -> datetime:
    """A naive wall-clock date-time ``YYYY-MM-DD HH:MM:SS`` (or a bare date)."""
    if (
        not isinstance(value, str)
        or not _DATETIME.fullmatch(value)
        or (len(value) == 10 and not date_only_ok)
    ):
        raise bad("must be a date-time YYYY-MM-DD HH:MM:SS", field)
    try:
        return datetime.strptime(value, TIME_FORMAT if len(value) > 10 else "%Y-%m-%d")
    except ValueError:
        raise bad(f"{value!r} is not a real date-time", field) from None


def services_for(store: Store, group_id: int, ids: Sequence[int], field: str) -> list[Intervention]:
    """The services ``ids`` (each once, not deleted); 400 naming ``field`` otherwise."""
    if not ids:
        raise bad("name at least one service", field)
    if len(ids) > 10 or len(set(ids)) != len(ids):
        raise bad("at most 10 services, each once", field)
    by_id = {s.id: s for s in store.source(group_id).interventions if not is_deleted(s)}
    for service_id in ids:
        if service_id not in by_id:
            raise bad(f"no service {service_id} in group {group_id}", field)
    return [by_id[i] for i in ids]


def calendars_for(
    store: Store,
    group_id: int,
    services: Sequence[Intervention],
    calendar_id: int | None,
    field: str,
    *,
    among: Sequence[int] = (),
    sets: Sequence[int] = (),
) -> list[Calendar]:
    """Calendars (not deleted) offering every service; one when ``calendar_id`` is set."""
    offering = [
        c for c in store.source(group_id).calendars
        if not is_deleted(c) and all(c.offers(s.id) for s in services)
        and (not among or c.id in among) and (not sets or (c.model_extra or {}).get("calendarset_id") in sets)
    ]  # fmt: skip
    if calendar_id is None:
        return offering
    chosen = [c for c in offering if c.id == calendar_id]
    if not chosen:
        raise bad(f"calendar {calendar_id} does not exist or does not offer these services", field)
    return chosen


def busy(store: Store, group_id: int) -> Schedule:
    """The group's appointments as holds on their calendars."""
    return Schedule(Busy(a.calendar_id, a.start, a.end) for a in store.booked.get(group_id, []))


def horizon(store: Store, group_id: int) -> tuple[datetime, datetime]:
    """The earliest and latest bookable instants (UTC): now + min_notice, now + max_days_ahead."""
    page = store.source(group_id).page
    now = store.now()
    return now + timedelta(minutes=page.min_notice), now + timedelta(days=page.max_days_ahead)


def find_slot(store: Store, group_id: int, wall: datetime, length: int) -> Slot | None:
    """The slot starting at ``wall`` for ``length`` minutes, if the hours offer it."""
    page, zone = store.source(group_id).page, store.zone(group_id)
    return next((s for s in day_slots(page, zone, wall.date(), length) if s.wall == wall), None)


def _calendar_param(query: Mapping[str, str]) -> int | None:
    raw = query.get("calendar_id", "")
    if raw in ("", "0"):
        return None
    return int_list([raw], "calendar_id")[0]


def _count(query: Mapping[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    if not _SMALL_INT.fullmatch(raw) or int(raw) < 1:
        raise bad("must be a whole number from 1 to 9999", name)
    return int(raw)


def _window(store: Store, group_id: int, query: Mapping[str, str]) -> tuple[datetime, datetime]:
    now_wall = to_wall(store.now(), store.zone(group_id)).replace(microsecond=0)
    start = parse_wall(query["start"], "start") if query.get("start") else now_wall
    if query.get("end") and query.get("nDays"):
        raise bad("send end or nDays, not both", "nDays")
    if query.get("end"):
        end = parse_wall(query["end"], "end")
    else:
        try:
            end = start + timedelta(days=_count(query, "nDays", 7))
        except OverflowError:  # a start in the last days of year 9999
            raise bad("the window would end after the year 9999", "nDays" if query.get("nDays") else "start") from None
    if end <= start:
        raise bad("end must be after start", "end")
    if end - start > timedelta(days=MAX_WINDOW_DAYS):
        raise bad(f"a window spans at most {MAX_WINDOW_DAYS} days", "end" if query.get("end") else "nDays")
    return start, end


def _days(first: date, last: date) -> Iterator[date]:
    """Every date from ``first`` to ``last`` included (none if ``last`` is before it),
    up to 31 December 9999 without stepping past it."""
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)


def available(store: Store, identity: Identity, group_id: int, query: Any) -> dict[str, Any]:
    """The availabletimeslots object for ``query`` (see the module docstring)."""
    visible_group(store, identity, group_id)
    services = services_for(store, group_id, int_list(query.getlist("intervention_ids[]"), "intervention_ids[]"),
                            "intervention_ids[]")  # fmt: skip
    calendar_id = _calendar_param(query)
    among = int_list(query.getlist("calendar_ids[]"), "calendar_ids[]")
    sets = int_list(query.getlist("calendarset_ids[]"), "calendarset_ids[]")
    calendars = calendars_for(store, group_id, services, calendar_id, "calendar_id", among=among, sets=sets)
    cal_qty, min_capacity = _count(query, "cal_qty", 1), _count(query, "min_capacity", 1)
    start, end = _window(store, group_id, query)
    length = sum(s.length for s in services)
    earliest, latest = horizon(store, group_id)
    page, zone, taken = store.source(group_id).page, store.zone(group_id), busy(store, group_id)
    ids = [c.id for c in calendars]

    def day(on: date) -> list[dict[str, Any]]:
        found = []
        for slot in day_slots(page, zone, on, length):
            if slot.wall < start or not earliest <= slot.start <= latest:
                continue
            free = free_calendars(ids, taken, slot, page.capacity)
            room = sum(remaining for _, remaining in free)
            if len(free) >= cal_qty and room >= min_capacity:
                found.append({"start": slot.wall.strftime(TIME_FORMAT), "capacity": room,
                              "calendar_ids": [c for c, _ in free]})  # fmt: skip
        return found

    slots = []
    last_in_window = (end - timedelta(microseconds=1)).date()  # end is excluded
    for on in _days(start.date(), last_in_window):
        slots += [s for s in day(on) if s["start"] < end.strftime(TIME_FORMAT)]
    first = slots[0]["start"] if slots else None
    if first is None and ids:
        for on in _days(end.date(), to_wall(latest, zone).date()):
            found = day(on)
            if found:
                first = found[0]["start"]
                break
    return {
        "group_id": group_id,
        "firstSlot": first,
        "intervention_ids": [s.id for s in services],
        "calendar_id": calendar_id if calendar_id is not None else "",
        "calendar_ids": ids,
        "availabletimeslots": slots,
    }
