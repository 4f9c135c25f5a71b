"""Plan, render and publish a site: the ``bookgen build`` pipeline.

load (validated models) → assets (content-hashed, shared) → pages (group × locale ×
kind) rendered into a staging folder → manifest → atomic swap into OUT. Nothing is
written to OUT before everything has validated and rendered.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import functools
import hashlib
import multiprocessing
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from .cachedir import BuildState, private_folder, read_state, write_state
from .colors import contrast_issues, theme_stylesheet
from .config import SiteConfig
from .content import is_remote
from .embed import MODES, Loader, host_csp, snippet
from .errors import Problem, SiteError
from .i18n import has_catalog, text_direction, translations, url_locale
from .loader import GroupSource, Site, group_folders, load_site
from .manifest import NAME, Manifest, group_digest, group_stamp, read_manifest, shared_digest, walk_files
from .outdir import displace, output_folder
from .publish import (
    PARTIAL,
    discard_tree,
    is_ours,
    link_or_copy,
    locked,
    replace_file,
    spare_dir,
    staging_dir,
    swap_into_place,
)
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
    return (TEMPLATES_DIR / "static" / name).read_bytes()


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
            urls[src] = links.to(self.write_hashed(source.slug, stem, file.suffix.lower(), source.read(file)))
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
            raw = source.read(Path(os.path.realpath(logo)))
            assets["logo"] = self.write_hashed(source.slug, "logo", logo.suffix.lower(), raw)
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

_worker: tuple[Builder, Path, int] | None = None


@dataclass
class _Rendered:
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


def _load_and_render(builder: Builder, site_dir: Path, slugs: list[str], started_ns: int) -> _Rendered:
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
        return _Rendered(groups=len(slugs), problems=error.problems)
    builder.site = site
    builder.files = {}
    pages = sum(builder.render_group(source) for source in site.groups)
    entries = {source.slug: directory_entry(site, source) for source in site.groups}
    return _Rendered(len(slugs), pages, builder.files, entries, check(site), [], stamps, inputs,
                     builder.twin_failed, dict(BYTECODE.written))  # fmt: skip


def _worker_slice(slugs: list[str]) -> _Rendered:
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


def _render_groups(
    builder: Builder, site_dir: Path, slugs: list[str], jobs: int, progress: Progress | None, started_ns: int
) -> _Rendered:
    """Load and render the groups ``slugs`` with ``jobs`` forked processes (one Jinja
    environment per worker and locale), or in this process for small builds. Raises
    :class:`SiteError` with every group's problems. The workers are terminated on any
    way out (an error, Ctrl-C, SIGTERM), never left running."""
    global _worker
    total = len(slugs)
    size = max(1, min(50, total // (jobs * 8)))
    slices = [slugs[i : i + size] for i in range(0, total, size)]
    parallel = jobs > 1 and total >= 2 * jobs and "fork" in multiprocessing.get_all_start_methods()
    done = _Rendered()
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


@dataclass
class _Previous:
    """The last build in OUT, as this build may reuse it."""

    manifest: Manifest
    written_ns: int  # mtime of OUT's manifest.json: no file of that tree is newer unless edited
    sha: str  # sha256 of OUT's manifest.json bytes (what the cached stamps belong to)


def _previous_build(out: Path, manifest: Manifest, incremental: bool) -> _Previous | None:
    if not incremental:
        return None
    previous = read_manifest(out)
    if previous is None or (previous.generator, previous.shared, previous.shard) != (
        manifest.generator, manifest.shared, manifest.shard
    ):
        return None
    try:
        raw = (out / NAME).read_bytes()
        written = os.stat(out / NAME).st_mtime_ns
    except OSError:
        return None
    return _Previous(previous, written, hashlib.sha256(raw).hexdigest())


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

    OUT is checked first (:func:`generator.outdir.output_folder`): never the project or a
    folder it is read from, never a folder bookgen did not write unless ``force`` (its
    contents are then moved aside, not deleted); a link is published through.

    Raises :class:`SiteError` (nothing written, OUT untouched) when OUT is refused, the
    input is invalid, a template is broken, or ``strict`` and a check fails.
    """
    started = time.perf_counter()
    started_ns = time.time_ns()
    site_dir = Path(site_dir)
    out, foreign = output_folder(Path(out), site_dir, force=force)
    groups_dir = site_dir / "groups"
    follow = Path(os.path.realpath(site_dir))
    slugs = [p.name for p in group_folders(groups_dir) if in_shard(p.name, shard)]
    manifest = Manifest(shared=shared_digest(site_dir) if site_dir.is_dir() else "",
                        shard=f"{shard[0]}/{shard[1]}" if shard else None)  # fmt: skip
    cache = private_folder(out.parent / f".{out.name}.cache") if out.parent.is_dir() else None
    state = read_state(cache)
    previous = _previous_build(out, manifest, incremental and not strict and not foreign)
    stamps: dict[str, str] = {}
    if previous:  # which groups changed? (a full build has its workers digest the groups)
        known = state.stamps if state.manifest == previous.sha else {}
        stamps = {slug: group_stamp(groups_dir / slug, started_ns, follow=follow) for slug in slugs}
        manifest.inputs = {
            slug: previous.manifest.inputs[slug]
            if stamp and known.get(slug) == stamp and slug in previous.manifest.inputs
            else group_digest(groups_dir / slug, follow=follow)
            for slug, stamp in stamps.items()
        }  # fmt: skip
        if previous.manifest.inputs == manifest.inputs and _tree_matches(out, previous):
            if stamps != known:  # refresh stale stamps, so the next build need not read again
                write_state(cache, BuildState(previous.sha, stamps, state.bytecode))
            result = BuildResult(groups=len(slugs), unchanged=True, files=previous.manifest.files)
            result.locales = {code for entry in previous.manifest.groups.values() for code in entry["locales"]}
            result.seconds = time.perf_counter() - started
            return result
    changed = {slug for slug in slugs if not previous or previous.manifest.inputs.get(slug) != manifest.inputs.get(slug)}
    try:
        site = load_site(site_dir, only=lambda slug: False)  # site.toml and the default theme
    except SiteError:
        load_site(site_dir, only=changed.__contains__)  # raises with the groups' problems too
        raise
    result = BuildResult(groups=len(slugs), rendered=len(changed))
    BYTECODE.folder, BYTECODE.trusted, BYTECODE.written = cache, dict(state.bytecode), {}
    with locked(out):
        if foreign and _still_foreign(out):
            moved = displace(out)
            result.warnings.append(f"--force: the files that were in {out} were moved to {moved}")
        try:
            rendered = _publish(site, site_dir, out, previous, slugs, changed, manifest, result,
                                strict=strict, jobs=jobs, progress=progress, started_ns=started_ns)  # fmt: skip
        except _OutEdited:
            rendered = None
        if rendered is not None:
            stamps.update(rendered.stamps)
            bytecode = {**state.bytecode, **rendered.bytecode, **BYTECODE.written}
            sha = hashlib.sha256(manifest.to_json().encode("utf-8")).hexdigest()
            write_state(cache, BuildState(sha, stamps, {k: v for k, v in bytecode.items() if cache and (cache / k).is_file()}))
    if rendered is None:  # a file of OUT was edited or removed by hand: render everything afresh
        return build(site_dir, out, strict=strict, progress=progress, jobs=jobs, shard=shard, incremental=False)
    result.seconds = time.perf_counter() - started
    return result


