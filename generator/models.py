"""The Group API's records as validated models.

Field names, types, limits and defaults are the seed's (``shared/seed/group-api.txt``),
kept under their API spelling (``calendarChoice``, ``max_multirdvs``) so a file pulled
from the API loads unchanged and pushes back unchanged. Fields the API adds that the
tool does not use (``id``, ``urlname``, ``created_at``...) are kept, not rejected.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    WithJsonSchema,
    field_serializer,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from .errors import BookgenError
from .fields import HEX_COLOUR, ApiBool, ApiId, GroupId, fail, int_field, text
from .timezones import is_timezone_key, suggest_timezone_key

__all__ = [
    "CURRENCIES",
    "GROUP_API_FIELDS",
    "USERCOLOR_KEYS",
    "Calendar",
    "Group",
    "Intervention",
    "InterventionSet",
    "UserColors",
]

#: The seed's currency_code values.
CURRENCIES = ("CAD", "EUR", "XPF", "XAF", "GBP", "CHF", "USD")

#: The seven usercolors keys, in the seed's order.
USERCOLOR_KEYS = (
    "content_bg",
    "content_text",
    "content_links",
    "main_bg",
    "main_text",
    "page_bg",
    "page_text",
)

USERCOLORS_MAX_LENGTH = 255

#: Group fields the API adds beyond the seed's settings table: declared for their readers,
#: absent from the JSON Schema, from ``to_api`` when not given, and from ``bookgen push``.
GROUP_API_FIELDS = ("id", "urlname")


def _colour(value: Any) -> str:
    if not isinstance(value, str) or not HEX_COLOUR.fullmatch(value):
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        raise fail(f"{shown} is not a #RRGGBB colour")
    return value


_COLOUR_SCHEMA = {"type": "string", "pattern": "^#[0-9A-Fa-f]{6}$"}
Colour = Annotated[str, BeforeValidator(_colour), WithJsonSchema(_COLOUR_SCHEMA)]
_USERCOLORS_SCHEMA = {
    "anyOf": [
        {"type": "null"},
        {"type": "string", "maxLength": USERCOLORS_MAX_LENGTH, "description": "JSON object as text"},
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {key: _COLOUR_SCHEMA for key in USERCOLOR_KEYS},
        },
    ]
}


class _ApiRecord(BaseModel):
    """Base for API records: keep unknown fields, let ``null`` mean "use the default"."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _null_means_default(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise fail("must be a JSON object")
        fields = cls.model_fields
        return {
            key: value
            for key, value in data.items()
            if not (value is None and key in fields and fields[key].default is not None)
        }

    def to_api(self) -> dict[str, Any]:
        """The record as the API's JSON body holds it (unknown fields included)."""
        return self.model_dump(mode="json")


class UserColors(BaseModel):
    """The seven theme colours of the appointment module, each ``#RRGGBB``.

    Any subset may be given; a missing colour falls back to the theme's default.
    """

    model_config = ConfigDict(extra="forbid")

    content_bg: Colour | None = None
    content_text: Colour | None = None
    content_links: Colour | None = None
    main_bg: Colour | None = None
    main_text: Colour | None = None
    page_bg: Colour | None = None
    page_text: Colour | None = None

    def as_dict(self) -> dict[str, str]:
        """The colours that are set, in the seed's key order."""
        return {key: getattr(self, key) for key in USERCOLOR_KEYS if getattr(self, key)}

    def to_json(self) -> str:
        """The API's string form (compact JSON, at most 255 characters)."""
        return json.dumps(self.as_dict(), separators=(",", ":"))


class _RepeatedKey(BookgenError, ValueError):
    """A key given twice in usercolors' JSON string (the first one repeated)."""


def _pairs_once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _RepeatedKey(key)
        seen[key] = value
    return seen


