"""Shipped scripts lose comments and indentation, never code or line breaks between statements."""

from __future__ import annotations

import gzip

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.jsmin import trim_js
from generator.render.static import static_bytes
from generator.themes import TEMPLATES_DIR


def test_full_line_comments_indentation_and_blank_lines_go() -> None:
    source = b"// header\nconst a = 1;\n\n  // inside\n  if (a) {\n    run(); // kept: not a full line\n  }\n"
    assert trim_js(source) == b"const a = 1;\nif (a) {\nrun(); // kept: not a full line\n}\n"


def test_strings_with_slashes_and_line_breaks_between_statements_stay() -> None:
    source = b'const url = "https://x.test/a";\nconst b = url\n  .length\n'
    assert trim_js(source) == b'const url = "https://x.test/a";\nconst b = url\n.length\n'


def test_a_template_literal_spanning_lines_ships_unchanged() -> None:
    source = b"const t = `one\n  // two\n`;\n"
    assert trim_js(source) == source


@pytest.mark.parametrize("name", sorted(p.name for p in (TEMPLATES_DIR / "static").glob("*.js")))
def test_every_shipped_script_is_trimmed_and_lighter(name: str) -> None:
    source = (TEMPLATES_DIR / "static" / name).read_bytes()
    shipped = static_bytes(name)
    assert not any(line.startswith((b" ", b"//")) for line in shipped.splitlines())
    assert len(gzip.compress(shipped, 9)) <= len(gzip.compress(source, 9))


@given(st.lists(st.text(alphabet=st.characters(blacklist_characters="`\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029",
                                                blacklist_categories=("Cs",)), max_size=40), max_size=20))
def test_every_line_that_is_not_a_full_line_comment_is_kept_in_order(lines: list[str]) -> None:
    source = "\n".join(lines).encode()
    kept = [line.strip() for line in "\n".join(lines).splitlines()]
    assert trim_js(source).decode().splitlines() == [k for k in kept if k and not k.startswith("//")]
