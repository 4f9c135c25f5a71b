"""Embeds across origins in Debian Chromium: widgets on 127.0.0.1, the host page on 127.0.0.2
with a strict Content-Security-Policy (no inline script or style allowed)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.build import loader
from generator.embed import snippet
from generator.loader import load_site
from generator.serve import PreviewServer

FICHE = {"firstname": "Ada", "lastname": "Lovelace", "email": "ada@example.com", "phone": "+33 6 12 34 56 78"}


@pytest.fixture
def widgets(minisite: Path) -> Iterator[PreviewServer]:
    """Pages and the sandbox API on 127.0.0.1, with base_url pointing at them."""
    server = PreviewServer(minisite, port=0, log=lambda line: None)
    group = minisite / "groups" / "spa" / "group.json"  # books at once (no email to confirm first)
    group.write_text(group.read_text("utf-8").replace('"max_multirdvs"', '"validateEmail": false, "max_multirdvs"'), "utf-8")
    config = minisite / "site.toml"
    config.write_text(
        config.read_text("utf-8").replace("https://book.test/", f"http://127.0.0.1:{server.port}/"), "utf-8"
    )
    server.first_build()
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield server
    server.stop()
    thread.join(5)
    server.close()


def host_page(tmp_path: Path, server: PreviewServer, modes: list[str], extra: str = "") -> Path:
    site = load_site(server.preview.site_dir)
    spa = next(g for g in site.groups if g.slug == "spa")
    origin = f"http://127.0.0.1:{server.port}"
    body = "\n".join(snippet(site.config, spa, mode, "en", loader(), "Book") for mode in modes)
    root = tmp_path / "host"
    root.mkdir(exist_ok=True)
    csp = f"default-src 'none'; script-src {origin}; frame-src {origin}"
    (root / "index.html").write_text(
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}"><title>Host</title></head>'
        f'<body><h1>My salon</h1><p><a href="#" id="before">before</a></p>{body}{extra}'
        "</body></html>",
        "utf-8",
    )
    return root


def widget_frame(page, index: int = 0):
    handle = page.locator("iframe").nth(index).element_handle()
    frame = handle.content_frame()
    frame.wait_for_load_state()
    return frame


def watch_events(page) -> None:
    """Record the host-side events from before the page loads (no race with the first step)."""
    page.add_init_script(
        """if (window === top) { window.__events = [];
        for (const t of ["ready", "step", "booked"]) document.addEventListener("bookgen:" + t,
          (e) => e.target.matches("[data-bookgen-group]") && window.__events.push([t, e.detail])); }"""
    )


def test_inline_widget_books_resizes_and_reports_events_once(widgets, tmp_path, serve_dir, page) -> None:
    csp_errors: list[str] = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
    host = serve_dir(host_page(tmp_path, widgets, ["inline"]), host="127.0.0.2")
    watch_events(page)
    page.goto(f"{host.url}/")
    frame = widget_frame(page)
    frame.wait_for_selector("[data-service='100'] button")
    heights = []

    def iframe_fits() -> bool:
        outer = page.evaluate("document.querySelector('iframe').getBoundingClientRect().height")
        inner = frame.evaluate("document.documentElement.scrollHeight")
        heights.append(outer)
        return abs(outer - inner) <= 2

    wait(iframe_fits)
    frame.click("[data-service='100'] button")
    frame.click("[data-calendar='10'] button")
    frame.wait_for_selector(".slot")
    wait(iframe_fits)  # the slot list is much taller: the iframe grew with it, no inner scrollbar
    assert max(heights) > min(heights) + 100
    slot = frame.locator(".slot").first.get_attribute("data-slot")
    frame.locator(".slot").first.click()
    for name, value in FICHE.items():
        frame.fill(f"input[name={name}]", value)
    frame.locator("form > .button-primary").click()
    frame.wait_for_selector(".done")
    wait(lambda: any(e[0] == "booked" for e in page.evaluate("window.__events")))
    events = page.evaluate("window.__events")
    assert [e for e in events if e[0] == "booked"] == [["booked", {"date": slot, "service": 100, "calendar": "10"}]]
    steps = [e[1]["step"] for e in events if e[0] == "step"]
    assert steps == ["service", "calendar", "slot", "details", "done"]  # each once, in order
    assert [e[0] for e in events].count("ready") == 1
    assert [a["start"] for a in widgets.sandbox.appointments(1)] == [slot]
    assert csp_errors == []


def test_forged_messages_change_nothing(widgets, tmp_path, serve_dir, page) -> None:
    host = serve_dir(host_page(tmp_path, widgets, ["inline", "inline"]), host="127.0.0.2")
    watch_events(page)
    page.goto(f"{host.url}/")
    first, second = widget_frame(page, 0), widget_frame(page, 1)
    first.wait_for_selector("[data-service]")
    time.sleep(0.5)
    page.evaluate("window.__events = []")
    before = page.evaluate("document.querySelector('iframe').style.height")
    forged = {"bookgen": 1, "type": "resize", "id": "bg1", "detail": {"height": 4321}}
    booked = {"bookgen": 1, "type": "booked", "id": "bg1", "detail": {"date": "x", "service": 1, "calendar": ""}}
    # From the host's own origin (not the widget's):
    page.evaluate("(m) => { window.postMessage(m[0], '*'); window.postMessage(m[1], '*'); }", [forged, booked])
    # From the widget origin, but from another iframe than the one the id belongs to:
    second.evaluate("(m) => { parent.postMessage(m[0], '*'); parent.postMessage(m[1], '*'); }", [forged, booked])
    time.sleep(0.5)
    assert page.evaluate("document.querySelector('iframe').style.height") == before
    assert page.evaluate("window.__events") == []


def test_popup_is_an_accessible_modal_dialog(widgets, tmp_path, serve_dir, page) -> None:
    host = serve_dir(host_page(tmp_path, widgets, ["popup"]), host="127.0.0.2")
    page.goto(f"{host.url}/")
    opener = page.locator("button[data-mode=popup]")
    opener.focus()
    page.keyboard.press("Enter")
    dialog = page.locator("[role=dialog]")
    dialog.wait_for()
    assert dialog.get_attribute("aria-modal") == "true"
    assert dialog.get_attribute("aria-label") == "Test Spa"
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Close"
    assert page.evaluate("getComputedStyle(document.documentElement).overflow") == "hidden"  # scroll locked
    widget = widget_frame(page)
    widget.wait_for_selector("[data-service] button")

    def in_widget() -> bool:  # the host's activeElement lags for out-of-process iframes
        return widget.evaluate("document.hasFocus()")

    def on_close() -> bool:
        return page.evaluate("document.activeElement.getAttribute('aria-label')") == "Close"

    page.keyboard.press("Tab")
    assert in_widget()
    page.keyboard.press("Shift+Tab")
    assert on_close()
    page.keyboard.press("Shift+Tab")  # backwards past the start: wraps into the widget
    assert in_widget() or page.evaluate("document.activeElement.tagName") == "IFRAME"
    page.locator("[role=dialog] button[aria-label=Close]").focus()
    for _ in range(40):  # forwards through the whole widget: wraps to the close button, never leaves
        page.keyboard.press("Tab")
        assert in_widget() or on_close()
    page.keyboard.press("Escape")
    assert dialog.count() == 0
    assert page.evaluate("document.activeElement.dataset.mode") == "popup"  # focus returned to the opener
    assert page.evaluate("getComputedStyle(document.documentElement).overflow") != "hidden"
    opener.click()
    dialog.wait_for()
    page.mouse.click(5, 5)  # the backdrop
    assert dialog.count() == 0


def test_escape_inside_the_widget_closes_the_popup(widgets, tmp_path, serve_dir, page) -> None:
    host = serve_dir(host_page(tmp_path, widgets, ["popup"]), host="127.0.0.2")
    page.goto(f"{host.url}/")
    page.click("button[data-mode=popup]")
    frame = widget_frame(page)
    frame.wait_for_selector("[data-service='100'] button")
    frame.locator("[data-service='100'] button").focus()
    # A real keydown only: the widget closes the popup on keydown, and Chromium never
    # acknowledges a keyup sent to the out-of-process frame that keydown just removed.
    page.keyboard.down("Escape")
    page.locator("[role=dialog]").wait_for(state="detached")


def test_popup_is_full_screen_on_phones(widgets, tmp_path, serve_dir, browser) -> None:
    host_root = host_page(tmp_path, widgets, ["popup"])
    context = browser.new_context(viewport={"width": 375, "height": 700})
    page = context.new_page()
    page.goto(f"{serve_dir(host_root, host='127.0.0.2').url}/")
    page.click("button[data-mode=popup]")
    box = page.locator("[role=dialog] > div").bounding_box()
    assert (box["width"], box["height"]) == (375, 700)
    context.close()


def test_floating_button_and_javascript_api(widgets, tmp_path, serve_dir, page) -> None:
    host = serve_dir(host_page(tmp_path, widgets, ["button"]), host="127.0.0.2")
    page.goto(f"{host.url}/")
    button = page.locator("[data-mode=button] button")
    button.wait_for()
    assert button.inner_text() == "Book"
    assert page.evaluate("getComputedStyle(document.querySelector('[data-mode=button] button')).position") == "fixed"
    button.click()
    page.locator("[role=dialog]").wait_for()
    page.keyboard.press("Escape")
    page.evaluate("window.Bookgen.open('spa', {locale: 'fr', title: 'Test Spa'})")
    frame = widget_frame(page)
    frame.wait_for_selector("h1")
    assert "chez Test Spa" in frame.locator("h1").inner_text()


def test_script_loaded_before_the_elements_still_mounts_them(widgets, tmp_path, serve_dir, page) -> None:
    host = serve_dir(host_page(tmp_path, widgets, ["inline"]), host="127.0.0.2")
    page.goto(f"{host.url}/")
    page.evaluate(
        """() => { const d = document.createElement('div'); d.dataset.bookgenGroup = 'spa';
        d.dataset.locale = 'en'; d.id = 'late'; document.body.append(d); }"""
    )
    page.locator("#late iframe").wait_for()


def test_iframe_and_link_modes_need_no_script(widgets, tmp_path, serve_dir, page) -> None:
    root = host_page(tmp_path, widgets, ["link"])
    host = serve_dir(root, host="127.0.0.2")
    page.goto(f"{host.url}/")
    assert page.locator(f"a[href='http://127.0.0.1:{widgets.port}/spa/en/']").count() == 1
    site = load_site(widgets.preview.site_dir)
    html = snippet(site.config, site.groups[1], "iframe", "en", loader(), "Book")
    assert 'loading="lazy"' in html and 'title="Book – Test Spa"' in html and "sandbox=" in html


def wait(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)
