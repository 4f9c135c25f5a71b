"""``bookgen build``: load → check → plan → render → publish.

The spine of every build. The phases live in their own packages: :mod:`generator.load`
(files → a validated :class:`~generator.load.loader.Site`), :mod:`generator.plan`
(assets and pages as values, every path and URL), :mod:`generator.render` (a
:class:`~generator.render.environment.Renderer`, forked workers), and
:mod:`generator.publish` (the one writer, the manifest, incremental carry-over, the
atomic swap). Nothing is written to OUT before everything has validated and rendered.
"""

from __future__ import annotations

import errno
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import Problem, SiteError
from .load.loader import Site, group_folders, load_site
from .plan.pages import SitePlan
from .plan.shards import in_shard
from .publish.atomic import PARTIAL, locked, spare_dir, staging_dir, swap_into_place
from .publish.cachedir import BuildState, private_folder, read_state, write_state
from .publish.incremental import (
    OutEdited,
    Previous,
    carried_paths,
    carry_files,
    changed_inputs,
    claim_spare,
    finish_twin,
    previous_build,
    remove_stale,
    start_twin,
    still_foreign,
    tree_matches,
)
from .publish.manifest import NAME, Manifest, shared_digest
from .publish.outdir import displace, output_folder
from .publish.output import Output
from .render.environment import Renderer
from .render.parallel import Job, Rendered, render_groups
from .render.site import render_site_pages

__all__ = ["BuildResult", "build"]

Progress = Callable[[int, int], None]


@dataclass
class BuildResult:
    """What a build wrote, and what it noticed on the way."""

    pages: int = 0
    groups: int = 0
    locales: set[str] = field(default_factory=set)
    files: dict[str, str] = field(default_factory=dict)  # path → sha256
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    rendered: int = 0  # groups rendered (the others were carried over unchanged)
    unchanged: bool = False  # nothing changed since the last build: OUT left as it was


def build(
    site_dir: Path | str,
    out: Path | str,
    *,
    strict: bool = False,
    progress: Progress | None = None,
    jobs: int = 1,
    shard: tuple[int, int] | None = None,
    incremental: bool = True,
    force: bool = False,
) -> BuildResult:
    """Build the site project at ``site_dir`` into ``out``.

    Groups are loaded, validated and rendered by ``jobs`` forked workers. With
    ``incremental`` (the default), inputs are compared with the previous build's
    manifest: nothing changed → OUT is left as it is; some groups changed → only they
    are rendered, and the rest is carried over into the new tree (by updating the spare
    tree of the build before, or by hard links). The new tree always replaces OUT in one
    atomic swap; ``shard`` builds one slice of the groups (see docs/scale.md).

    OUT is checked first (:func:`generator.publish.outdir.output_folder`): never the project or a
    folder it is read from, never a folder bookgen did not write unless ``force`` (its
    contents are then moved aside, not deleted); a link is published through.

    Raises :class:`SiteError` (nothing written, OUT untouched) when OUT is refused, the
    input is invalid, a template is broken, or ``strict`` and a check fails.
    """
    started, started_ns = time.perf_counter(), time.time_ns()
    site_dir = Path(site_dir)
    out, foreign = output_folder(Path(out), site_dir, force=force)
    slugs = [p.name for p in group_folders(site_dir / "groups") if in_shard(p.name, shard)]
    manifest = Manifest(shared=shared_digest(site_dir) if site_dir.is_dir() else "",
                        shard=f"{shard[0]}/{shard[1]}" if shard else None)  # fmt: skip
    cache = private_folder(out.parent / f".{out.name}.cache") if out.parent.is_dir() else None
    state = read_state(cache)
    # Plan the work: which groups changed since the previous build (none → OUT is up to date).
    previous = previous_build(out, manifest, incremental and not strict and not foreign, state)
    stamps: dict[str, str] = {}
    if previous:  # (a full build has its workers digest the groups)
        known = state.stamps if state.manifest == previous.sha else {}
        stamps, manifest.inputs = changed_inputs(site_dir, previous, known, slugs, started_ns)
        if previous.manifest.inputs == manifest.inputs and tree_matches(out, previous):
            if stamps != known:  # refresh stale stamps, so the next build need not read again
                write_state(cache, BuildState(previous.sha, stamps, state.bytecode, previous.written_ns))
            return _up_to_date(previous, len(slugs), time.perf_counter() - started)
    changed = {slug for slug in slugs if not previous or previous.manifest.inputs.get(slug) != manifest.inputs.get(slug)}
    site = _load_settings(site_dir, changed)
    result = BuildResult(groups=len(slugs), rendered=len(changed))
    with locked(out):  # (makes OUT's parent, where the cache lives)
        cache = cache or private_folder(out.parent / f".{out.name}.cache")
        renderer = Renderer(cache, state.bytecode)
        if foreign and still_foreign(out):
            moved = displace(out)
            result.warnings.append(f"--force: the files that were in {out} were moved to {moved}")
        try:
            rendered = _publish(site, renderer, site_dir, out, previous, slugs, changed, manifest, result,
                                strict=strict, jobs=jobs, progress=progress, started_ns=started_ns)  # fmt: skip
        except OutEdited:  # a file of OUT was edited or removed by hand: render everything afresh
            out_edited = True
        else:
            out_edited = False
            bytecode = {**state.bytecode, **rendered.bytecode, **renderer.templates.written}
            kept = {k: v for k, v in bytecode.items() if cache and (cache / k).is_file()}
            write_state(cache, BuildState(rendered.manifest_sha, {**stamps, **rendered.stamps}, kept,
                                          rendered.manifest_written_ns))  # fmt: skip
    if out_edited:
        return build(site_dir, out, strict=strict, progress=progress, jobs=jobs, shard=shard, incremental=False)
    result.seconds = time.perf_counter() - started
    return result


