"""Rendering groups in forked worker processes, for ``bookgen build``.

Each worker loads, validates and renders a slice of the changed groups, and returns
what it wrote, its problems, the groups' stamps (taken before loading) and the digests
of the bytes it loaded. Workers ignore Ctrl-C (the parent handles it), die on SIGTERM
and with their parent, and are terminated on any way out of :func:`render_groups`.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import multiprocessing
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import Problem, SiteError, in_reading_order
from ..load.checks import check
from ..load.loader import Site, load_site
from ..plan.pages import SitePlan, directory_entry
from ..publish.manifest import group_digest, group_stamp
from ..publish.output import Output
from .environment import Renderer
from .site import render_group

__all__ = ["Job", "Rendered", "render_groups"]

Progress = Callable[[int, int], None]


@dataclass
class Rendered:
    """What rendering some groups produced (in a worker or in this process)."""

    groups: int = 0
    pages: int = 0
    files: dict[str, str] = field(default_factory=dict)
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    stamps: dict[str, str] = field(default_factory=dict)  # for the private cache, see generator.publish.cachedir
    inputs: dict[str, str] = field(default_factory=dict)
    twin_failed: bool = False
    bytecode: dict[str, str] = field(default_factory=dict)  # compiled templates written: name → sha256
    assets: dict[str, str] = field(default_factory=dict)  # the plan's registry, with themes first used here
    manifest_sha: str = ""  # set by the build once the manifest is written
    manifest_written_ns: int = 0  # and its mtime then


@dataclass(frozen=True)
class Job:
    """What every slice of groups is rendered with: the site folder and its settings
    (``site.toml`` and the site's theme, loaded and checked once by the build), the
    build's start (for stamps), the renderer, the output folder (``live``, ``twin``: see
    :class:`~generator.publish.output.Output`) and the plan's asset registry so far."""

    site_dir: Path
    settings: Site
    started_ns: int
    renderer: Renderer
    root: Path
    assets: dict[str, str]
    live: bool = False
    twin: Path | None = None


def _load_and_render(job: Job, slugs: list[str]) -> Rendered:
    """Load, validate and render the groups ``slugs``; problems are returned, not raised,
    so every slice's problems can be reported together.

    The stamps are taken before loading and the digests are of the bytes the loader
    read (``Site.loaded``), so a save that lands during the build is seen by the next.
    """
    wanted = set(slugs)
    follow = Path(os.path.realpath(job.site_dir))
    groups = job.site_dir / "groups"
    try:
        stamps = {slug: group_stamp(groups / slug, job.started_ns, follow=follow) for slug in slugs}
        site = load_site(job.site_dir, only=wanted.__contains__, settings=job.settings)
        inputs = {slug: group_digest(groups / slug, follow=follow, loaded=site.loaded) for slug in slugs}
    except SiteError as error:
        return Rendered(groups=len(slugs), problems=error.problems)
    plan = SitePlan(site, job.assets)
    output = Output(job.root, live=job.live, twin=job.twin)
    pages = sum(render_group(plan, job.renderer, output, source) for source in site.groups)
    entries = {source.slug: directory_entry(site, source) for source in site.groups}
    return Rendered(len(slugs), pages, output.files, entries, check(site), [], stamps, inputs,
                    output.twin_failed, dict(job.renderer.templates.written), plan.assets)  # fmt: skip


class _ThisWorker:
    """The job of a forked worker process. Set by the pool's initializer in the child
    only (the job is inherited through the fork, never pickled); the building process
    never sets it."""

    job: Job | None = None


def _worker_slice(slugs: list[str]) -> Rendered:
    assert _ThisWorker.job is not None
    return _load_and_render(_ThisWorker.job, slugs)


def _worker_start(job: Job) -> None:
    _ThisWorker.job = job
    _worker_init()


def _worker_init() -> None:
    """In each forked worker: Ctrl-C is the parent's to handle (no worker tracebacks), a
    SIGTERM ends the worker at once, and so does the death of the parent (even by SIGKILL),
    so no worker keeps rendering, or holding the output's lock, for a build that is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError, TypeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before prctl
        os._exit(1)


_PR_SET_PDEATHSIG = 1


def render_groups(job: Job, slugs: list[str], jobs: int, progress: Progress | None) -> Rendered:
    """Load and render the groups ``slugs`` with ``jobs`` forked processes (one Jinja
    environment per worker and locale), or in this process for small builds. Raises
    :class:`SiteError` with every group's problems. The workers are terminated on any
    way out (an error, Ctrl-C, SIGTERM), never left running."""
    total = len(slugs)
    size = max(1, min(50, total // (jobs * 8)))
    slices = [slugs[i : i + size] for i in range(0, total, size)]
    parallel = jobs > 1 and total >= 2 * jobs and "fork" in multiprocessing.get_all_start_methods()
    done = Rendered(assets=dict(job.assets))
    pool = None
    try:
        if parallel:
            pool = multiprocessing.get_context("fork").Pool(jobs, initializer=_worker_start, initargs=(job,))
        results = pool.imap_unordered(_worker_slice, slices) if pool else map(functools.partial(_load_and_render, job), slices)
        for part in results:
            _add(done, part)
            if progress:
                progress(done.groups, total)
        if pool:
            pool.close()
            pool.join()
    finally:
        if pool:
            pool.terminate()
            pool.join()
    done.warnings.sort()
    if done.problems:
        raise SiteError(in_reading_order(done.problems))
    return done


def _add(done: Rendered, part: Rendered) -> None:
    done.groups += part.groups
    done.pages += part.pages
    done.files.update(part.files)
    done.entries.update(part.entries)
    done.warnings += [w for w in part.warnings if w not in done.warnings]
    done.problems += part.problems
    done.stamps.update(part.stamps)
    done.inputs.update(part.inputs)
    done.twin_failed |= part.twin_failed
    done.bytecode.update(part.bytecode)
    for key, path in part.assets.items():  # stylesheets of themes first used in a worker
        done.assets.setdefault(key, path)
