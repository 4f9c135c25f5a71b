"""Markdown pages keep their structure and lose anything that could run or restyle."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.content import (
    MAX_MARKDOWN_BYTES,
    MAX_NESTING,
    MAX_SCAN_COST,
    MAX_SECONDS,
    MarkdownError,
    is_remote,
    nesting_problem,
    render_markdown,
    scan_cost,
    with_image_urls,
)


def test_headings_lists_links_tables_and_images_survive() -> None:
    page = render_markdown(
        "# Title\n\n## Part\n\n- one\n- two\n\n[site](https://example.com) ![map](map.png)\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n",
        "about",
    )
    assert page.title == "Title"
    assert "<h3>Part</h3>" in page.html  # demoted below the page's own headings
    assert "<li>one</li>" in page.html
    assert 'href="https://example.com"' in page.html and 'rel="noopener noreferrer nofollow"' in page.html
    assert '<img alt="map" src="map.png">' in page.html
    assert "<table>" in page.html and "<td>1</td>" in page.html


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[x](javascript:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        '<p style="background:url(javascript:alert(1))">x</p>',
        "<style>body{display:none}</style>",
        '<iframe src="https://evil.example"></iframe>',
        '<svg onload="alert(1)"></svg>',
        "<object data=x></object>",
    ],
)
def test_script_handlers_and_style_injection_are_removed(source: str) -> None:
    html = render_markdown(source, "x").html.lower()
    for forbidden in ("<script", "onerror", "onload", "javascript:", "data:text", "style", "<iframe", "<svg", "<object"):
        assert forbidden not in html


def test_title_falls_back_to_the_file_name() -> None:
    assert render_markdown("Just text.", "cancellation-policy").title == "Cancellation policy"


def test_image_sources_are_listed_once_as_written() -> None:
    page = render_markdown("![a](plan.svg) ![b](photos/salle%201.jpg?v=2) ![c](plan.svg) ![d](a&b.png)", "about")
    assert page.images == ("plan.svg", "photos/salle%201.jpg?v=2", "a&b.png")


def test_with_image_urls_rewrites_only_the_named_sources() -> None:
    page = render_markdown('![a > src="x"](plan.svg) ![b](https://cdn.test/p.png) ![c](a&b.png)', "about")
    rewritten = with_image_urls(page, {"plan.svg": "../../spa/plan.1234567890.svg", "a&b.png": '../../q"x.png'})
    assert 'src="../../spa/plan.1234567890.svg"' in rewritten.html
    assert 'src="https://cdn.test/p.png"' in rewritten.html
    assert 'src="../../q&quot;x.png"' in rewritten.html  # escaped: a URL never breaks the attribute
    assert "plan.svg" not in rewritten.html.replace("plan.1234567890.svg", "")
    assert rewritten.images == page.images


@pytest.mark.parametrize(
    ("src", "remote"),
    [("https://cdn.test/a.png", True), ("//cdn.test/a.png", True), ("HTTP://x/a.png", True),
     ("plan.svg", False), ("../logo.png", False), ("photos/a:b.png", False), ("/a.png", False)],
)  # fmt: skip
def test_is_remote_tells_another_origin_from_a_file(src: str, remote: bool) -> None:
    assert is_remote(src) is remote


# -- bounds (review D20): size, nesting, scan cost, time ---------------------------------------

def _list(levels: int, indent: int = 2) -> str:
    return "".join(" " * (indent * i) + "- x\n" for i in range(levels))


NORMAL_PARAGRAPH = (
    "Our [salon](https://example.com/a) opens *early* and closes **late**; see "
    "<https://example.com> (or call `+33 1 00`).\n"
)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("# T\n" + "[" * 10_000, "too slow to render"),  # review #89: 26 s
        ("# T\n" + "[" * 20_000, "too slow to render"),
        ("[a](" * 10_000, "too slow to render"),  # review #90: 45 s
        ("<a" * 40_000, "too slow to render"),  # review #91: 14 s
        ("*a" * 125_000, "too slow to render"),  # review #92 below the size limit
        ("_a" * 125_000, "too slow to render"),
        ("text\n# h\n" * 4_000, "too slow to render"),  # variant: headings splitting one paragraph
        ("\n-" * 10_000, "too slow to render"),  # variant: setext lines, found by fuzzing
        ("# T\n" + "[" * 1_000_000, "a page is at most 262,144"),  # review #89: over 300 s
        ("<a" * 512_000, "a page is at most 262,144"),
        ("*a" * 512_000, "a page is at most 262,144"),
        (_list(500), "nested more than 16 levels deep"),  # review #93: RecursionError
        (_list(200, indent=4), "nested more than 16 levels deep"),
        ("> " * 500 + "x", "nested more than 16 levels deep"),
        ("- " * 500 + "x", "nested more than 16 levels deep"),
    ],
    ids=["brackets-10k", "brackets-20k", "link-targets", "tag-starts", "stars", "underscores",
         "headings", "setext", "brackets-1mb", "tags-1mb", "stars-1mb", "list-500", "list-200-wide",
         "quotes-500", "bullets-on-one-line"],
)  # fmt: skip
def test_pathological_pages_are_refused_before_rendering(source: str, message: str, monkeypatch) -> None:
    rendered = []
    monkeypatch.setattr("generator.content._renderer", lambda deadline: rendered.append(1))
    with pytest.raises(MarkdownError, match=message):
        render_markdown(source, "about")
    assert rendered == []  # refused from counts alone: no time spent in python-markdown


def test_the_refusal_names_the_line_where_the_costly_part_starts() -> None:
    with pytest.raises(MarkdownError) as caught:
        render_markdown("# About\n\nFine.\n\n" + "[" * 5_000, "about")
    assert caught.value.line == 5
    with pytest.raises(MarkdownError) as caught:
        render_markdown("a\n\n" + _list(40), "about")
    assert caught.value.line == 3 + 32  # item 32: 64 columns of indent (16 levels) + its marker


def test_a_normal_200_kb_page_still_renders() -> None:
    source = "# About\n\n" + (NORMAL_PARAGRAPH * 3 + "\n") * 560 + _list(8, indent=4) + "\n> quoted\n"
    assert 190_000 < len(source.encode()) < MAX_MARKDOWN_BYTES
    page = render_markdown(source, "about")
    assert page.title == "About" and page.html.count("<code>") == 3 * 560


def test_a_long_page_written_as_one_paragraph_still_renders() -> None:
    source = "# About\n\n" + NORMAL_PARAGRAPH * 1500  # 177 KB without a blank line
    assert scan_cost(source)[0] < MAX_SCAN_COST
    assert render_markdown(source, "about").html.count("<em>") == 1500


def test_size_limit_boundary_in_utf8_bytes() -> None:
    render_markdown("a" * MAX_MARKDOWN_BYTES, "x")
    with pytest.raises(MarkdownError, match="is 262,145 bytes; a page is at most 262,144"):
        render_markdown("a" * (MAX_MARKDOWN_BYTES + 1), "x")
    with pytest.raises(MarkdownError, match="a page is at most 262,144"):  # 2 bytes each
        render_markdown("é" * (MAX_MARKDOWN_BYTES // 2 + 1), "x")


@pytest.mark.parametrize("marker", ["> ", "- ", "1. ", "    "])
def test_nesting_limit_boundary(marker: str) -> None:
    assert nesting_problem(marker * MAX_NESTING + "x") is None
    render_markdown(marker * MAX_NESTING + "x", "x")
    problem = nesting_problem("ok\n" + marker * (MAX_NESTING + 1) + "x")
    assert problem is not None and problem.line == 2


def test_scan_cost_limit_boundary(monkeypatch) -> None:
    source = "# T\n" + "[" * 300
    cost, _ = scan_cost(source)
    monkeypatch.setattr("generator.content.MAX_SCAN_COST", cost)
    render_markdown(source, "x")
    monkeypatch.setattr("generator.content.MAX_SCAN_COST", cost - 1)
    with pytest.raises(MarkdownError, match="too slow to render"):
        render_markdown(source, "x")


def test_scan_cost_counts_what_the_renderer_scans() -> None:
    closed = scan_cost("[a](b) " * 1000)[0]
    unclosed = scan_cost("[a(b " * 1000)[0]
    escaped = scan_cost("\\[a " * 1000)[0]
    assert closed < 100_000 and escaped < 100_000 < unclosed
    # Blank lines end paragraphs, and unclosed brackets only scan to the end of theirs.
    assert scan_cost("[\n\n" * 5000)[0] < scan_cost("[\n" * 5000)[0] // 100


def test_rendering_stops_at_the_time_limit() -> None:
    ticks = iter(range(10**9))  # a clock that advances one second per reading
    with pytest.raises(MarkdownError, match=f"took over {MAX_SECONDS:g} s to render"):
        render_markdown("# T\n\n" + "word *em* " * 50, "x", clock=lambda: float(next(ticks)))
    frozen = render_markdown("# T\n\n" + "word *em* " * 50, "x", clock=lambda: 0.0)
    assert frozen.html.count("<em>") == 50


def test_a_recursion_error_in_the_renderer_is_a_markdown_error(monkeypatch) -> None:
    monkeypatch.setattr("generator.content.MAX_NESTING", 10**6)
    with pytest.raises(MarkdownError, match="nested too deeply"):
        render_markdown(_list(300, indent=4), "x")


@given(st.text(alphabet="[]()<>*_`\\!&#-+=|: \n\ta1", max_size=3000))
def test_any_markup_renders_or_is_refused_cleanly(source: str) -> None:
    try:
        page = render_markdown(source, "x")
    except MarkdownError as error:
        assert str(error)
    else:
        assert "<script" not in page.html


def test_check_and_build_report_each_pathological_page_at_its_file(minisite: Path, tmp_path: Path) -> None:
    """The review's reproductions through the command line, in a subprocess whose generous
    hard timeout is only a hang guard (before the bounds, these ran for minutes)."""
    pages = minisite / "groups" / "spa" / "pages"
    (pages / "about.md").write_text("# T\n" + "[" * 10_000, "utf-8")
    (pages / "huge.md").write_text("# T\n" + "[" * 1_000_000, "utf-8")
    (pages / "tags.md").write_text("<a" * 512_000, "utf-8")
    (pages / "stars.md").write_text("*a" * 100_000, "utf-8")
    (pages / "deep.md").write_text(_list(500), "utf-8")
    for command in (["check", str(minisite)], ["build", str(minisite), "-o", str(tmp_path / "out")]):
        done = subprocess.run(
            [sys.executable, "-m", "generator", *command], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 1
        assert "Traceback" not in done.stderr
        errors = sorted(line for line in done.stderr.splitlines() if line.startswith("error: "))
        assert len(errors) == 5
        for name in ("about", "deep", "huge", "stars", "tags"):
            assert any(line.startswith(f"error: {pages / name}.md") and ": markdown: " in line for line in errors)
        assert not (tmp_path / "out").exists()
