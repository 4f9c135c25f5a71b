"""Embeds across origins in Debian Chromium: widgets on 127.0.0.1, the host page on 127.0.0.2
with a strict Content-Security-Policy (no inline script or style allowed)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.build import build
from generator.load.loader import load_site
from generator.preview.serve import preview_server
from generator.preview.server import PreviewServer
from generator.render.snippets import snippet
from generator.render.static import embed_loader
from tests.browser.waiting import wait, wait_js

FICHE = {"firstname": "Ada", "lastname": "Lovelace", "email": "ada@example.com", "phone": "+33 6 12 34 56 78"}


@pytest.fixture
def widgets(minisite: Path) -> Iterator[PreviewServer]:
    """Pages and the sandbox API on 127.0.0.1, with base_url pointing at them."""
    server = preview_server(minisite, port=0, log=lambda line: None)
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
    body = "\n".join(snippet(site.config, spa, mode, "en", embed_loader(), "Book") for mode in modes)
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
    page.add_init_script(
        "if (window === top) { window.__sentinels = 0; window.addEventListener('message',"
        " (e) => { if (e.data === 'sentinel') window.__sentinels++; }); }"
    )
    page.goto(f"{host.url}/")
    first, second = widget_frame(page, 0), widget_frame(page, 1)
    first.wait_for_selector("[data-service]")
    second.wait_for_selector("[data-service]")
    forged = {"bookgen": 1, "type": "resize", "id": "bg1", "detail": {"height": 4321}}
    booked = {"bookgen": 1, "type": "booked", "id": "bg1", "detail": {"date": "x", "service": 1, "calendar": ""}}
    # Each sender posts its forgeries, then a sentinel: messages from one sender arrive in
    # order, so once both sentinels are seen the forgeries have been handled (no sleep).
    # From the host's own origin (not the widget's):
    page.evaluate("(m) => { for (const x of m) window.postMessage(x, '*'); }", [forged, booked, "sentinel"])
    # From the widget origin, but from another iframe than the one the id belongs to:
    second.evaluate("(m) => { for (const x of m) parent.postMessage(x, '*'); }", [forged, booked, "sentinel"])
    wait_js(page, "window.__sentinels === 2")
    heights = page.evaluate("[...document.querySelectorAll('iframe')].map((f) => f.style.height)")
    assert "4321px" not in heights
    assert [e for e in page.evaluate("window.__events") if e[0] == "booked"] == []


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
    dialog.wait_for(state="hidden")  # hidden, kept for reopening (see below)
    assert page.evaluate("document.activeElement.dataset.mode") == "popup"  # focus returned to the opener
    assert page.evaluate("getComputedStyle(document.documentElement).overflow") != "hidden"
    opener.click()
    dialog.wait_for()
    page.mouse.click(5, 5)  # the backdrop
    dialog.wait_for(state="hidden")


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
    page.locator("[role=dialog]").wait_for(state="hidden")


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
    frame = page.locator("[role=dialog]:visible iframe").element_handle().content_frame()
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
    html = snippet(site.config, site.groups[1], "iframe", "en", embed_loader(), "Book")
    assert 'loading="lazy"' in html and 'title="Book – Test Spa"' in html and "sandbox=" in html


def test_escape_in_a_field_keeps_the_popup_and_reopening_returns_to_the_same_step(
    widgets, tmp_path, serve_dir, page
) -> None:
    host = serve_dir(host_page(tmp_path, widgets, ["popup"]), host="127.0.0.2")
    page.goto(f"{host.url}/")
    opener = page.locator("button[data-mode=popup]")
    opener.click()
    frame = widget_frame(page)
    frame.locator("[data-service='100'] button").click()
    wait_js(frame, "location.hash.includes('service=100')")
    # A field of the widget: Escape there dismisses autofill, never the booking (ux-review D10).
    frame.evaluate("document.body.append(Object.assign(document.createElement('input'), {id: 'probe'}))")
    frame.locator("#probe").fill("Ada")
    frame.locator("#probe").press("Escape")
    dialog = page.locator("[role=dialog]")
    assert dialog.is_visible()
    page.locator("[role=dialog] button[aria-label=Close]").click()
    dialog.wait_for(state="hidden")
    opener.click()
    dialog.wait_for(state="visible")
    assert page.locator("iframe").count() == 1  # the same widget, not a new one
    again = widget_frame(page)
    assert "service=100" in again.evaluate("location.hash")
    assert again.locator("#probe").input_value() == "Ada"


@pytest.mark.parametrize("width", [375, 1280])
def test_the_popups_close_button_never_covers_the_widget(widgets, tmp_path, serve_dir, browser, width) -> None:
    context = browser.new_context(viewport={"width": width, "height": 700})
    page = context.new_page()
    page.goto(f"{serve_dir(host_page(tmp_path, widgets, ['popup']), host='127.0.0.2').url}/")
    page.click("button[data-mode=popup]")
    shut = page.locator("[role=dialog] button[aria-label=Close]").bounding_box()
    frame = page.locator("[role=dialog] iframe").bounding_box()
    assert shut["y"] + shut["height"] <= frame["y"]  # above the widget, not over its title
    context.close()


STICKY_FOOTER = "body{min-height:100vh;display:flex;flex-direction:column;margin-block-end:1rem}body>main{flex:1}"
# The height the widget's content needs, measured without the frame's viewport height:
NATURAL_HEIGHT = """() => { const els = [document.documentElement, document.body];
  const saved = els.map((el) => el.style.cssText);
  for (const el of els) { el.style.setProperty('min-height', '0', 'important');
                          el.style.setProperty('height', 'auto', 'important'); }
  const h = Math.ceil(document.documentElement.getBoundingClientRect().height);
  els.forEach((el, i) => { el.style.cssText = saved[i]; }); return h; }"""


def test_the_frame_follows_its_content_under_a_100vh_theme(minisite, tmp_path, serve_dir, page) -> None:
    # bug-hunt #1 (iframe-resizer #594): 100vh inside the frame is the frame's own height.
    theme = minisite / "themes" / "sticky"
    (theme / "static").mkdir(parents=True)
    (theme / "theme.toml").write_text('name = "sticky"\nextends = "classic"\n', "utf-8")
    (theme / "static" / "theme.css").write_text(STICKY_FOOTER, "utf-8")
    config = minisite / "site.toml"
    config.write_text(config.read_text("utf-8").replace('theme = "classic"', 'theme = "sticky"'), "utf-8")
    build(minisite, tmp_path / "out")
    widgets = serve_dir(tmp_path / "out")
    root = tmp_path / "host"
    root.mkdir()
    (root / "index.html").write_text(
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title></head><body>'
        f'<div data-bookgen-group="spa" data-locale="en"></div><script src="{widgets.url}/embed.js"></script>'
        "</body></html>",
        "utf-8",
    )
    page.goto(f"{serve_dir(root, host='127.0.0.2').url}/")
    frame = widget_frame(page)
    iframe = page.locator("iframe")

    def follows() -> bool:
        return iframe.evaluate("(f) => f.style.height") == f"{frame.evaluate(NATURAL_HEIGHT)}px"

    wait(follows, timeout=30)
    services_height = iframe.bounding_box()["height"]
    frame.locator("[data-service='100'] button").click()
    wait_js(frame, "location.hash.includes('service=100')")
    wait(follows, timeout=30)
    assert iframe.bounding_box()["height"] < services_height  # it shrinks with its content


def test_each_event_message_reaches_the_host_with_only_its_documented_fields(widgets, tmp_path, serve_dir, page) -> None:
    """The widget side of the contract (generator/protocol.py) driven from inside the frame:
    step and booked events are re-dispatched on the host, their details rebuilt field by
    field (extra fields, e.g. personal data, never cross), in the order they were sent."""
    from generator.protocol import EVENT_TYPES

    host = serve_dir(host_page(tmp_path, widgets, ["inline"]), host="127.0.0.2")
    watch_events(page)
    page.goto(f"{host.url}/")
    frame = widget_frame(page)
    frame.wait_for_selector("[data-service='100'] button")
    sent = {
        "step": {"step": "slot", "email": "ada@example.com"},
        "booked": {"date": "2030-01-02 10:00:00", "service": 100, "calendar": "10", "phone": "+33 6"},
    }
    frame.evaluate(
        "(sent) => { for (const [type, detail] of Object.entries(sent))"
        " document.dispatchEvent(new CustomEvent('bookgen:' + type, { detail })); }",
        sent,
    )
    wait(lambda: any(e[0] == "booked" for e in page.evaluate("window.__events")))
    events = page.evaluate("window.__events")
    assert {e[0] for e in events} == set(EVENT_TYPES)
    assert ["step", {"step": "slot"}] in events
    assert ["booked", {"date": "2030-01-02 10:00:00", "service": 100, "calendar": "10"}] in events
    assert "ada@example.com" not in str(events) and "+33 6" not in str(events)


def test_an_inline_widget_at_375px_shows_the_whole_slot_step_without_an_inner_scrollbar(
    widgets, tmp_path, serve_dir, browser
) -> None:
    # ux-review D9: the slot step wanted 6,139 px at 375 px and scrolled inside the clamped frame.
    context = browser.new_context(viewport={"width": 375, "height": 667}, timezone_id="America/New_York")
    page = context.new_page()
    page.goto(f"{serve_dir(host_page(tmp_path, widgets, ['inline']), host='127.0.0.2').url}/")
    frame = widget_frame(page)
    frame.locator("[data-service='100'] button").click()
    frame.locator("[data-calendar='10'] button").click()
    frame.wait_for_selector(".slot")
    iframe = page.locator("iframe")
    wait(lambda: iframe.evaluate("(f) => f.clientHeight") >= frame.evaluate("document.documentElement.scrollHeight"))
    assert frame.locator(".slot-mine").count() > 0  # the tallest buttons: both times
    assert iframe.evaluate("(f) => f.clientHeight") < 5000  # well inside the loader's clamp
    context.close()
