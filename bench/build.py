"""Build benchmark: bookgen against the Jinja floor, measured in one run.

    .venv/bin/python bench/build.py [--groups 1000] [--locales 6] [--jobs 2] [--repeat 3] [--keep DIR]

Generates a synthetic site (bench/synth.py), then measures, on the same disk:

- floor: plain Jinja rendering of the same templates with contexts computed beforehand
  (not timed), written to disk by as many processes as the build uses;
- cold build: `bookgen build` into an empty folder (a fresh interpreter: start-up,
  loading and validating every file, assets, pages, manifest, atomic publish);
- no-op rebuild, and a one-group change, the first after the cold build and then in
  steady state (once the spare tree exists, see docs/scale.md);

cold builds and the floor alternate ``--repeat`` times and medians are compared;
- peak RSS of the largest process of each build.

Prints pages per second and the ratio to the floor. Not a test: CI does not run it.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from synth import make_site

from generator.load.loader import load_site
from generator.plan.pages import SitePlan
from generator.render.environment import Renderer

_PAGES: list[tuple[str, object, str, dict]] = []


def run_build(site: Path, out: Path, jobs: int, *extra: str) -> tuple[float, int, str]:
    """Seconds, peak RSS (KB) of the largest process, and the summary line of one build."""
    command = [sys.executable, "-m", "generator", "build", str(site), "-o", str(out), "-j", str(jobs), *extra]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    output = process.stdout.read() + process.stderr.read()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"build failed:\n{output}")
    return seconds, usage.ru_maxrss, output.strip().splitlines()[-1]


def _floor_slice(bounds: tuple[int, int]) -> None:
    for path, env, template, context in _PAGES[bounds[0] : bounds[1]]:
        target = FLOOR_ROOT / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(env.get_template(template).render(context), "utf-8")


FLOOR_ROOT = Path()


def floor(site_dir: Path, out: Path, jobs: int) -> tuple[float, int]:
    """Render and write every page from precomputed contexts; (seconds, pages)."""
    global FLOOR_ROOT
    site = load_site(site_dir)
    plan, renderer = SitePlan(site), Renderer()  # the plan writes nothing: contexts without side effects
    plan.shared_assets()
    _PAGES.clear()
    for source in site.groups:
        _assets, pages = plan.group(source, renderer.embed_loader)
        _PAGES.extend((p.path, renderer.environment(p.theme, p.locale), p.template, p.context) for p in pages)
    for _path, env, template, _ in _PAGES[:50]:  # compile every template before the clock starts
        env.get_template(template)
    FLOOR_ROOT = out / "floor"
    size = -(-len(_PAGES) // (jobs * 8))
    slices = [(i, min(i + size, len(_PAGES))) for i in range(0, len(_PAGES), size)]
    started = time.perf_counter()
    if jobs > 1:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            pool.map(_floor_slice, slices)
    else:
        for bounds in slices:
            _floor_slice(bounds)
    seconds = time.perf_counter() - started
    pages = len(_PAGES)
    _PAGES.clear()
    return seconds, pages


def floor_in_child(site: Path, work: Path, jobs: int) -> tuple[float, int]:
    """Run :func:`floor` in a fresh process (so this one stays small for RSS readings)."""
    code = (
        "import sys, json; sys.path.insert(0, 'bench'); from pathlib import Path; import build as b; "
        f"print(json.dumps(b.floor(Path({str(site)!r}), Path({str(work)!r}), {jobs})))"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=Path(__file__).parent.parent).stdout  # fmt: skip
    seconds, pages = json.loads(output.strip().splitlines()[-1])
    shutil.rmtree(work / "floor", ignore_errors=True)
    return seconds, pages


def edit_one_group(site: Path, suffix: str) -> None:
    path = site / "groups" / "business-00042" / "group.json"
    data = json.loads(path.read_text("utf-8"))
    data["group"]["name"] = f"Edited {suffix}"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--locales", type=int, default=6)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=3, help="alternating cold/floor runs (medians)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bookgen-bench-"))
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        site = make_site(work / "site", groups=args.groups, locales=args.locales)
        n, locales, j = args.groups, args.locales, args.jobs
        print(f"bookgen build benchmark: {n} groups x {locales} locales, {j} jobs, {os.cpu_count()} cores")
        # Cold builds and the floor alternate, and the medians are compared: the machine is
        # shared and noisy, so a single pair can be off by 30 % either way.
        out = work / "out"
        colds, floors, rss = [], [], 0
        for _ in range(args.repeat):
            shutil.rmtree(out, ignore_errors=True)
            for sibling in work.glob(".out.*"):
                shutil.rmtree(sibling, ignore_errors=True) if sibling.is_dir() else sibling.unlink()
            seconds, peak, _ = run_build(site, out, j)
            colds.append(seconds)
            rss = max(rss, peak)
            floor_seconds, floor_pages = floor_in_child(site, work, j)
            floors.append(floor_seconds)
        cold, floor_seconds = statistics.median(colds), statistics.median(floors)
        ratio = statistics.median(c / f for c, f in zip(colds, floors, strict=True))
        cold_rss = rss
        noop, noop_rss, _ = run_build(site, out, j)
        edit_one_group(site, "1")
        first_change, _, _ = run_build(site, out, j)
        changes = []
        for attempt in range(args.repeat):
            edit_one_group(site, f"{attempt + 2}")
            seconds, change_rss, line = run_build(site, out, j)
            changes.append(seconds)
        steady_change = statistics.median(changes)
        noop_again, _, _ = run_build(site, out, j)
        booking_pages = n * locales * 2
        print(f"  pages per build: {booking_pages} booking pages and widgets + {floor_pages - booking_pages} embed pages")
        print(f"  medians of {args.repeat} alternating runs; cold/floor ratios: "
              + ", ".join(f"{c / f:.2f}" for c, f in zip(colds, floors, strict=True)))
        floor_rate, cold_rate = floor_pages / floor_seconds, floor_pages / cold
        rows = [
            ("floor: Jinja render + write, contexts precomputed", floor_seconds, floor_rate, "1.00x", ""),
            ("cold build (fresh interpreter, empty OUT)", cold, cold_rate, f"{ratio:.2f}x",
             f"{cold_rss // 1024} MB"),
            ("no-op rebuild", noop, None, "", f"{noop_rss // 1024} MB"),
            ("one group changed, first after a cold build", first_change, None, "", ""),
            ("one group changed, steady state", steady_change, None, "", f"{change_rss // 1024} MB"),
            ("no-op rebuild, steady state", noop_again, None, "", ""),
        ]
        print(f"  {'measure':<48} {'seconds':>8} {'pages/s':>8} {'vs floor':>9} {'peak RSS':>9}")
        for name, seconds, rate, ratio, rss in rows:
            rate_text = f"{rate:.0f}" if rate else ""
            print(f"  {name:<48} {seconds:>8.2f} {rate_text:>8} {ratio:>9} {rss:>9}")
        print(f"  (pages/s counts all {floor_pages} pages; bookgen's summary counts booking pages: {line})")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
