"""Plan, render and publish a site: the ``bookgen build`` pipeline.

load (validated models) → assets (content-hashed, shared) → pages (group × locale ×
kind) rendered into a staging folder → manifest → atomic swap into OUT. Nothing is
written to OUT before everything has validated and rendered.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import rcssmin
import rjsmin

from .cachedir import BuildState, private_folder, read_state, write_state
from .colors import contrast_issues, theme_stylesheet
from .config import SiteConfig
from .content import is_remote
from .embed import MODES, Loader, host_csp, snippet
from .errors import Problem, SiteError
from .i18n import has_catalog, text_direction, translations, url_locale
from .incremental import (
    OutEdited,
    Previous,
    carry_files,
    claim_spare,
    finish_twin,
    previous_build,
    remove_stale,
    still_foreign,
    tree_matches,
    walk_names,
)
from .loader import GroupSource, Site, group_folders, load_site
from .manifest import NAME, Manifest, group_digest, group_stamp, shared_digest
from .outdir import displace, output_folder
from .publish import (
    PARTIAL,
    discard_tree,
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
    x_default_locale,
)
from .slugs import slugify
from .themes import TEMPLATES_DIR, Theme, load_theme
from .workers import Rendered, render_groups  # imports this module back, for Builder and check

__all__ = ["BuildResult", "Builder", "build", "check", "reset_caches", "theme_for", "trial_render"]

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


def trial_render(site: Site) -> None:
    """Render every page into a temporary folder that is then deleted (``bookgen check``),
    so a template that fails only while rendering is reported without writing anything.
    Raises :class:`SiteError` with each distinct template problem."""
    import tempfile

    problems: list[Problem] = []
    with tempfile.TemporaryDirectory(prefix="bookgen-check-") as folder:
        builder = Builder(site, Path(folder))
        for step in [builder.write_assets, *(functools.partial(builder.render_group, g) for g in site.groups)]:
            try:
                step()
            except SiteError as error:
                problems += [p for p in error.problems if p not in problems]
    if problems:
        raise SiteError(problems)


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
    # Minified (rjsmin): sources keep their comments for people, pages stay within budget.
    return rjsmin.jsmin(data.decode("utf-8")).encode("utf-8") if name.endswith(".js") else data


def _render(env: jinja2.Environment, name: str, context: dict[str, Any], source: str) -> str:
    try:
        return env.get_template(name).render(context)
    except Exception as error:  # a theme's template may fail in any way while rendering
        from .render import template_problem

        problem = template_problem(error, name, source)
        if problem is None:
            raise
        raise SiteError([problem]) from None


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
        self.manifest_sha = ""  # sha256 of the manifest.json written (see write_manifest)
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
            # Minified (rcssmin): sources keep their comments for people, pages stay light.
            css = rcssmin.cssmin("\n".join(sheet.read_text("utf-8") for sheet in theme.stylesheets))
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
            {
                "locales": group["locales"],
                "alternates": [
                    *((code, f"{base}{group['slug']}/{code}/") for code in group["locales"]),
                    ("x-default", f"{base}{group['slug']}/{group['x_default']}/"),
                ],
            }
            for group in groups
        ]
        self.write("sitemap.xml", _render(env, "sitemap.xml", {"groups": sitemap}, "sitemap"))

    def write_manifest(self, manifest: Manifest) -> None:
        """manifest.json: every file with its sha256, the inputs' digests, the directory."""
        manifest.files = self.files
        manifest.assets = self.assets
        raw = manifest.to_json().encode("utf-8")
        (self.root / NAME).write_bytes(raw)
        self.manifest_sha = hashlib.sha256(raw).hexdigest()