def _up_to_date(previous: Previous, groups: int, seconds: float) -> BuildResult:
    """The result of a build that found nothing changed: OUT is left as it was."""
    old = previous.manifest
    locales = {code for entry in old.groups.values() for code in entry["locales"]}
    return BuildResult(groups=groups, locales=locales, files=old.files, seconds=seconds, unchanged=True)


def _load_settings(site_dir: Path, changed: set[str]) -> Site:
    """``site.toml`` and the themes (the groups are loaded by the workers). Raises
    :class:`SiteError` with the changed groups' problems too, so all are reported at once."""
    try:
        return load_site(site_dir, only=lambda slug: False)
    except SiteError:
        load_site(site_dir, only=changed.__contains__)
        raise


def _publish(
    site: Site, renderer: Renderer, site_dir: Path, out: Path, previous: Previous | None, slugs: list[str],
    changed: set[str], manifest: Manifest, result: BuildResult, *, strict: bool, jobs: int,
    progress: Progress | None, started_ns: int,
) -> Rendered:
    """Render the changed groups into a new tree, carry the rest over, swap it into OUT
    (the lock held). Raises :class:`OutEdited` when OUT no longer matches its manifest."""
    old = previous.manifest if previous else None
    spare = claim_spare(out) if previous else None
    staging = spare_dir(out) if spare is not None else staging_dir(out)
    # A build into an empty OUT leaves no old tree to become the spare: it makes one as it
    # goes, of hard links, so the next incremental build is cheap too.
    twin = start_twin(out) if previous is None and not out.exists() else None
    try:
        # Updating a previous tree, whose files may be hard links shared with OUT: write
        # new files under new inodes, never through the shared ones.
        output = Output(staging, live=previous is not None, twin=twin)
        plan = SitePlan(site, old.assets if previous and old else None)
        if previous and old:
            carried = carried_paths(old, slugs, changed)
            carry_files(out, staging, carried, old.files, spare, output, previous.written_ns)
        else:
            output.write_assets(plan.shared_assets())
        job = Job(site_dir, site, started_ns, renderer, staging, plan.assets, output.live, twin)
        rendered = render_groups(job, sorted(changed), jobs, progress)
        output.files.update(rendered.files)
        output.twin_failed |= rendered.twin_failed
        plan.assets = rendered.assets
        result.warnings += rendered.warnings
        if strict and rendered.warnings:
            raise SiteError([Problem(str(site_dir), "", f"--strict: {w}") for w in rendered.warnings])
        entries = {slug: old.groups[slug] for slug in slugs if old and slug not in changed}
        entries.update(rendered.entries)
        manifest.groups = entries
        manifest.inputs.update(rendered.inputs)
        result.pages = rendered.pages + sum(2 * len(e["locales"]) for s, e in entries.items() if s not in changed)
        result.locales = {code for entry in entries.values() for code in entry["locales"]}
        # The directory and sitemap list every group: carried over when what they show is as before.
        kept: list[str] = []
        if previous and old:
            for path in plan.drop_unused_theme_css(entries):  # a group left the theme, or left
                output.files.pop(path, None)
                (staging / path).unlink(missing_ok=True)
            kept = plan.unchanged_site_pages(old.groups, entries)
            carry_files(out, staging, kept, old.files, spare, output, previous.written_ns)
        render_site_pages(plan, renderer, output, entries, skip=kept)
        if spare is not None:
            remove_stale(staging, spare.stale(output.files))
        output.write_manifest(manifest, plan.assets)
        # Only once its manifest is written: a build killed in between leaves a tree that is
        # still marked as bookgen's (manifest or mark), never one the next build must refuse.
        (staging / PARTIAL).unlink(missing_ok=True)
        rendered.manifest_sha, rendered.manifest_written_ns = output.manifest_sha, output.manifest_written_ns
        result.files = output.files
        _swap(staging, out)
        if twin is not None:
            finish_twin(twin, output, manifest)
        return rendered
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if twin is not None and not (twin / NAME).exists():
            shutil.rmtree(twin, ignore_errors=True)
        raise


def _swap(staging: Path, out: Path) -> None:
    """Publish the new tree in one atomic swap; a mount point as OUT is a located problem."""
    try:
        swap_into_place(staging, out)
    except OSError as error:
        if error.errno == errno.EBUSY:
            raise SiteError([Problem(str(out), "", "is a mount point or in use, and cannot be replaced "
                                                   "as a whole; build into a folder inside it")]) from None  # fmt: skip
        raise
