"""Plan, render and publish a site: the ``bookgen build`` pipeline.

load (validated models) → assets (content-hashed, shared) → pages (group × locale ×
kind) rendered into a staging folder → manifest → atomic swap into OUT. Nothing is
written to OUT before everything has validated and rendered.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import multiprocessing
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from .colors import contrast_issues, theme_stylesheet
from .config import SiteConfig
from .content import is_remote
from .embed import MODES, Loader, host_csp, snippet
from .errors import Problem, SiteError
from .i18n import has_catalog, text_direction, translations, url_locale
from .jsmin import trim_js
from .loader import GroupSource, Site, load_site
from .manifest import NAME, Manifest, group_digest, group_stamp, read_manifest, shared_digest, walk_files
from .publish import link_or_copy, locked, replace_file, spare_dir, staging_dir, swap_into_place
from .render import (
    BYTECODE,
    PageLinks,
    content_security_policy,
    environment,
    group_context,
    group_locales,
    group_parts,
    language_links,
    locale_messages,
    output_path,
)
from .slugs import slugify
from .themes import TEMPLATES_DIR, Theme, load_theme

__all__ = ["BuildResult", "Builder", "build", "check", "reset_caches", "theme_for"]

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


def theme_for(site: Site, source: GroupSource | None) -> Theme:
    name = (source.page.theme if source else None) or site.config.site.theme
    return load_theme(name, site.theme_dirs)


def group_colours(theme: Theme, source: GroupSource) -> tuple[dict[str, str], dict[str, str] | None]:
    """The group's palette: usercolors over the theme's defaults.

    Without usercolors, the theme's light and dark palettes follow the visitor's
    ``prefers-color-scheme``; with them, the business's choice is kept as given.
    """
    usercolors = source.group.usercolors
    if usercolors is None:
        return dict(theme.colors), theme.colors_dark
    return {**theme.colors, **usercolors.as_dict()}, None


def check(site: Site) -> list[str]:
    """Warnings a build would give: contrast below WCAG AA, images the CSP blocks,
    locales without UI strings."""
    warnings = []
    for source in site.groups:
        light, dark = group_colours(theme_for(site, source), source)
        for palette, label in ((light, ""), (dark, " (dark)")):
            for issue in contrast_issues(palette) if palette else ():
                warnings.append(f"{source.slug}{label}: {issue}")
        for text in source.texts:
            warnings += [
                f"{source.slug}: pages/{text.name}.md: image {src[:80]!r} is on another origin, which "
                "the pages' Content-Security-Policy (img-src 'self') blocks; save it beside the page"
                for src in text.images
                if is_remote(src)
            ]
    for locale in _all_locales(site):
        if not has_catalog(locale):
            warnings.append(f"locale {locale}: no UI translation; texts fall back to English")
    return warnings


def _all_locales(site: Site) -> list[str]:
    seen: dict[str, None] = {}
    for locale in site.config.site.locales:
        seen[locale] = None
    for source in site.groups:
        for locale in group_locales(site.config, source):
            seen[locale] = None
    return list(seen)


def _static(name: str) -> bytes:
    data = (TEMPLATES_DIR / "static" / name).read_bytes()
    return trim_js(data) if name.endswith(".js") else data


def _render(env: jinja2.Environment, name: str, context: dict[str, Any], source: str) -> str:
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateSyntaxError as error:
        problem = Problem(error.filename or name, "", f"template syntax error: {error.message}", error.lineno)
        raise SiteError([problem]) from None
    except jinja2.TemplateError as error:
        raise SiteError([Problem(name, source, f"template error: {error}")]) from None


def hashed_path(folder: str, stem: str, suffix: str, raw: bytes) -> str:
    """``folder/stem.<10 hex of sha256>suffix``: a name that changes when the content does."""
    name = f"{stem}.{hashlib.sha256(raw).hexdigest()[:10]}{suffix}"
    return f"{folder}/{name}" if folder else name


@functools.cache
def loader() -> Loader:
    """The versioned embed loader as every build names it, with its SRI hash."""
    raw = _static("embed.js")
    return Loader.from_bytes(hashed_path("assets", "embed", ".js", raw), raw)


def reset_caches() -> None:
    """Forget loaded themes and compiled templates (the preview server calls this on edits)."""
    load_theme.cache_clear()
    environment.cache_clear()
    BYTECODE.clear()
    locale_messages.cache_clear()
    loader.cache_clear()


class Builder:
    """Renders a loaded site into a folder, one piece at a time.

    ``bookgen build`` runs every step into a staging folder; the preview server
    keeps one Builder and re-runs only the steps an edit affects.
    """

    def __init__(self, site: Site, root: Path, *, live: bool = False, twin: Path | None = None) -> None:
        self.site = site
        self.root = root
        self.live = live  # served while written (the preview): replace files atomically
        # A second tree of hard links to every file written, to become the spare tree the
        # next incremental build updates (when this build leaves no old tree behind).
        self.twin = twin
        self.twin_failed = False
        self.files: dict[str, str] = {}  # path → sha256, for the manifest
        self.assets: dict[str, str] = {}  # logical name → path from the output root
        self._folders: set[Path] = set()

    def write(self, path: str, data: bytes | str, *, atomic: bool = False) -> None:
        """Write one output file (atomically when :attr:`live` or ``atomic``: a reader, or
        another worker writing the same file, never sees half of it)."""
        raw = data.encode("utf-8") if isinstance(data, str) else data
        target = self.root / path
        if target.parent not in self._folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(target.parent)
        if self.live or atomic:
            replace_file(target, raw)
        else:  # a private staging folder, published as a whole
            with open(target, "wb") as handle:
                handle.write(raw)
        self.files[path] = hashlib.sha256(raw).hexdigest()
        self._link_twin(path)

    def _link_twin(self, path: str) -> None:
        if self.twin is None or self.twin_failed:
            return
        twin = self.twin / path
        try:
            if twin.parent not in self._folders:
                twin.parent.mkdir(parents=True, exist_ok=True)
                self._folders.add(twin.parent)
            with contextlib.suppress(FileExistsError):  # a stylesheet two workers both wrote
                os.link(self.root / path, twin)
        except OSError:  # no hard links here: the next incremental build makes its own tree
            self.twin_failed = True

    def write_hashed(self, folder: str, stem: str, suffix: str, data: bytes | str, *, atomic: bool = False) -> str:
        """Write under a content-hashed name (``theme.1a2b3c4d5e.css``); return its path."""
        raw = data.encode("utf-8") if isinstance(data, str) else data
        path = hashed_path(folder, stem, suffix, raw)
        self.write(path, raw, atomic=atomic)
        return path

    def write_assets(self) -> None:
        """Shared files: the default theme's stylesheet and the site palette, scripts
        (content-hashed) and the loader at its stable URL ``embed.js``. Other themes'
        stylesheets are written by the first group that uses them (:meth:`theme_css`)."""
        site = self.site
        self.assets = {key: path for key, path in self.assets.items() if not key.startswith("css:")}
        default = theme_for(site, None)
        self.theme_css(default)
        palette = theme_stylesheet(default.colors, default.colors_dark)
        self.assets["css:site"] = self.write_hashed("assets", "site", ".css", palette)
        for script in sorted(p.name for p in (TEMPLATES_DIR / "static").glob("*.js")):
            stem = script.removesuffix(".js")
            self.assets[script] = self.write_hashed("assets", stem, ".js", _static(script))
        self.write("embed.js", _static("embed.js"))

    def theme_css(self, theme: Theme) -> str:
        """The path of a theme's stylesheet, written on first use. Parallel workers may
        write the same one (same name and bytes), so it is always replaced atomically."""
        key = f"css:{theme.name}"
        if key not in self.assets:
            css = "\n".join(sheet.read_text("utf-8") for sheet in theme.stylesheets)
            self.assets[key] = self.write_hashed("assets", theme.name, ".css", css, atomic=True)
        return self.assets[key]

    def render_group(self, source: GroupSource) -> int:
        """Write every page of one group; returns the number of booking pages and widgets."""
        pages = 0
        for path, env, template, context in self.group_pages(source):
            self.write(path, _render(env, template, context, source.slug))
            pages += template != "embed.html"
        return pages

    def publish_images(self, source: GroupSource, links: PageLinks) -> dict[str, str]:
        """Write the images the group's markdown pages show; return src → URL from its pages."""
        urls = {}
        for src, file in source.images:
            stem = slugify(file.stem)[:40].rstrip("-") or "image"
            urls[src] = links.to(self.write_hashed(source.slug, stem, file.suffix.lower(), file.read_bytes()))
        return urls

    def group_pages(self, source: GroupSource) -> Iterator[tuple[str, jinja2.Environment, str, dict[str, Any]]]:
        """(path, environment, template, context) of each page of a group, after writing
        the group's own assets (stylesheet, logo, images). The benchmark renders these too."""
        site = self.site
        theme = theme_for(site, source)
        light, dark = group_colours(theme, source)
        assets = dict(self.assets)
        assets["css:theme"] = self.theme_css(theme)
        assets["css:group"] = self.write_hashed(source.slug, "theme", ".css", theme_stylesheet(light, dark))
        if source.page.logo:
            logo = source.directory / source.page.logo
            assets["logo"] = self.write_hashed(source.slug, "logo", logo.suffix.lower(), logo.read_bytes())
        links = PageLinks(prefix="../../", assets=assets)
        image_urls = self.publish_images(source, links)
        locales = group_locales(site.config, source)
        parts = group_parts(site.config, source, image_urls)
        for locale in locales:
            env = environment(theme, locale)
            for template, name in (("booking.html", "index.html"), ("widget.html", "widget.html")):
                context = group_context(site.config, source, locale, links, name, parts)
                yield output_path(source.slug, locale, name), env, template, context
        # Embed pages: <slug>/embed.html in the site's default locale (the address the
        # docs give), <slug>/<locale>/embed.html in each of the group's locales.
        default_theme = theme_for(site, None)
        embed_assets = {**self.assets, "css:theme": self.assets[f"css:{default_theme.name}"],
                        "css:group": self.assets["css:site"]}  # fmt: skip
        default = site.config.site.default_locale or site.config.site.locales[0]
        first = default if default in locales else locales[0]
        yield f"{source.slug}/embed.html", *self._embed_page(source, default_theme, first, "", embed_assets)
        for locale in locales:
            path = output_path(source.slug, locale, "embed.html")
            yield path, *self._embed_page(source, default_theme, locale, "../", embed_assets)

    def _embed_page(
        self, source: GroupSource, theme: Theme, locale: str, up: str, assets: dict[str, str]
    ) -> tuple[jinja2.Environment, str, dict[str, Any]]:
        """One embed page; ``up`` leads from the page's folder to ``<slug>/``."""
        config = self.site.config
        gettext = translations(locale).gettext
        context = {
            "site": config.site,
            "group": source.group,
            "slug": source.slug,
            "lang": url_locale(locale),
            "dir": text_direction(locale),
            "links": PageLinks(prefix=f"{up}../", assets=assets),
            "csp": content_security_policy(config, frames=True),
            "scripts": ["embed-page.js", "embed.js"],
            "snippets": {
                mode: snippet(config, source, mode, locale, loader(), gettext("Book an appointment"))
                for mode in MODES
            },
            "host_csp": host_csp(config),
            "widget_locale": url_locale(locale),
            "languages": language_links(config, source, lambda code: f"{up}{code}/embed.html"),
        }
        return environment(theme, locale), "embed.html", context

    def write_site_pages(self, entries: dict[str, dict[str, Any]]) -> None:
        """The directory of groups (index.html) and sitemap.xml, from directory entries
        (:func:`directory_entry`), so groups an incremental build did not load are listed."""
        config: SiteConfig = self.site.config
        locale = config.site.default_locale or config.site.locales[0]
        theme = theme_for(self.site, None)
        env = environment(theme, locale)
        site_assets = {**self.assets, "css:theme": self.assets[f"css:{theme.name}"], "css:group": self.assets["css:site"]}
        groups = [{"slug": slug, **entry} for slug, entry in sorted(entries.items())]
        context = {
            "site": config.site,
            "groups": groups,
            "links": PageLinks(prefix="", assets=site_assets),
            "locale": locale,
            "lang": url_locale(locale),
            "dir": text_direction(locale),
            "csp": content_security_policy(config),
            "scripts": ["directory.js"],
        }
        self.write("index.html", _render(env, "index.html", context, "index"))
        base = config.site.base_url
        sitemap = [
            {"alternates": [(code, f"{base}{group['slug']}/{code}/") for code in group["locales"]]} for group in groups
        ]
        self.write("sitemap.xml", _render(env, "sitemap.xml", {"groups": sitemap}, "sitemap"))

    def write_manifest(self, manifest: Manifest) -> None:
        """manifest.json: every file with its sha256, the inputs' digests, the directory."""
        manifest.files = self.files
        manifest.assets = self.assets
        (self.root / NAME).write_text(manifest.to_json(), "utf-8")


