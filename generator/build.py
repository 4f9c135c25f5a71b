"""Plan, render and publish a site: the ``bookgen build`` pipeline.

load (validated models) → assets (content-hashed, shared) → pages (group × locale ×
kind) rendered into a staging folder → manifest → atomic swap into OUT. Nothing is
written to OUT before everything has validated and rendered.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from . import __version__
from .colors import contrast_issues, theme_stylesheet
from .config import SiteConfig
from .embed import MODES, Loader, host_csp, snippet
from .errors import Problem, SiteError
from .i18n import has_catalog, text_direction, translations, url_locale
from .loader import GroupSource, Site, load_site
from .publish import locked, staging_dir, swap_into_place
from .render import (
    PageLinks,
    content_security_policy,
    environment,
    group_context,
    group_locales,
    language_links,
    output_path,
)
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
    """Warnings a build would give: contrast below WCAG AA, locales without UI strings."""
    warnings = []
    for source in site.groups:
        light, dark = group_colours(theme_for(site, source), source)
        for palette, label in ((light, ""), (dark, " (dark)")):
            for issue in contrast_issues(palette) if palette else ():
                warnings.append(f"{source.slug}{label}: {issue}")
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
    loader.cache_clear()


class Builder:
    """Renders a loaded site into a folder, one piece at a time.

    ``bookgen build`` runs every step into a staging folder; the preview server
    keeps one Builder and re-runs only the steps an edit affects.
    """

    def __init__(self, site: Site, root: Path) -> None:
        self.site = site
        self.root = root
        self.files: dict[str, str] = {}  # path → sha256, for the manifest
        self.assets: dict[str, str] = {}  # logical name → path from the output root

    def write(self, path: str, data: bytes | str) -> None:
        """Write one output file atomically (a reader never sees half a page)."""
        raw = data.encode("utf-8") if isinstance(data, str) else data
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.tmp")
        temporary.write_bytes(raw)
        os.replace(temporary, target)
        self.files[path] = hashlib.sha256(raw).hexdigest()

    def write_hashed(self, folder: str, stem: str, suffix: str, data: bytes | str) -> str:
        """Write under a content-hashed name (``theme.1a2b3c4d5e.css``); return its path."""
        raw = data.encode("utf-8") if isinstance(data, str) else data
        path = hashed_path(folder, stem, suffix, raw)
        self.write(path, raw)
        return path

    def write_assets(self) -> None:
        """Theme stylesheets (one per theme in use) and scripts, content-hashed, shared."""
        site = self.site
        themes = {theme_for(site, source) for source in site.groups} | {theme_for(site, None)}
        for theme in sorted(themes, key=lambda t: t.name):
            css = "\n".join(sheet.read_text("utf-8") for sheet in theme.stylesheets)
            self.assets[f"css:{theme.name}"] = self.write_hashed("assets", theme.name, ".css", css)
        for script in sorted(p.name for p in (TEMPLATES_DIR / "static").glob("*.js")):
            stem = script.removesuffix(".js")
            self.assets[script] = self.write_hashed("assets", stem, ".js", _static(script))

    def render_group(self, source: GroupSource) -> int:
        """Render every page of one group; returns the number of pages written."""
        site = self.site
        theme = theme_for(site, source)
        light, dark = group_colours(theme, source)
        assets = dict(self.assets)
        assets["css:theme"] = self.assets[f"css:{theme.name}"]
        stylesheet = theme_stylesheet(light, dark)
        assets["css:group"] = self.write_hashed(source.slug, "theme", ".css", stylesheet)
        if source.page.logo:
            logo = source.directory / source.page.logo
            suffix = logo.suffix.lower()
            assets["logo"] = self.write_hashed(source.slug, "logo", suffix, logo.read_bytes())
        links = PageLinks(prefix="../../", assets=assets)
        pages = 0
        for locale in group_locales(site.config, source):
            env = environment(theme, locale)
            for template, name in (("booking.html", "index.html"), ("widget.html", "widget.html")):
                context = group_context(site.config, source, locale, links, name)
                self.write(
                    output_path(source.slug, locale, name), _render(env, template, context, source.slug)
                )
                pages += 1
        return pages

    def write_site_pages(self) -> None:
        """The directory of groups (index.html) and sitemap.xml."""
        config: SiteConfig = self.site.config
        groups = self.site.groups
        locale = config.site.default_locale or config.site.locales[0]
        theme = theme_for(self.site, None)
        env = environment(theme, locale)
        palette = theme_stylesheet(theme.colors, theme.colors_dark)
        self.assets["css:site"] = self.write_hashed("assets", "site", ".css", palette)
        site_assets = {
            **self.assets,
            "css:theme": self.assets[f"css:{theme.name}"],
            "css:group": self.assets["css:site"],
        }
        links = PageLinks(prefix="", assets=site_assets)
        entries = [
            {
                "slug": source.slug,
                "group": source.group,
                "locales": [url_locale(x) for x in group_locales(config, source)],
            }
            for source in groups
        ]
        context = {
            "site": config.site,
            "groups": entries,
            "links": links,
            "locale": locale,
            "lang": url_locale(locale),
            "dir": text_direction(locale),
            "csp": content_security_policy(config),
            "scripts": ["directory.js"],
        }
        self.write("index.html", _render(env, "index.html", context, "index"))
        base = config.site.base_url
        urls = []
        for source in groups:
            locales = [url_locale(x) for x in group_locales(config, source)]
            alternates = [(code, f"{base}{source.slug}/{code}/") for code in locales]
            urls += [{"loc": href, "alternates": alternates} for _, href in alternates]
        self.write("sitemap.xml", _render(env, "sitemap.xml", {"urls": urls}, "sitemap"))

    def write_embed(self) -> None:
        """The stable loader ``embed.js`` and each group's embed pages (snippets, live preview).

        ``<slug>/embed.html`` is in the site's default locale (the address docs point to);
        ``<slug>/<locale>/embed.html`` gives the page, and snippets, in every other locale.
        """
        config = self.site.config
        self.write("embed.js", _static("embed.js"))
        default = config.site.default_locale or config.site.locales[0]
        theme = theme_for(self.site, None)
        assets = {**self.assets, "css:theme": self.assets[f"css:{theme.name}"], "css:group": self.assets["css:site"]}
        for source in self.site.groups:
            locales = group_locales(config, source)
            first = default if default in locales else locales[0]
            self.write(f"{source.slug}/embed.html", self._embed_page(source, theme, first, "", assets))
            for locale in locales:
                page = self._embed_page(source, theme, locale, "../", assets)
                self.write(output_path(source.slug, locale, "embed.html"), page)

    def _embed_page(self, source: GroupSource, theme: Theme, locale: str, up: str, assets: dict[str, str]) -> str:
        """One embed page; ``up`` leads from the page's folder to ``<slug>/``."""
        config = self.site.config
        gettext = translations(locale).gettext
        languages = language_links(config, source, lambda code: f"{up}{code}/embed.html")
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
            "languages": languages,
        }
        return _render(environment(theme, locale), "embed.html", context, source.slug)

    def write_manifest(self) -> None:
        """manifest.json: every file with its sha256, for incremental deploys."""
        manifest = {"generator": f"bookgen {__version__}", "files": dict(sorted(self.files.items()))}
        (self.root / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", "utf-8")


def build(
    site_dir: Path | str,
    out: Path | str,
    *,
    strict: bool = False,
    progress: Progress | None = None,
) -> BuildResult:
    """Build the site project at ``site_dir`` into ``out``.

    Raises :class:`SiteError` (nothing written, OUT untouched) when the input is
    invalid, a template is broken, or ``strict`` and a check fails.
    """
    started = time.perf_counter()
    site = load_site(site_dir)
    warnings = check(site)
    if strict and warnings:
        raise SiteError([Problem(str(site_dir), "", f"--strict: {w}") for w in warnings])
    out = Path(out)
    result = BuildResult(warnings=warnings, groups=len(site.groups))
    with locked(out):
        staging = staging_dir(out)
        try:
            builder = Builder(site, staging)
            builder.write_assets()
            for index, source in enumerate(site.groups, 1):
                result.pages += builder.render_group(source)
                result.locales.update(group_locales(site.config, source))
                if progress:
                    progress(index, len(site.groups))
            builder.write_site_pages()
            builder.write_embed()
            builder.write_manifest()
            result.files = builder.files
            swap_into_place(staging, out)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    result.seconds = time.perf_counter() - started
    return result