def directory_entry(site: Site, source: GroupSource) -> dict[str, Any]:
    """What the directory and sitemap need of a group (kept in the manifest)."""
    group = source.group
    return {
        "name": group.name,
        "city": group.city or "",
        "zipcode": group.zipcode or "",
        "locales": [url_locale(x) for x in group_locales(site.config, source)],
        "x_default": x_default_locale(site.config, source),
    }

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
    previous = previous_build(out, manifest, incremental and not strict and not foreign)
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
        if previous.manifest.inputs == manifest.inputs and tree_matches(out, previous):
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
    with locked(out):  # (makes OUT's parent, where the cache lives)
        cache = cache or private_folder(out.parent / f".{out.name}.cache")
        BYTECODE.folder, BYTECODE.trusted, BYTECODE.written = cache, dict(state.bytecode), {}
        if foreign and still_foreign(out):
            moved = displace(out)
            result.warnings.append(f"--force: the files that were in {out} were moved to {moved}")
        try:
            rendered = _publish(site, site_dir, out, previous, slugs, changed, manifest, result,
                                strict=strict, jobs=jobs, progress=progress, started_ns=started_ns)  # fmt: skip
        except OutEdited:
            rendered = None
        if rendered is not None:
            stamps.update(rendered.stamps)
            bytecode = {**state.bytecode, **rendered.bytecode, **BYTECODE.written}
            kept = {k: v for k, v in bytecode.items() if cache and (cache / k).is_file()}
            write_state(cache, BuildState(rendered.manifest_sha, stamps, kept))
    if rendered is None:  # a file of OUT was edited or removed by hand: render everything afresh
        return build(site_dir, out, strict=strict, progress=progress, jobs=jobs, shard=shard, incremental=False)
    result.seconds = time.perf_counter() - started
    return result


def _publish(
    site: Site, site_dir: Path, out: Path, previous: Previous | None, slugs: list[str], changed: set[str],
    manifest: Manifest, result: BuildResult, *, strict: bool, jobs: int, progress: Progress | None,
    started_ns: int,
) -> Rendered:
    """Render the changed groups into a new tree, carry the rest over, swap it into OUT
    (the lock held). Raises :class:`OutEdited` when OUT no longer matches its manifest."""
    carried: list[str] = []
    old = previous.manifest if previous else None
    if old:
        by_folder = old.files_by_folder()
        kept = [slug for slug in slugs if slug not in changed]
        shared = [folder for folder in by_folder if folder not in old.inputs and folder != ""]
        carried = [path for folder in (*shared, *kept) for path in by_folder.get(folder, [])]
        carried.append("embed.js")
    spare = claim_spare(out) if previous else None
    staging = spare_dir(out) if spare is not None else staging_dir(out)
    twin = None
    try:
        # A build into an empty OUT leaves no old tree to become the spare: it makes one
        # as it goes, of hard links, so the next incremental build is cheap too.
        if previous is None and not out.exists():
            discard_tree(spare_dir(out))
            twin = spare_dir(out)
            # Marked before its first file: a build killed while the twin grows leaves a
            # folder the next build knows as its own, and may discard.
            try:
                twin.mkdir(parents=True)
                (twin / PARTIAL).touch()
            except OSError:
                twin = None
        # Updating a previous tree, whose files may be hard links shared with OUT: write
        # new files under new inodes, never through the shared ones.
        builder = Builder(site, staging, live=previous is not None, twin=twin)
        if previous and old:
            builder.assets = dict(old.assets)
            carry_files(out, staging, carried, old.files, spare, builder, previous.written_ns)
        else:
            builder.write_assets()
        rendered = render_groups(builder, site_dir, sorted(changed), jobs, progress, started_ns)
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
            carry_files(out, staging, ["index.html", "sitemap.xml"], old.files, spare, builder, previous.written_ns)
        else:
            builder.write_site_pages(entries)
        if spare is not None:
            remove_stale(staging, set(walk_names(staging)) - builder.files.keys() - {PARTIAL})
        builder.write_manifest(manifest)
        # Only once its manifest is written: a build killed in between leaves a tree that is
        # still marked as bookgen's (manifest or mark), never one the next build must refuse.
        (staging / PARTIAL).unlink(missing_ok=True)
        rendered.manifest_sha = builder.manifest_sha
        result.files = builder.files
        try:
            swap_into_place(staging, out)
        except OSError as error:
            if error.errno == errno.EBUSY:
                raise SiteError([Problem(str(out), "", "is a mount point or in use, and cannot be replaced "
                                                       "as a whole; build into a folder inside it")]) from None  # fmt: skip
            raise
        if twin is not None:
            finish_twin(twin, builder, manifest)
        return rendered
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if twin is not None and not (twin / NAME).exists():
            shutil.rmtree(twin, ignore_errors=True)
        raise
