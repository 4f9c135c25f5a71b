"""Regenerate the README's theme screenshots (docs/screenshots/) from the demo site.

Usage: .venv/bin/python scripts/screenshots.py [SITE] [GROUP]
Builds SITE once per built-in theme and photographs the booking page of GROUP
(default: one without usercolors, so the theme's own palette shows) in Debian
Chromium at 1280 px (French) and its widget at 375 px (Arabic, right-to-left); then the
slot step (classic: also with its display toggles pressed) and the confirmation of
STEPS_GROUP's page at 375 px (French), the API answered
inside the browser (tests/browser/clicrdv_route.py) so no server is needed.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).parent.parent / "tests" / "browser"))
from clicrdv_route import ClicRDVRoute
from conftest import CHROMIUM, CHROMIUM_ARGS, StaticServer

from generator.build import build
from generator.themes import available_themes

OUT = Path(__file__).parent.parent / "docs" / "screenshots"
STEPS_GROUP = "eden-spa"  # service → with whom → slot → details → done


def steps(browser, server: StaticServer, theme: str) -> None:
    """The slot step and the confirmation at 375 px, booked against an in-browser API."""
    page = browser.new_page(viewport={"width": 375, "height": 667}, timezone_id="America/New_York")
    ClicRDVRoute(today=date.today()).install(page)
    page.goto(f"{server.url}/{STEPS_GROUP}/fr/")
    page.locator("[data-service] button").first.click()
    page.locator("[data-calendar] button").first.click()
    page.wait_for_selector(".slot")
    page.screenshot(path=str(OUT / f"{theme}-slots-fr.png"), full_page=True)
    if theme == "classic":  # the display toggles pressed: the visitor's zone first, the other clock
        for toggle in page.locator(".display .toggle").all():
            toggle.click()
        page.screenshot(path=str(OUT / "classic-slots-toggled-fr.png"), full_page=True)
    page.locator(".slot").first.click()
    for name, value in (("firstname", "Ana"), ("lastname", "Martin"), ("email", "ana@example.com"),
                        ("phone", "+33 6 12 34 56 78")):
        page.fill(f"input[name={name}]", value)
    page.click("form > .button-primary")
    page.wait_for_selector(".done .add-calendar")
    page.screenshot(path=str(OUT / f"{theme}-done-fr.png"), full_page=True)
    page.close()


def main(site: Path, group: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for theme in available_themes():
            copy = Path(tmp) / theme / "site"
            shutil.copytree(site, copy)
            for slug in {group, STEPS_GROUP}:  # both photographed groups wear the theme
                page_toml = copy / "groups" / slug / "page.toml"
                text = page_toml.read_text("utf-8") if page_toml.exists() else ""
                lines = [line for line in text.splitlines() if not line.startswith("theme")]
                # A top-level key must come before the first [table].
                page_toml.write_text(f'theme = "{theme}"\n' + "\n".join(lines) + "\n", "utf-8")
            build(copy, Path(tmp) / theme / "out")
            server = StaticServer(Path(tmp) / theme / "out")
            for path, width, name in ((f"{group}/fr/", 1280, "page-fr"), (f"{group}/ar/widget.html", 375, "widget-ar")):
                page = browser.new_page(viewport={"width": width, "height": 800})
                page.goto(f"{server.url}/{path}")
                page.screenshot(path=str(OUT / f"{theme}-{name}.png"), full_page=width < 400)
                page.close()
            steps(browser, server, theme)
            server.close()
            print(f"{theme}: {OUT}/{theme}-page-fr.png, {theme}-widget-ar.png, {theme}-slots-fr.png, {theme}-done-fr.png")
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "site"), sys.argv[2] if len(sys.argv) > 2 else "kings-cross-barbers")
