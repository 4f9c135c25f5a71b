"""The site project's own settings: ``site.toml`` and each group's ``page.toml``.

These hold what the Group API does not: which locales to build, where the site is
published, which theme a group uses, its opening hours for the sandbox.
"""

from __future__ import annotations

import itertools
import re
from typing import Annotated, Any

from babel import Locale, UnknownLocaleError
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticUseDefault

from ..fields import ThemeName, fail, text

__all__ = ["BookingConfig", "PageConfig", "SiteConfig", "SiteSettings", "parse_locale", "parse_span"]

_SPAN = re.compile(r"([0-9]{2}):([0-9]{2})-([0-9]{2}):([0-9]{2})")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_locale(value: Any) -> str:
    """A CLDR locale identifier, normalised to Babel's form (``pt_BR``)."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*", value):
        raise fail(f"{str(value)[:40]!r} is not a locale identifier (e.g. 'fr', 'en', 'pt_BR')")
    try:
        return str(Locale.parse(value.replace("-", "_")))
    except (UnknownLocaleError, ValueError):
        raise fail(f"{value!r} is not a locale known to CLDR") from None


def parse_span(span: str) -> tuple[int, int]:
    """An opening span ``"HH:MM-HH:MM"`` as (opens, closes) in minutes after midnight.

    Wall-clock times of the group's zone: opening is 00:00..23:59, closing 00:01..24:00
    (``24:00`` is the end of the day, so ``20:00-24:00`` fits a 60-minute service at
    23:00) and after opening. Anything else (``24:30``, ``9h``, ``12:00-09:00``) raises
    a validation error written for the person editing ``page.toml``.
    """
    match = _SPAN.fullmatch(span) if isinstance(span, str) else None
    if not match:
        raise fail(f"{str(span)[:20]!r} is not a range like '09:00-12:30'")
    oh, om, ch, cm = (int(part) for part in match.groups())
    if oh > 23 or om > 59:
        raise fail(f"{span[:5]!r} is not a time of day (00:00 to 23:59)")
    if ch > 24 or cm > 59 or (ch == 24 and cm):
        raise fail(f"{span[6:]!r} is not a closing time (00:01 to 24:00, 24:00 = end of day)")
    opens, closes = oh * 60 + om, ch * 60 + cm
    if closes <= opens:
        raise fail(f"{span!r} closes before it opens")
    return opens, closes


def _weekday(value: Any) -> str:
    if value not in WEEKDAYS:
        raise fail(f"{str(value)[:20]!r} is not a weekday ({', '.join(WEEKDAYS)})")
    return str(value)


def _span(value: Any) -> str:
    parse_span(value)
    return str(value)


Weekday = Annotated[str, BeforeValidator(_weekday)]
Span = Annotated[str, BeforeValidator(_span)]
LocaleId = Annotated[str, BeforeValidator(parse_locale)]
_STRING_OR_NULL: dict[str, Any] = {"anyOf": [{"type": "string"}, {"type": "null"}]}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SiteSettings(_Section):
    title: Annotated[str, text(255, min_length=1)] = "Online booking"
    base_url: str = "http://localhost:8000/"
    locales: list[LocaleId] = Field(default_factory=lambda: ["fr", "en"], min_length=1)
    #: Optional in site.toml (the schema says string or null); always set after validation
    #: (the first of ``locales`` when absent), so readers never need ``or locales[0]``.
    default_locale: Annotated[LocaleId, WithJsonSchema(_STRING_OR_NULL)] = Field(
        default_factory=lambda data: (data.get("locales") or [""])[0], json_schema_extra={"default": None}
    )
    theme: ThemeName = "classic"
    description: Annotated[str, text(300)] | None = None

    @field_validator("base_url")
    @classmethod
    def _absolute_url(cls, value: str) -> str:
        if not re.fullmatch(r"https?://[^\s/]+(/[^\s]*)?", value):
            raise fail(f"{value[:60]!r} is not an absolute http(s) URL")
        return value if value.endswith("/") else value + "/"

    @field_validator("default_locale", mode="before")
    @classmethod
    def _null_is_absent(cls, value: Any) -> Any:
        if value is None:
            raise PydanticUseDefault
        return value

    @model_validator(mode="after")
    def _default_is_built(self) -> SiteSettings:
        if len(set(self.locales)) != len(self.locales):
            raise fail("locales lists a locale twice")
        if self.default_locale not in self.locales:
            raise fail(f"default_locale {self.default_locale!r} is not one of locales")
        return self


class BookingConfig(_Section):
    """Where the runtime books: a ClicRDV-shaped API and the hosted module fallback."""

    api_base_url: str = "/api/v1"  # the gateway (or `bookgen serve`) on the page's own origin
    hosted_module_url: str = "https://www.clicrdv.com/{urlname}"

    @field_validator("api_base_url", "hosted_module_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.fullmatch(r"(https?://[^\s/]+)?/[^\s\"'<>]*", value):
            raise fail(f"{value[:60]!r} is not an http(s) URL or an absolute path")
        return value.rstrip("/") if "{" not in value else value


class SiteConfig(_Section):
    """``site.toml``."""

    site: SiteSettings = Field(default_factory=SiteSettings)
    booking: BookingConfig = Field(default_factory=BookingConfig)


class PageConfig(_Section):
    """``groups/<slug>/page.toml``: what the Group API does not hold."""

    language: LocaleId | None = None
    theme: ThemeName | None = None
    urlname: str | None = None
    logo: str | None = None
    locales: list[LocaleId] | None = Field(default=None, min_length=1)
    description: Annotated[str, text(300)] | None = None
    hours: dict[Weekday, list[Span]] = Field(default_factory=dict)
    slot_step: int = Field(default=15, ge=5, le=240)
    capacity: int = Field(default=1, ge=1, le=100)
    min_notice: int = Field(default=0, ge=0, le=60 * 24 * 30)
    max_days_ahead: int = Field(default=90, ge=1, le=730)

    @field_validator("urlname")
    @classmethod
    def _urlname(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}", value):
            raise fail(f"{value[:40]!r} is not a urlname (letters, digits, - _ .)")
        return value

    @field_validator("logo")
    @classmethod
    def _logo(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}\.(png|jpg|jpeg|svg|webp)", value
        ):
            raise fail(f"{value[:40]!r} must be an image file name beside page.toml")
        return value

    @field_validator("hours", mode="before")
    @classmethod
    def _settings_after_the_table(cls, value: Any) -> Any:
        """A page setting written below ``[hours]`` belongs to that table in TOML: say so
        once, rather than 'not a weekday' and 'not a list' for one misplaced line."""
        if isinstance(value, dict):
            for key in value:
                if key in cls.model_fields and key != "hours":
                    raise fail(f"{key!r} is a page setting, not a weekday: move it above [hours] "
                               "(in TOML every key below a [table] belongs to it)")  # fmt: skip
        return value

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for day, spans in value.items():
            bounds = sorted(parse_span(span) for span in spans)
            for (_, closes), (opens, _) in itertools.pairwise(bounds):
                if opens < closes:
                    raise fail(f"{day}: two ranges overlap")
        return value
