"""Babel formats prices, durations and timezones per locale; catalogs load."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from babel.units import format_unit

from generator import i18n
from generator.i18n import Formatter, text_direction, url_locale

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    ("locale", "currency", "cents", "expected"),
    [
        ("fr", "EUR", 3000, "30,00\u00a0€"),
        ("en", "EUR", 3000, "€30.00"),
        ("de", "CHF", 12050, "120,50\u00a0CHF"),
        ("en", "GBP", 2500, "£25.00"),
        ("fr", "XPF", 350000, "3\u202f500\u00a0FCFP"),  # no minor unit
        ("fr", "XAF", 150000, "1\u202f500\u00a0FCFA"),
        ("en", "USD", 999, "$9.99"),
        ("fr", "CAD", 4500, "45,00\u00a0$CA"),
    ],
)
def test_prices_are_formatted_in_the_currency_and_locale(locale: str, currency: str, cents: int, expected: str) -> None:
    assert Formatter(locale, currency, PARIS).price(cents) == expected


@pytest.mark.parametrize(
    ("locale", "minutes", "expected"),
    [("fr", 45, "45\u00a0min"), ("fr", 60, "1\u202fh"), ("fr", 90, "1\u202fh 30"), ("fr", 65, "1\u202fh 05"),
     ("en", 90, "1 hr 30 min"), ("de", 30, "30 Min."), ("es", 60, "1 h"), ("es", 90, "1 h 30 min"),
     ("es", 120, "2 h")],
)
def test_durations_use_short_cldr_units(locale: str, minutes: int, expected: str) -> None:
    assert Formatter(locale, "EUR", PARIS).duration(minutes) == expected


def test_timezone_names_are_localized() -> None:
    assert Formatter("en", "EUR", PARIS).zone_name() == "Central European Time"
    assert Formatter("fr", "EUR", PARIS).zone_name() == "heure d’Europe centrale"


def test_any_cldr_locale_formats_even_without_ui_strings() -> None:
    assert Formatter("ja", "EUR", PARIS).price(3000) == "€30.00"
    assert Formatter("pt_BR", "EUR", PARIS).price(3000) == "€\u00a030,00"


def test_direction_and_url_form() -> None:
    assert text_direction("ar") == "rtl"
    assert text_direction("fr") == "ltr"
    assert url_locale("pt_BR") == "pt-BR"


def test_two_part_durations_use_the_locales_own_joiner() -> None:
    # Babel's format_list repeats the last part in Arabic; the pattern is applied directly.
    assert Formatter("ar", "EUR", PARIS).duration(90) == "1 س و30 د"


def test_reminder_delays_in_whole_days_are_said_in_days() -> None:
    assert Formatter("en", "EUR", PARIS).delay(2880) == "2 days"
    assert Formatter("fr", "EUR", PARIS).delay(1440) == "1\u00a0jour"
    assert Formatter("en", "EUR", PARIS).delay(240) == "4 hr"


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
