"""Groups and the catalog a booking flow reads (clicrdv-api.md §5).

Records are the site's files as the API returns them (bare, not wrapped), each with
its ``group_id``. A calendar's ``intervention_ids`` (the site project's note of the
calendar/service association) is not a field of the API's calendar: the sandbox
answers it through the documented filters instead (``calendars?intervention_ids[]=``,
``interventions?calendar_ids[]=``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from ..errors import problems_from_validation
from ..models import GROUP_API_FIELDS, Calendar, Group
from .errors import ApiError, bad
from .lists import int_list, page
from .store import Identity, Store

__all__ = ["get_group", "list_calendars", "list_fiches", "list_groups", "list_interventions",
           "list_interventionsets", "list_pros", "one", "pro_profile", "put_group"]  # fmt: skip

#: Fields of a group no PUT may change.
READ_ONLY = frozenset({"id", "created_at", "updated_at"})


def visible_group(store: Store, identity: Identity, group_id: int) -> None:
    """404 for a group that does not exist or that this identity may not see (§4)."""
    store.source(group_id)
    if not identity.sees(group_id):
        raise ApiError(404, f"group {group_id} not found")


def list_groups(store: Store, identity: Identity, query: Mapping[str, str]) -> dict[str, Any]:
    """``GET /groups``: the groups the caller can access, in the list envelope."""
    records = [dict(store.records[g]) for g in store.group_ids() if identity.sees(g)]
    return page(records, query)


def get_group(store: Store, identity: Identity, group_id: int) -> dict[str, Any]:
    visible_group(store, identity, group_id)
    return dict(store.records[group_id])


def put_group(store: Store, identity: Identity, group_id: int, body: Any) -> dict[str, Any]:
    """``PUT /groups/:id`` with ``{"group": {...}}``: only the named fields change,
    validated by the loader's :class:`~generator.models.Group` (same limits, ranges,
    defaults, timezone keys); the first bad field → 400 naming it (``group.phone``)."""
    visible_group(store, identity, group_id)
    if identity.kind != "pro":
        raise ApiError(403, "only the Pro profile may update a group")
    if not isinstance(body, dict) or not isinstance(body.get("group"), dict):
        raise bad('the body must be {"group": {...}}', "group")
    if set(body) != {"group"}:
        raise bad(f"unexpected key {sorted(set(body) - {'group'})[0][:40]!r} beside group", "group")
    fields = body["group"]
    current = store.records[group_id]
    for name in fields:
        if name in READ_ONLY:
            raise bad("is read-only", f"group.{name}")
        seed_field = name in Group.model_fields and name not in GROUP_API_FIELDS
        if not seed_field and name not in current:
            raise bad("is not a field of a group", f"group.{name[:60]}")
    try:
        model = Group.model_validate({**current, **fields})
    except ValidationError as error:
        first = problems_from_validation(error, "", "group")[0]
        raise bad(first.message, first.path) from None
    store.set_group(group_id, model)
    return dict(store.records[group_id])


def _calendar_record(group_id: int, calendar: Calendar) -> dict[str, Any]:
    data = calendar.to_api()
    data.pop("intervention_ids", None)
    return {"id": data.pop("id"), "group_id": group_id, **data}


def _record(group_id: int, model: Any) -> dict[str, Any]:
    data = model.to_api()
    return {"id": data.pop("id"), "group_id": group_id, **data}


def list_calendars(store: Store, identity: Identity, group_id: int, query: Any) -> list[dict[str, Any]]:
    """Calendars; ``intervention_ids[]`` keeps those offering *all* the services,
    ``calendarset_ids[]`` those in one of the sets."""
    visible_group(store, identity, group_id)
    services = int_list(query.getlist("intervention_ids[]"), "intervention_ids[]")
    sets = int_list(query.getlist("calendarset_ids[]"), "calendarset_ids[]")
    chosen = []
    for calendar in store.source(group_id).calendars:
        if not all(calendar.offers(s) for s in services):
            continue
        if sets and (calendar.model_extra or {}).get("calendarset_id") not in sets:
            continue
        chosen.append(_calendar_record(group_id, calendar))
    return chosen


def list_interventions(store: Store, identity: Identity, group_id: int, query: Any) -> list[dict[str, Any]]:
    """Services; ``interventionset_id`` keeps one set's, ``calendar_ids[]`` those
    offered by *every* listed calendar (the mirror of the calendars filter)."""
    visible_group(store, identity, group_id)
    source = store.source(group_id)
    set_ids = int_list(query.getlist("interventionset_id"), "interventionset_id")
    calendar_ids = int_list(query.getlist("calendar_ids[]"), "calendar_ids[]")
    calendars = {c.id: c for c in source.calendars}
    chosen = []
    for service in source.interventions:
        if set_ids and service.interventionset_id not in set_ids:
            continue
        if calendar_ids and not all(c in calendars and calendars[c].offers(service.id) for c in calendar_ids):
            continue
        chosen.append(_record(group_id, service))
    return chosen


def list_interventionsets(
    store: Store, identity: Identity, group_id: int, query: Any
) -> list[dict[str, Any]]:
    visible_group(store, identity, group_id)
    return [_record(group_id, s) for s in store.source(group_id).sets]


def list_fiches(store: Store, identity: Identity, group_id: int, query: Any) -> list[dict[str, Any]]:
    """Client records: all for the Pro; an Account sees its own (same email). Fiches are
    never deleted in the sandbox (the API has no DELETE for them, §5)."""
    visible_group(store, identity, group_id)
    records = [dict(f) for f in store.fiches.get(group_id, [])]
    if identity.kind == "account":
        records = [f for f in records if str(f.get("email", "")).lower() == identity.email.lower()]
    return records


def pro_profile(store: Store) -> dict[str, Any]:
    """The sandbox's one Pro (§2: lastname, firstname, email, synched_at, cellphone)."""
    return {"id": 1, "lastname": "Sandbox", "firstname": "Pro", "email": store.pro_email,
            "synched_at": None, "cellphone": None}  # fmt: skip


def list_pros(store: Store, identity: Identity, group_id: int, query: Any) -> list[dict[str, Any]]:
    """``GET /groups/:id/pros``: the Pro logins of a group (the Pro profile only; its
    ``group_id`` is write-only, so not read back)."""
    visible_group(store, identity, group_id)
    if identity.kind != "pro":
        raise ApiError(403, "only the Pro profile may list a group's pros")
    return [pro_profile(store)]


def one(records: Sequence[Mapping[str, Any]], record_id: int, kind: str) -> dict[str, Any]:
    """The record ``record_id`` of a list, or 404."""
    for record in records:
        if record.get("id") == record_id:
            return dict(record)
    raise ApiError(404, f"{kind} {record_id} not found")