def directory_entry(site: Site, source: GroupSource) -> dict[str, Any]:
    """What the directory and sitemap need of a group (kept in the manifest)."""
    group = source.group
    return {
        "name": group.name,
        "city": group.city or "",
        "zipcode": group.zipcode or "",
        "locales": [url_locale(x) for x in group_locales(site.config, source)],
    }


# -- parallel rendering -----------------------------------------------------------------------

_worker: tuple[Builder, Path] | None = None


@dataclass
class _Rendered:
    """What rendering some groups produced (in a worker or in this process)."""

    groups: int = 0
    pages: int = 0
    files: dict[str, str] = field(default_factory=dict)
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    stamps: dict[str, str] = field(default_factory=dict)  # for the manifest, see generator.manifest
    inputs: dict[str, str] = field(default_factory=dict)
    twin_failed: bool = False


def _load_and_render(builder: Builder, site_dir: Path, slugs: list[str]) -> _Rendered:
    """Load, validate and render the groups ``slugs``; problems are returned, not raised,
    so every slice's problems can be reported together."""
    wanted = set(slugs)
    try:
        site = load_site(site_dir, only=wanted.__contains__)
    except SiteError as error:
        return _Rendered(groups=len(slugs), problems=error.problems)
    builder.site = site
    builder.files = {}
    pages = sum(builder.render_group(source) for source in site.groups)
    entries = {source.slug: directory_entry(site, source) for source in site.groups}
    stamps = {slug: group_stamp(site_dir / "groups" / slug) for slug in slugs}
    inputs = {slug: group_digest(site_dir / "groups" / slug) for slug in slugs}
    return _Rendered(len(slugs), pages, builder.files, entries, check(site), [], stamps, inputs, builder.twin_failed)


