"""Every UI string is translated in every complete locale, and the catalogs match the sources."""

from __future__ import annotations

import importlib.util
import re
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from babel.numbers import format_currency

from generator.build import build
from generator.i18n import COMPLETE_LOCALES, LOCALES_DIR

ROOT = Path(__file__).parent.parent
spec = importlib.util.spec_from_file_location("i18n_script", ROOT / "scripts" / "i18n.py")
i18n_script = importlib.util.module_from_spec(spec)
spec.loader.exec_module(i18n_script)

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def catalog(locale: str):
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


@pytest.mark.parametrize("locale", COMPLETE_LOCALES)
def test_catalog_has_no_untranslated_or_fuzzy_message(locale: str) -> None:
    assert i18n_script.untranslated(locale) == [], "run scripts/i18n.py update, then translate"


@pytest.mark.parametrize("locale", COMPLETE_LOCALES)
def test_translations_keep_every_placeholder(locale: str) -> None:
    cat = catalog(locale)
    for message in cat:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            found = set(PLACEHOLDER.findall(string))
            # A plural form for exactly one (or two) may spell the number out.
            assert found == wanted or (found < wanted and isinstance(message.id, tuple)), (locale, message.id)
        if isinstance(message.id, tuple):
            assert len(strings) == cat.num_plurals, (locale, message.id)


def test_the_template_catalog_is_up_to_date_with_the_sources() -> None:
    with (LOCALES_DIR / "messages.pot").open("rb") as handle:
        committed = {m.id for m in read_po(handle) if m.id}
    current = {m.id for m in i18n_script.extract() if m.id}
    assert current - committed == set(), "new strings: run scripts/i18n.py extract && update, then translate"
    assert committed - current == set(), "stale strings: run scripts/i18n.py extract && update"


@pytest.mark.parametrize(
    ("locale", "heading"),
    [("fr", "Prendre rendez-vous chez Test Spa"), ("de", "Termin vereinbaren – Test Spa"),
     ("es", "Pedir cita – Test Spa"), ("it", "Prenota un appuntamento – Test Spa"),
     ("nl", "Afspraak maken – Test Spa"), ("ar", "احجز موعدًا – Test Spa"), ("en", "Book an appointment – Test Spa")],
)
def test_pages_are_translated_in_every_complete_locale(minisite: Path, tmp_path: Path, locale: str, heading: str) -> None:
    config = minisite / "site.toml"
    config.write_text(config.read_text("utf-8").replace('["fr", "en"]', f'["fr", "{locale}"]' if locale != "fr" else '["fr"]'), "utf-8")
    result = build(minisite, tmp_path / "out")
    html = (tmp_path / "out" / "spa" / locale / "index.html").read_text("utf-8")
    assert f">{heading}</h1>" in html
    assert not any("no UI translation" in w for w in result.warnings)


def test_a_locale_without_catalog_warns_and_still_formats_with_cldr(minisite: Path, tmp_path: Path) -> None:
    config = minisite / "site.toml"
    config.write_text(config.read_text("utf-8").replace('["fr", "en"]', '["fr", "pt_BR"]'), "utf-8")
    result = build(minisite, tmp_path / "out")
    assert "locale pt_BR: no UI translation; texts fall back to English" in result.warnings
    html = (tmp_path / "out" / "spa" / "pt-BR" / "index.html").read_text("utf-8")
    assert "Book an appointment" in html  # English UI strings
    # Brazilian number format for euros, as this Babel writes it:
    assert "R$" not in html and format_currency(Decimal("75.00"), "EUR", locale="pt_BR") in html
