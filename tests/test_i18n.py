"""Babel formats prices, durations and timezones per locale; catalogs load."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from babel import Locale
from babel.dates import get_timezone_name
from babel.numbers import format_currency
from babel.units import format_unit

from generator import i18n
from generator.i18n import Formatter, text_direction, url_locale
from generator.timezones import TIMEZONES, zone_for

PARIS = ZoneInfo("Europe/Paris")


# CLDR decides how a locale writes an amount, a unit or a zone name, and its data changes
# with every Babel release; these tests pin bookgen's own rules (cents, currency
# precision, which units, how parts are joined) and compare with what Babel gives.


@pytest.mark.parametrize(
    ("locale", "currency", "cents", "amount"),
    [
        ("fr", "EUR", 3000, "30.00"),
        ("en", "EUR", 3000, "30.00"),
        ("de", "CHF", 12050, "120.50"),
        ("en", "GBP", 2500, "25.00"),
        ("en", "USD", 999, "9.99"),
        ("fr", "CAD", 4500, "45.00"),
        ("ja", "EUR", 3000, "30.00"),  # any CLDR locale formats, even without UI strings
        ("pt_BR", "EUR", 3000, "30.00"),
    ],
)
def test_prices_are_cents_shown_in_the_currency_and_locale(locale: str, currency: str, cents: int, amount: str) -> None:
    expected = format_currency(Decimal(amount), currency, locale=locale)
    assert Formatter(locale, currency, PARIS).price(cents) == expected


@pytest.mark.parametrize(("currency", "cents", "whole"), [("XPF", 350000, 3500), ("XAF", 150000, 1500)])
def test_currencies_without_a_minor_unit_show_no_decimals(currency: str, cents: int, whole: int) -> None:
    shown = Formatter("fr", currency, PARIS).price(cents)
    assert shown == format_currency(whole, currency, locale="fr", currency_digits=True)
    assert "," not in shown and "".join(c for c in shown if c.isdigit()) == str(whole)


def unit(value: int, name: str, locale: str) -> str:
    return format_unit(value, f"duration-{name}", length="short", locale=locale)


@pytest.mark.parametrize(("locale", "minutes"), [("fr", 45), ("de", 30), ("en", 45), ("ar", 15)])
def test_durations_under_an_hour_are_minutes(locale: str, minutes: int) -> None:
    assert Formatter(locale, "EUR", PARIS).duration(minutes) == unit(minutes, "minute", locale)


@pytest.mark.parametrize(("locale", "hours"), [("fr", 1), ("en", 2), ("de", 3), ("es", 2)])
def test_whole_hours_are_hours_alone(locale: str, hours: int) -> None:
    assert Formatter(locale, "EUR", PARIS).duration(hours * 60) == unit(hours, "hour", locale)


@pytest.mark.parametrize(("minutes", "tail"), [(90, " 30"), (65, " 05"), (125, " 05")])
def test_french_writes_minutes_after_hours_without_a_unit(minutes: int, tail: str) -> None:
    # "1 h 30", "1 h 05": French typography, bookgen's rule.
    assert Formatter("fr", "EUR", PARIS).duration(minutes) == unit(minutes // 60, "hour", "fr") + tail


@pytest.mark.parametrize("locale", ["en", "de", "es", "it", "nl", "ar"])
def test_hours_and_minutes_are_joined_once_in_the_locales_order(locale: str) -> None:
    # Babel's format_list repeats the last part in Arabic; bookgen applies the pattern itself.
    shown = Formatter(locale, "EUR", PARIS).duration(90)
    minutes = unit(30, "minute", locale)
    assert shown.count(minutes) == 1 and shown.endswith(minutes)
    assert shown.startswith(Formatter(locale, "EUR", PARIS).duration(60))


def test_spanish_one_hour_is_abbreviated_like_its_plural() -> None:
    # CLDR's Spanish short singular is the long word ("1 horas" in some releases).
    assert Formatter("es", "EUR", PARIS).duration(60) == unit(2, "hour", "es").replace("2", "1", 1)
    assert "hora" not in Formatter("es", "EUR", PARIS).duration(90)


@pytest.mark.parametrize("locale", ["en", "fr", "ar"])
def test_timezone_names_are_localized(locale: str) -> None:
    assert Formatter(locale, "EUR", PARIS).zone_name() == get_timezone_name(PARIS, width="long", locale=locale)
    assert Formatter("en", "EUR", PARIS).zone_name() != Formatter("fr", "EUR", PARIS).zone_name()


@pytest.mark.parametrize("locale", ["fr", "en", "de", "es", "it", "nl", "ar"])
def test_utc_is_named_by_its_own_cldr_name_not_an_unknown_region(locale: str) -> None:
    own = Locale.parse(locale).time_zones["Etc/UTC"]["long"]
    name = Formatter(locale, "EUR", zone_for("UTC")).zone_name()
    assert name == own.get("generic", own.get("standard"))


def test_no_table_zone_is_named_as_an_unknown_region() -> None:
    unknown = get_timezone_name(ZoneInfo("Etc/GMT+5"), width="long", locale="en").split("(")[0]
    names = {key: Formatter("en", "EUR", zone_for(key)).zone_name() for key in TIMEZONES}
    assert [key for key, name in names.items() if name.startswith(unknown)] == []


def test_direction_and_url_form() -> None:
    assert text_direction("ar") == "rtl"
    assert text_direction("fr") == "ltr"
    assert url_locale("pt_BR") == "pt-BR"


def test_reminder_delays_in_whole_days_are_said_in_days() -> None:
    assert Formatter("en", "EUR", PARIS).delay(2880) == format_unit(2, "duration-day", length="long", locale="en")
    assert Formatter("fr", "EUR", PARIS).delay(1440) == format_unit(1, "duration-day", length="long", locale="fr")
    assert Formatter("en", "EUR", PARIS).delay(240) == unit(4, "hour", "en")


@pytest.mark.parametrize("locale", ["fr", "en", "de", "es", "it", "nl", "ar"])
def test_a_day_long_delay_is_said_in_days_where_the_locale_has_a_day_unit(locale: str) -> None:
    # Whether CLDR has a day unit for a locale is Babel's data, not our rule: compare
    # with what this Babel says, so a new CLDR release cannot break the test.
    days = format_unit(1, "duration-day", length="long", locale=locale)
    if "duration-" in days:
        days = format_unit(24, "duration-hour", length="short", locale=locale)
    assert Formatter(locale, "EUR", PARIS).delay(1440) == days


def test_delays_fall_back_to_hours_where_cldr_has_no_day_unit(monkeypatch: pytest.MonkeyPatch) -> None:
    # Babel names the unit itself ("1 duration-day") when CLDR lacks it for a locale.
    real = i18n.format_unit

    def without_days(value: int, unit: str, **kwargs: object) -> str:
        return f"{value} {unit}" if unit == "duration-day" else real(value, unit, **kwargs)

    monkeypatch.setattr(i18n, "format_unit", without_days)
    hours = format_unit(24, "duration-hour", length="short", locale="ar")
    assert Formatter("ar", "EUR", PARIS).delay(1440) == hours
    assert "24" in hours
