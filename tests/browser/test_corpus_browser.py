"""The hostile-input corpus in Debian Chromium: no injected script runs, nothing leaves
the origin, the page's CSP is never even tested by our own markup, the layout holds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.corpus_cases import Case, load_cases

PAGES = ["spa/fr/index.html", "spa/en/widget.html", "spa/embed.html", "index.html"]
PROBE = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__violations.push(e.violatedDirective + " " + e.blockedURI));
"""
# What an injected payload would have done if it ran or survived as markup.
DOM_PROBE = """() => ({
  handlers: [...document.querySelectorAll("*")].filter((el) =>
    [...el.attributes].some((a) => a.name.startsWith("on"))).length,
  inlineScripts: [...document.querySelectorAll("script:not([src])")].filter((s) =>
    s.type !== "application/ld+json" && s.type !== "application/json").length,
  styleElements: document.querySelectorAll("body style").length,
  frames: [...document.querySelectorAll("iframe, object, embed")].filter((el) =>
    !(el.getAttribute("src") || "").startsWith(location.origin)).length,
  scriptUrls: [...document.querySelectorAll("[href]:not(link[rel=icon]), [src]")].filter((el) =>
    /^\\s*(javascript|data|vbscript):/i.test(el.getAttribute("href") || el.getAttribute("src"))).length,
  overflow: document.documentElement.scrollWidth - innerWidth,
  heading: !!document.querySelector("h1") && document.querySelector("h1").getBoundingClientRect().height > 0,
})"""
# Only the external-image case may be refused by the CSP: that refusal is the defence.
EXPECTED_VIOLATIONS = {"markdown-external-image": ["img-src https://evil.test/plan.png"]}


@pytest.fixture(scope="module")
def built_cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    outputs = {}
    for case in [c for c in load_cases() if c.browser]:
        root = tmp_path_factory.mktemp(case.name)
        site = case.make_site(root)
        subprocess.run([sys.executable, "-m", "generator", "build", str(site), "-o", str(root / "out"), "-q"],
                       check=True, timeout=300)  # fmt: skip
        outputs[case.name] = root / "out"
    return outputs


@pytest.mark.parametrize("case", [c for c in load_cases() if c.browser], ids=lambda c: c.name)
def test_hostile_input_stays_inert_in_the_browser(case: Case, built_cases, serve_dir, page) -> None:
    server = serve_dir(built_cases[case.name])
    dialogs: list[str] = []
    errors: list[str] = []
    foreign: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    # A request the CSP refused never left; anything else that was tried, finished or not, did.
    leaves = lambda r: not r.url.startswith((server.url, "data:"))  # noqa: E731
    page.on("requestfinished", lambda r: foreign.append(r.url) if leaves(r) else None)
    page.on("requestfailed", lambda r: foreign.append(r.url) if leaves(r) and r.failure != "csp" else None)
    page.add_init_script(PROBE)
    violations = []
    for path in PAGES:
        page.goto(f"{server.url}/{path}")
        page.wait_for_load_state("networkidle")
        probe = page.evaluate(DOM_PROBE)
        assert probe["handlers"] == 0, f"{path}: an on* attribute survived"
        assert probe["inlineScripts"] == 0, f"{path}: an inline script element exists"
        assert probe["styleElements"] == 0, f"{path}: a style element reached the body"
        assert probe["frames"] == 0 or path.endswith("embed.html"), f"{path}: a foreign frame or object"
        assert probe["scriptUrls"] == 0, f"{path}: a javascript:/data: URL survived"
        assert probe["overflow"] <= 1, f"{path}: the layout overflows by {probe['overflow']} px"
        assert probe["heading"] or path.endswith("widget.html"), f"{path}: the main heading is not visible"
        violations += page.evaluate("window.__violations")
    assert dialogs == [], f"{case.about}: a dialog opened"
    assert foreign == [], f"{case.about}: requests left the origin"
    assert violations == EXPECTED_VIOLATIONS.get(case.name, []), f"{case.about}: {violations}"
    # A broken image (the payload's src="x") logs a 404, CSP refusals were checked exactly
    # above; any other console error or exception fails.
    unexpected = [e for e in errors if not e.startswith("Failed to load resource") and "Content Security" not in e]
    assert unexpected == [], errors
