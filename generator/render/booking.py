"""Booking semantics: what a group's flow offers, in which order.

Pure functions of the models, shared by the page templates (server-rendered,
works without JavaScript), the runtime's JSON data and the sandbox API, so the
three can never disagree about which steps or services a group has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..load.loader import GroupSource
from ..models import Calendar, Intervention, InterventionSet
from ..timezones import TIMEZONES

__all__ = ["ServiceGroup", "flow_data", "reminder_facts", "service_groups", "steps"]

SMS_DAY_START, SMS_DAY_END = 9, 19


@dataclass(frozen=True)
class ServiceGroup:
    """Services under one heading; ``set`` is ``None`` for services outside any set."""

    set: InterventionSet | None
    services: tuple[Intervention, ...]


def visible_services(source: GroupSource) -> list[Intervention]:
    """Services a client may book, in ``sort`` then id order.

    Deleted services never appear, nor do the services of a set whose ``publicname`` is
    blank, even those with their own publicname (clicrdv-api.md §5, interventionsets).
    """
    hidden = {s.id for s in source.sets if s.hidden}
    return sorted(
        (i for i in source.interventions if not i.deleted and i.interventionset_id not in hidden),
        key=lambda i: (i.sort, i.id),
    )


def service_groups(source: GroupSource) -> list[ServiceGroup]:
    """Services grouped by intervention set, sets ordered by ``sort``; loose ones last."""
    services = visible_services(source)
    groups = []
    for interventionset in sorted(source.sets, key=lambda s: (s.sort, s.id)):
        members = tuple(s for s in services if s.interventionset_id == interventionset.id)
        if members:
            groups.append(ServiceGroup(interventionset, members))
    loose = tuple(s for s in services if s.interventionset_id is None)
    if loose:
        groups.append(ServiceGroup(None, loose))
    return groups


def bookable_calendars(source: GroupSource) -> list[Calendar]:
    """Calendars offering at least one visible service; deleted ones never appear."""
    ids = {s.id for s in visible_services(source)}
    return [
        c for c in source.calendars
        if not c.deleted and (c.intervention_ids is None or ids.intersection(c.intervention_ids))
    ]  # fmt: skip


def steps(source: GroupSource) -> list[str]:
    """The flow's steps in calendarChoice order.

    2: service → calendar → slot; 1: calendar → service → slot; 0: service → slot.
    A single calendar skips its step; then come details and confirmation.
    """
    group = source.group
    choose_calendar = group.calendarChoice != 0 and len(bookable_calendars(source)) > 1
    if group.calendarChoice == 1 and choose_calendar:
        order = ["calendar", "service"]
    else:
        order = ["service", "calendar"] if choose_calendar else ["service"]
    if not group.open or not group.openData:
        # openData false: slots only after sign-in; open false: sign in before confirming.
        order += ["signin", "slot"] if not group.openData else ["slot", "signin"]
    else:
        order.append("slot")
    return [*order, "details", "done"]


def reminder_facts(source: GroupSource) -> dict[str, Any]:
    """What the details form says about reminders (minutes, and the SMS daytime rule)."""
    group = source.group
    return {
        "mail_minutes": group.mailreminder if group.sendmail else 0,
        "sms_minutes": group.smsreminder,
        "sms_checked": group.check_sms_from_web,
        "sms_day_start": SMS_DAY_START,
        "sms_day_end": SMS_DAY_END,
    }


def flow_data(source: GroupSource) -> dict[str, Any]:
    """The flow as JSON for the runtime script: only what it reads (every byte ships in
    each page), no personal data, nothing secret."""
    group = source.group
    return {
        "group_id": group.id,
        "steps": steps(source),
        "anyCalendar": group.anyCalendar and len(bookable_calendars(source)) > 1,
        "validateEmail": group.validateEmail,
        "max_multirdvs": group.max_multirdvs,
        "country_code": group.country_code or "",
        "zone": TIMEZONES[source.group.timezone],
        "slug": source.slug,
        # length (minutes): the end of the calendar event offered on the confirmation.
        "services": [{"id": s.id, "name": s.label, "length": s.length} for s in visible_services(source)],
        # The confirmation's "where" and "call us" (public business details, issue 18 §4).
        "place": {"name": group.name, "phone": group.phone or "",
                  "address": ", ".join(filter(None, [group.address, " ".join(filter(None, [group.zipcode, group.city]))]))},
        "calendars": [
            {"id": c.id, "name": c.label, "services": c.intervention_ids} for c in bookable_calendars(source)
        ],
        "reminders": {"sms_minutes": group.smsreminder, "sms_checked": group.check_sms_from_web},
    }
