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
import multiprocessing
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import build as _build
from .errors import Problem, SiteError
from .loader import load_site
from .manifest import group_digest, group_stamp
from .render import BYTECODE

if TYPE_CHECKING:
    from .build import Builder

__all__ = ["Rendered", "render_groups"]

Progress = Callable[[int, int], None]

_worker: tuple[Builder, Path, int] | None = None


@dataclass
class Rendered:
    """What rendering some groups produced (in a worker or in this process)."""

    groups: int = 0
    pages: int = 0
    files: dict[str, str] = field(default_factory=dict)
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    stamps: dict[str, str] = field(default_factory=dict)  # for the private cache, see generator.cachedir
    inputs: dict[str, str] = field(default_factory=dict)
    twin_failed: bool = False
    bytecode: dict[str, str] = field(default_factory=dict)  # compiled templates written: name → sha256
    manifest_sha: str = ""  # set by the build once the manifest is written


def _load_and_render(builder: Builder, site_dir: Path, slugs: list[str], started_ns: int) -> Rendered:
    """Load, validate and render the groups ``slugs``; problems are returned, not raised,
    so every slice's problems can be reported together.

    The stamps are taken before loading and the digests are of the bytes the loader
    read (``Site.loaded``), so a save that lands during the build is seen by the next.
    """
    wanted = set(slugs)
    follow = Path(os.path.realpath(site_dir))
    groups = site_dir / "groups"
    try:
        stamps = {slug: group_stamp(groups / slug, started_ns, follow=follow) for slug in slugs}
        site = load_site(site_dir, only=wanted.__contains__)
        inputs = {slug: group_digest(groups / slug, follow=follow, loaded=site.loaded) for slug in slugs}
    except SiteError as error:
        return Rendered(groups=len(slugs), problems=error.problems)
    builder.site = site
    builder.files = {}
    pages = sum(builder.render_group(source) for source in site.groups)
    entries = {source.slug: _build.directory_entry(site, source) for source in site.groups}
    return Rendered(len(slugs), pages, builder.files, entries, _build.check(site), [], stamps, inputs,
                     builder.twin_failed, dict(BYTECODE.written))  # fmt: skip


def _worker_slice(slugs: list[str]) -> Rendered:
    assert _worker is not None
    return _load_and_render(*_worker[:2], slugs, _worker[2])


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


def render_groups(
    builder: Builder, site_dir: Path, slugs: list[str], jobs: int, progress: Progress | None, started_ns: int
) -> Rendered:
    """Load and render the groups ``slugs`` with ``jobs`` forked processes (one Jinja
    environment per worker and locale), or in this process for small builds. Raises
    :class:`SiteError` with every group's problems. The workers are terminated on any
    way out (an error, Ctrl-C, SIGTERM), never left running."""
    global _worker
    total = len(slugs)
    size = max(1, min(50, total // (jobs * 8)))
    slices = [slugs[i : i + size] for i in range(0, total, size)]
    parallel = jobs > 1 and total >= 2 * jobs and "fork" in multiprocessing.get_all_start_methods()
    done = Rendered()
    shared_files = dict(builder.files)
    _worker = (builder, site_dir, started_ns)
    pool = None
    try:
        pool = multiprocessing.get_context("fork").Pool(jobs, initializer=_worker_init) if parallel else None
        results = pool.imap_unordered(_worker_slice, slices) if pool else map(_worker_slice, slices)
        for part in results:
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
            if progress:
                progress(done.groups, total)
        if pool:
            pool.close()
            pool.join()
    finally:
        _worker = None
        if pool:
            pool.terminate()
            pool.join()
    builder.files = {**shared_files, **done.files}
    builder.twin_failed |= done.twin_failed
    for path in done.files:  # stylesheets of themes first used in a worker
        if path.startswith("assets/") and path.endswith(".css"):
            builder.assets.setdefault(f"css:{path.split('/')[1].split('.')[0]}", path)
    done.warnings.sort()
    if done.problems:
        raise SiteError(sorted(set(done.problems), key=lambda p: (p.file, p.path, p.message)))
    return done

