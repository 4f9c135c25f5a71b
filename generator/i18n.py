"""Translations and locale-aware formatting (Babel).

UI strings come from gettext catalogs in ``generator/locales``. Numbers, prices,
durations, dates and timezone names come from CLDR through Babel, so any CLDR
locale formats correctly even when its UI strings fall back to English.
"""

from __future__ import annotations

import datetime as dt
import io
from datetime import tzinfo
from decimal import Decimal
from functools import cache, lru_cache
from gettext import GNUTranslations, NullTranslations
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime, format_time, get_timezone_name
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, get_currency_precision
from babel.units import format_unit

__all__ = [
    "COMPLETE_LOCALES",
    "LOCALES_DIR",
    "Formatter",
    "has_catalog",
    "html_lang",
    "text_direction",
    "translations",
    "url_locale",
]

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"

#: Locales whose catalogs must be complete (a test checks it).
COMPLETE_LOCALES = ("fr", "en", "de", "es", "it", "nl", "ar")


def _catalog_files(locale: str) -> tuple[Path, Path]:
    folder = LOCALES_DIR / locale / "LC_MESSAGES"
    return folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"


def _language_of(locale: str) -> str:
    return str(Locale.parse(locale).language)


def has_catalog(locale: str) -> bool:
    """Whether UI strings exist for ``locale`` or its language (``fr_CA`` uses ``fr``)."""
    return any(
        path.exists() for candidate in {locale, _language_of(locale)} for path in _catalog_files(candidate)
    )


@cache
def translations(locale: str) -> NullTranslations:
    """The gettext catalog for ``locale``; English (the msgids) when there is none.

    A compiled ``.mo`` is used when it is at least as new as its ``.po``; otherwise
    the ``.po`` is compiled in memory, so a checkout works without a compile step.
    """
    for candidate in (locale, _language_of(locale)):
        po, mo = _catalog_files(candidate)
        if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
            with mo.open("rb") as handle:
                return GNUTranslations(handle)
        if po.exists():
            with po.open("rb") as handle:
                catalog = read_po(handle, locale=candidate)
            buffer = io.BytesIO()
            write_mo(buffer, catalog, use_fuzzy=False)
            buffer.seek(0)
            return GNUTranslations(buffer)
    return NullTranslations()


@cache
def text_direction(locale: str) -> str:
    """``rtl`` or ``ltr``, from CLDR's character order."""
    return "rtl" if Locale.parse(locale).character_order == "right-to-left" else "ltr"


def url_locale(locale: str) -> str:
    """The locale as it appears in URLs and ``hreflang``: BCP 47 (``pt-BR``)."""
    return locale.replace("_", "-")


html_lang = url_locale


class Formatter:
    """Formats values for one page: its locale, the group's currency and timezone."""

    def __init__(self, locale: str, currency: str, zone: tzinfo) -> None:
        self.locale = locale
        self.currency = currency
        self.zone = zone

    def price(self, cents: int) -> str:
        """A price given in cents, in the currency's own precision (XPF has none)."""
        return _price(self.locale, self.currency, cents)

    def duration(self, minutes: int) -> str:
        """``45 min``, ``1 h``, ``1 h 30 min`` in the locale's short unit forms."""
        return _duration(self.locale, minutes)

    def delay(self, minutes: int) -> str:
        """A reminder delay: whole days as days ("2 days"), otherwise like a duration."""
        if minutes >= 1440 and minutes % 1440 == 0:
            days = format_unit(minutes // 1440, "duration-day", length="long", locale=self.locale)
            if "duration-" not in days:  # Babel names the unit itself when CLDR lacks it (ar)
                return days
            hours = format_unit(minutes // 60, "duration-hour", length="short", locale=self.locale)
            if "duration-" not in hours:
                return hours
        return self.duration(minutes)

    def datetime(self, moment: dt.datetime, format: str = "medium") -> str:
        return format_datetime(moment, format, tzinfo=self.zone, locale=self.locale)

    def date(self, moment: dt.datetime, format: str = "full") -> str:
        return format_date(moment.astimezone(self.zone), format, locale=self.locale)

    def time(self, moment: dt.datetime) -> str:
        return format_time(moment, "short", tzinfo=self.zone, locale=self.locale)

    def zone_name(self) -> str:
        """The group's timezone as people read it ("Central European Time")."""
        return _zone_name(self.zone, self.locale)


# Babel formatting is the build's hottest code: thousands of services share a few
# hundred prices and a handful of durations, so each is formatted once per locale.


@lru_cache(maxsize=65536)
def _price(locale: str, currency: str, cents: int) -> str:
    amount = Decimal(cents) / 100
    precision = get_currency_precision(currency)
    amount = amount.quantize(Decimal(1).scaleb(-precision))
    return format_currency(amount, currency, locale=locale, currency_digits=True)


@lru_cache(maxsize=4096)
def _duration(locale: str, minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(_unit(hours, "duration-hour", locale))
    if rest or not hours:
        parts.append(_unit(rest, "duration-minute", locale))
    if len(parts) == 1:
        return parts[0]
    if Locale.parse(locale).language == "fr":
        return f"{parts[0]} {rest:02d}"  # French writes "1 h 30", "1 h 05": minutes without a unit
    # Babel's format_list mishandles locales whose data lacks a two-item pattern
    # (Arabic repeats the last item), so the CLDR pattern is applied directly.
    patterns = Locale.parse(locale).list_patterns
    style = patterns.get("unit-narrow") or patterns.get("unit-short") or {}
    pattern = style.get("2") or style.get("end") or "{0} {1}"
    return pattern.format(*parts)


def _unit(value: int, unit: str, locale: str) -> str:
    """A short unit form. CLDR's Spanish data has the long word in its short singular
    ("1 horas"); where the singular is not an abbreviation like the plural, the plural's
    abbreviation is used ("1 h")."""
    text = format_unit(value, unit, length="short", locale=locale)
    if value == 1:
        plural = format_unit(2, unit, length="short", locale=locale).replace("2", "1", 1)
        if len(plural) < len(text) and Locale.parse(locale).language == "es":
            return plural
    return text


@lru_cache(maxsize=4096)
def _zone_name(zone: tzinfo, locale: str) -> str:
    # CLDR names a few zones that have no metazone (Etc/UTC: "Coordinated Universal Time")
    # in their own entry, which get_timezone_name does not read: it falls back to
    # "Unknown Region (UTC) Time" (python-babel/babel#1260's kind of placeholder).
    own = Locale.parse(locale).time_zones.get(str(zone), {}).get("long", {})
    return own.get("generic") or own.get("standard") or get_timezone_name(zone, width="long", locale=locale)


@cache
def display_name(locale: str) -> str:
    """A locale's name in its own language ("français"), for language switchers."""
    return Locale.parse(locale).get_display_name(locale) or locale
