"""Collection answers: paging, sorting and the list envelope (clicrdv-api.md §3).

``results`` is a whole number ≥ 1 or ``all`` (default 25), ``startIndex`` an item
offset ≥ 0 (default 0), ``sort`` any field of the records and ``dir`` ``asc`` or
``desc``. The envelope::

    {"records": [...], "totalRecords": int, "startIndex": int, "recordsReturned": int,
     "pageSize": int, "sort": str | null, "dir": str | null}

``totalRecords`` counts the records matching the filters; ``pageSize`` is the
``results`` asked for (``totalRecords`` for ``all``). A bad parameter is a 400 naming it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import bad

__all__ = ["DEFAULT_RESULTS", "MAX_INDEX", "envelope", "int_list", "page"]

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


def page(records: Sequence[Mapping[str, Any]], query: Mapping[str, str]) -> dict[str, Any]:
    """Sort and slice ``records`` (already filtered) as ``query`` asks; the envelope."""
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
