"""``bookgen push``: send the settings bookgen owns back to the Group API.

bookgen owns how the booking module looks and flows: the colours, what it shows
about services and the booking steps. Those fields (:data:`PUSHABLE`) are pushed
when the site project's ``group.json`` differs from the server's current group;
everything else (contact details, reminders, who may book) belongs to the ClicRDV
Pro interface, and local edits to it are reported, not sent.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import Problem, SiteError, problems_from_validation
from ..load.loader import GroupSource, load_site
from ..models import GROUP_API_FIELDS, USERCOLOR_KEYS, USERCOLORS_MAX_LENGTH, Group
from .client import GroupAPI

__all__ = ["PUSHABLE", "Change", "PushPlan", "load_group", "local_group_id", "plan_push", "send"]

#: The group fields `bookgen push` sends, in the seed's order.
PUSHABLE = (
    "calendarChoice",
    "anyCalendar",
    "max_multirdvs",
    "usercolors",
    "display_intervention_length",
    "display_intervention_price",
    "currency_code",
)


@dataclass(frozen=True)
class Change:
    """One field whose local value differs from the server's (both in the API's JSON form)."""

    field: str
    server: Any
    local: Any

    def lines(self) -> list[str]:
        """Human-readable diff lines; usercolors is shown colour by colour."""
        if self.field == "usercolors":
            before, after = _colours(self.server), _colours(self.local)
            if before is not None and after is not None:
                return [
                    f"usercolors.{key}: {before.get(key, '(theme default)')} → {after.get(key, '(theme default)')}"
                    for key in USERCOLOR_KEYS
                    if before.get(key) != after.get(key)
                ]
        return [f"{self.field}: {_show(self.server)} → {_show(self.local)}"]


@dataclass(frozen=True)
class PushPlan:
    """What a push would send for one group, and what it leaves alone."""

    slug: str
    group_id: int
    changes: tuple[Change, ...]
    #: Fields edited locally that the push does not send (owned by ClicRDV Pro).
    not_pushed: tuple[str, ...]

    @property
    def payload(self) -> dict[str, Any]:
        """The PUT body: ``{"group": {...}}`` with the changed fields only."""
        return {"group": {change.field: change.local for change in self.changes}}


def _colours(value: Any) -> dict[str, str] | None:
    if value is None:
        return {}
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        return None
    return parsed if isinstance(parsed, dict) else None


def _show(value: Any) -> str:
    return "(none)" if value is None else json.dumps(value, ensure_ascii=False)


def load_group(site: Path, slug: str) -> GroupSource:
    """The validated local group ``slug`` (the whole site's settings are checked too)."""
    folder = site / "groups" / slug
    if not (folder / "group.json").is_file():
        raise SiteError([Problem(str(folder), "", "is not a group folder of the site (no group.json)")])
    loaded = load_site(site, only=lambda name: name == slug)
    return loaded.groups[0]


def local_group_id(source: GroupSource) -> int:
    """The group's API id; a group without one was never on the platform."""
    value = source.group.id
    if value is None:
        raise SiteError(
            [
                Problem(
                    str(source.directory / "group.json"),
                    "group.id",
                    "is missing: creating a group is not available in the Group API; "
                    "create it in ClicRDV Pro, then `bookgen pull --group ID`",
                )
            ]
        )
    return value


def _normalised(field: str, value: Any) -> Any:
    """The server's value in the same canonical form as the local one (``"1"`` → ``true``)."""
    try:
        return Group.model_validate({"name": "-", field: value}).to_api()[field]
    except ValidationError:
        return value  # invalid on the server: any valid local value differs from it


def plan_push(source: GroupSource, server: dict[str, Any]) -> PushPlan:
    """Compare the local group with the server's body of ``GET /groups/:id``."""
    local = source.group.to_api()
    changes = []
    not_pushed = []
    for name in Group.model_fields:
        if name in GROUP_API_FIELDS:
            continue  # not settings: the id is the address, the urlname the API's own
        server_value = _normalised(name, server.get(name))
        if local[name] == server_value:
            continue
        if name in PUSHABLE:
            changes.append(Change(name, server_value, local[name]))
        else:
            not_pushed.append(name)
    changes.sort(key=lambda change: PUSHABLE.index(change.field))
    plan = PushPlan(source.slug, local_group_id(source), tuple(changes), tuple(not_pushed))
    _check_payload(plan, source)
    return plan


def _check_payload(plan: PushPlan, source: GroupSource) -> None:
    """Re-validate exactly what will be sent, as the API will read it."""
    fields = plan.payload["group"]
    where = str(source.directory / "group.json")
    colours = fields.get("usercolors")
    if isinstance(colours, str) and len(colours) > USERCOLORS_MAX_LENGTH:
        raise SiteError(
            [Problem(where, "group.usercolors", f"is {len(colours)} characters as JSON; at most 255")]
        )
    try:
        Group.model_validate({"name": source.group.name, **fields})
    except ValidationError as error:
        raise SiteError(problems_from_validation(error, where, "group")) from None


def send(api: GroupAPI, plan: PushPlan) -> None:
    """PUT the plan's changed fields; nothing is sent when there are none."""
    if plan.changes:
        api.update_group(plan.group_id, plan.payload["group"])


def stdin_is_interactive() -> bool:
    """Whether a person can answer the confirmation prompt."""
    return sys.stdin.isatty()
