"""Prefill, deep links and in-app Back (issue 18 §5; ux-review D13, D14, D16; bug-hunt #13)."""

from __future__ import annotations

from datetime import timedelta

from tests.browser import test_runtime as runtime
from tests.browser.test_runtime import EN

api = runtime.api  # the same fixtures as test_runtime.py
spa = runtime.spa


def test_prefilled_service_and_calendar_open_on_the_slot_step(spa, page, api) -> None:
    spa("spa/en/#service=100&calendar=10")
    page.wait_for_selector(".slot")
    assert "step=slot" in page.url


def test_a_prefilled_service_alone_skips_to_the_calendar_step(spa, page, api) -> None:
    spa("spa/en/#service=100")
    page.wait_for_selector("[data-step=calendar]:not([hidden])")
    assert page.locator("[data-step=service]").is_hidden()


def test_no_prefill_opens_on_the_first_step(spa, page, api) -> None:
    spa("spa/en/")
    page.wait_for_selector("[data-step=service]:not([hidden])")
    assert "step=" not in page.url


def test_query_prefill_moves_into_the_fragment_and_keeps_a_literal_plus(spa, page, api) -> None:
    spa("spa/en/?utm_source=x&firstname=Ana&phone=+33612345678&email=ana+test@example.com#service=100&calendar=10")
    page.wait_for_selector(".slot")
    assert "phone" not in page.url.split("#")[0] and "email" not in page.url.split("#")[0]
    assert "?utm_source=x#" in page.url  # other query keys stay
    page.locator(".slot").first.click()
    page.wait_for_selector("input[name=firstname]")
    assert page.input_value("input[name=phone]") == "+33612345678"
    assert page.input_value("input[name=email]") == "ana+test@example.com"
    assert page.input_value("input[name=firstname]") == "Ana"


def test_a_literal_plus_in_the_fragment_is_kept_too(spa, page, api) -> None:
    spa("spa/en/#service=100&calendar=10&phone=+33612345678&email=a+b@example.com")
    page.wait_for_selector(".slot")
    page.locator(".slot").first.click()
    assert page.input_value("input[name=phone]") == "+33612345678"
    assert page.input_value("input[name=email]") == "a+b@example.com"


def test_in_app_back_on_a_deep_link_opens_the_previous_step_not_another_site(spa, page, api) -> None:
    spa("spa/en/#service=100&calendar=10&step=slot")
    page.wait_for_selector(".slot")
    page.click(".flow-app .back")
    page.wait_for_selector("[data-step=calendar]:not([hidden])")
    assert "/spa/en/" in page.url and "step=calendar" in page.url


def test_in_app_back_walks_our_own_history(spa, page, api) -> None:
    spa()
    page.click("[data-service='100'] button")
    page.click("[data-calendar='10'] button")
    page.wait_for_selector(".slot")
    page.locator(".slot").first.click()
    page.wait_for_selector("input[name=firstname]")
    page.click(".flow-app .back")
    page.wait_for_selector(".slot")
    page.click(".flow-app .back")
    page.wait_for_selector("[data-step=calendar]:not([hidden])")


def test_no_free_time_gives_the_number_to_call(spa, page, api) -> None:
    api.first_free = api.today + timedelta(days=400)
    spa("spa/en/#service=100&calendar=10")
    page.wait_for_selector(".slots .empty")
    assert EN["none_soon"] in page.locator(".slots .empty").inner_text()
    assert page.locator(".slots .empty a").get_attribute("href") == "tel:0123456789"
