"""Baselines bench/build.py compares bookgen with, each measured in the same run.

- :func:`trivial_floor`: write the pages a build wrote (same paths, so the same folders;
  the same number; each of the build's average page size) from a trivial Jinja template
  (one substitution), by ``jobs`` forked processes on the same disk: what writing the
  output costs when rendering costs nothing, timed inside the process. Seconds.
- :func:`trivial_program`: the same floor as a program, timed from outside like a build
  (interpreter start-up, importing Jinja, forking, writing). Seconds.
- :func:`stat_baseline`: a fresh interpreter that imports what ``bookgen build`` imports
  and ``stat``s every input file (the project, bookgen's code, templates, themes and
  catalogs): the least a no-op rebuild can do. Seconds, wall clock, from outside.
- :func:`render_alone`: load, plan, render and write one group into an empty folder, the
  imports done: the first time in a fresh process (with the build's compiled templates,
  as a build has them: what rendering that group alone costs a build), and warm. Seconds.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
"""Child processes run with the bytecode cache on, as installed packages do."""

_JOB: tuple[Path, list[str], str] = (Path(), [], "")


def _write_slice(bounds: tuple[int, int]) -> None:
    import jinja2

    root, paths, body = _JOB
    template = jinja2.Template("{{ body }}")
    made: set[Path] = set()
    for path in paths[bounds[0] : bounds[1]]:
        target = root / path
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        target.write_text(template.render(body=body), "utf-8")


def trivial_floor(out: Path, dest: Path, jobs: int) -> tuple[float, int, int]:
    """Write the HTML pages of the build in ``out`` again into ``dest`` from a trivial
    template; (seconds, pages, average bytes)."""
    global _JOB
    files = json.loads((out / "manifest.json").read_text("utf-8"))["files"]
    paths = sorted(p for p in files if p.endswith(".html") and "/" in p)  # the groups' pages
    average = sum(os.path.getsize(out / p) for p in paths) // max(1, len(paths))
    _JOB = (dest, paths, "x" * average)
    os.sync()
    return in_slices(_write_slice, len(paths), jobs), len(paths), average


def in_slices(work: Callable[[tuple[int, int]], None], count: int, jobs: int) -> float:
    """Seconds to run ``work`` over ``count`` items in slices (8 per job) on ``jobs``
    forked processes, which inherit what ``work`` reads."""
    size = max(1, -(-count // (jobs * 8)))
    slices = [(i, min(i + size, count)) for i in range(0, count, size)]
    started = time.perf_counter()
    if jobs > 1:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            pool.map(work, slices)
    else:
        for bounds in slices:
            work(bounds)
    return time.perf_counter() - started


STAT_EVERY_INPUT = """
import os, sys
import generator.build, generator.cli  # what `bookgen build` imports
from generator.publish.manifest import LOCALES_DIR
from generator.themes import TEMPLATES_DIR, THEMES_DIR
count = 0
for root in (sys.argv[1], os.path.dirname(generator.build.__file__), TEMPLATES_DIR, THEMES_DIR, LOCALES_DIR):
    for folder, _dirs, names in os.walk(root):
        for name in names:
            os.stat(os.path.join(folder, name))
            count += 1
print(count)
"""


def stat_baseline(site: Path) -> tuple[float, int]:
    """(seconds, files stat'ed) of a fresh interpreter that imports bookgen's build and
    stats every input file once."""
    os.sync()
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", STAT_EVERY_INPUT, str(site)], capture_output=True, text=True,
                          check=True, cwd=REPO, env=CHILD_ENV)  # fmt: skip
    return time.perf_counter() - started, int(done.stdout.strip())


RENDER_ONE = """
import json, sys, tempfile, time
started = time.perf_counter()
from pathlib import Path
from generator.load.loader import load_site
from generator.plan.pages import SitePlan
from generator.publish.cachedir import read_state
from generator.publish.output import Output
from generator.render.environment import Renderer
from generator.render.site import render_group
site_dir, slug, cache = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
imported = time.perf_counter() - started
renderer = Renderer(cache, read_state(cache).bytecode)  # the build's compiled templates
def once():
    started = time.perf_counter()
    site = load_site(site_dir, only={slug}.__contains__)
    plan = SitePlan(site)
    plan.shared_assets()
    with tempfile.TemporaryDirectory() as folder:
        render_group(plan, renderer, Output(Path(folder)), site.groups[0])
        return time.perf_counter() - started
first = once()
print(json.dumps([first, min(once() for _ in range(3)), imported]))
"""


def render_alone(site: Path, slug: str, out: Path) -> tuple[float, float]:
    """Seconds to load, plan, render and write the group ``slug`` alone, after the imports:
    (first time in a fresh process, with the compiled templates of the build into ``out``
    as a build has them; warm, best of 3)."""
    cache = out.parent / f".{out.name}.cache"
    os.sync()
    done = subprocess.run([sys.executable, "-c", RENDER_ONE, str(site), slug, str(cache)], capture_output=True,
                          text=True, check=True, cwd=REPO, env=CHILD_ENV)  # fmt: skip
    first, warm, _imports = json.loads(done.stdout.strip().splitlines()[-1])
    return float(first), float(warm)


TRIVIAL_PROGRAM = """
import json, multiprocessing, sys
import jinja2
from pathlib import Path
sys.path.insert(0, 'bench')
import baselines as b
job = json.loads(Path(sys.argv[1]).read_text('utf-8'))
b._JOB = (Path(job['dest']), job['paths'], 'x' * job['average'])
b.in_slices(b._write_slice, len(job['paths']), job['jobs'])
"""


def trivial_program(out: Path, dest: Path, jobs: int) -> float:
    """Seconds, wall clock from outside, of the trivial floor as a program: a fresh
    interpreter that imports Jinja, forks ``jobs`` processes and writes the pages of the
    build in ``out`` again into ``dest`` (same paths, number and average size) from a
    trivial template. Timed as ``bookgen build`` is, start-up included."""
    files = json.loads((out / "manifest.json").read_text("utf-8"))["files"]
    paths = sorted(p for p in files if p.endswith(".html") and "/" in p)
    average = sum(os.path.getsize(out / p) for p in paths) // max(1, len(paths))
    spec = dest.parent / f"{dest.name}.json"
    spec.write_text(json.dumps({"dest": str(dest), "paths": paths, "average": average, "jobs": jobs}), "utf-8")
    os.sync()
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", TRIVIAL_PROGRAM, str(spec)], check=True, cwd=REPO, env=CHILD_ENV)
    seconds = time.perf_counter() - started
    spec.unlink()
    return seconds


def trivial_floor_in_child(out: Path, dest: Path, jobs: int) -> tuple[float, int, int]:
    """:func:`trivial_floor` in a fresh process (this one stays small for RSS readings)."""
    code = ("import sys, json; sys.path.insert(0, 'bench'); from pathlib import Path; import baselines as b; "
            f"print(json.dumps(b.trivial_floor(Path({str(out)!r}), Path({str(dest)!r}), {jobs})))")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO, env=CHILD_ENV)
    seconds, pages, average = json.loads(done.stdout.strip().splitlines()[-1])
    return float(seconds), int(pages), int(average)
