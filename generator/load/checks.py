"""Warnings a build gives about a valid site: contrast below WCAG AA, images the pages'
CSP blocks, locales without UI strings (``bookgen check``; ``--strict`` fails on them)."""

from __future__ import annotations

from ..colors import contrast_issues
from ..content import is_remote
from ..i18n import has_catalog
from .loader import Site
from .site import group_colours, group_locales, theme_for

__all__ = ["check"]


def check(site: Site) -> list[str]:
    """Warnings a build would give, one line each: contrast below WCAG AA, images the CSP
    blocks, locales without UI strings."""
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
