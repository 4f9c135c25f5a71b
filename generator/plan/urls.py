"""Every output path and URL of a built site, in one module.

Paths are relative to the output root (``eden-spa/fr/index.html``); URLs are absolute,
from ``site.toml``'s ``base_url`` (which ends with ``/``), or relative hrefs from one page
to another. Embed snippets are the one exception: under ``bookgen serve`` they name the
preview's own origin (:func:`snippet_base`), so a copied snippet can be tried against it. A locale appears in paths and URLs in its URL form (:func:`generator.i18n.url_locale`:
``pt_BR`` → ``pt-BR``). The tree::

    index.html  sitemap.xml  embed.js  manifest.json     directory, sitemap, stable loader
    assets/<stem>.<hash>.<ext>                           shared stylesheets and scripts
    <slug>/theme.<hash>.css  <slug>/logo.<hash>.<ext>    the group's palette and logo
    <slug>/<image>.<hash>.<ext>                          images of its markdown pages
    <slug>/embed.html                                    embed page, site's default locale
    <slug>/<locale>/index.html | widget.html | embed.html

The pages' scripts take every URL from the page (``data-api``, ``data-*`` module paths,
hrefs rendered here). The embed loader (``templates/static/embed.js``) runs on the host's
page, where no page data of bookgen's exists, so it carries two of these rules as literals
(the site root is ``../`` from ``assets/``; a widget is ``<slug>/<locale>/widget.html``);
tests/test_plan.py checks both against this module.
"""

from __future__ import annotations

import hashlib

from ..i18n import url_locale

__all__ = [
    "BOOKING",
    "DIRECTORY",
    "EMBED",
    "LOADER",
    "SITEMAP",
    "WIDGET",
    "embed_href",
    "hashed_path",
    "locale_url",
    "page_path",
    "page_url",
    "root_prefix",
    "sibling_href",
    "snippet_base",
]

BOOKING, WIDGET, EMBED = "index.html", "widget.html", "embed.html"  # the pages of a group, per locale
DIRECTORY, SITEMAP = "index.html", "sitemap.xml"  # at the output root
LOADER = "embed.js"  # the embed loader at its stable URL (the versioned one is hashed)


def hashed_path(folder: str, stem: str, suffix: str, raw: bytes) -> str:
    """``folder/stem.<10 hex of sha256>suffix``: a name that changes when the content does."""
    name = f"{stem}.{hashlib.sha256(raw).hexdigest()[:10]}{suffix}"
    return f"{folder}/{name}" if folder else name


def page_path(slug: str, locale: str, name: str) -> str:
    """Where a group page lands: ``<slug>/<url locale>/<name>``."""
    return f"{slug}/{url_locale(locale)}/{name}"


def default_embed_path(slug: str) -> str:
    """The embed page in the site's default locale, at the address the docs give."""
    return f"{slug}/{EMBED}"


def root_prefix(path: str) -> str:
    """The relative path from the page at ``path`` back to the output root (``../../``)."""
    return "../" * path.count("/")


def locale_url(base_url: str, slug: str, code: str) -> str:
    """The absolute URL of a group's booking page in the locale whose URL form is ``code``."""
    return f"{base_url}{slug}/{code}/"


def page_url(base_url: str, slug: str, locale: str) -> str:
    """The canonical URL of a group's booking page in ``locale`` (any form)."""
    return locale_url(base_url, slug, url_locale(locale))


def sibling_href(code: str, name: str) -> str:
    """From a page in a locale folder, the same page in locale ``code`` (URL form)."""
    return f"../{code}/{'' if name == BOOKING else name}"


def embed_href(up: str, code: str) -> str:
    """From an embed page, the embed page in locale ``code``; ``up`` leads to ``<slug>/``."""
    return f"{up}{code}/{EMBED}"


def snippet_base(base_url: str, preview_url: str | None) -> str:
    """The base URL (ending with ``/``) that embed snippets and the host CSP name.

    ``base_url`` (production) for a build; under ``bookgen serve`` the preview's own URL
    (``http://127.0.0.1:8000/``), which serves the same tree at its root (review D16).
    """
    return preview_url if preview_url is not None else base_url
