"""Live reload as a designer sees it, in Debian Chromium: edits appear, errors show, fixes recover."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from tests.browser.waiting import wait, wait_js
from tests.servekit import running

# Connected: the server answered the handshake, after which the page registers (its "info"
# reaches the server before any save the test makes next). A save before that is missed.
PREVIEW_READY = (
    "!!(window.LiveReload && window.LiveReload.hasPlugin('bookgen-preview')"
    " && window.LiveReload.connector && window.LiveReload.connector.protocol)"
)


def touch_write(path: Path, text: str) -> None:
    path.write_text(text, "utf-8")
    future = time.time() + 1
    os.utime(path, (future, future))


def test_a_saved_name_appears_without_a_manual_reload(minisite: Path, page) -> None:
    with running(minisite) as (server, _):
        page.goto(f"http://127.0.0.1:{server.port}/spa/en/")
        wait_js(page, PREVIEW_READY)
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
        wait_js(page, PREVIEW_READY)
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
        wait_js(page, PREVIEW_READY)
        path = minisite / "groups" / "spa" / "group.json"
        data = json.loads(path.read_text("utf-8"))
        data["group"]["usercolors"] = {"main_bg": "red;}body{display:none}"}
        touch_write(path, json.dumps(data))
        overlay = page.locator("#bookgen-error")
        overlay.wait_for(timeout=30000)
        assert f"{path}" in overlay.inner_text()
        assert "group.usercolors.main_bg" in overlay.inner_text()


def spa_with_own_contact(site: Path) -> Path:
    """spa gets a project theme ``mine`` (extends classic) whose contact partial says "— mine";
    returns its partials folder."""
    partials = site / "themes" / "mine" / "templates" / "partials"
    partials.mkdir(parents=True)
    (partials.parent.parent / "theme.toml").write_text('name = "mine"\nextends = "classic"\n', "utf-8")
    touch_write(partials / "contact.html", '<address class="contact">{{ group.name }} — mine</address>\n')
    (site / "groups" / "spa" / "page.toml").write_text('theme = "mine"\n', "utf-8")
    return partials


def test_a_template_failing_while_rendering_shows_the_overlay_then_recovers(minisite: Path, page) -> None:
    """bug-hunt #12: the page reloads by itself into the overlay, which names file and line."""
    partials = spa_with_own_contact(minisite)
    with running(minisite) as (server, _):
        page.goto(f"http://127.0.0.1:{server.port}/spa/fr/")
        assert "— mine" in page.locator(".contact").inner_text()
        wait_js(page, PREVIEW_READY)
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
        wait_js(page, PREVIEW_READY)
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
        wait_js(page, PREVIEW_READY)
        path = minisite / "groups" / "spa" / "group.json"
        data = json.loads(path.read_text("utf-8"))
        data["group"]["name"] = "Spa Seen Through Localhost"
        touch_write(path, json.dumps(data))
        wait_js(page, "document.querySelector('h1').textContent.includes('Spa Seen Through Localhost')")


def test_a_snippet_copied_from_the_served_embed_page_loads_the_preview_s_widget_on_another_origin(
    minisite: Path, tmp_path: Path, serve_dir, page
) -> None:
    """review D16: the embed page under serve gives snippets (and the host CSP) for the
    preview itself, so pasting one into a test page on 127.0.0.2 books against the preview."""
    with running(minisite) as (server, _):
        page.goto(f"http://127.0.0.1:{server.port}/spa/en/embed.html")
        assert "These are preview snippets" in page.locator("main").inner_text()
        # What each Copy button puts on the clipboard: the text of its snippet.
        pasted = "\n".join(page.locator(f"#snippet-{mode}").text_content() for mode in ("inline", "button"))
        allowed = page.locator("section[aria-labelledby=csp] code").text_content()
        assert allowed == f"script-src http://127.0.0.1:{server.port}; frame-src http://127.0.0.1:{server.port}"
        root = tmp_path / "host"
        root.mkdir()
        (root / "index.html").write_text(
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; {allowed}\">"
            f"<title>Host</title></head><body><h1>My salon</h1>{pasted}</body></html>",
            "utf-8",
        )
        host = serve_dir(root, host="127.0.0.2")
        refused: list[str] = []  # a CSP or SRI refusal would leave only the noscript link
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        page.on("console", lambda m: refused.append(m.text) if "integrity" in m.text else None)
        page.goto(f"{host.url}/")
        inline = page.locator("div[data-mode=inline] iframe")
        inline.wait_for()
        assert inline.get_attribute("src").startswith(f"http://127.0.0.1:{server.port}/spa/en/widget.html")
        inline.element_handle().content_frame().wait_for_selector("[data-service='100'] button")
        page.locator("div[data-mode=button] button").click()  # the pasted floating button opens the popup
        popup = page.locator("[role=dialog] iframe")
        popup.wait_for()
        popup.element_handle().content_frame().wait_for_selector("[data-service='100'] button")
        assert refused == []