def _still_foreign(out: Path) -> bool:
    return out.is_dir() and any(os.scandir(out)) and not is_ours(out)


def _publish(
    site: Site, site_dir: Path, out: Path, previous: _Previous | None, slugs: list[str], changed: set[str],
    manifest: Manifest, result: BuildResult, *, strict: bool, jobs: int, progress: Progress | None,
    started_ns: int,
) -> _Rendered:
    """Render the changed groups into a new tree, carry the rest over, swap it into OUT
    (the lock held). Raises :class:`_OutEdited` when OUT no longer matches its manifest."""
    carried: list[str] = []
    old = previous.manifest if previous else None
    if old:
        by_folder = old.files_by_folder()
        kept = [slug for slug in slugs if slug not in changed]
        shared = [folder for folder in by_folder if folder not in old.inputs and folder != ""]
        carried = [path for folder in (*shared, *kept) for path in by_folder.get(folder, [])]
        carried.append("embed.js")
    spare = _claim_spare(out) if previous else None
    staging = spare_dir(out) if spare is not None else staging_dir(out)
    twin = None
    try:
        # A build into an empty OUT leaves no old tree to become the spare: it makes one
        # as it goes, of hard links, so the next incremental build is cheap too.
        if previous is None and not out.exists():
            discard_tree(spare_dir(out))
            twin = spare_dir(out)
        # Updating a previous tree, whose files may be hard links shared with OUT: write
        # new files under new inodes, never through the shared ones.
        builder = Builder(site, staging, live=previous is not None, twin=twin)
        if previous and old:
            builder.assets = dict(old.assets)
            _carry_files(out, staging, carried, old.files, spare, builder, previous.written_ns)
        else:
            builder.write_assets()
        rendered = _render_groups(builder, site_dir, sorted(changed), jobs, progress, started_ns)
        builder.site = site
        result.warnings += rendered.warnings
        if strict and rendered.warnings:
            raise SiteError([Problem(str(site_dir), "", f"--strict: {w}") for w in rendered.warnings])
        result.pages = rendered.pages
        entries = {slug: old.groups[slug] for slug in slugs if old and slug not in changed}
        entries.update(rendered.entries)
        manifest.groups = entries
        manifest.inputs.update(rendered.inputs)
        result.pages += sum(2 * len(entry["locales"]) for slug, entry in entries.items() if slug not in changed)
        result.locales = {code for entry in entries.values() for code in entry["locales"]}
        if previous and old and entries == old.groups:  # names, cities, locales as before
            _carry_files(out, staging, ["index.html", "sitemap.xml"], old.files, spare, builder, previous.written_ns)
        else:
            builder.write_site_pages(entries)
        if spare is not None:
            _remove_stale(staging, set(walk_names(staging)) - builder.files.keys())
            (staging / PARTIAL).unlink(missing_ok=True)
        builder.write_manifest(manifest)
        result.files = builder.files
        try:
            swap_into_place(staging, out)
        except OSError as error:
            if error.errno == errno.EBUSY:
                raise SiteError([Problem(str(out), "", "is a mount point or in use, and cannot be replaced "
                                                       "as a whole; build into a folder inside it")]) from None  # fmt: skip
            raise
        if twin is not None:
            _finish_twin(twin, builder, manifest)
        return rendered
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if twin is not None and not (twin / NAME).exists():
            shutil.rmtree(twin, ignore_errors=True)
        raise


