"""The plan of a site: every output file as a value, before anything is rendered or written.

A :class:`SitePlan` turns a loaded site into :class:`Asset` values (bytes with their
path: stylesheets, scripts, logos, images) and :class:`Page` values (a template, the
theme and locale to render it in, and its context). It never writes: the publisher
(:class:`generator.publish.output.Output`) writes assets, the renderer
(:class:`generator.render.environment.Renderer`) turns pages into bytes. Paths and URLs
come from :mod:`generator.plan.urls`.

The plan keeps one registry, :attr:`SitePlan.assets` (logical name → path), which the
manifest records so that an incremental build's pages link the assets it carried over.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rcssmin

from ..colors import theme_stylesheet
from ..i18n import text_direction, translations, url_locale
from ..load.loader import GroupSource, Site
from ..load.site import default_locale, group_colours, group_locales, theme_for
from ..render.context import (
    PageLinks,
    content_security_policy,
    group_context,
    group_parts,
    language_links,
    page_parts,
    x_default_locale,
)
from ..render.snippets import MODES, Loader, button_colours, host_csp, snippet
from ..render.static import script_names, static_bytes
from ..themes import Theme
from . import urls
from .slugs import slugify

__all__ = ["Asset", "Page", "SitePlan", "directory_entry"]


@dataclass(frozen=True)
class Asset:
    """A file published as it is. ``shared``: parallel workers may write the same one (a
    theme's stylesheet), so it is replaced atomically."""

    path: str
    data: bytes
    shared: bool = False


@dataclass(frozen=True)
class Page:
    """A page to render: ``template`` in ``theme`` and ``locale`` with ``context``;
    ``where`` (a group's slug, ``index``, ``sitemap``) locates a template failure."""

    path: str
    theme: Theme
    locale: str
    template: str
    context: dict[str, Any]
    where: str

    @property
    def is_embed(self) -> bool:
        return self.template == "embed.html"


def directory_entry(site: Site, source: GroupSource) -> dict[str, Any]:
    """What the directory and sitemap need of a group (kept in the manifest)."""
    group = source.group
    return {
        "name": group.name,
        "city": group.city or "",
        "zipcode": group.zipcode or "",
        "locales": [url_locale(x) for x in group_locales(site.config, source)],
        "x_default": x_default_locale(site.config, source),
        "theme": theme_for(site, source).name,  # so a rebuild that loads no group knows which stylesheets are used
    }


def _hashed(folder: str, stem: str, suffix: str, data: bytes | str, *, shared: bool = False) -> Asset:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return Asset(urls.hashed_path(folder, stem, suffix, raw), raw, shared)


class SitePlan:
    """The assets and pages of ``site``; ``assets`` is the registry of shared assets
    already planned (logical name → path), e.g. carried over from the previous build.
    ``preview_url`` (``http://127.0.0.1:8000/``) is set only by ``bookgen serve``: embed
    pages then carry preview snippets and a floating-button preview (review D16)."""

    def __init__(self, site: Site, assets: dict[str, str] | None = None, *, preview_url: str | None = None) -> None:
        self.site = site
        self.assets: dict[str, str] = dict(assets or {})
        self.preview_url = preview_url

    def shared_assets(self) -> list[Asset]:
        """The default theme's stylesheet, the site palette, the scripts (content-hashed)
        and the loader at its stable URL. Other themes' stylesheets are planned by the
        first group that uses them."""
        self.assets = {key: path for key, path in self.assets.items() if not key.startswith("css:")}
        default = theme_for(self.site, None)
        planned = self.theme_css(default)
        palette = _hashed("assets", "site", ".css", theme_stylesheet(default.colors, default.colors_dark))
        self.assets["css:site"] = palette.path
        planned.append(palette)
        for script in script_names():
            asset = _hashed("assets", script.removesuffix(".js"), ".js", static_bytes(script))
            self.assets[script] = asset.path
            planned.append(asset)
        planned.append(Asset(urls.LOADER, static_bytes(urls.LOADER)))
        return planned

    def theme_css(self, theme: Theme) -> list[Asset]:
        """A theme's stylesheet, planned on its first use (empty afterwards)."""
        key = f"css:{theme.name}"
        if key in self.assets:
            return []
        # Minified (rcssmin): sources keep their comments for people, pages stay light.
        css = rcssmin.cssmin("\n".join(sheet.read_text("utf-8") for sheet in theme.stylesheets))
        asset = _hashed("assets", theme.name, ".css", css, shared=True)
        self.assets[key] = asset.path
        return [asset]

    def drop_unused_theme_css(self, entries: dict[str, dict[str, Any]]) -> list[str]:
        """Take out of the registry the stylesheets of themes that neither the site nor any
        group of ``entries`` (:func:`directory_entry`) uses any more, and return their
        paths: an incremental build carried them over with the shared assets, and a full
        build would not write them. Nothing is taken when an entry does not name its theme."""
        themes = [entry.get("theme") for entry in entries.values()]
        if None in themes:
            return []
        used = {theme_for(self.site, None).name, *themes}
        unused = [key for key in self.assets if key.startswith("css:") and key != "css:site" and key[4:] not in used]
        return [self.assets.pop(key) for key in unused]

    def group(self, source: GroupSource, loader: Loader) -> tuple[list[Asset], list[Page]]:
        """A group's own assets (stylesheet, logo, images) and its pages, with ``loader``
        (the versioned embed loader) named in its embed snippets."""
        theme = theme_for(self.site, source)
        planned = self.theme_css(theme)
        assets = {**self.assets, "css:theme": self.assets[f"css:{theme.name}"]}
        own = self._group_assets(source, theme)
        assets.update((key, asset.path) for key, asset in own.items())
        links = PageLinks(prefix="../../", assets=assets)
        images = [self._image(source, src, file) for src, file in source.images]
        image_urls = {src: links.to(asset.path) for (src, _), asset in zip(source.images, images, strict=True)}
        pages = [*self._booking_pages(source, theme, links, image_urls), *self._embed_pages(source, loader)]
        return [*planned, *own.values(), *images], pages

    def _group_assets(self, source: GroupSource, theme: Theme) -> dict[str, Asset]:
        light, dark = group_colours(theme, source)
        own = {"css:group": _hashed(source.slug, "theme", ".css", theme_stylesheet(light, dark))}
        if source.page.logo:
            logo = source.directory / source.page.logo
            raw = source.read(Path(os.path.realpath(logo)))
            own["logo"] = _hashed(source.slug, "logo", logo.suffix.lower(), raw)
        return own

    @staticmethod
    def _image(source: GroupSource, src: str, file: Path) -> Asset:
        stem = slugify(file.stem)[:40].rstrip("-") or "image"
        return _hashed(source.slug, stem, file.suffix.lower(), source.read(file))

    def _booking_pages(
        self, source: GroupSource, theme: Theme, links: PageLinks, image_urls: dict[str, str]
    ) -> Iterator[Page]:
        config = self.site.config
        parts = group_parts(config, source, image_urls)
        for locale in group_locales(config, source):
            page = group_context(config, source, locale, links, urls.BOOKING, parts)
            widget = {**page, **page_parts(config, source, urls.WIDGET)}  # the rest is the same
            for template, name, context in (("booking.html", urls.BOOKING, page), ("widget.html", urls.WIDGET, widget)):
                yield Page(urls.page_path(source.slug, locale, name), theme, locale, template, context, source.slug)

    def _embed_pages(self, source: GroupSource, loader: Loader) -> Iterator[Page]:
        """``<slug>/embed.html`` in the site's default locale (the address the docs give),
        ``<slug>/<locale>/embed.html`` in each of the group's locales."""
        locales = group_locales(self.site.config, source)
        default = default_locale(self.site.config)
        first = default if default in locales else locales[0]
        yield self._embed_page(source, urls.default_embed_path(source.slug), first, "", loader)
        for locale in locales:
            yield self._embed_page(source, urls.page_path(source.slug, locale, urls.EMBED), locale, "../", loader)

    def _site_assets(self) -> tuple[Theme, dict[str, str]]:
        """The default theme and the assets of pages in it (the embed pages, the directory)."""
        theme = theme_for(self.site, None)
        assets = {**self.assets, "css:theme": self.assets[f"css:{theme.name}"], "css:group": self.assets["css:site"]}
        return theme, assets

    def _embed_page(self, source: GroupSource, path: str, locale: str, up: str, loader: Loader) -> Page:
        """One embed page; ``up`` leads from the page's folder to ``<slug>/``."""
        config = self.site.config
        theme, assets = self._site_assets()
        label = translations(locale).gettext("Book an appointment")
        base = urls.snippet_base(config.site.base_url, self.preview_url)
        context = {
            "site": config.site,
            "group": source.group,
            "slug": source.slug,
            "lang": url_locale(locale),
            "dir": text_direction(locale),
            "links": PageLinks(prefix=urls.root_prefix(path), assets=assets),
            "csp": content_security_policy(config, frames=True),
            "scripts": ["embed-page.js", "embed.js"],
            "snippets": {mode: snippet(config, source, mode, locale, loader, label, base) for mode in MODES},
            "host_csp": host_csp(config, base),
            "widget_locale": url_locale(locale),
            "preview": self.preview_url is not None,
            "button_colours": button_colours(source),
            "label": label,
            "languages": language_links(config, source, lambda code: urls.embed_href(up, code)),
        }
        return Page(path, theme, locale, "embed.html", context, source.slug)

    @staticmethod
    def unchanged_site_pages(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> list[str]:
        """The paths of the site pages that directory entries ``old`` and ``new`` render
        alike: both when the entries are equal but for their themes (which neither page
        shows); the sitemap alone when only names, cities or zip codes differ (it lists
        slugs and locales, which a rename leaves as they were)."""
        def shown(entries: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
            return {slug: {k: v for k, v in entry.items() if k != "theme"} for slug, entry in entries.items()}
        if shown(old) == shown(new):
            return [urls.DIRECTORY, urls.SITEMAP]
        def placed(entries: dict[str, dict[str, Any]]) -> dict[str, tuple[Any, Any]]:
            return {slug: (entry["locales"], entry["x_default"]) for slug, entry in entries.items()}
        return [urls.SITEMAP] if placed(old) == placed(new) else []

    def site_pages(self, entries: dict[str, dict[str, Any]]) -> list[Page]:
        """The directory of groups and the sitemap, from directory entries
        (:func:`directory_entry`), so groups an incremental build did not load are listed."""
        config = self.site.config
        locale = default_locale(config)
        theme, assets = self._site_assets()
        # What the directory's list shows of each group, worked out here, once, rather than
        # in the template's loop: its cost grows with the number of groups.
        groups = [
            {"slug": slug, **entry, "search": " ".join((entry["name"], entry.get("city") or "", entry.get("zipcode") or "")).lower()}
            for slug, entry in sorted(entries.items())
        ]
        context = {
            "site": config.site,
            "groups": groups,
            "links": PageLinks(prefix="", assets=assets),
            "locale": locale,
            "lang": url_locale(locale),
            "dir": text_direction(locale),
            "csp": content_security_policy(config),
            "scripts": ["directory.js"],
        }
        base = config.site.base_url
        sitemap = [
            {
                "locales": group["locales"],
                "alternates": [
                    *((code, urls.locale_url(base, group["slug"], code)) for code in group["locales"]),
                    ("x-default", urls.locale_url(base, group["slug"], group["x_default"])),
                ],
            }
            for group in groups
        ]
        return [
            Page(urls.DIRECTORY, theme, locale, "index.html", context, "index"),
            Page(urls.SITEMAP, theme, locale, "sitemap.xml", {"groups": sitemap}, "sitemap"),
        ]
