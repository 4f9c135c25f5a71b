"""What follows from a loaded site for one group: its theme, palette, locales and language."""

from __future__ import annotations

from ..themes import Theme, load_theme
from .config import SiteConfig
from .loader import GroupSource, Site

__all__ = ["default_locale", "group_colours", "group_language", "group_locales", "theme_for"]


def theme_for(site: Site, source: GroupSource | None) -> Theme:
    """The group's theme (``page.toml``), else the site's (``site.toml``); ``None``: the site's."""
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


def group_locales(config: SiteConfig, source: GroupSource) -> list[str]:
    """The locales the group's pages are built in: ``page.toml``'s, else ``site.toml``'s."""
    return list(source.page.locales or config.site.locales)


def group_language(config: SiteConfig, source: GroupSource) -> str:
    """The language the group's own texts (preposition, markdown) are written in."""
    return source.page.language or default_locale(config)


def default_locale(config: SiteConfig) -> str:
    """The site's default locale (``default_locale``, else its first locale)."""
    return config.site.default_locale or config.site.locales[0]
