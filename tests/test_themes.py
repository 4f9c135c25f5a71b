"""A project theme's ``theme.toml`` is read like every other file of the project, and a
broken ``extends`` chain is reported where it is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.errors import SiteError
from generator.load.loader import load_site
from generator.load.reader import MAX_FILE_BYTES


def problems(site: Path) -> list[str]:
    with pytest.raises(SiteError) as caught:
        load_site(site)
    return [str(p) for p in caught.value.problems]


def theme_toml(site: Path, body: bytes) -> Path:
    """``themes/mine/theme.toml`` holding ``body``, used by the whole site."""
    folder = site / "themes" / "mine"
    folder.mkdir(parents=True)
    config = site / "site.toml"
    config.write_text(config.read_text("utf-8").replace('theme = "classic"', 'theme = "mine"', 1), "utf-8")
    path = folder / "theme.toml"
    path.write_bytes(body)
    return path


GOOD = b'name = "mine"\nextends = "classic"\n'


def test_a_valid_project_theme_loads(minisite: Path) -> None:
    theme_toml(minisite, GOOD)
    assert load_site(minisite).config.site.theme == "mine"


def test_a_byte_order_mark_is_accepted_as_in_every_other_file(minisite: Path) -> None:
    theme_toml(minisite, b"\xef\xbb\xbf" + GOOD)
    load_site(minisite)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (GOOD + b"description = " + b"9" * 5000 + b"\n", "invalid TOML: a number has over 4300 digits"),
        (GOOD + b"description = " + b"[" * 100_000 + b"]" * 100_000 + b"\n", "invalid TOML: nested too deeply"),
        (GOOD + b'description = "\xff"\n', "is not valid UTF-8 (byte 49)"),
        (GOOD + b"description = \x00\n", "contains a NUL character"),
        (GOOD + b'name = "again"\n', "invalid TOML: "),
    ],
    ids=["5000-digit number", "100000-deep array", "not UTF-8", "NUL", "duplicate key"],
)
def test_a_theme_toml_that_cannot_be_read_is_one_located_problem_not_a_crash(
    minisite: Path, body: bytes, expected: str
) -> None:
    # Before: a RecursionError or Python's digit limit surfaced as "a bug in bookgen".
    path = theme_toml(minisite, body)
    found = problems(minisite)
    assert len(found) == 1 and found[0].startswith(str(path)) and expected in found[0]


def test_a_theme_toml_at_the_size_limit_is_read_and_one_byte_more_is_refused(minisite: Path) -> None:
    padding = b"# " + b"x" * (MAX_FILE_BYTES - len(GOOD) - 3) + b"\n"
    path = theme_toml(minisite, GOOD + padding)
    assert path.stat().st_size == MAX_FILE_BYTES
    load_site(minisite)
    path.write_bytes(GOOD + b"#" + padding)
    assert problems(minisite) == [f"{path}: is 16,777,217 bytes; at most 16,777,216 bytes (16 MiB) are read"]


def test_a_missing_theme_named_by_extends_is_blamed_on_the_theme_that_names_it(minisite: Path) -> None:
    # Before: "site.toml: site.theme: no such theme (available: ..., mine, ...)", which named
    # neither the file at fault nor the missing name.
    path = theme_toml(minisite, b'name = "mine"\nextends = "nowhere"\n')
    assert problems(minisite) == [
        f"{path}: extends: 'nowhere' is no theme (available: classic, contrast, mine, minimal)"
    ]


def test_a_missing_theme_named_by_the_site_is_still_blamed_on_site_toml(minisite: Path) -> None:
    config = minisite / "site.toml"
    config.write_text(config.read_text("utf-8").replace('theme = "classic"', 'theme = "nowhere"', 1), "utf-8")
    found = problems(minisite)
    assert found == [f"{config}: site.theme: no such theme (available: classic, contrast, minimal)"]


@pytest.mark.parametrize("extends", ["/proc/self/cwd/site/themes/evil", "../../elsewhere", "classic/../x", "Classic", ""])
def test_extends_is_a_theme_name_never_a_path(minisite: Path, extends: str) -> None:
    # A breaker's escape: an absolute extends pulled in a theme folder outside the project,
    # whose linked templates (/proc/self/environ) were published, unchecked.
    path = theme_toml(minisite, f'name = "mine"\nextends = "{extends}"\n'.encode())
    [problem] = problems(minisite)
    assert problem.startswith(f"{path}: extends: ") and "is not a theme name" in problem


def base_theme(site: Path, name: str) -> Path:
    """``themes/<name>/`` extending classic (not used by the site itself)."""
    folder = site / "themes" / name
    folder.mkdir(parents=True)
    (folder / "theme.toml").write_text(f'name = "{name}"\nextends = "classic"\n', "utf-8")
    return folder


@pytest.mark.parametrize("extends", ["classic", "my-base_2"])
def test_extends_names_on_the_good_side_of_the_rule_still_resolve(minisite: Path, extends: str) -> None:
    if extends != "classic":
        base_theme(minisite, extends)
    theme_toml(minisite, f'name = "mine"\nextends = "{extends}"\n'.encode())
    assert load_site(minisite).config.site.theme == "mine"


def test_a_link_out_of_the_project_in_any_theme_of_the_chain_is_a_problem(minisite: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cr3t", "utf-8")
    templates = base_theme(minisite, "base") / "templates"
    templates.mkdir()
    (templates / "leak.txt").symlink_to(secret)
    theme_toml(minisite, b'name = "mine"\nextends = "base"\n')
    assert any("is a link to a file outside the site project" in p for p in problems(minisite))
