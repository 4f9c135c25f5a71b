"""The group's booking rules, enforced again by the gateway from the group's own settings.

A page enforces ``inactive``, ``open``, ``openData`` and ``max_multirdvs`` for the
visitor's comfort; the gateway enforces them for real, because it books with its own Pro
identity (clicrdv-api.md §5 "groups": a custom flow must honour these fields):

- ``inactive`` → 403 ``inactive`` on slots, appointments and sign-ups;
- ``open`` false → appointments only with a signed-in Account: 401 ``signin_required``;
- ``openData`` false → no slots (and so no appointment) without one: 401 ``signin_required``;
- ``max_multirdvs`` → at most that many appointments per client session: 400 with ClicRDV's own
  code pair ``MaxRdvNumber`` / 6 (§4), so a page handles it as ClicRDV's refusal;
- only the group's own, non-deleted services (``intervention_ids``) and calendars
  (``calendar_id``, ``calendar_ids[]``): 400 ``unknown_intervention`` / ``unknown_calendar``.

Settings and lists are fetched with the Pro identity and cached per group for
``BOOKGEN_SETTINGS_TTL`` seconds (one fetch at a time per group), so a booking costs one
upstream call, not four; an upstream error on the group's slots or bookings drops its entry
(:meth:`GroupRules.forget`), so a change in ClicRDV is seen at the next request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .errors import GatewayError
from .session import Session
from .settings import Settings
from .upstream import Upstream

__all__ = ["PUBLIC_GROUP_FIELDS", "GroupFacts", "GroupRules", "public_group"]

#: The group fields a booking page needs (seed/group-api.txt); the rest is not passed on.
PUBLIC_GROUP_FIELDS = frozenset({
    "id", "name", "preposition", "phone", "fax", "address", "city", "zipcode", "country", "timezone",
    "mailreminder", "country_code", "smsreminder", "check_sms_from_web", "inactive", "open", "openData",
    "calendarChoice", "anyCalendar", "max_multirdvs", "usercolors", "display_intervention_length",
    "display_intervention_price", "currency_code", "validateEmail", "urlname",
})  # fmt: skip


def _flag(value: Any, default: bool) -> bool:
    """Booleans as the API sends them: true/false, 1/0, "1"/"0" (null = the default)."""
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true")
    return bool(value)


def _group_record(data: Any) -> dict[str, Any]:
    record = data.get("group", data) if isinstance(data, dict) else None
    if not isinstance(record, dict):
        raise GatewayError(502, "upstream_bad_answer", "ClicRDV's group answer has no group")
    return record


def public_group(data: Any) -> dict[str, Any]:
    """The group answer with only :data:`PUBLIC_GROUP_FIELDS`, in the envelope it came in."""
    record = {k: v for k, v in _group_record(data).items() if k in PUBLIC_GROUP_FIELDS}
    return {"group": record} if isinstance(data, dict) and "group" in data else record


def _ids(data: Any) -> frozenset[int]:
    records = data.get("records") if isinstance(data, dict) else data
    if not isinstance(records, list):
        raise GatewayError(502, "upstream_bad_answer", "ClicRDV's list answer has no records")
    return frozenset(
        int(r["id"]) for r in records
        if isinstance(r, dict) and isinstance(r.get("id"), int | str) and str(r["id"]).isdigit()
        and not _flag(r.get("deleted"), False)
    )  # fmt: skip


@dataclass(frozen=True)
class GroupFacts:
    """What the rules need from one group: its flags and its own service and calendar ids."""

    group_id: int
    inactive: bool
    open: bool
    open_data: bool
    max_multirdvs: int
    interventions: frozenset[int]
    calendars: frozenset[int]

    @classmethod
    def from_answers(cls, group_id: int, group: Any, interventions: Any, calendars: Any) -> GroupFacts:
        record = _group_record(group)
        try:
            most = max(1, int(record.get("max_multirdvs") or 1))
        except (TypeError, ValueError):
            most = 1
        return cls(group_id, _flag(record.get("inactive"), False), _flag(record.get("open"), True),
                   _flag(record.get("openData"), True), most, _ids(interventions), _ids(calendars))  # fmt: skip

    def check_slots(self, session: Session, interventions: Iterable[int], calendars: Iterable[int]) -> None:
        if self.inactive:
            raise GatewayError(403, "inactive", "online booking is closed for this business")
        if not self.open_data and not session.signed_in:
            raise GatewayError(401, "signin_required", "sign in to see the available times")
        self.check_own(interventions, calendars)

    def check_appointment(self, session: Session, interventions: Iterable[int], calendars: Iterable[int]) -> None:
        self.check_slots(session, interventions, calendars)
        if not self.open and not session.signed_in:
            raise GatewayError(401, "signin_required", "this business takes bookings from its registered clients")
        if session.booked >= self.max_multirdvs:
            raise GatewayError(400, "MaxRdvNumber", f"at most {self.max_multirdvs} appointment(s) in a row",
                               number=6, field=None)  # fmt: skip

    def check_signup(self) -> None:
        if self.inactive:
            raise GatewayError(403, "inactive", "online booking is closed for this business")

    def check_own(self, interventions: Iterable[int], calendars: Iterable[int]) -> None:
        if any(i not in self.interventions for i in interventions):
            raise GatewayError(400, "unknown_intervention", "this service is not offered by this business")
        if any(c not in self.calendars for c in calendars):
            raise GatewayError(400, "unknown_calendar", "this calendar does not belong to this business")


class GroupRules:
    """Fetches and caches :class:`GroupFacts`; refuses groups outside ``BOOKGEN_GROUPS``."""

    def __init__(self, settings: Settings, upstream: Upstream) -> None:
        self.settings, self.upstream = settings, upstream
        self.cache: dict[int, tuple[float, GroupFacts]] = {}
        self.pending: dict[int, asyncio.Task[GroupFacts]] = {}

    def check_served(self, group_id: int) -> None:
        if self.settings.groups is not None and group_id not in self.settings.groups:
            raise GatewayError(404, "not_found", "no such group on this gateway")

    async def facts(self, group_id: int, deadline: float) -> GroupFacts:
        self.check_served(group_id)
        cached = self.cache.get(group_id)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        task = self.pending.get(group_id)
        if task is None:
            task = asyncio.ensure_future(self._fetch(group_id, deadline))
            self.pending[group_id] = task
            task.add_done_callback(lambda _: self.pending.pop(group_id, None))
        return await asyncio.shield(task)

    def forget(self, group_id: int) -> None:
        """Drop the cached facts of ``group_id`` (after ClicRDV refused or failed a call)."""
        self.cache.pop(group_id, None)

    async def _fetch(self, group_id: int, deadline: float) -> GroupFacts:
        base = f"groups/{group_id}"
        every = [("results", "all")]
        group, interventions, calendars = await asyncio.gather(
            self.upstream.call("GET", f"{base}.json", deadline=deadline),
            self.upstream.call("GET", f"{base}/interventions.json", params=every, deadline=deadline),
            self.upstream.call("GET", f"{base}/calendars.json", params=every, deadline=deadline),
        )
        for answer in (group, interventions, calendars):
            if answer.status != 200:
                if answer.status == 404:
                    raise GatewayError(404, "not_found", "no such group")
                raise GatewayError(502, "upstream_error", f"ClicRDV refused the gateway's Pro login ({answer.status})")
        facts = GroupFacts.from_answers(group_id, group.data, interventions.data, calendars.data)
        self.cache[group_id] = (time.monotonic() + self.settings.settings_ttl, facts)
        return facts
