"""Markdown pages keep their structure and lose anything that could run or restyle."""

from __future__ import annotations

import pytest

from generator.content import is_remote, render_markdown, with_image_urls


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
