"""Plan, render and publish a site: the ``bookgen build`` pipeline.

load (validated models) → assets (content-hashed, shared) → pages (group × locale ×
kind) rendered into a staging folder → manifest → atomic swap into OUT. Nothing is
written to OUT before everything has validated and rendered.
"""

from __future__ import annotations

import hashlib
import json
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
from .errors import Problem, SiteError
from .i18n import has_catalog, text_direction, url_locale
from .loader import GroupSource, Site, load_site
from .publish import locked, staging_dir, swap_into_place
from .render import (
    PageLinks,
    content_security_policy,
    environment,
    group_context,
    group_locales,
    output_path,
)
from .themes import TEMPLATES_DIR, Theme, load_theme

__all__ = ["BuildResult", "build", "check", "theme_for"]

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


class _Writer:
    """Writes files into the staging tree and records their hashes for the manifest."""

    def __init__(self, root: Path, result: BuildResult) -> None:
        self.root = root
        self.result = result

    def write(self, path: str, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode("utf-8")
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        self.result.files[path] = hashlib.sha256(data).hexdigest()

    def write_hashed(self, folder: str, stem: str, suffix: str, data: bytes | str) -> str:
        """Write under a content-hashed name (``theme.1a2b3c4d.css``) and return its path."""
        raw = data.encode("utf-8") if isinstance(data, str) else data
        digest = hashlib.sha256(raw).hexdigest()[:10]
        path = f"{folder}/{stem}.{digest}{suffix}" if folder else f"{stem}.{digest}{suffix}"
        self.write(path, raw)
        return path


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


def _write_shared_assets(site: Site, writer: _Writer) -> dict[str, str]:
    """Theme stylesheets (one per theme used) and scripts, content-hashed."""
    assets: dict[str, str] = {}
    themes = {theme_for(site, source) for source in site.groups} | {theme_for(site, None)}
    for theme in sorted(themes, key=lambda t: t.name):
        css = "\n".join(sheet.read_text("utf-8") for sheet in theme.stylesheets)
        assets[f"css:{theme.name}"] = writer.write_hashed("assets", theme.name, ".css", css)
    for script in ("booking.js", "directory.js"):
        if (TEMPLATES_DIR / "static" / script).is_file():
            stem = script.removesuffix(".js")
            assets[script] = writer.write_hashed("assets", stem, ".js", _static(script))
    return assets


def _render(env: jinja2.Environment, name: str, context: dict[str, Any], source: str) -> str:
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateSyntaxError as error:
        raise SiteError(
            [Problem(error.filename or name, "", f"template syntax error: {error.message}", error.lineno)]
        ) from None
    except jinja2.TemplateError as error:
        raise SiteError([Problem(name, source, f"template error: {error}")]) from None


def _render_group(site: Site, source: GroupSource, assets: dict[str, str], writer: _Writer) -> int:
    """Render every page of one group into the staging tree; returns the page count."""
    theme = theme_for(site, source)
    light, dark = group_colours(theme, source)
    group_assets = dict(assets)
    group_assets["css:theme"] = assets[f"css:{theme.name}"]
    group_assets["css:group"] = writer.write_hashed(
        source.slug, "theme", ".css", theme_stylesheet(light, dark)
    )
    if source.page.logo:
        logo = source.directory / source.page.logo
        group_assets["logo"] = writer.write_hashed(
            source.slug, "logo", logo.suffix.lower(), logo.read_bytes()
        )
    pages = 0
    locales = group_locales(site.config, source)
    for locale in locales:
        env = environment(theme, locale)
        links = PageLinks(prefix="../../", assets=group_assets)
        for template, name in (("booking.html", "index.html"), ("widget.html", "widget.html")):
            context = group_context(site.config, source, locale, links, name)
            html = _render(env, template, context, source.slug)
            writer.write(output_path(source.slug, locale, name), html)
            pages += 1
    return pages


def _write_site_pages(site: Site, assets: dict[str, str], writer: _Writer) -> None:
    config: SiteConfig = site.config
    locale = config.site.default_locale or config.site.locales[0]
    theme = theme_for(site, None)
    env = environment(theme, locale)
    links = PageLinks(prefix="", assets={**assets, "css:theme": assets[f"css:{theme.name}"]})
    entries = [
        {
            "slug": source.slug,
            "group": source.group,
            "locales": [url_locale(x) for x in group_locales(config, source)],
        }
        for source in site.groups
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
    writer.write("index.html", _render(env, "index.html", context, "index"))
    urls = [
        {
            "loc": f"{config.site.base_url}{source.slug}/{url_locale(loc)}/",
            "alternates": [
                (url_locale(other), f"{config.site.base_url}{source.slug}/{url_locale(other)}/")
                for other in group_locales(config, source)
            ],
        }
        for source in site.groups
        for loc in group_locales(config, source)
    ]
    writer.write("sitemap.xml", _render(env, "sitemap.xml", {"urls": urls}, "sitemap"))


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
    result = BuildResult(warnings=warnings)
    with locked(out):
        staging = staging_dir(out)
        try:
            writer = _Writer(staging, result)
            assets = _write_shared_assets(site, writer)
            total = len(site.groups)
            for index, source in enumerate(site.groups, 1):
                result.pages += _render_group(site, source, assets, writer)
                result.locales.update(group_locales(site.config, source))
                if progress:
                    progress(index, total)
            result.groups = len(site.groups)
            _write_site_pages(site, assets, writer)
            manifest = {
                "generator": f"bookgen {__version__}",
                "files": dict(sorted(result.files.items())),
            }
            (staging / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", "utf-8")
            swap_into_place(staging, out)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    result.seconds = time.perf_counter() - started
    return result
