"""The browser toolchain works: Debian Chromium opens a built page and reads its heading."""

from __future__ import annotations

from pathlib import Path

from generator.build import build


def test_built_booking_page_shows_group_heading_in_chromium(minisite: Path, tmp_path: Path, serve_dir, page) -> None:
    out = tmp_path / "out"
    build(minisite, out)
    server = serve_dir(out)
    page.goto(f"{server.url}/spa/fr/")
    heading = page.locator("h1").inner_text()
    assert heading.endswith("chez Test Spa")
    assert page.locator("html").get_attribute("lang") == "fr"
