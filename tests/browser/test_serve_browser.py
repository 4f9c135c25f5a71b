"""Live reload as a designer sees it, in Debian Chromium: edits appear, errors show, fixes recover."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError

from tests.servekit import running


def wait_js(page, expression: str, timeout: float = 30.0) -> None:
    """Poll a JS expression via CDP: wait_for_function evals in the page, which the CSP forbids."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if page.evaluate(expression):
                return
        except PlaywrightError:  # the page is reloading under us: try again
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout}s: {expression}")
        time.sleep(0.02)


def touch_write(path: Path, text: str) -> None:
    path.write_text(text, "utf-8")
    future = time.time() + 1
    os.utime(path, (future, future))


def test_a_saved_name_appears_without_a_manual_reload(minisite: Path, page) -> None:
    with running(minisite) as (server, _):
        page.goto(f"http://127.0.0.1:{server.port}/spa/en/")
        wait_js(page, "window.LiveReload && window.LiveReload.connector && window.LiveReload.connector._connectionDesired")
        path = minisite / "groups" / "spa" / "group.json"
        data = json.loads(path.read_text("utf-8"))
        data["group"]["name"] = "Freshly Renamed Spa"
        touch_write(path, json.dumps(data))
        wait_js(page, "document.querySelector('h1').textContent.includes('Freshly Renamed Spa')")


def test_a_broken_template_shows_an_error_then_the_fix_brings_the_page_back(minisite: Path, page) -> None:
    theme = minisite / "themes" / "mine" / "templates" / "partials"
    theme.mkdir(parents=True)
    (theme.parent.parent / "theme.toml").write_text('name = "mine"\nextends = "classic"\n', "utf-8")
    good = '<address class="contact">{{ group.name }} — mine</address>\n'
    touch_write(theme / "contact.html", good)
    (minisite / "site.toml").write_text(
        (minisite / "site.toml").read_text("utf-8").replace('theme = "classic"', 'theme = "mine"'), "utf-8"
    )
    with running(minisite) as (server, _):
        page.goto(f"http://127.0.0.1:{server.port}/spa/fr/")
        assert "— mine" in page.locator(".contact").inner_text()
        wait_js(page, "window.LiveReload && window.LiveReload.connector")
        touch_write(theme / "contact.html", "{% if %}\n")
        overlay = page.locator("#bookgen-error")
        overlay.wait_for(timeout=30000)
        text = overlay.inner_text()
        assert "contact.html:1" in text and "template syntax error" in text
        assert page.locator("h1").is_visible()  # the last good page is still there
        touch_write(theme / "contact.html", good.replace("mine", "fixed"))
        wait_js(page, "!document.querySelector('#bookgen-error') && document.body.textContent.includes('— fixed')")


def test_a_bad_colour_names_the_file_and_field_in_the_browser(minisite: Path, page) -> None:
    with running(minisite) as (server, _):
        page.goto(f"http://127.0.0.1:{server.port}/spa/fr/")
        wait_js(page, "window.LiveReload && window.LiveReload.connector")
        path = minisite / "groups" / "spa" / "group.json"
        data = json.loads(path.read_text("utf-8"))
        data["group"]["usercolors"] = {"main_bg": "red;}body{display:none}"}
        touch_write(path, json.dumps(data))
        overlay = page.locator("#bookgen-error")
        overlay.wait_for(timeout=30000)
        assert f"{path}" in overlay.inner_text()
        assert "group.usercolors.main_bg" in overlay.inner_text()


def test_a_template_failing_while_rendering_shows_the_overlay_then_recovers(minisite: Path, page) -> None:
    """bug-hunt #12: the page reloads by itself into the overlay, which names file and line."""
    partials = minisite / "themes" / "mine" / "templates" / "partials"
    partials.mkdir(parents=True)
    (partials.parent.parent / "theme.toml").write_text('name = "mine"\nextends = "classic"\n', "utf-8")
    touch_write(partials / "contact.html", '<address class="contact">{{ group.name }} — mine</address>\n')
    (minisite / "groups" / "spa" / "page.toml").write_text('theme = "mine"\n', "utf-8")
    with running(minisite) as (server, _):
        page.goto(f"http://127.0.0.1:{server.port}/spa/fr/")
        assert "— mine" in page.locator(".contact").inner_text()
        wait_js(page, "window.LiveReload && window.LiveReload.connector")
        touch_write(partials / "contact.html", "<p>\n{{ group.name + 1 }}</p>\n")
        overlay = page.locator("#bookgen-error")
        overlay.wait_for(timeout=30000)
        text = overlay.inner_text()
        assert f"{partials / 'contact.html'}:2" in text
        assert 'template error: can only concatenate str (not "int") to str' in text
        assert page.locator("h1").is_visible()  # over the last good page
        touch_write(partials / "contact.html", '<address class="contact">{{ group.name }} — fixed</address>\n')
        wait_js(page, "!document.querySelector('#bookgen-error') && document.body.textContent.includes('— fixed')")


def test_a_pathological_markdown_page_shows_the_overlay_and_the_page_stays_live(minisite: Path, page) -> None:
    """review D20: 10 KB of '[' is refused at once; the overlay names the page."""
    about = minisite / "groups" / "spa" / "pages" / "about.md"
    with running(minisite) as (server, _):
        page.goto(f"http://127.0.0.1:{server.port}/spa/fr/")
        wait_js(page, "window.LiveReload && window.LiveReload.connector")
        touch_write(about, "# T\n" + "[" * 10_000)
        overlay = page.locator("#bookgen-error")
        overlay.wait_for(timeout=30000)
        assert f"{about}:1" in overlay.inner_text() and "markdown: too slow to render" in overlay.inner_text()
        touch_write(about, "# About us\n\nBack to normal.\n")
        wait_js(page, "!document.querySelector('#bookgen-error')")


def test_the_preview_under_localhost_still_reloads_after_the_host_check(minisite: Path, page) -> None:
    """The Host check (DNS rebinding) lets the preview's own names through, websocket included."""
    with running(minisite) as (server, _):
        page.goto(f"http://localhost:{server.port}/spa/en/")
        wait_js(page, "window.LiveReload && window.LiveReload.connector && window.LiveReload.connector._connectionDesired")
        path = minisite / "groups" / "spa" / "group.json"
        data = json.loads(path.read_text("utf-8"))
        data["group"]["name"] = "Spa Seen Through Localhost"
        touch_write(path, json.dumps(data))
        wait_js(page, "document.querySelector('h1').textContent.includes('Spa Seen Through Localhost')")
