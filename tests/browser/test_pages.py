"""Booking pages and widgets as a person meets them: accessible, responsive, light, self-contained.

Every built-in theme × fr (LTR) and ar (RTL), checked in Debian Chromium with axe-core,
at 320 px, with every request recorded; screenshots at 375 and 1280 px are saved for review.
"""

from __future__ import annotations

import base64
import gzip
import re
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from generator.build import build
from generator.themes import available_themes

FIXTURES = Path(__file__).parent.parent / "fixtures"
ONE_PIXEL_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
THEMES = available_themes()
LOCALES = ("fr", "ar")
PAGE_BUDGET = 20 * 1024
WIDGET_BUDGET = 12 * 1024


@pytest.fixture(scope="module")
def themed_builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One build of the fixture site per built-in theme, in fr, en and ar."""
    builds = {}
    for theme in THEMES:
        root = tmp_path_factory.mktemp(theme)
        site = root / "site"
        shutil.copytree(FIXTURES / "minisite", site)
        config = (site / "site.toml").read_text("utf-8")
        config = config.replace('theme = "classic"', f'theme = "{theme}"').replace(
            'locales = ["fr", "en"]', 'locales = ["fr", "en", "ar"]'
        )
        (site / "site.toml").write_text(config, "utf-8")
        (site / "groups" / "shop" / "page.toml").write_text('language = "en"\n', "utf-8")
        build(site, root / "out")
        builds[theme] = root / "out"
    return builds


def gzip_weight(out: Path, page: Path) -> int:
    """Gzipped bytes of a page plus every stylesheet and script it links."""
    html = page.read_text("utf-8")
    total = len(gzip.compress(html.encode(), 9))
    for ref in re.findall(r'(?:href|src)="([^"]+\.(?:css|js))"', html):
        total += len(gzip.compress((page.parent / ref).resolve().read_bytes(), 9))
    return total


def serious(results) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", ["index.html", "widget.html", "embed.html"])
def test_no_serious_accessibility_violation(themed_builds, serve_dir, page, theme, locale, kind) -> None:
    server = serve_dir(themed_builds[theme])
    for slug in ("spa", "shop"):
        page.goto(f"{server.url}/{slug}/{locale}/{kind}")
        assert serious(Axe().run(page)) == [], f"{slug}/{locale}/{kind} in {theme}"


@pytest.mark.parametrize("theme", THEMES)
def test_pages_and_widgets_stay_within_their_weight_budget(themed_builds, theme) -> None:
    out = themed_builds[theme]
    for page in out.glob("*/*/index.html"):
        assert gzip_weight(out, page) <= PAGE_BUDGET, page
    for widget in out.glob("*/*/widget.html"):
        assert gzip_weight(out, widget) <= WIDGET_BUDGET, widget


@pytest.mark.parametrize("theme", THEMES)
def test_no_horizontal_scroll_at_320px_and_no_foreign_requests(
    themed_builds, serve_dir, browser, theme
) -> None:
    server = serve_dir(themed_builds[theme])
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    origins: set[str] = set()
    page.on("request", lambda request: origins.add(urlparse(request.url).netloc))
    fonts: list[str] = []
    page.on("request", lambda request: fonts.append(request.url) if request.resource_type == "font" else None)
    for slug in ("spa", "shop"):
        for locale in LOCALES:
            for kind in ("index.html", "widget.html"):
                page.goto(f"{server.url}/{slug}/{locale}/{kind}")
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= 320, f"{slug}/{locale}/{kind} is {width}px wide in {theme}"
    page.goto(f"{server.url}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    context.close()
    assert origins == {urlparse(server.url).netloc}
    assert fonts == []


def test_rtl_locale_mirrors_the_layout(themed_builds, serve_dir, page) -> None:
    server = serve_dir(themed_builds["classic"])
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{server.url}/spa/ar/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    main_box = page.locator(".panel").bounding_box()
    aside_box = page.locator(".sidebar").bounding_box()
    assert main_box["x"] > aside_box["x"], "in RTL the booking panel is on the right"
    page.goto(f"{server.url}/spa/fr/")
    assert page.locator(".panel").bounding_box()["x"] < page.locator(".sidebar").bounding_box()["x"]


def test_dark_scheme_follows_the_visitor_without_usercolors(themed_builds, serve_dir, browser) -> None:
    server = serve_dir(themed_builds["minimal"])
    colours = {}
    for scheme in ("light", "dark"):
        context = browser.new_context(color_scheme=scheme)
        page = context.new_page()
        page.goto(f"{server.url}/shop/fr/")  # the shop has no usercolors
        colours[scheme] = page.evaluate("getComputedStyle(document.body).backgroundColor")
        context.close()
    assert colours["light"] == "rgb(255, 255, 255)"
    assert colours["dark"] != colours["light"]


@pytest.mark.parametrize("theme", THEMES)
def test_screenshots_at_phone_and_desktop_width(
    themed_builds, serve_dir, browser, screenshot_dir, theme
) -> None:
    server = serve_dir(themed_builds[theme])
    for width in (375, 1280):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        for locale in LOCALES:
            page.goto(f"{server.url}/spa/{locale}/")
            path = screenshot_dir / f"page-{theme}-{locale}-{width}.png"
            page.screenshot(path=str(path), full_page=True)
            assert path.stat().st_size > 10_000
        context.close()


def test_directory_search_filters_groups_without_a_server(themed_builds, serve_dir, page) -> None:
    server = serve_dir(themed_builds["classic"])
    page.goto(f"{server.url}/")
    assert serious(Axe().run(page)) == []
    items = page.locator(".directory-item")
    assert items.count() == 2
    page.fill("#group-search", "paris")
    assert page.locator(".directory-item:visible").all_inner_texts()[0].startswith("Test Spa")
    assert page.locator(".directory-item:visible").count() == 1
    page.fill("#group-search", "zzz")
    assert page.locator(".directory-item:visible").count() == 0
    assert page.locator("[data-bookgen-empty]").is_visible()
    page.fill("#group-search", "")
    assert page.locator(".directory-item:visible").count() == 2


def test_images_beside_a_markdown_page_show_under_the_strict_csp(
    minisite: Path, tmp_path: Path, serve_dir, page
) -> None:
    pages = minisite / "groups" / "spa" / "pages"
    (pages / "about.md").write_text(
        "# À propos\n\n![Plan d'accès](plan.svg)\n\n![Façade](../façade.png)\n", "utf-8"
    )
    (pages / "plan.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="60"><rect width="120" height="60" fill="#2e7d5b"/></svg>',
        "utf-8",
    )
    (pages.parent / "façade.png").write_bytes(base64.b64decode(ONE_PIXEL_PNG))
    build(minisite, tmp_path / "out")
    server = serve_dir(tmp_path / "out")
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text) if message.type == "error" else None)
    for locale in ("fr", "en"):
        page.goto(f"{server.url}/spa/{locale}/")
        images = page.locator(".text img")
        expect(images).to_have_count(2)
        widths = images.evaluate_all("images => images.map(i => i.complete && i.naturalWidth)")
        assert widths == [120, 1], widths
    assert violations == []
