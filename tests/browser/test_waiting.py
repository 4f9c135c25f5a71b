"""The browser tests' waits hold on pages whose CSP forbids eval, whatever the machine's speed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.waiting import wait_js

TESTS = Path(__file__).parent.parent
STRICT_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'self'\">"
    '<title>strict</title><script src="late.js"></script></head><body></body></html>'
)


def test_a_condition_that_turns_true_later_is_seen_on_a_page_without_eval(tmp_path, serve_dir, page) -> None:
    (tmp_path / "index.html").write_text(STRICT_PAGE, "utf-8")
    (tmp_path / "late.js").write_text("window.__late = false; setTimeout(() => { window.__late = true; }, 300);", "utf-8")
    page.goto(f"{serve_dir(tmp_path).url}/")
    assert page.evaluate("window.__late") is False  # not yet: the wait has to poll
    wait_js(page, "window.__late === true")


def test_a_condition_that_never_holds_fails_the_wait(tmp_path, serve_dir, page) -> None:
    (tmp_path / "index.html").write_text(STRICT_PAGE.replace('<script src="late.js"></script>', ""), "utf-8")
    page.goto(f"{serve_dir(tmp_path).url}/")
    with pytest.raises(AssertionError, match="still false"):
        wait_js(page, "window.__never === true", timeout=0.5)


def test_no_test_waits_with_wait_for_function() -> None:
    # It evals from the page's timers after its first check, so under bookgen's CSP it fails
    # exactly when the machine is slow (CI, stop 22). Use tests.browser.waiting instead.
    callers = [
        f"{path.relative_to(TESTS)}:{number}"
        for path in sorted(TESTS.rglob("*.py"))
        if path.name != "waiting.py"
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if re.search(r"\.wait_for_function\(", line)
    ]
    assert callers == []
