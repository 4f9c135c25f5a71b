"""The site project's own settings: ``site.toml`` and each group's ``page.toml``.

These hold what the Group API does not: which locales to build, where the site is
published, which theme a group uses, its opening hours for the sandbox.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from babel import Locale, UnknownLocaleError
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from .fields import fail, text

__all__ = ["BookingConfig", "PageConfig", "SiteConfig", "SiteSettings", "parse_locale"]

_THEME_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
_HOURS = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-4]):([0-5][0-9])")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_locale(value: Any) -> str:
    """A CLDR locale identifier, normalised to Babel's form (``pt_BR``)."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*", value):
        raise fail(f"{str(value)[:40]!r} is not a locale identifier (e.g. 'fr', 'en', 'pt_BR')")
    try:
        return str(Locale.parse(value.replace("-", "_")))
    except (UnknownLocaleError, ValueError):
        raise fail(f"{value!r} is not a locale known to CLDR") from None


def _theme_name(value: Any) -> str:
    if not isinstance(value, str) or not _THEME_NAME.fullmatch(value):
        raise fail(f"{str(value)[:40]!r} is not a theme name (lowercase letters, digits, - and _)")
    return value


LocaleId = Annotated[str, BeforeValidator(parse_locale)]
ThemeName = Annotated[str, BeforeValidator(_theme_name)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SiteSettings(_Section):
    title: text(255, min_length=1) = "Online booking"
    base_url: str = "http://localhost:8000/"
    locales: list[LocaleId] = Field(default_factory=lambda: ["fr", "en"], min_length=1)
    default_locale: LocaleId | None = None
    theme: ThemeName = "classic"
    description: text(300) | None = None

    @field_validator("base_url")
    @classmethod
    def _absolute_url(cls, value: str) -> str:
        if not re.fullmatch(r"https?://[^\s/]+(/[^\s]*)?", value):
            raise fail(f"{value[:60]!r} is not an absolute http(s) URL")
        return value if value.endswith("/") else value + "/"

    @model_validator(mode="after")
    def _default_is_built(self) -> SiteSettings:
        if len(set(self.locales)) != len(self.locales):
            raise fail("locales lists a locale twice")
        if self.default_locale is None:
            self.default_locale = self.locales[0]
        elif self.default_locale not in self.locales:
            raise fail(f"default_locale {self.default_locale!r} is not one of locales")
        return self


class BookingConfig(_Section):
    """Where the runtime books: a ClicRDV-shaped API and the hosted module fallback."""

    api_base_url: str = "https://www.clicrdv.com/api/v1"
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
    description: text(300) | None = None
    hours: dict[str, list[str]] = Field(default_factory=dict)
    slot_step: int = Field(default=15, ge=5, le=240)
    capacity: int = Field(default=1, ge=1, le=100)

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

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for day, ranges in value.items():
            if day not in WEEKDAYS:
                raise fail(f"{day[:20]!r} is not a weekday ({', '.join(WEEKDAYS)})")
            for span in ranges:
                match = _HOURS.fullmatch(span)
                if not match or span[:5] >= span[6:]:
                    raise fail(f"{day}: {span[:20]!r} is not a range like '09:00-12:30'")
        return value