def test_the_served_embed_page_previews_the_floating_button_which_opens_the_popup(minisite: Path, page) -> None:
    with running(minisite) as (server, _):
        page.goto(f"http://127.0.0.1:{server.port}/spa/en/embed.html")
        button = page.locator(".embed-preview-button button")
        button.wait_for()
        assert button.is_visible() and button.inner_text() == "Book an appointment"
        look = button.evaluate("b => [getComputedStyle(b).position, getComputedStyle(b).backgroundColor]")
        assert look == ["fixed", "rgb(122, 74, 18)"]  # floating, in the group's main_bg #7A4A12
        assert page.locator("[role=dialog]").count() == 0
        button.click()
        dialog = page.locator("[role=dialog]")
        dialog.wait_for()
        widget = dialog.locator("iframe").element_handle().content_frame()
        widget.wait_for_selector("[data-service='100'] button")
        assert widget.url.startswith(f"http://127.0.0.1:{server.port}/spa/en/widget.html")


# -- what reloads how (issue 20) --------------------------------------------------------------

def open_marked(page, url: str) -> None:
    """Open ``url``, wait for the preview client, and mark the page: a reload drops the mark."""
    page.goto(url)
    wait_js(page, PREVIEW_READY)
    page.evaluate("window.notReloaded = true")


def test_a_theme_stylesheet_edit_repaints_the_open_page_without_reloading_it(minisite: Path, page) -> None:
    css = minisite / "themes" / "brand" / "static" / "theme.css"
    css.parent.mkdir(parents=True)
    (css.parent.parent / "theme.toml").write_text('name = "brand"\nextends = "classic"\n', "utf-8")
    css.write_text("h1{color:rgb(1, 2, 3)}\n", "utf-8")
    (minisite / "groups" / "spa" / "page.toml").write_text('theme = "brand"\n', "utf-8")
    with running(minisite) as (server, _):
        open_marked(page, f"http://127.0.0.1:{server.port}/spa/en/")
        assert page.evaluate("getComputedStyle(document.querySelector('h1')).color") == "rgb(1, 2, 3)"
        touch_write(css, "h1{color:rgb(4, 5, 6)}\n")
        wait_js(page, "getComputedStyle(document.querySelector('h1')).color === 'rgb(4, 5, 6)'")
        assert page.evaluate("window.notReloaded") is True
        wait_js(page, "document.querySelectorAll('link[href*=\"brand.\"]').length === 1")  # the old one went


def test_a_palette_change_repaints_the_booking_page_in_place_and_reloads_the_embed_page(minisite: Path, page) -> None:
    """group.json's usercolors change the group's palette stylesheet (swapped) and the colours
    the embed page writes into its snippets (that page reloads)."""
    main_bg = "getComputedStyle(document.documentElement).getPropertyValue('--main-bg').trim()"
    with running(minisite) as (server, _):
        open_marked(page, f"http://127.0.0.1:{server.port}/spa/en/")
        embed = page.context.new_page()
        open_marked(embed, f"http://127.0.0.1:{server.port}/spa/en/embed.html")
        assert page.evaluate(main_bg) == "#7a4a12"
        path = minisite / "groups" / "spa" / "group.json"
        data = json.loads(path.read_text("utf-8"))
        data["group"]["usercolors"] = data["group"]["usercolors"].replace("#7A4A12", "#123456")
        touch_write(path, json.dumps(data))
        wait_js(page, f"{main_bg} === '#123456'")
        assert page.evaluate("window.notReloaded") is True
        wait_js(embed, "document.readyState === 'complete' && !window.notReloaded && document.body.innerHTML.includes('#123456')")


