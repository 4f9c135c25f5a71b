"""Embed snippets: how a group's booking reaches a business's own website.

Five modes: ``iframe`` (no script), ``inline`` / ``popup`` / ``button`` (the loader
``embed.js`` with auto-resize and events) and ``link``. Script snippets reference the
content-hashed loader with a Subresource Integrity hash and carry a ``<noscript>``
link; the stable ``embed.js`` is for hosts that want updates without editing.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from markupsafe import escape

from ..i18n import url_locale
from ..load.config import SiteConfig
from ..load.loader import GroupSource
from ..plan.urls import WIDGET, page_url
from ..protocol import SANDBOX

__all__ = ["MODES", "SANDBOX", "Loader", "button_colours", "host_csp", "snippet"]

MODES = ("iframe", "inline", "popup", "button", "link")


@dataclass(frozen=True)
class Loader:
    """The versioned loader: its path in the output and its SRI hash."""

    path: str
    integrity: str

    @classmethod
    def from_bytes(cls, path: str, data: bytes) -> Loader:
        digest = base64.b64encode(hashlib.sha384(data).digest()).decode()
        return cls(path, f"sha384-{digest}")


def host_csp(config: SiteConfig, base: str | None = None) -> str:
    """The Content-Security-Policy additions a host page needs for the embed: the origin of
    ``base`` (the URL the snippets name; default ``base_url``)."""
    origin = (base or config.site.base_url).rstrip("/").split("/", 3)
    widget_origin = "/".join(origin[:3])
    return f"script-src {widget_origin}; frame-src {widget_origin}"


def button_colours(source: GroupSource) -> tuple[str, str] | None:
    """The floating button's ``(background, color)``: the group's ``main_bg`` / ``main_text``
    usercolors when it sets both, else ``None`` (the loader's defaults)."""
    colours = source.group.usercolors.as_dict() if source.group.usercolors else {}
    if colours.get("main_bg") and colours.get("main_text"):
        return colours["main_bg"], colours["main_text"]
    return None


def snippet(
    config: SiteConfig,
    source: GroupSource,
    mode: str,
    locale: str,
    loader: Loader,
    label: str = "Book",
    base: str | None = None,
) -> str:
    """The HTML a business pastes for ``mode`` (one of :data:`MODES`). ``base`` is the URL
    (ending with ``/``) it points at: ``base_url`` by default, the preview's under
    ``bookgen serve`` (:func:`generator.plan.urls.snippet_base`)."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    base = base or config.site.base_url
    lang = url_locale(locale)
    page = page_url(base, source.slug, locale)
    name = escape(source.group.name)
    link = f'<a href="{page}">{escape(label)} – {name}</a>'
    if mode == "link":
        return link
    if mode == "iframe":
        return (
            f'<iframe src="{page}{WIDGET}" title="{escape(label)} – {name}" loading="lazy" '
            f'sandbox="{SANDBOX}" style="width:100%;height:720px;border:0"></iframe>'
        )
    script = f'<script async src="{base}{loader.path}" integrity="{loader.integrity}" crossorigin="anonymous"></script>'
    attrs = f'data-bookgen-group="{source.slug}" data-locale="{lang}" data-mode="{mode}"'
    if mode == "popup":
        element = f'<button type="button" {attrs} data-title="{name}">{escape(label)}</button>'
    elif mode == "button":
        colours = button_colours(source)
        style = f' data-background="{colours[0]}" data-color="{colours[1]}"' if colours else ""
        element = f'<div {attrs} data-label="{escape(label)}" data-title="{name}" data-position="bottom-right"{style}></div>'
    else:
        element = f'<div {attrs} data-title="{name}"></div>'
    return f"{element}\n{script}\n<noscript>{link}</noscript>"
