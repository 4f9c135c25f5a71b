"""Save → new content painted, in a real Chromium, over the demo site, for three kinds of edit.

    .venv/bin/python bench/reload.py [--edits 20] [--site site] [--group eden-spa]

Starts the preview server on a copy of the site, in which the group uses a project theme
``bench`` (extends classic: a stylesheet and the contact partial), opens the group's page in
Debian Chromium, and for each kind of edit saves it ``--edits`` times, measuring until the
first animation frame that shows it (that frame is painted next; the page notes the time
itself, see WATCH_FRAMES):

- ``rename``: the group's name in group.json (the page reloads; the new name in the h1);
- ``template``: a line of the theme's ``templates/partials/contact.html`` (the page reloads);
- ``css``: a colour in the theme's ``static/theme.css``: the h1's computed colour changes and
  the page is NOT reloaded (a JS marker set before the save must survive, else it fails).

Beside each, in the same run, the bare rebuild of the same edit (``Preview.rebuild``: no
watcher, no server, no browser). Targets (issue 20): save → painted median ≤ bare rebuild +
120 ms and p95 ≤ bare rebuild + 250 ms; ratios to the bare rebuild are printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT))
from generator.preview.rebuild import Preview  # noqa: E402
from generator.preview.serve import preview_server  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

MEDIAN_SLACK_MS, P95_SLACK_MS = 120, 250
READY = (
    "!!(window.LiveReload && window.LiveReload.hasPlugin('bookgen-preview') && window.LiveReload.connector"
    " && window.LiveReload.connector.protocol)"
)
# Injected into every document of the tab (CDP init scripts are not subject to the pages' CSP):
# each animation frame it checks the expected change named in sessionStorage and records the
# wall-clock time of the first frame that shows it (that frame paints next). Python then polls
# every 20 ms instead of every 2 ms over CDP, which on 2 cores slowed what it measured.
WATCH_FRAMES = """
(() => {
  const shows = {
    text: (t) => (document.querySelector(t.selector)?.textContent || "").includes(t.expected),
    color: (t) => { const e = document.querySelector(t.selector); return !!e && getComputedStyle(e).color === t.expected; },
  };
  const tick = () => {
    let target = null;
    try { target = JSON.parse(sessionStorage.getItem("bench-target")); } catch {}
    if (target && window.benchPainted === undefined && shows[target.how](target)) {
      window.benchPainted = performance.timeOrigin + performance.now();
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();
"""


class Kind:
    """One kind of edit: what to save for edit ``i`` and what the painted page shows then."""

    def __init__(self, name: str, path: Path, save: Callable[[int], None], shown: Callable[[int], str],
                 how: str, selector: str, reloads: bool) -> None:  # fmt: skip
        self.name, self.path, self.save, self.shown, self.reloads = name, path, save, shown, reloads
        self.how, self.selector = how, selector  # what WATCH_FRAMES checks: "text" or "color" of selector


def prepare(site: Path, slug: str) -> list[Kind]:
    """Give ``slug`` the project theme ``bench`` and return the three kinds of edit."""
    theme = site / "themes" / "bench"
    (theme / "static").mkdir(parents=True)
    (theme / "templates" / "partials").mkdir(parents=True)
    (theme / "theme.toml").write_text('name = "bench"\nextends = "classic"\n', "utf-8")
    css = theme / "static" / "theme.css"
    css.write_text("h1{color:rgb(0, 0, 0)}\n", "utf-8")
    partial = theme / "templates" / "partials" / "contact.html"
    contact = (ROOT / "templates" / "partials" / "contact.html").read_text("utf-8")

    def write_partial(i: int) -> None:
        partial.write_text(contact.replace("</address>", f'<span class="bench-edit">edit {i}</span></address>'), "utf-8")

    write_partial(-1)
    page_toml = site / "groups" / slug / "page.toml"
    page_toml.write_text('theme = "bench"\n' + page_toml.read_text("utf-8"), "utf-8")
    group = site / "groups" / slug / "group.json"

    def rename(i: int) -> None:
        data = json.loads(group.read_text("utf-8"))
        data["group"]["name"] = f"Edit number {i}"
        group.write_text(json.dumps(data, ensure_ascii=False), "utf-8")

    def colour(i: int) -> str:
        return f"rgb({i % 200 + 1}, {i // 200 + 10}, 77)"

    return [
        Kind("rename", group, rename, lambda i: f"Edit number {i}", "text", "h1", reloads=True),
        Kind("template", partial, write_partial, lambda i: f"edit {i}", "text", ".bench-edit", reloads=True),
        Kind("css", css, lambda i: css.write_text(f"h1{{color:{colour(i)}}}\n", "utf-8"), colour,
             "color", "h1", reloads=False),
    ]  # fmt: skip


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def baseline(site: Path, kinds: list[Kind], edits: int) -> dict[str, list[float]]:
    """The bare rebuild of each edit, in the same run."""
    times: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as out:
        preview = Preview(site, Path(out))
        preview.build_all()
        for kind in kinds:
            times[kind.name] = []
            for i in range(edits):
                kind.save(10_000 + i)
                started = time.perf_counter()
                if preview.rebuild({kind.path}) is None:
                    raise RuntimeError(f"{kind.name}: the bare rebuild failed: {preview.problems}")
                times[kind.name].append((time.perf_counter() - started) * 1000)
    return times


def wait(page: Page, expression: str, what: str, timeout: float = 10.0) -> object:
    deadline = time.perf_counter() + timeout
    while True:
        try:
            value = page.evaluate(expression)
            if value:
                return value
        except PlaywrightError:
            pass  # the page is navigating
        if time.perf_counter() > deadline:
            raise RuntimeError(f"never happened: {what}")
        time.sleep(0.02)


def measure(site: Path, slug: str, kinds: list[Kind], edits: int) -> dict[str, list[float]]:
    server = preview_server(site, port=0, log=lambda line: None)
    server.first_build()
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    times: dict[str, list[float]] = {kind.name: [] for kind in kinds}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.add_init_script(WATCH_FRAMES)
            page.goto(f"http://127.0.0.1:{server.port}/{slug}/fr/")
            for i in range(edits):
                for kind in kinds:  # alternating, so the kinds share the machine's moods
                    wait(page, READY, "the preview client connected")
                    time.sleep(0.05)  # the previous edit's rebuild is over and told
                    target = {"how": kind.how, "selector": kind.selector, "expected": kind.shown(i)}
                    page.evaluate(f"window.benchMarker = {i}; window.benchPainted = undefined;"
                                  f"sessionStorage.setItem('bench-target', {json.dumps(json.dumps(target))})")  # fmt: skip
                    saved = time.time() * 1000
                    kind.save(i)
                    painted = wait(page, "window.benchPainted", f"{kind.name} {i}")
                    times[kind.name].append(float(painted) - saved)  # type: ignore[arg-type]
                    if not kind.reloads and page.evaluate("window.benchMarker") != i:
                        raise RuntimeError(f"{kind.name} {i}: the page was reloaded, not repainted in place")
            browser.close()
    finally:
        server.stop()
        thread.join(5)
        server.close()
    return times


def report(kinds: list[Kind], base: dict[str, list[float]], live: dict[str, list[float]]) -> bool:
    """Print the table; whether every kind is within its targets."""
    print(f"{'':10}{'bare rebuild':>14}{'save → painted':>24}{'painted − bare':>22}{'ratio':>8}  targets")
    print(f"{'':10}{'median':>14}{'median':>12}{'p95':>12}{'median':>11}{'p95':>11}{'median':>8}  "
          f"+{MEDIAN_SLACK_MS} / +{P95_SLACK_MS} ms")  # fmt: skip
    ok = True
    for kind in kinds:
        bare = statistics.median(base[kind.name])
        median, p95 = statistics.median(live[kind.name]), percentile(live[kind.name], 0.95)
        within = median - bare <= MEDIAN_SLACK_MS and p95 - bare <= P95_SLACK_MS
        ok &= within
        print(f"{kind.name:10}{bare:>12.0f}ms{median:>10.0f}ms{p95:>10.0f}ms{median - bare:>+9.0f}ms"
              f"{p95 - bare:>+9.0f}ms{median / bare:>7.1f}x  {'within' if within else 'OVER'}")  # fmt: skip
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--site", type=Path, default=ROOT / "site")
    parser.add_argument("--group", default="eden-spa")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        shutil.copytree(args.site, site)
        kinds = prepare(site, args.group)
        base = baseline(site, kinds, args.edits)
        live = measure(site, args.group, kinds, args.edits)
    print(f"edits: {args.edits} of each kind on {args.group} (demo site, {os.cpu_count()} cores)")
    ok = report(kinds, base, live)
    print("all kinds within the targets" if ok else "some kind is OVER its target")


if __name__ == "__main__":
    main()
