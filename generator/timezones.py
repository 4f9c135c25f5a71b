"""The Group API's timezone keys (Rails names) and their IANA zones.

The API stores a Rails-style key such as ``"Paris"`` in ``group.timezone``, not an
IANA name. The table is the seed's appendix, kept verbatim in ``timezones.json``
(quirks included: ``"Bern"`` is Europe/Berlin, ``"Kyev"`` is Europe/Kiev).

Zones resolve through :mod:`zoneinfo`, which falls back to the ``tzdata`` package
when the system database lacks a legacy name (Asia/Katmandu, Europe/Kiev,
America/Godthab are moved to an optional package on newer systems).
"""

from __future__ import annotations

import difflib
import json
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

__all__ = ["TIMEZONES", "is_timezone_key", "suggest_timezone_key", "zone_for"]


def _load_table() -> dict[str, str]:
    data = resources.files("generator").joinpath("timezones.json").read_text("utf-8")
    table: dict[str, str] = json.loads(data)
    return table


#: Rails key → IANA name, in the seed's order.
TIMEZONES: dict[str, str] = _load_table()


def is_timezone_key(key: str) -> bool:
    return key in TIMEZONES


@cache
def zone_for(key: str) -> ZoneInfo:
    """The :class:`ZoneInfo` for a timezone key (raises ``KeyError`` for an unknown key)."""
    return ZoneInfo(TIMEZONES[key])


def suggest_timezone_key(value: str) -> str | None:
    """The key a user most likely meant by ``value``, or ``None``.

    Handles the two common mistakes: giving the IANA name (``Europe/Paris``) and a
    near miss in spelling or case (``paris``, ``Kiev``).
    """
    lowered = {key.lower(): key for key in TIMEZONES}
    if value.lower() in lowered:
        return lowered[value.lower()]
    # An IANA name whose city part is a key: "America/Bogota" → "Bogota".
    city = value.rsplit("/", 1)[-1].replace("_", " ").lower()
    if city in lowered:
        return lowered[city]
    for key, iana in TIMEZONES.items():
        if iana.lower() == value.lower():
            return key
    close = difflib.get_close_matches(city, list(lowered), n=1, cutoff=0.75)
    return lowered[close[0]] if close else None
