"""What a rebuild changed, as the browsers showing the preview must learn it.

Published stylesheets are content-hashed (``assets/classic.<hash>.css``), so an edited
stylesheet is a new file and every page linking it is rewritten with the new name. The
:class:`PageIndex` remembers, for each HTML page of the preview folder, the stylesheets it
links and a digest of the rest of it; after a rebuild it compares what was written: a page
that differs only in stylesheet names can swap its ``<link>``s in place (old URL path → new
URL path) instead of reloading; the pages whose text changed (a group's embed pages name its
colours) reload. A palette edit thus repaints the booking page in place and reloads the
embed page beside it.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

__all__ = ["MAX_PAGES", "NOTHING", "RELOAD", "PageChanges", "PageIndex", "stylesheets"]

MAX_PAGES = 50
"""More pages than this to reload one by one: every page reloads instead (one message)."""

_LINK = re.compile(rb"<link\s[^>]*>")
_STYLESHEET = re.compile(rb'\srel="stylesheet"')
_HREF = re.compile(rb'\shref="([^"]*)"')
_NOT_A_PAGE = frozenset({"manifest.json"})  # rewritten by every rebuild, never shown in a page


@dataclass(frozen=True)
class PageChanges:
    """What open pages must do after a rebuild: every page reloads (``reload``), or the
    ``pages`` named reload (URL paths, ``/spa/fr/embed.html``: their text changed, or they
    came or went) and the others swap ``stylesheets`` (URL path of a stylesheet pages
    linked, ``/assets/classic.1a2b3c4d5e.css`` → the one they link now). All empty and
    false: nothing a page shows changed."""

    reload: bool = False
    pages: frozenset[str] = frozenset()
    stylesheets: dict[str, str] = field(default_factory=dict)


RELOAD = PageChanges(reload=True)
NOTHING = PageChanges()


class _Page(NamedTuple):
    sha: str  # sha256 of the file as written (Output.files)
    rest: bytes  # sha256 of the page with its stylesheet hrefs blanked
    links: tuple[str, ...]  # URL paths of its stylesheets, in order


def stylesheets(path: str, html: bytes) -> tuple[tuple[str, ...], bytes]:
    """The URL paths of the stylesheets the page at ``path`` (``spa/fr/index.html``) links,
    in order (``/assets/classic.1a2b3c4d5e.css``), and the sha256 of the page without them."""
    folder = posixpath.dirname("/" + path)
    links: list[str] = []

    def blank(match: re.Match[bytes]) -> bytes:
        tag = match.group(0)
        href = _HREF.search(tag)
        if href is None or not _STYLESHEET.search(tag):
            return tag
        links.append(posixpath.normpath(posixpath.join(folder, href.group(1).decode("utf-8", "replace"))))
        return tag[: href.start(1)] + tag[href.end(1) :]

    rest = hashlib.sha256(_LINK.sub(blank, html)).digest()
    return tuple(links), rest


class PageIndex:
    """The HTML pages of the preview folder ``root`` as last written, and every file's sha256."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.pages: dict[str, _Page] = {}
        self.files: dict[str, str] = {}

    def update(self, files: Mapping[str, str]) -> PageChanges:
        """Take in the output as it now is (``files``: path → sha256 of every file the build
        wrote, as :attr:`generator.publish.output.Output.files`) and say what changed since
        the last update: files missing from ``files`` were deleted (a full build prunes)."""
        everything = False
        pages: set[str] = set()
        swaps: dict[str, str] = {}
        for path, sha in files.items():
            if self.files.get(path) == sha or path in _NOT_A_PAGE:
                continue
            if not path.endswith(".html"):
                everything |= path in self.files  # rewritten in place: hashed names never are
                continue
            old = self.pages.get(path)
            try:
                links, rest = stylesheets(path, (self.root / path).read_bytes())
            except OSError:  # already replaced or removed by a later write: reload to be sure
                self.pages.pop(path, None)
                everything = True
                continue
            self.pages[path] = _Page(sha, rest, links)
            if old is None or old.rest != rest or len(old.links) != len(links):
                pages.add("/" + path)
                continue
            for before, after in zip(old.links, links, strict=True):
                if before != after and swaps.setdefault(before, after) != after:
                    everything = True  # one stylesheet became two different ones
        for path in [p for p in self.pages if p not in files]:
            del self.pages[path]
            pages.add("/" + path)
        self.files = dict(files)
        # A page still linking an old stylesheet would be swapped to rules its HTML does not link.
        stale = any(old in page.links for page in self.pages.values() for old in swaps)
        if everything or stale or len(pages) > MAX_PAGES:
            return RELOAD
        return PageChanges(pages=frozenset(pages), stylesheets=swaps)
