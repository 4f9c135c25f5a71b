"""Build benchmark: bookgen against its floors and baselines, measured in one run.

    .venv/bin/python bench/build.py [--groups 1000] [--locales 6] [--jobs 2] [--repeat 3] [--no-double] [--keep DIR]

Generates a synthetic site (bench/synth.py), then measures, on the same disk:

- Jinja floor: plain Jinja rendering of the same templates with contexts computed
  beforehand (not timed), written to disk by as many processes as the build uses;
- trivial floor: the same pages (paths, number, average size) written from a trivial
  template by as many processes (bench/baselines.py): writing with no rendering. Twice:
  as a program (a fresh interpreter that imports Jinja, forks and writes, timed from
  outside as the cold build is) and as the write loop alone, timed inside its process;
- cold build: `bookgen build` into an empty folder (a fresh interpreter: start-up,
  loading and validating every file, assets, pages, manifest, atomic publish);
  cold builds and the floors alternate ``--repeat`` times, and the medians of the
  per-run ratios are reported;
- stat baseline: a fresh interpreter that imports bookgen's build and stats every input
  file; no-op rebuilds alternate with it ``--repeat`` times (budget: no-op <= 1.5x);
- one group changed (steady state, the spare tree in place), against the no-op plus twice
  the time to render that group alone (load, plan, render, write; in a fresh process
  after its imports, with the build's compiled templates; budget: <=). The same render
  in a warm process is shown beside it;
- the same rebuild measures on a site with twice the groups (twice the output), to show
  they stay flat (skip with --no-double);
- peak RSS of the largest process of each build.

Every process runs with Python's bytecode cache on (``PYTHONDONTWRITEBYTECODE`` is
dropped), as installed packages do, and every measure starts after ``sync``: the writeback
of what the measure before it wrote (100 MB a round) does not compete with it for the disk.

Not a test: CI does not run it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from baselines import (
    CHILD_ENV,
    in_slices,
    render_alone,
    stat_baseline,
    trivial_floor_in_child,
    trivial_program,
)
from synth import make_site

from generator.load.loader import load_site
from generator.plan.pages import SitePlan
from generator.render.environment import Renderer

_PAGES: list[tuple[str, object, str, dict]] = []


def run_build(site: Path, out: Path, jobs: int, *extra: str) -> tuple[float, int, str]:
    """Seconds, peak RSS (KB) of the largest process, and the summary line of one build."""
    command = [sys.executable, "-m", "generator", "build", str(site), "-o", str(out), "-j", str(jobs), *extra]
    os.sync()  # what earlier measures wrote is on disk: its writeback does not run during this one
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=CHILD_ENV)
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
    os.sync()
    seconds = in_slices(_floor_slice, len(_PAGES), jobs)
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
                            cwd=Path(__file__).parent.parent, env=CHILD_ENV).stdout  # fmt: skip
    seconds, pages = json.loads(output.strip().splitlines()[-1])
    shutil.rmtree(work / "floor", ignore_errors=True)
    return seconds, pages


def edited_slug(site: Path) -> str:
    """The group the rebuilds edit: business-00042, or the last one of a smaller site."""
    groups = len(list((site / "groups").iterdir()))
    return f"business-{min(42, groups - 1):05d}"


def edit_one_group(site: Path, suffix: str) -> None:
    path = site / "groups" / edited_slug(site) / "group.json"
    data = json.loads(path.read_text("utf-8"))
    data["group"]["name"] = f"Edited {suffix}"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")


def rebuild_costs(site: Path, out: Path, jobs: int, repeat: int) -> dict[str, float]:
    """Medians of the stat baseline, the no-op, one group changed (steady state) and that
    group rendered alone, on a site already built into ``out``."""
    edit_one_group(site, "warm-up")
    run_build(site, out, jobs)  # leaves a spare tree: the next changes are the steady state
    baselines, noops, changes = [], [], []
    for attempt in range(repeat):
        baselines.append(stat_baseline(site)[0])
        noops.append(run_build(site, out, jobs)[0])
        edit_one_group(site, str(attempt))
        changes.append(run_build(site, out, jobs)[0])
    alone, warm = render_alone(site, edited_slug(site), out)
    return {"baseline": statistics.median(baselines), "noop": statistics.median(noops),
            "change": statistics.median(changes), "alone": alone, "warm": warm}  # fmt: skip


def clear(work: Path, out: Path) -> None:
    shutil.rmtree(out, ignore_errors=True)
    for sibling in work.glob(f".{out.name}.*"):
        shutil.rmtree(sibling, ignore_errors=True) if sibling.is_dir() else sibling.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--locales", type=int, default=6)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=3, help="alternating runs (medians)")
    parser.add_argument("--no-double", action="store_true", help="skip the rebuilds at twice the groups")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bookgen-bench-"))
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        site = make_site(work / "site", groups=args.groups, locales=args.locales)
        n, locales, j = args.groups, args.locales, args.jobs
        print(f"bookgen build benchmark: {n} groups x {locales} locales, {j} jobs, {os.cpu_count()} cores")
        # Cold builds and the floors alternate, and the medians are compared: the machine is
        # shared and noisy, so a single pair can be off by 30 % either way.
        out = work / "out"
        colds, floors, trivials, programs, rss = [], [], [], [], 0
        for _ in range(args.repeat):
            clear(work, out)
            seconds, peak, _ = run_build(site, out, j)
            colds.append(seconds)
            rss = max(rss, peak)
            floor_seconds, floor_pages = floor_in_child(site, work, j)
            floors.append(floor_seconds)
            trivial, trivial_pages, average = trivial_floor_in_child(out, work / "trivial", j)
            shutil.rmtree(work / "trivial", ignore_errors=True)
            trivials.append(trivial)
            programs.append(trivial_program(out, work / "trivial", j))
            shutil.rmtree(work / "trivial", ignore_errors=True)
        cold, floor_seconds, trivial, program = (statistics.median(x) for x in (colds, floors, trivials, programs))
        ratio = statistics.median(c / f for c, f in zip(colds, floors, strict=True))
        trivial_ratio = statistics.median(c / t for c, t in zip(colds, trivials, strict=True))
        program_ratio = statistics.median(c / t for c, t in zip(colds, programs, strict=True))
        costs = rebuild_costs(site, out, j, args.repeat)
        doubled, rss2 = None, 0
        if not args.no_double:
            site2 = make_site(work / "site2", groups=2 * n, locales=locales)
            out2 = work / "out2"
            _, rss2, _ = run_build(site2, out2, j)
            doubled = rebuild_costs(site2, out2, j, args.repeat)
        booking_pages = n * locales * 2
        print(f"  pages per build: {booking_pages} booking pages and widgets + {floor_pages - booking_pages} embed pages"
              f" ({trivial_pages} pages of {average} bytes on average)")
        print(f"  medians of {args.repeat} alternating runs; cold/Jinja floor: "
              + ", ".join(f"{c / f:.2f}" for c, f in zip(colds, floors, strict=True))
              + "; cold/trivial program: " + ", ".join(f"{c / t:.2f}" for c, t in zip(colds, programs, strict=True))
              + "; cold/trivial loop: " + ", ".join(f"{c / t:.2f}" for c, t in zip(colds, trivials, strict=True)))
        floor_rate, cold_rate = floor_pages / floor_seconds, floor_pages / cold
        rows = [
            ("trivial floor as a program (start, fork, write)", program, trivial_pages / program, "", ""),
            ("trivial floor, write loop alone", trivial, trivial_pages / trivial, "", ""),
            ("Jinja floor: Jinja render + write, contexts ready", floor_seconds, floor_rate, "", ""),
            ("cold build (fresh interpreter, empty OUT)", cold, cold_rate,
             f"{program_ratio:.2f}x program, {trivial_ratio:.2f}x loop, {ratio:.2f}x Jinja",
             f"{cold_rss_mb(rss)} MB"),
        ]
        for label, costs_at in (("", costs), (" (2N)", doubled)):
            if costs_at is None:
                continue
            budget = costs_at["noop"] + 2 * costs_at["alone"]
            rows += [
                (f"stat baseline: start, import, stat inputs{label}", costs_at["baseline"], None, "", ""),
                (f"no-op rebuild{label}", costs_at["noop"], None,
                 f"{costs_at['noop'] / costs_at['baseline']:.2f}x baseline (<= 1.5)", ""),
                (f"one group rendered alone, fresh process{label}", costs_at["alone"], None,
                 f"(warm: {costs_at['warm']:.3f} s)", ""),
                (f"one group changed, steady state{label}", costs_at["change"], None,
                 f"{costs_at['change'] / budget:.2f}x (no-op + 2x alone: {budget:.2f} s)", ""),
            ]
        print(f"  {'measure':<48} {'seconds':>8} {'pages/s':>8}  {'ratio':<42} {'peak RSS':>9}")
        for name, seconds, rate, ratio_text, rss_text in rows:
            rate_text = f"{rate:.0f}" if rate else ""
            print(f"  {name:<48} {seconds:>8.3f} {rate_text:>8}  {ratio_text:<42} {rss_text:>9}")
        if rss2:
            print(f"  peak RSS of a cold build: {cold_rss_mb(rss)} MB at {n} groups, {cold_rss_mb(rss2)} MB at {2 * n}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def cold_rss_mb(kilobytes: int) -> int:
    return kilobytes // 1024


if __name__ == "__main__":
    main()
