"""Field types that read values the way the ClicRDV API sends them.

The API is loose: booleans arrive as ``true``, ``1`` or ``"1"``, numbers sometimes as
strings. These annotated types accept exactly those forms and nothing looser
(pydantic's own lax mode would also take ``"yes"`` or ``2.0``), and every message is
written for the person editing the file, not for a Python programmer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Annotated, Any

from annotated_types import GroupedMetadata
from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

__all__ = [
    "HEX_COLOUR",
    "MAX_ID",
    "THEME_NAME",
    "ApiBool",
    "ApiId",
    "GroupId",
    "Rules",
    "ThemeName",
    "fail",
    "int_field",
    "text",
    "theme_name",
]

HEX_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")

MAX_ID = 2**31 - 1
"""The largest record or group id bookgen accepts: ClicRDV's ``integer`` columns (as for
``max_multirdvs``), and what the gateway lets through (``generator.gateway.bodies``,
``generator.gateway.routes``). An id the loader accepted but the gateway refused would
build pages on which every booking fails; 0 is ClicRDV's "no preference" calendar, so a
calendar numbered 0 would be booked as any calendar."""


def fail(message: str, **context: Any) -> PydanticCustomError:
    """A validation error whose text is shown to the user as is."""
    return PydanticCustomError("bookgen", message, context)


THEME_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
"""A theme's name (``site.theme``, ``page.theme``, ``extends``): a folder name in ``themes/``,
never a path."""


def theme_name(value: Any) -> str:
    """``value`` if it is a theme name (:data:`THEME_NAME`); else a validation error."""
    if not isinstance(value, str) or not THEME_NAME.fullmatch(value):
        raise fail(f"{str(value)[:40]!r} is not a theme name (lowercase letters, digits, - and _)")
    return value


ThemeName = Annotated[str, BeforeValidator(theme_name)]
"""A field holding a theme's name (:func:`theme_name`)."""


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value in ("0", "1", "true", "false"):
        return value in ("1", "true")
    raise fail(f'{_describe(value)} is not a boolean (use true/false, 1/0 or "1"/"0")')


def _parse_int(value: Any) -> int:
    if isinstance(value, bool):
        raise fail(f"{_describe(value)} is not a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,18}", value.strip()):
        return int(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    raise fail(f"{_describe(value)} is not a whole number")


ApiBool = Annotated[
    bool,
    BeforeValidator(_parse_bool),
    WithJsonSchema({"oneOf": [{"type": "boolean"}, {"enum": [0, 1, "0", "1"]}]}),
]
"""A boolean as the API sends it: true/false, 1/0 or "1"/"0"."""

def _id_number(value: Any) -> int | None:
    """``value`` as a whole number when it is written as one (an int, an integral float, or
    digits without a leading zero in a string); None otherwise (1e400 is not one)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?(0|[1-9][0-9]{0,17})", value.strip()):
        return int(value)
    return None


def _id_parser(kind: str) -> Callable[[Any], int]:
    """A validator for ids from 1 to :data:`MAX_ID`; its message names ``kind`` of id."""

    def parse(value: Any) -> int:
        number = _id_number(value)
        if number is None or not 1 <= number <= MAX_ID:
            raise fail(f"{_describe(value)} is not a {kind} id (a whole number from 1 to {MAX_ID})")
        return number

    return parse


_ID_SCHEMA = {"oneOf": [{"type": "integer", "minimum": 1, "maximum": MAX_ID},
                        {"type": "string", "pattern": "^[1-9][0-9]{0,9}$"}]}  # fmt: skip

ApiId = Annotated[int, BeforeValidator(_id_parser("record")), WithJsonSchema(_ID_SCHEMA)]
"""A record id: a whole number from 1 to :data:`MAX_ID`, possibly sent as a string."""

GroupId = Annotated[int, BeforeValidator(_id_parser("group")), WithJsonSchema(_ID_SCHEMA)]
"""A group's id as the API gives it (clicrdv-api.md, "Groups"): a whole number from 1 to
:data:`MAX_ID`, possibly as a string."""


class Rules(GroupedMetadata):
    """A validator and the JSON Schema that describes it, as one ``Annotated`` entry.

    pydantic expands it into ``BeforeValidator(check), WithJsonSchema(schema)`` (the
    ``annotated_types`` grouped-metadata protocol), so ``Annotated[str, text(255)]`` is a
    type a checker reads as ``str`` and pydantic validates as ``string(255)``.
    """

    def __init__(self, check: Callable[[Any], Any], schema: dict[str, Any]) -> None:
        self.check, self.schema = check, schema

    def __iter__(self) -> Iterator[object]:
        yield BeforeValidator(self.check)
        yield WithJsonSchema(self.schema)


def int_field(minimum: int | None = None, maximum: int | None = None, *, zero_allowed: bool = False) -> Rules:
    """A whole number within ``minimum..maximum``; ``zero_allowed`` adds 0 ("off").

    Use as ``Annotated[int, int_field(60, 2880, zero_allowed=True)]``.
    """

    def check(value: Any) -> int:
        number = _parse_int(value)
        if zero_allowed and number == 0:
            return number
        low_ok = minimum is None or number >= minimum
        high_ok = maximum is None or number <= maximum
        if low_ok and high_ok:
            return number
        off = "0 (off) or " if zero_allowed else ""
        if maximum is None:
            raise fail(f"{number} must be {off}at least {minimum}")
        if minimum is None:
            raise fail(f"{number} must be {off}at most {maximum}")
        raise fail(f"{number} must be {off}between {minimum} and {maximum}")

    bounds: dict[str, Any] = {"type": "integer"}
    if minimum is not None:
        bounds["minimum"] = minimum
    if maximum is not None:
        bounds["maximum"] = maximum
    schema = {"anyOf": [{"const": 0}, bounds]} if zero_allowed else bounds
    return Rules(check, schema)


def text(max_length: int, *, min_length: int = 0) -> Rules:
    """A string of at most ``max_length`` characters, as the API's ``string(N)``.

    Use as ``Annotated[str, text(255)]``. Length counts Unicode code points, as the
    API's database does for utf8 columns. Numbers are not coerced: a phone number sent
    as ``33123`` is a mistake worth reporting, because a leading zero would already have
    been lost.
    """

    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise fail(f"{_describe(value)} is not text")
        if "\x00" in value:
            raise fail("contains a NUL character")
        if len(value) > max_length:
            raise fail(f"is {len(value)} characters long; at most {max_length} allowed")
        if len(value.strip()) < min_length:
            raise fail("must not be empty")
        return value

    schema = {"type": "string", "maxLength": max_length, "minLength": min_length}
    return Rules(check, schema)
