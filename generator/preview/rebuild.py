"""The preview's build side: a site rebuilt piece by piece as files change.

Kept apart from the HTTP server (:mod:`generator.preview.server`) so the rebuild rules can
be tested without a socket: which edit rebuilds what, and how an error keeps the
last good build.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from ..errors import Problem, SiteError
from ..load.loader import Site, load_site
from ..load.site import theme_for
from ..plan.pages import SitePlan, directory_entry
from ..publish.manifest import NAME as MANIFEST
from ..publish.manifest import Manifest
from ..publish.output import Output
from ..render.environment import Renderer
from ..render.site import render_group, render_site_pages
from ..themes import load_theme
from .changes import NOTHING, RELOAD, PageChanges, PageIndex
from .watch import built_in_dirs

__all__ = ["Preview", "Rebuild"]

@dataclass
class Rebuild:
    """What one rebuild did, for the terminal."""

    what: str
    pages: int
    seconds: float

    def __str__(self) -> str:
        return f"rebuilt {self.what} ({self.pages} pages) in {self.seconds * 1000:.0f} ms"


class _Built(NamedTuple):
    """The last good build: its plan (site and asset registry), renderer and output."""

    plan: SitePlan
    renderer: Renderer
    output: Output


class Preview:
    """A site built into ``out``, rebuilt per edit; keeps the last good build on errors.

    After each (re)build :attr:`changes` says what open pages must do: reload, swap
    stylesheets, or nothing (:mod:`.changes`).

    ``preview_url`` (``http://127.0.0.1:8000/``) is where the server answers: embed pages
    name it in their snippets instead of ``base_url`` (:meth:`SitePlan.__init__`).
    """

    def __init__(self, site_dir: Path, out: Path, preview_url: str | None = None) -> None:
        self.site_dir = Path(site_dir)
        self.out = Path(out)
        self.preview_url = preview_url
        self.site: Site | None = None
        self.built: _Built | None = None
        self.problems: list[Problem] = []
        self.index = PageIndex(self.out)
        self.changes: PageChanges = RELOAD  # what the last rebuild changed in the pages

    def build_all(self) -> Rebuild:
        """Load and render everything (also the first build)."""
        started = time.perf_counter()
        load_theme.cache_clear()  # a theme's files may have changed: read them again
        site = load_site(self.site_dir)
        built = _Built(SitePlan(site, preview_url=self.preview_url), Renderer(), Output(self.out, live=True))
        built.output.write_assets(built.plan.shared_assets())
        pages = sum(render_group(*built, source) for source in site.groups)
        _finish(built)
        _prune(self.out, set(built.output.files))
        self.site, self.built = site, built
        self.changes = self.index.update(built.output.files)
        return Rebuild("everything", pages, time.perf_counter() - started)

    def rebuild(self, changed: set[Path]) -> Rebuild | None:
        """Rebuild what ``changed`` affects; on invalid input record the problems and keep serving.

        Returns what was rebuilt, or ``None`` when nothing relevant changed or the
        input is broken (see :attr:`problems`).
        """
        self.changes = NOTHING
        if not changed:
            return None
        try:
            result = self._rebuild(changed)
        except SiteError as error:
            self.problems = error.problems
            return None
        self.problems = []
        return result

    def _rebuild(self, changed: set[Path]) -> Rebuild:
        slugs = self._group_slugs(changed)
        if self.site is None or self.built is None or slugs is None or self.problems:
            return self.build_all()
        started = time.perf_counter()
        theme_names = self._changed_themes(changed)
        if theme_names:
            load_theme.cache_clear()
        site = load_site(self.site_dir)
        if [g.slug for g in site.groups] != [g.slug for g in self.site.groups]:
            return self.build_all()  # a group was added or removed: everything links to it
        # A fresh renderer is the reset: a theme's templates are compiled again.
        renderer = Renderer() if theme_names else self.built.renderer
        built = _Built(SitePlan(site, self.built.plan.assets, preview_url=self.preview_url), renderer, self.built.output)
        if theme_names:
            built.output.write_assets(built.plan.shared_assets())
        # A theme edit reaches every group whose theme chain (extends) includes it.
        targets = [
            source for source in site.groups
            if source.slug in slugs or any(f.name in theme_names for f in theme_for(site, source).folders)
        ]  # fmt: skip
        pages = sum(render_group(*built, source) for source in targets)
        _finish(built)
        self.site, self.built = site, built
        self.changes = self.index.update(built.output.files)
        label = ", ".join(source.slug for source in targets) or "the directory"
        return Rebuild(label, pages, time.perf_counter() - started)

    def _group_slugs(self, changed: set[Path]) -> set[str] | None:
        """Slugs of groups whose own files changed; ``None`` means "rebuild everything"."""
        groups = (self.site_dir / "groups").resolve()
        project_themes = (self.site_dir / "themes").resolve()
        slugs = set()
        for path in changed:
            resolved = path.resolve()
            if resolved.is_relative_to(groups) and len(resolved.relative_to(groups).parts) > 1:
                slugs.add(resolved.relative_to(groups).parts[0])
            elif resolved.is_relative_to(project_themes) or any(
                resolved.is_relative_to(d.resolve()) for d in built_in_dirs()[1:]
            ):
                continue  # a theme: handled by _changed_themes
            else:
                return None  # site.toml, a base template, anything else: rebuild all
        return slugs

    def _changed_themes(self, changed: set[Path]) -> set[str]:
        names = set()
        for base in [self.site_dir / "themes", *built_in_dirs()[1:]]:
            base = base.resolve()
            for path in changed:
                resolved = path.resolve()
                if resolved.is_relative_to(base) and len(resolved.relative_to(base).parts) > 1:
                    names.add(resolved.relative_to(base).parts[0])
        return names


def _prune(out: Path, written: set[str]) -> None:
    """Delete what the full build just made no longer has: a removed or renamed group's
    pages must stop being served (review D17). Empty folders go too."""
    keep = written | {MANIFEST}
    for folder, dirs, files in os.walk(out, topdown=False):
        for name in files:
            path = Path(folder, name)
            if path.relative_to(out).as_posix() not in keep:
                path.unlink(missing_ok=True)
        for name in dirs:
            with contextlib.suppress(OSError):  # not empty: it holds pages still built
                Path(folder, name).rmdir()


def _finish(built: _Built) -> None:
    """The directory, sitemap and manifest, which every rebuild may change."""
    site = built.plan.site
    entries = {source.slug: directory_entry(site, source) for source in site.groups}
    render_site_pages(*built, entries)
    built.output.write_manifest(Manifest(groups=entries), built.plan.assets)
