"""Markdown texts (``pages/*.md``) → sanitized HTML.

The output is the only HTML in the tool that templates mark ``|safe``, so it goes
through an allowlist sanitizer (nh3, i.e. Ammonia): headings, lists, links, tables
and images survive; scripts, event handlers, inline styles, ``javascript:`` and
``data:`` URLs do not. Raw HTML in the markdown is allowed in but sanitized out.

Images are kept with the ``src`` as written; the loader checks the files a page
names (:mod:`generator.images`) and the build publishes them under content-hashed
names and rewrites the ``src`` (:func:`with_image_urls`).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import markdown
import nh3

__all__ = ["TextPage", "is_remote", "render_markdown", "with_image_urls"]

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "strong", "sub", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align"},
    "th": {"align", "scope"},
}
_HEADING = re.compile(r"<h([1-6])>(.*?)</h\1>", re.S)
# nh3 serializes every attribute as name="value", with & and " escaped.
_IMAGE_SRC = re.compile(r'(<img\b(?:[^>"]|"[^"]*")*?\ssrc=")([^"]*)(")')


@dataclass(frozen=True)
class TextPage:
    """A markdown page of a group: ``name`` is the file's stem, ``title`` its first heading."""

    name: str
    title: str
    html: str
    images: tuple[str, ...] = ()  # every <img> src, as written (unescaped)


def _demote_headings(rendered: str) -> tuple[str, str]:
    """Pull the first heading out as the title and keep the rest below the page's h1."""
    title = ""
    match = _HEADING.search(rendered)
    if match and match.group(1) == "1":
        title = html.unescape(re.sub(r"<[^>]+>", "", match.group(2))).strip()
        rendered = rendered[: match.start()] + rendered[match.end() :]

    def shift(m: re.Match[str]) -> str:
        level = min(int(m.group(1)) + 1, 6)
        return f"<h{level}>{m.group(2)}</h{level}>"

    return title, _HEADING.sub(shift, rendered)


def render_markdown(source: str, name: str) -> TextPage:
    """Render ``source`` and sanitize it; a leading ``# Title`` becomes the page title."""
    rendered = markdown.markdown(source, extensions=["tables", "sane_lists"], output_format="html")
    title, body = _demote_headings(rendered)
    clean = nh3.clean(
        body,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    images = tuple(dict.fromkeys(html.unescape(m.group(2)) for m in _IMAGE_SRC.finditer(clean)))
    return TextPage(name=name, title=title or name.replace("-", " ").capitalize(), html=clean, images=images)


def is_remote(src: str) -> bool:
    """An image on another origin (``https://…``, ``//host/…``), not a file of the group."""
    return bool(re.match(r"[A-Za-z][A-Za-z0-9+.-]*:|//", src))


def with_image_urls(text: TextPage, urls: dict[str, str]) -> TextPage:
    """``text`` with each image ``src`` in ``urls`` replaced by its published URL."""
    if not urls or not text.images:
        return text

    def replace(match: re.Match[str]) -> str:
        url = urls.get(html.unescape(match.group(2)))
        return match.group(0) if url is None else f"{match.group(1)}{html.escape(url)}{match.group(3)}"

    return TextPage(text.name, text.title, _IMAGE_SRC.sub(replace, text.html), text.images)