def _worker_slice(slugs: list[str]) -> _Rendered:
    assert _worker is not None
    return _load_and_render(*_worker, slugs)


def _render_groups(
    builder: Builder, site_dir: Path, slugs: list[str], jobs: int, progress: Progress | None
) -> _Rendered:
    """Load and render the groups ``slugs`` with ``jobs`` forked processes (one Jinja
    environment per worker and locale), or in this process for small builds. Raises
    :class:`SiteError` with every group's problems."""
    global _worker
    total = len(slugs)
    size = max(1, min(50, total // (jobs * 8)))
    slices = [slugs[i : i + size] for i in range(0, total, size)]
    parallel = jobs > 1 and total >= 2 * jobs and "fork" in multiprocessing.get_all_start_methods()
    done = _Rendered()
    shared_files = dict(builder.files)
    _worker = (builder, site_dir)
    try:
        pool = multiprocessing.get_context("fork").Pool(jobs) if parallel else None
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
            if progress:
                progress(done.groups, total)
        if pool:
            pool.close()
            pool.join()
    finally:
        _worker = None
    builder.files = {**shared_files, **done.files}
    builder.twin_failed |= done.twin_failed
    for path in done.files:  # stylesheets of themes first used in a worker
        if path.startswith("assets/") and path.endswith(".css"):
            builder.assets.setdefault(f"css:{path.split('/')[1].split('.')[0]}", path)
    done.warnings.sort()
    if done.problems:
        raise SiteError(sorted(set(done.problems), key=lambda p: (p.file, p.path, p.message)))
    return done


# -- the pipeline -------------------------------------------------------------------------------


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/8"`` → (2, 8): the second of eight slices (1-based, as CI matrices count)."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise ValueError(f"{text!r} is not a shard; write i/N, e.g. 1/4") from None
    if not 1 <= index <= count:
        raise ValueError(f"shard {text}: i must be between 1 and N")
    return index, count


def in_shard(slug: str, shard: tuple[int, int] | None) -> bool:
    """A stable partition by group: the same slug always lands in the same slice."""
    if shard is None:
        return True
    index, count = shard
    return int.from_bytes(hashlib.sha256(slug.encode()).digest()[:8], "big") % count == index - 1


def build(
    site_dir: Path | str,
    out: Path | str,
    *,
    strict: bool = False,
    progress: Progress | None = None,
    jobs: int = 1,
    shard: tuple[int, int] | None = None,
    incremental: bool = True,
) -> BuildResult:
    """Build the site project at ``site_dir`` into ``out``.

    Groups are loaded, validated and rendered by ``jobs`` forked workers. With
    ``incremental`` (the default), inputs are compared with the previous build's
    manifest: nothing changed → OUT is left as it is; some groups changed → only they
    are rendered, and the rest is carried over into the new tree (by updating the spare
    tree of the build before, or by hard links). The new tree always replaces OUT in one
    atomic swap; ``shard`` builds one slice of the groups (see docs/scale.md).

    Raises :class:`SiteError` (nothing written, OUT untouched) when the input is
    invalid, a template is broken, or ``strict`` and a check fails.
    """
    started = time.perf_counter()
    site_dir, out = Path(site_dir), Path(out)
    groups_dir = site_dir / "groups"
    slugs = sorted(p.name for p in groups_dir.iterdir() if p.is_dir()) if groups_dir.is_dir() else []
    slugs = [slug for slug in slugs if in_shard(slug, shard)]
    manifest = Manifest(shared=shared_digest(site_dir) if site_dir.is_dir() else "",
                        shard=f"{shard[0]}/{shard[1]}" if shard else None)  # fmt: skip
    previous = read_manifest(out) if incremental and not strict else None
    if previous and (previous.generator, previous.shared, previous.shard) != (
        manifest.generator, manifest.shared, manifest.shard
    ):
        previous = None
    if previous:  # which groups changed? (a full build has its workers digest the groups)
        manifest.stamps = {slug: group_stamp(groups_dir / slug) for slug in slugs}
        manifest.inputs = {
            slug: previous.inputs[slug] if previous.stamps.get(slug) == stamp and slug in previous.inputs
            else group_digest(groups_dir / slug)
            for slug, stamp in manifest.stamps.items()
        }  # fmt: skip
    if previous and previous.inputs == manifest.inputs and _tree_matches(out, previous):
        result = BuildResult(groups=len(slugs), unchanged=True, files=previous.files, seconds=0.0)
        result.locales = {code for entry in previous.groups.values() for code in entry["locales"]}
        result.seconds = time.perf_counter() - started
        return result
    changed = {slug for slug in slugs if not previous or previous.inputs.get(slug) != manifest.inputs.get(slug)}
    try:
        site = load_site(site_dir, only=lambda slug: False)  # site.toml and the default theme
    except SiteError:
        load_site(site_dir, only=changed.__contains__)  # raises with the groups' problems too
        raise
    carried: list[str] = []
    if previous:
        by_folder = previous.files_by_folder()
        kept = [slug for slug in slugs if slug not in changed]
        shared = [folder for folder in by_folder if folder not in previous.inputs and folder != ""]
        carried = [path for folder in (*shared, *kept) for path in by_folder.get(folder, [])]
        carried.append("embed.js")
    result = BuildResult(groups=len(slugs), rendered=len(changed))
    BYTECODE.folder = out.parent / f".{out.name}.cache"  # compiled templates, for the next build
    with locked(out):
        spare_files = _claim_spare(out) if previous else None
        staging = spare_dir(out) if spare_files is not None else staging_dir(out)
        try:
            # A build into an empty OUT leaves no old tree to become the spare: it makes one
            # as it goes, of hard links, so the next incremental build is cheap too.
            twin = spare_dir(out) if previous is None and not out.exists() else None
            if twin is not None:
                shutil.rmtree(twin, ignore_errors=True)
            # Updating a previous tree, whose files may be hard links shared with OUT: write
            # new files under new inodes, never through the shared ones.
            builder = Builder(site, staging, live=previous is not None, twin=twin)
            if previous:
                builder.assets = dict(previous.assets)
                _carry_files(out, staging, carried, previous.files, spare_files, builder)
            else:
                builder.write_assets()
            rendered = _render_groups(builder, site_dir, sorted(changed), jobs, progress)
            builder.site = site
            result.warnings = rendered.warnings
            if strict and rendered.warnings:
                raise SiteError([Problem(str(site_dir), "", f"--strict: {w}") for w in rendered.warnings])
            result.pages = rendered.pages
            entries = {slug: previous.groups[slug] for slug in slugs if previous and slug not in changed}
            entries.update(rendered.entries)
            manifest.groups = entries
            manifest.stamps.update(rendered.stamps)
            manifest.inputs.update(rendered.inputs)
            result.pages += sum(2 * len(entry["locales"]) for slug, entry in entries.items() if slug not in changed)
            result.locales = {code for entry in entries.values() for code in entry["locales"]}
            if previous and entries == previous.groups:  # names, cities, locales as before
                _carry_files(out, staging, ["index.html", "sitemap.xml"], previous.files, spare_files, builder)
            else:
                builder.write_site_pages(entries)
            if spare_files:
                _remove_stale(staging, spare_files.keys() - builder.files.keys())
            builder.write_manifest(manifest)
            result.files = builder.files
            swap_into_place(staging, out)
            if twin is not None:
                _finish_twin(twin, builder, manifest)
        except BaseException as error:
            shutil.rmtree(staging, ignore_errors=True)
            if twin is not None and not (twin / NAME).exists():
                shutil.rmtree(twin, ignore_errors=True)
            if not isinstance(error, _OutEdited):
                raise
            result.rendered = -1
    if result.rendered < 0:  # a file of OUT is gone (edited by hand): render everything afresh
        return build(site_dir, out, strict=strict, progress=progress, jobs=jobs, shard=shard, incremental=False)
    result.seconds = time.perf_counter() - started
    return result


def _finish_twin(twin: Path, builder: Builder, manifest: Manifest) -> None:
    """Make the twin a valid spare tree (its own manifest, written last) or remove it."""
    if builder.twin_failed:
        shutil.rmtree(twin, ignore_errors=True)
        return
    (twin / NAME).write_text(manifest.to_json(), "utf-8")


class _OutEdited(Exception):
    """A file the previous manifest lists is missing from OUT."""


def _claim_spare(out: Path) -> dict[str, str] | None:
    """The files of the spare tree (the build before OUT's), if it can be updated.

    Its manifest is removed first: a build killed while updating the spare leaves it
    without one, and the next build then starts from a fresh folder instead.
    """
    spare = spare_dir(out)
    manifest = read_manifest(spare)
    if manifest is None:
        shutil.rmtree(spare, ignore_errors=True)
        return None
    (spare / NAME).unlink()
    return manifest.files


def _carry_files(
    out: Path, staging: Path, paths: list[str], hashes: dict[str, str], spare: dict[str, str] | None,
    builder: Builder,
) -> None:
    """Bring unchanged files into the new tree without rendering them: in a fresh folder
    as hard links to OUT's; in the spare, by copying only those that differ."""
    made: set[Path] = set()
    for path in paths:
        builder.files[path] = hashes[path]
        if spare is not None and spare.get(path) == hashes[path]:
            continue
        target = staging / path
        try:
            if spare is not None:
                builder.write(path, (out / path).read_bytes())
                continue
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            link_or_copy(out / path, target)
        except FileNotFoundError as error:
            if not (out / path).exists():
                raise _OutEdited(path) from error
            raise


def _remove_stale(root: Path, paths: Iterable[str]) -> None:
    """Delete files the new state no longer has, and folders left empty."""
    folders = set()
    for path in paths:
        (root / path).unlink(missing_ok=True)
        folders.add((root / path).parent)
    for folder in sorted(folders, key=lambda f: len(f.parts), reverse=True):
        with contextlib.suppress(OSError):
            folder.rmdir()  # only succeeds when empty


def _tree_matches(out: Path, manifest: Manifest) -> bool:
    """OUT holds exactly the files its manifest lists (nobody added or removed any)."""
    return {path for path, _ in walk_files(out)} == manifest.files.keys() | {NAME}


