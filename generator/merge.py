"""``bookgen merge``: slices built by ``bookgen build --shard i/N`` combined into one output.

Each slice holds its groups' pages, the shared assets (identical in every slice of one
site and bookgen version) and a manifest naming its shard. Merging checks that the
slices belong together and cover 1..N once each, carries every file over (hard links
when on the same filesystem), renders the directory and sitemap of all groups, and
publishes the result atomically like a build.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from .errors import Problem, SiteError
from .load.loader import load_site
from .plan.pages import SitePlan
from .plan.urls import DIRECTORY, SITEMAP
from .publish.atomic import is_ours, link_or_copy, locked, staging_dir, swap_into_place
from .publish.manifest import NAME, Manifest, read_manifest
from .publish.outdir import displace, output_folder
from .publish.output import Output
from .render.environment import Renderer
from .render.site import render_site_pages

__all__ = ["merge"]

_REBUILT = {DIRECTORY, SITEMAP, NAME}


def _slices(folders: list[Path]) -> list[Manifest]:
    manifests, problems = [], []
    for folder in folders:
        manifest = read_manifest(folder)
        if manifest is None:
            problems.append(Problem(str(folder), "", f"no readable {NAME}: not a bookgen build"))
        elif manifest.shard is None:
            problems.append(Problem(str(folder / NAME), "shard", "is a whole build, not a slice (--shard i/N)"))
        else:
            manifests.append(manifest)
    if problems:
        raise SiteError(problems)
    first = manifests[0]
    counts = {m.shard.split("/")[1] for m in manifests if m.shard}
    shards = sorted(int(m.shard.split("/")[0]) for m in manifests if m.shard)
    for folder, manifest in zip(folders, manifests, strict=True):
        if (manifest.generator, manifest.shared) != (first.generator, first.shared):
            problems.append(Problem(str(folder / NAME), "shared",
                                    "was built from another site, template set or bookgen version"))  # fmt: skip
    if len(counts) != 1:
        problems.append(Problem(str(folders[0]), "shard", f"slices of different splits: {sorted(counts)}"))
    elif shards != list(range(1, int(counts.pop()) + 1)):
        problems.append(Problem(str(folders[0]), "shard", f"slices {shards} do not cover 1..N once each"))
    if problems:
        raise SiteError(problems)
    return manifests


def merge(site_dir: Path, out: Path, folders: list[Path], *, force: bool = False) -> tuple[int, float]:
    """Merge slice ``folders`` into ``out``; returns (groups, seconds). OUT is checked as
    a build's is (:func:`generator.publish.outdir.output_folder`); a slice cannot be OUT."""
    started = time.perf_counter()
    out, foreign = output_folder(out, site_dir, force=force)
    for folder in folders:
        if os.path.realpath(folder) == str(out):
            raise SiteError([Problem(str(folder), "", "is both a slice and the output folder; merge into another")])
    manifests = _slices(folders)
    merged = Manifest(shared=manifests[0].shared, assets=dict(manifests[0].assets))
    origin: dict[str, tuple[Path, str]] = {}
    problems = []
    for folder, manifest in zip(folders, manifests, strict=True):
        merged.inputs.update(manifest.inputs)
        merged.groups.update(manifest.groups)
        for path, digest in manifest.files.items():
            if path in _REBUILT:
                continue
            seen = origin.get(path)
            if seen and seen[1] != digest:
                problems.append(Problem(str(folder / path), "", f"differs from the same file in {seen[0]}"))
            origin.setdefault(path, (folder, digest))
    if problems:
        raise SiteError(problems)
    site = load_site(site_dir, only=lambda slug: False)  # the config and themes; groups come from the slices
    with locked(out):
        if foreign and out.is_dir() and any(os.scandir(out)) and not is_ours(out):
            displace(out)
        staging = staging_dir(out)
        try:
            output = Output(staging)
            for path, (folder, digest) in origin.items():
                target = staging / path
                target.parent.mkdir(parents=True, exist_ok=True)
                link_or_copy(folder / path, target)
                output.files[path] = digest
            render_site_pages(SitePlan(site, merged.assets), Renderer(), output, merged.groups)
            output.write_manifest(merged, merged.assets)
            swap_into_place(staging, out)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return len(merged.groups), time.perf_counter() - started