def test_a_template_edit_reloads_the_pages_it_changed_and_only_those(minisite: Path, page) -> None:
    partials = spa_with_own_contact(minisite)
    with running(minisite) as (server, _):
        shop = page.context.new_page()
        open_marked(shop, f"http://127.0.0.1:{server.port}/shop/en/")  # classic: not rebuilt
        open_marked(page, f"http://127.0.0.1:{server.port}/spa/en/")
        touch_write(partials / "contact.html", '<address class="contact">{{ group.name }} — edited</address>\n')
        wait_js(page, "document.querySelector('.contact') && document.querySelector('.contact').textContent.includes('— edited')")
        assert page.evaluate("window.notReloaded") is None
        assert shop.evaluate("window.notReloaded") is True  # told at the same moment, and left alone


def test_a_reload_keeps_the_booking_step_and_the_typed_fields(minisite: Path, page) -> None:
    path = minisite / "groups" / "spa" / "group.json"
    data = json.loads(path.read_text("utf-8"))
    data["group"]["validateEmail"] = False
    path.write_text(json.dumps(data), "utf-8")
    with running(minisite) as (server, _):
        open_marked(page, f"http://127.0.0.1:{server.port}/spa/en/")
        page.click("[data-service='100'] button")
        page.click("[data-calendar='10'] button")
        page.wait_for_selector(".slot")
        page.locator(".slot").first.click()
        page.wait_for_selector("input[name=firstname]")
        page.fill("input[name=firstname]", "Ada")
        page.fill("input[name=lastname]", "Lovelace")
        fragment = "Object.fromEntries(new URLSearchParams(location.hash.slice(1).replace(/[+]/g, '%2B')))"
        step = page.evaluate(fragment)
        assert step["step"] == "details"
        data["group"]["name"] = "Spa Renamed Mid-Booking"
        touch_write(path, json.dumps(data))
        wait_js(page, "document.querySelector('h1').textContent.includes('Spa Renamed Mid-Booking')")
        assert page.evaluate("window.notReloaded") is None and page.evaluate(fragment) == step
        wait_js(page, "document.querySelector('input[name=firstname]')?.value === 'Ada'")
        assert page.locator("input[name=lastname]").input_value() == "Lovelace"
        assert page.locator("input[name=email]").input_value() == ""
        assert page.evaluate("sessionStorage.getItem('bookgen-preview:fields:' + location.pathname)") is None


def test_a_save_made_while_the_page_was_connecting_still_reaches_it(minisite: Path, page) -> None:
    """The reload message goes to connected pages only; a page that connects after a rebuild
    it was served before asks the status once connected, and reloads."""
    with running(minisite) as (server, _):
        held: list = []
        page.route("**/livereload.js*", lambda route: held.append(route))  # the page cannot connect yet
        page.goto(f"http://127.0.0.1:{server.port}/spa/en/", wait_until="commit")
        wait_js(page, "!!document.querySelector('h1')")
        generation = server.generation
        path = minisite / "groups" / "spa" / "group.json"
        data = json.loads(path.read_text("utf-8"))
        data["group"]["name"] = "Renamed Before Connecting"
        touch_write(path, json.dumps(data))
        wait(lambda: server.generation > generation and held, what="the rebuild, with the client still held")
        assert "Renamed Before Connecting" not in page.locator("h1").inner_text()
        held[0].continue_()
        wait_js(page, "document.querySelector('h1').textContent.includes('Renamed Before Connecting')")
