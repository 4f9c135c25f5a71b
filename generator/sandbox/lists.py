"""Collection answers: paging, sorting and the list envelope (clicrdv-api.md §3).

``results`` is a whole number ≥ 1 or ``all`` (default 25), ``startIndex`` an item
offset ≥ 0 (default 0), ``sort`` any field of the records and ``dir`` ``asc`` or
``desc``. The envelope::

    {"records": [...], "totalRecords": int, "startIndex": int, "recordsReturned": int,
     "pageSize": int, "sort": str | null, "dir": str | null}

``totalRecords`` counts the records matching the filters; ``pageSize`` is the
``results`` asked for (``totalRecords`` for ``all``). A bad parameter is a 400 naming it.

Filters (§3): ``conditions[i][field]``, ``conditions[i][op]`` (``= > >= < <= !=``,
``like``, ``not like``, ``in``, ``not in``; ``in`` values comma-separated; ``like``
takes ``%`` as wildcard, case-insensitively) and ``conditions[i][value]``, ANDed;
``search`` keeps records with the text in any of their text fields (case-insensitive).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import bad

__all__ = ["DEFAULT_RESULTS", "MAX_INDEX", "envelope", "filtered", "int_list", "page"]

DEFAULT_RESULTS = 25
MAX_INDEX = 10**9
_INT = re.compile(r"[0-9]{1,10}")


def _whole(value: str, name: str, minimum: int) -> int:
    if not _INT.fullmatch(value) or not minimum <= int(value) <= MAX_INDEX:
        raise bad(f"{name} must be a whole number from {minimum} to {MAX_INDEX}", name)
    return int(value)


def int_list(values: Sequence[str], name: str) -> list[int]:
    """Ids from a repeated query parameter (``intervention_ids[]=1&intervention_ids[]=2``,
    or comma-separated as the ``in`` operator writes them)."""
    ids = []
    for value in values:
        for part in value.split(","):
            if part.strip():
                ids.append(_whole(part.strip(), name, 0))
    return ids


def _sort_key(field: str) -> Any:
    def key(record: Mapping[str, Any]) -> tuple[int, Any]:
        value = record.get(field)
        if value is None:
            return (0, 0)
        if isinstance(value, bool | int | float):
            return (1, value)
        return (2, str(value))

    return key


_CONDITION = re.compile(r"conditions\[([0-9]{1,3})\]\[(field|op|value)\]")
_OPS = ("=", ">", ">=", "<", "<=", "!=", "like", "not like", "in", "not in")


def _compare(value: Any, op: str, wanted: str) -> bool:
    if op in ("in", "not in"):
        inside = str(value) in [part.strip() for part in wanted.split(",")]
        return inside if op == "in" else not inside
    if op in ("like", "not like"):
        pattern = ".*".join(re.escape(part) for part in wanted.lower().split("%"))
        found = re.fullmatch(pattern, str(value if value is not None else "").lower(), re.DOTALL) is not None
        return found if op == "like" else not found
    if isinstance(value, bool):
        left: Any = int(value)
    else:
        left = value
    right: Any = wanted
    if isinstance(left, int | float):
        try:
            right = float(wanted)
        except ValueError:
            left = str(left)
    elif left is None:
        left = ""
    else:
        left = str(left)
    result: bool = {"=": left == right, "!=": left != right, ">": left > right, ">=": left >= right,
                    "<": left < right, "<=": left <= right}[op]  # fmt: skip
    return result


def filtered(records: Sequence[Mapping[str, Any]], query: Any) -> list[Mapping[str, Any]]:
    """``records`` kept by the query's ``conditions[...]`` and ``search`` (see above)."""
    conditions: dict[int, dict[str, str]] = {}
    for name in query:
        match = _CONDITION.fullmatch(name)
        if match:
            conditions.setdefault(int(match.group(1)), {})[match.group(2)] = query.get(name)
    kept = list(records)
    for index in sorted(conditions):
        condition = conditions[index]
        where = f"conditions[{index}]"
        if set(condition) != {"field", "op", "value"}:
            raise bad("needs field, op and value", where)
        if condition["op"] not in _OPS:
            raise bad(f"op must be one of {', '.join(_OPS)}", f"{where}[op]")
        field = condition["field"]
        if kept and not any(field in record for record in kept):
            raise bad(f"{field[:40]!r} is not a field of these records", f"{where}[field]")
        kept = [r for r in kept if field in r and _compare(r[field], condition["op"], condition["value"])]
    text = (query.get("search") or "").strip().lower()
    if text:
        kept = [r for r in kept if any(isinstance(v, str) and text in v.lower() for v in r.values())]
    return kept


def page(records: Sequence[Mapping[str, Any]], query: Mapping[str, str]) -> dict[str, Any]:
    """Filter, sort and slice ``records`` as ``query`` asks; the envelope."""
    records = filtered(records, query)
    raw_results = query.get("results", str(DEFAULT_RESULTS))
    results = None if raw_results == "all" else _whole(raw_results, "results", 1)
    start = _whole(query.get("startIndex", "0"), "startIndex", 0)
    sort = query.get("sort") or None
    direction = query.get("dir") or None
    if direction is not None and direction not in ("asc", "desc"):
        raise bad("dir must be asc or desc", "dir")
    ordered = list(records)
    if sort is not None:
        readable = set().union(*(record.keys() for record in ordered)) if ordered else set()
        if ordered and sort not in readable:
            raise bad(f"{sort[:40]!r} is not a field of these records", "sort")
        ordered.sort(key=_sort_key(sort), reverse=direction == "desc")
    chosen = ordered[start:] if results is None else ordered[start : start + results]
    return envelope(chosen, total=len(ordered), start=start,
                    page_size=len(ordered) if results is None else results, sort=sort, direction=direction)  # fmt: skip


def envelope(
    records: list[Any], *, total: int, start: int, page_size: int, sort: str | None, direction: str | None
) -> dict[str, Any]:
    return {
        "records": records,
        "sort": sort,
        "dir": direction,
        "totalRecords": total,
        "startIndex": start,
        "recordsReturned": len(records),
        "pageSize": page_size,
    }