class Group(_ApiRecord):
    """A ClicRDV group: the business whose booking page is built."""

    # Standard fields
    name: Annotated[str, text(255, min_length=1)]
    preposition: Annotated[str, text(255)] | None = None
    phone: Annotated[str, text(20)] | None = None
    fax: Annotated[str, text(20)] | None = None
    address: Annotated[str, text(255)] | None = None
    city: Annotated[str, text(64)] | None = None
    zipcode: Annotated[str, text(16)] | None = None
    country: Annotated[str, text(255)] | None = None
    timezone: str = "Paris"
    # E-mail sendings
    sendmail: ApiBool = True
    mailreminder: Annotated[int, int_field(60, 2880, zero_allowed=True)] = 0
    # SMS sendings
    country_code: Annotated[str, text(10)] | None = None
    smsreminder: Annotated[int, int_field(60, 1440, zero_allowed=True)] = 0
    sms_sender_name: Annotated[str, text(11)] | None = None
    check_sms: ApiBool = True
    check_sms_from_web: ApiBool = True
    # Appointments on the client module
    inactive: ApiBool = False
    open: ApiBool = True
    openData: ApiBool = True
    calendarChoice: Annotated[int, int_field(0, 2)] = 2
    anyCalendar: ApiBool = True
    max_multirdvs: Annotated[int, int_field(1, 2_147_483_647)] = 1
    usercolors: Annotated[UserColors | None, WithJsonSchema(_USERCOLORS_SCHEMA)] = None
    display_intervention_length: ApiBool = True
    display_intervention_price: ApiBool = True
    currency_code: Literal["CAD", "EUR", "XPF", "XAF", "GBP", "CHF", "USD"] = "EUR"
    validateEmail: ApiBool = True
    # Fields the API adds that the seed's table does not list (kept out of the JSON Schema,
    # which documents the seed's settings): the record id, and the name of the hosted module.
    id: SkipJsonSchema[GroupId | None] = None
    urlname: SkipJsonSchema[Annotated[str, text(255)] | None] = None

    @field_validator("timezone", mode="before")
    @classmethod
    def _known_timezone(cls, value: Any) -> str:
        if not isinstance(value, str):
            raise fail(f"{value!r} is not text")
        if is_timezone_key(value):
            return value
        hint = suggest_timezone_key(value)
        did_you_mean = f"; did you mean {hint!r}?" if hint else " (see the seed's timezone table)"
        raise fail(f"{value[:60]!r} is not a timezone key{did_you_mean}")

    @field_validator("currency_code", mode="before")
    @classmethod
    def _known_currency(cls, value: Any) -> Any:
        if value not in CURRENCIES:
            raise fail(f"{str(value)[:20]!r} is not one of {', '.join(CURRENCIES)}")
        return value

    @field_validator("usercolors", mode="before")
    @classmethod
    def _usercolors_from_string(cls, value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, dict):
            value = json.dumps(value, separators=(",", ":"))
            if len(value) > USERCOLORS_MAX_LENGTH:
                raise fail(
                    f"is {len(value)} characters long as JSON; at most {USERCOLORS_MAX_LENGTH} allowed"
                )
        if not isinstance(value, str):
            raise fail("must be a JSON string or an object of colours")
        if len(value) > USERCOLORS_MAX_LENGTH:
            raise fail(f"is {len(value)} characters long; at most {USERCOLORS_MAX_LENGTH} allowed")
        try:
            colours = json.loads(value, object_pairs_hook=_pairs_once)
        except _RepeatedKey as repeated:  # the API's JSON string, like every file, says each key once
            raise fail(f"has the key {str(repeated)[:40]!r} twice") from None
        except json.JSONDecodeError as error:
            raise fail(f"is not valid JSON ({error.msg} at character {error.pos})") from None
        if not isinstance(colours, dict):
            raise fail("must hold a JSON object of colours")
        unknown = sorted(set(colours) - set(USERCOLOR_KEYS))
        if unknown:
            raise fail(f"unknown key {unknown[0][:40]!r}; the keys are {', '.join(USERCOLOR_KEYS)}")
        return colours

    def to_api(self) -> dict[str, Any]:
        """The record as the API's JSON body holds it; ``id`` and ``urlname`` only when given
        (they were the API's, not the seed's, and a push must not send them as null)."""
        body = super().to_api()
        for key in GROUP_API_FIELDS:
            if key not in self.model_fields_set:
                del body[key]
        return body

    @field_serializer("usercolors")
    def _usercolors_to_string(self, value: UserColors | None) -> str | None:
        return value.to_json() if value is not None else None


class InterventionSet(_ApiRecord):
    """A heading under which services are grouped.

    ``publicname`` is the heading the booking module shows. A set whose publicname is
    blank (an empty or all-space string) hides all its services from the module
    (clicrdv-api.md §5, interventionsets); absent or ``null`` means the site project did
    not record it, and the set shows under ``name``.
    """

    id: ApiId
    name: Annotated[str, text(255, min_length=1)]
    publicname: Annotated[str, text(255)] | None = None
    sort: Annotated[int, int_field()] = 0

    @property
    def label(self) -> str:
        """What clients see: ``publicname`` when set, else ``name``."""
        return self.publicname if self.publicname and self.publicname.strip() else self.name

    @property
    def hidden(self) -> bool:
        """Whether the module hides this set's services (a blank ``publicname``)."""
        return self.publicname is not None and not self.publicname.strip()


class Intervention(_ApiRecord):
    """A bookable service. ``length`` is in minutes, ``price`` in cents."""

    id: ApiId
    name: Annotated[str, text(255, min_length=1)]
    publicname: Annotated[str, text(255)] | None = None
    length: Annotated[int, int_field(1, 1440)] = 15
    price: Annotated[int, int_field(0, 100_000_000)] | None = None
    interventionset_id: ApiId | None = None
    sort: Annotated[int, int_field()] = 0
    deleted: ApiBool = False

    @property
    def label(self) -> str:
        """What clients see: ``publicname`` when set, else ``name``."""
        return self.publicname if self.publicname and self.publicname.strip() else self.name


class Calendar(_ApiRecord):
    """A bookable resource (a person, a room).

    ``intervention_ids`` records the API's calendar/intervention association; ``None``
    means the calendar offers every service.
    """

    id: ApiId
    name: Annotated[str, text(255, min_length=1)]
    publicname: Annotated[str, text(255)] | None = None
    intervention_ids: list[ApiId] | None = None
    deleted: ApiBool = False

    @property
    def label(self) -> str:
        """What clients see: ``publicname`` when set, else ``name`` (clicrdv-api.md §5, calendars)."""
        return self.publicname if self.publicname and self.publicname.strip() else self.name

    def offers(self, intervention_id: int) -> bool:
        return self.intervention_ids is None or intervention_id in self.intervention_ids
