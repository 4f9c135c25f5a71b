"""API refusals reach the client in the page's language, with the next step beside them
(issue 18 §5, ux-review D12), in Debian Chromium, on an Arabic page.

Pages from ``bookgen serve`` over the fixture site (ar added to its locales); the API answered
inside Chromium (clicrdv_route.py), whose error bodies carry English ``message`` texts that
must never reach the page.
"""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from generator.render.context import locale_messages
from tests.browser.clicrdv_route import ClicRDVRoute
from tests.browser.test_runtime import (
    FICHE,
    confirm,
    fill_details,
    local_today,
    pick,
    set_group,
    sign_in,
    to_slots,
)
from tests.servekit import running

AR = locale_messages("ar")
PHONE = "01 23 45 67 89"  # the fixture spa's phone


@pytest.fixture
def arabic(minisite, page):
    """Opens the spa's Arabic page with `group` changes; yields (open, route)."""
    config = (minisite / "site.toml").read_text("utf-8")
    (minisite / "site.toml").write_text(config.replace('locales = ["fr", "en"]', 'locales = ["fr", "en", "ar"]'))
    route = ClicRDVRoute(today=local_today("Europe/Paris"), accounts={"ada@example.com": "s3cret"})
    with ExitStack() as stack:
        def open_page(**group) -> None:
            set_group(minisite, **group)
            server = stack.enter_context(running(minisite))[0]
            route.install(page)
            page.goto(f"http://127.0.0.1:{server.port}/spa/ar/")

        yield open_page, route


def test_a_refused_sign_in_says_so_in_arabic_and_offers_the_phone_and_the_hosted_module(arabic, page) -> None:
    open_page, _ = arabic
    open_page(openData=False, validateEmail=True)
    page.click("[data-service='100'] button")
    page.click("[data-calendar='10'] button")
    sign_in(page, "unknown@example.com", "whatever")
    page.wait_for_selector(".form-status:not([hidden])")
    status = page.locator(".form-status")
    said = status.inner_text()
    assert AR["bad_login"] in said
    assert "wrong email or password" not in said  # the API's own English text
    call = status.locator("a[href^='tel:']")
    assert call.get_attribute("href") == "tel:0123456789"
    assert call.get_attribute("dir") == "ltr" and call.inner_text() == PHONE
    before, after = AR["call"].split("%(phone)s")
    assert f"{before}{PHONE}{after}".strip() in said
    assert status.locator("a.button").inner_text() == AR["hosted"]


@pytest.mark.parametrize("code", ["NotAvailable", "MaxRdvNumber"])
def test_a_refusal_code_at_confirm_is_said_in_arabic_not_in_the_apis_english(arabic, page, code: str) -> None:
    open_page, route = arabic
    open_page(validateEmail=False)
    to_slots(page)
    pick(page)
    fill_details(page, FICHE)
    route.refuse.append(code)
    confirm(page)
    alert = page.locator("[role=alert]:visible")  # on the slot step (NotAvailable) or beside Confirm
    alert.wait_for()
    shown = alert.inner_text()
    assert AR[f"err_{code}"] in shown
    assert code not in shown  # the route's English message is the code itself
