"""Waiting in browser tests without fixed sleeps and without ``wait_for_function``.

Playwright's ``wait_for_function`` checks its predicate once inside the CDP call (where the
page's Content-Security-Policy does not apply) and then again from the page's own timers
through ``eval``, which every bookgen page and the tests' host pages forbid (no
'unsafe-eval'). Such a wait passes when the condition already holds at the first check and
fails with an EvalError when it does not, so it passes or fails with the machine's speed.
These helpers poll from Python instead: each check is one ``evaluate`` (a CDP call).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Frame, Page


def wait(condition: Callable[[], object], timeout: float = 30.0, what: str = "condition") -> None:
    """Call ``condition()`` every 20 ms until it is truthy; AssertionError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout}s: {what}")
        time.sleep(0.02)


def wait_js(target: Page | Frame, expression: str, timeout: float = 30.0) -> None:
    """Poll the JS ``expression`` in ``target`` until it is truthy (a reload in between is retried)."""

    def holds() -> bool:
        try:
            return bool(target.evaluate(expression))
        except PlaywrightError:  # the page is navigating under us: try again
            return False

    wait(holds, timeout, expression)
