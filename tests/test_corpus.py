"""Every case of the hostile-input corpus, through the real command line.

A case either builds and renders its text safely (escaped where it is text, stripped
where it is markup), or fails cleanly: exit 1, the file and field path on one line, no
traceback, and the output folder untouched. Never a hang (each build has a deadline).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .corpus_cases import Case, load_cases

CASES = load_cases()
DEADLINE = 300  # seconds: a hang guard (each case takes a few; a busy machine stretches them)


def bookgen_build(site: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", "build", str(site), "-o", str(out), "-q"],
        capture_output=True, text=True, timeout=DEADLINE,
    )  # fmt: skip


def output_texts(out: Path) -> dict[Path, str]:
    """Every file a browser renders (manifest.json is data, served as JSON, and may hold raw text)."""
    return {path: path.read_text("utf-8") for path in out.rglob("*") if path.suffix in {".html", ".css", ".xml"}}


def test_the_corpus_covers_what_the_threat_model_names() -> None:
    names = {case.name for case in CASES}
    assert len(CASES) >= 50
    for needed in ("name-script-tag", "usercolors-css-breakout", "markdown-javascript-link", "invalid-utf8",
                   "duplicate-keys", "ten-thousand-services", "twenty-megabytes", "deep-nesting", "bidi-controls"):
        assert needed in names  # fmt: skip
    assert {case.expect for case in CASES} == {"builds", "fails"}


@pytest.mark.parametrize("case", [c for c in CASES if c.expect == "builds"], ids=lambda c: c.name)
def test_case_builds_and_renders_safely(case: Case, tmp_path: Path) -> None:
    site = case.make_site(tmp_path)
    out = tmp_path / "out"
    result = bookgen_build(site, out)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    texts = output_texts(out)
    for path, text in texts.items():
        for forbidden in case.never:
            assert forbidden not in text, f"{case.about}: {forbidden!r} reached {path.relative_to(out)}"
    page = texts[out / "spa" / "fr" / "index.html"]
    for shown in case.shows:
        assert shown in page, f"{case.about}: {shown!r} is missing from spa/fr/index.html"


@pytest.mark.parametrize("case", [c for c in CASES if c.expect == "fails"], ids=lambda c: c.name)
def test_case_fails_cleanly_and_writes_nothing(case: Case, tmp_path: Path) -> None:
    site = case.make_site(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "previous.html").write_text("the last good build", "utf-8")
    # A previous bookgen output (a folder bookgen did not write is refused before any input).
    manifest = '{"generator": "bookgen 0", "files": {"previous.html": ""}}'
    (out / "manifest.json").write_text(manifest, "utf-8")
    result = bookgen_build(site, out)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    for file, field in case.errors:
        assert any(file in line and field in line and line.startswith("error: ") for line in lines), (
            f"{case.about}: no error line names {file!r} and {field!r}:\n{result.stderr}"
        )
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "previous.html"]
    assert (out / "manifest.json").read_text("utf-8") == manifest
    assert (out / "previous.html").read_text("utf-8") == "the last good build"
    assert not list(tmp_path.glob(".out.staging-*"))  # no half-built tree left behind
