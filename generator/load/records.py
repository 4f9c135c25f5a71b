"""The checks a group's records pass, wherever they come from.

A group is its ``group`` object and three lists (``calendars``, ``interventions``,
``interventionsets``; clicrdv-api.md "Lists"). The loader reads them from a group's
folder and ``bookgen pull`` from the Group API; both validate them here, so a record
the API returns is accepted by ``pull`` exactly when the written files would load.

Each caller says where a record is through a :data:`Locate` callback, so every problem
keeps the caller's own location (``groups/spa/calendars.json: records[2].id`` from the
loader, ``API group 42: calendars(id 7).id`` from ``pull``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import Problem, problems_from_validation
from ..models import Calendar, Group, Intervention, InterventionSet

__all__ = ["KINDS", "GroupRecords", "Locate", "check_group", "check_references"]

#: The lists of a group, by the API's resource name, and the model of their records.
KINDS: dict[str, type[Calendar | Intervention | InterventionSet]] = {
    "calendars": Calendar,
    "interventions": Intervention,
    "interventionsets": InterventionSet,
}

Locate = Callable[[str, int, Any], tuple[str, str]]
"""``(kind, index, raw record) -> (file, field path of the record)``; ``kind`` is
``"group"`` (index 0) or one of :data:`KINDS`."""


@dataclass
class GroupRecords:
    """What validated, with the index each record had in its list, and every problem."""

    group: Group | None = None
    calendars: list[tuple[int, Calendar]] = field(default_factory=list)
    interventions: list[tuple[int, Intervention]] = field(default_factory=list)
    sets: list[tuple[int, InterventionSet]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _validate(model: type[BaseModel], data: Any, where: tuple[str, str], problems: list[Problem]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems.extend(problems_from_validation(error, *where))
        return None


def check_group(
    group: Any,
    lists: Mapping[str, Sequence[Any]],
    locate: Locate,
    *,
    has_group: bool = True,
) -> GroupRecords:
    """Validate ``group`` (unless ``has_group`` is false: its file could not be read)
    and each record of ``lists`` against the models, and refuse an id used twice in a
    list. Kinds absent from ``lists`` count as empty. References between records are
    :func:`check_references`' job, once these pass."""
    result = GroupRecords()
    if has_group:
        result.group = _validate(Group, group, locate("group", 0, group), result.problems)
    valid: dict[str, list[tuple[int, Any]]] = {}
    for kind, model in KINDS.items():
        valid[kind] = []
        seen: set[int] = set()
        for index, raw in enumerate(lists.get(kind, ())):
            where = locate(kind, index, raw)
            record = _validate(model, raw, where, result.problems)
            if record is None:
                continue
            if record.id in seen:
                result.problems.append(Problem(where[0], f"{where[1]}.id", f"id {record.id} is used twice"))
            seen.add(record.id)
            valid[kind].append((index, record))
    result.calendars, result.interventions, result.sets = (
        valid["calendars"],
        valid["interventions"],
        valid["interventionsets"],
    )
    return result


def check_references(
    records: GroupRecords, lists: Mapping[str, Sequence[Any]], locate: Locate
) -> list[Problem]:
    """Services name existing sets (``interventionset_id``); calendars name existing
    services (``intervention_ids``). Run on records that passed :func:`check_group`:
    on partly invalid lists these checks only add noise."""
    problems = []
    set_ids = {s.id for _, s in records.sets}
    for index, item in records.interventions:
        if item.interventionset_id is not None and item.interventionset_id not in set_ids:
            file, where = locate("interventions", index, lists["interventions"][index])
            problems.append(
                Problem(
                    file,
                    f"{where}.interventionset_id",
                    f"no intervention set has id {item.interventionset_id}",
                )
            )
    service_ids = {i.id for _, i in records.interventions}
    for index, calendar in records.calendars:
        for position, ref in enumerate(calendar.intervention_ids or ()):
            if ref not in service_ids:
                file, where = locate("calendars", index, lists["calendars"][index])
                problems.append(
                    Problem(file, f"{where}.intervention_ids[{position}]", f"no intervention has id {ref}")
                )
    return problems