def _finish_twin(twin: Path, builder: Builder, manifest: Manifest) -> None:
    """Make the twin a valid spare tree (its own manifest, written last) or remove it."""
    if builder.twin_failed:
        shutil.rmtree(twin, ignore_errors=True)
        return
    with contextlib.suppress(OSError):
        (twin / NAME).write_text(manifest.to_json(), "utf-8")
        return
    shutil.rmtree(twin, ignore_errors=True)


class _OutEdited(Exception):
    """A file the previous manifest lists is missing from OUT, or was changed in place."""


@dataclass
class _Spare:
    files: dict[str, str]  # path → sha256, as its manifest listed them
    written_ns: int  # mtime of its manifest: a newer file was edited after


def _claim_spare(out: Path) -> _Spare | None:
    """The spare tree (the build before OUT's), if it can be updated in place.

    It is marked :data:`PARTIAL` and its manifest removed first: a build killed while
    updating it leaves it without one, and the next build then starts from a fresh
    folder. A spare that cannot be claimed (read-only, say) is left alone: this build
    makes a fresh tree instead. A folder there that bookgen did not make is refused.
    """
    spare = spare_dir(out)
    manifest = read_manifest(spare)
    if manifest is None:
        discard_tree(spare)
        return None
    try:
        written = os.stat(spare / NAME).st_mtime_ns
        (spare / PARTIAL).touch()
    except OSError:
        return None
    try:
        (spare / NAME).unlink()
    except OSError:
        with contextlib.suppress(OSError):
            (spare / PARTIAL).unlink()
        return None
    return _Spare(manifest.files, written)


def _unedited(path: Path, written_ns: int) -> bool:
    """The file exists and was not modified after its tree's manifest was written."""
    try:
        return os.stat(path).st_mtime_ns <= written_ns
    except OSError:
        return False


def _carry_files(
    out: Path, staging: Path, paths: list[str], hashes: dict[str, str], spare: _Spare | None,
    builder: Builder, out_written_ns: int,
) -> None:
    """Bring unchanged files into the new tree without rendering them: in a fresh folder
    as hard links to OUT's; in the spare, by copying only those that differ. A spare
    file that is missing or was modified after its tree was made is copied from OUT
    again; an OUT file in that state raises :class:`_OutEdited` (the manifest would lie)."""
    made: set[Path] = set()
    for path in paths:
        builder.files[path] = hashes[path]
        target = staging / path
        if spare is not None and spare.files.get(path) == hashes[path] and _unedited(target, spare.written_ns):
            continue
        source = out / path
        if not _unedited(source, out_written_ns):
            raise _OutEdited(path)
        if spare is not None:
            raw = source.read_bytes()
            if hashlib.sha256(raw).hexdigest() != hashes[path]:
                raise _OutEdited(path)
            builder.write(path, raw)
            continue
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        try:
            link_or_copy(source, target)
        except FileNotFoundError as error:
            raise _OutEdited(path) from error


def _remove_stale(root: Path, paths: Iterable[str]) -> None:
    """Delete files the new state no longer has, and folders left empty."""
    folders = set()
    for path in paths:
        (root / path).unlink(missing_ok=True)
        folders.add((root / path).parent)
    for folder in sorted(folders, key=lambda f: len(f.parts), reverse=True):
        with contextlib.suppress(OSError):
            folder.rmdir()  # only succeeds when empty


def walk_names(root: Path) -> Iterator[str]:
    """The paths of the files of an output tree (links not followed, oddities skipped)."""
    return (path for path, _ in walk_files(root, follow=None, on_error=lambda path, message: None))


def _tree_matches(out: Path, previous: _Previous) -> bool:
    """OUT holds exactly the files its manifest lists (nobody added or removed any), none
    modified after the manifest was written (nobody edited one in place)."""
    names = set()
    for path, info in walk_files(out, follow=None, on_error=lambda path, message: None):
        if info.st_mtime_ns > previous.written_ns:
            return False
        names.add(path)
    return names == previous.manifest.files.keys() | {NAME}
