"""The translation workflow: extract, update, check, compile.

    .venv/bin/python scripts/i18n.py extract   # sources → generator/locales/messages.pot
    .venv/bin/python scripts/i18n.py update    # .pot → every locale's messages.po (new ones empty)
    .venv/bin/python scripts/i18n.py check     # lists untranslated/fuzzy messages; exit 1 if any
    .venv/bin/python scripts/i18n.py compile   # .po → .mo (the wheel build does this too)

Translators edit generator/locales/<locale>/LC_MESSAGES/messages.po. The build reads a
.mo when it is newer than its .po and otherwise compiles the .po in memory.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "generator" / "locales"
POT = LOCALES / "messages.pot"
sys.path.insert(0, str(ROOT))
from generator.i18n import COMPLETE_LOCALES  # noqa: E402

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}
JINJA = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}
METHODS = [
    ("generator/**.py", "python"),
    ("templates/**.html", "jinja2"),
    ("templates/**.xml", "jinja2"),
    ("themes/**/templates/**.html", "jinja2"),
]


def extract() -> Catalog:
    """Every translatable message in the sources, as a catalog."""
    catalog = Catalog(project="bookgen", msgid_bugs_address="", charset="utf-8")
    options = {pattern: JINJA for pattern, method in METHODS if method == "jinja2"}
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), METHODS, options_map=options, keywords=KEYWORDS, strip_comment_tags=True
    ):
        if any(part in filename for part in ("scaffold", "locales")):
            continue
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def po_path(locale: str) -> Path:
    return LOCALES / locale / "LC_MESSAGES" / "messages.po"


def save(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    write_po(buffer, catalog, omit_header=False, sort_output=True, width=100, include_lineno=False)
    path.write_bytes(buffer.getvalue())


def load(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def cmd_extract() -> None:
    save(extract(), POT)
    print(f"wrote {POT.relative_to(ROOT)}")


def cmd_update() -> None:
    template = load(POT)
    for locale in COMPLETE_LOCALES:
        path = po_path(locale)
        catalog = load(path, locale) if path.exists() else Catalog(locale=locale, project="bookgen")
        catalog.update(template, no_fuzzy_matching=True)
        save(catalog, path)
        print(f"updated {path.relative_to(ROOT)}")


def untranslated(locale: str) -> list[str]:
    """msgids of ``locale`` that are missing, empty or fuzzy."""
    path = po_path(locale)
    if not path.exists():
        return ["(no catalog)"]
    catalog = load(path, locale)
    wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in extract() if m.id}
    problems = []
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(key)
        wanted.discard(key)
    return sorted(problems + [f"(missing) {m}" for m in wanted])


def cmd_check() -> int:
    failed = 0
    for locale in COMPLETE_LOCALES:
        for message in untranslated(locale):
            print(f"{locale}: {message}")
            failed += 1
    print("all catalogs complete" if not failed else f"{failed} messages to translate")
    return 1 if failed else 0


def cmd_compile() -> None:
    for locale in COMPLETE_LOCALES:
        path = po_path(locale)
        with path.with_suffix(".mo").open("wb") as handle:
            write_mo(handle, load(path, locale), use_fuzzy=False)
        print(f"compiled {path.with_suffix('.mo').relative_to(ROOT)}")


if __name__ == "__main__":
    commands = {"extract": cmd_extract, "update": cmd_update, "check": cmd_check, "compile": cmd_compile}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    sys.exit(commands[sys.argv[1]]() or 0)
