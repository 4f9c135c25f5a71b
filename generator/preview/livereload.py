"""The LiveReload protocol of the preview: livereload's websocket and browser client.

The ``livereload`` package's handlers speak the protocol (``hello``, then ``reload``
commands); this module restricts the websocket to pages of this preview (the Origin
must be the Host), lets the script answer HEAD, and tells every open page what changed:
reload, or swap stylesheets (the preview's plugin, ``client.js``, does the swap).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from livereload.handlers import LiveReloadHandler, LiveReloadJSHandler  # type: ignore[import-untyped]

from .changes import PageChanges

__all__ = ["messages", "routes", "tell_browsers"]


class _ReloadSocket(LiveReloadHandler):  # type: ignore[misc]
    """livereload's websocket, accepting only pages served by this preview."""

    def check_origin(self, origin: str) -> bool:
        return bool(urlparse(origin).netloc == self.request.host)

    def open(self, *args: Any, **kwargs: Any) -> None:
        # Without TCP_NODELAY (tornado's default for websockets) Nagle's algorithm holds each
        # command after the first until the browser ACKs it, and on Linux the delayed ACK
        # is 40 ms: the page's own reload waited 40 ms whenever it was not the first command.
        self.set_nodelay(True)


class _ReloadScript(LiveReloadJSHandler):  # type: ignore[misc]
    """livereload's browser client, also answering HEAD; revalidated (ETag → 304) rather
    than sent again at each reload."""

    def get(self) -> None:
        self.set_header("Cache-Control", "no-cache")
        super().get()

    head = get


def routes() -> list[tuple[str, Any]]:
    """Tornado routes: ``/livereload`` (the websocket) and ``/livereload.js`` (the client)."""
    return [(r"/livereload", _ReloadSocket), (r"/livereload\.js", _ReloadScript)]


def messages(changes: PageChanges) -> list[dict[str, Any]]:
    """The LiveReload commands for ``changes``: every page reloads at ``"path": "index.html"``;
    or one command per page to reload, ``path`` its URL path (``/spa/fr/embed.html``: the
    preview's plugin reloads only that page), then one ``liveCSS`` command per stylesheet to
    swap, ``path`` the new file's URL path and ``originalPath`` the one it replaces. None when
    nothing a page shows changed. (livereload.js alone reloads every page at each of them.)"""
    if changes.reload:
        return [{"command": "reload", "path": "index.html", "liveCSS": False, "liveImg": False}]
    pages = [{"command": "reload", "path": page, "liveCSS": False, "liveImg": False} for page in sorted(changes.pages)]
    return pages + [
        {"command": "reload", "path": new, "originalPath": old, "liveCSS": True, "liveImg": False}
        for old, new in changes.stylesheets.items()
    ]


def tell_browsers(changes: PageChanges) -> None:
    """Send every connected page the commands for ``changes``."""
    for message in messages(changes):
        for waiter in list(LiveReloadHandler.waiters):
            try:
                waiter.write_message(message)
            except Exception:  # a closed tab
                LiveReloadHandler.waiters.discard(waiter)
