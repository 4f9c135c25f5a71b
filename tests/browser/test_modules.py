"""The runtime's sources (booking.js importing templates/static/booking/*.js, signin.js
importing its password hash) are plain ES modules: run unbundled in Chromium, a booking
shows exactly what the published, bundled booking.js shows (generator/render/static.py
inlines the modules only when one shared scope means the same)."""

from __future__ import annotations

import shutil
from pathlib import Path

from generator.build import build
from generator.themes import TEMPLATES_DIR
from tests.browser.clicrdv_route import ClicRDVRoute
from tests.browser.test_runtime import confirm, fill_details, local_today, pick, set_group, to_slots


def booking_texts(out: Path, page, api, serve_dir) -> list[str]:
    """What the flow shows on the slot step, the details step and the confirmation."""
    server = serve_dir(out)
    api.install(page)
    page.goto(f"{server.url}/spa/en/")
    flow = page.locator("[data-bookgen-flow]")
    to_slots(page)
    texts = [flow.inner_text()]
    pick(page)
    texts.append(flow.inner_text())
    fill_details(page)
    confirm(page)
    page.wait_for_selector(".done")
    texts.append(flow.inner_text())
    return texts


def test_the_unbundled_modules_book_exactly_as_the_published_bundle(minisite: Path, browser, serve_dir) -> None:
    set_group(minisite, validateEmail=False)
    bundled, sources = minisite.parent / "bundled", minisite.parent / "sources"
    build(minisite, bundled)
    shutil.copytree(bundled, sources)
    # The page's booking.<hash>.js becomes the source entry, its imports the source modules beside it.
    [published] = (sources / "assets").glob("booking.*.js")
    shutil.copy(TEMPLATES_DIR / "static" / "booking.js", published)
    shutil.copytree(TEMPLATES_DIR / "static" / "booking", sources / "assets" / "booking")
    shown = []
    for out in (bundled, sources):
        context = browser.new_context(locale="en-GB", timezone_id="Europe/Paris")
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
        api = ClicRDVRoute(today=local_today("Europe/Paris"))  # a fresh API each time: the same free times
        shown.append(booking_texts(out, page, api, serve_dir))
        assert errors == []
        context.close()
    assert shown[0] == shown[1]
    assert "import" in published.read_text("utf-8")  # the sources did run as modules
