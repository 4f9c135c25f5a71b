"""The LiveReload protocol of the preview: livereload's websocket and browser client.

The ``livereload`` package's handlers speak the protocol (``hello``, then ``reload``
commands); this module restricts the websocket to pages of this preview (the Origin
must be the Host), lets the script answer HEAD, and tells every open page to reload.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from livereload.handlers import LiveReloadHandler, LiveReloadJSHandler  # type: ignore[import-untyped]

__all__ = ["reload_browsers", "routes"]


class _ReloadSocket(LiveReloadHandler):  # type: ignore[misc]
    """livereload's websocket, accepting only pages served by this preview."""

    def check_origin(self, origin: str) -> bool:
        return bool(urlparse(origin).netloc == self.request.host)


class _ReloadScript(LiveReloadJSHandler):  # type: ignore[misc]
    """livereload's browser client, also answering HEAD."""

    head = LiveReloadJSHandler.get


def routes() -> list[tuple[str, Any]]:
    """Tornado routes: ``/livereload`` (the websocket) and ``/livereload.js`` (the client)."""
    return [(r"/livereload", _ReloadSocket), (r"/livereload\.js", _ReloadScript)]


def reload_browsers() -> None:
    """Ask every connected page to reload (a non-CSS path means a full reload)."""
    message = {"command": "reload", "path": "index.html", "liveCSS": False, "liveImg": False}
    for waiter in list(LiveReloadHandler.waiters):
        try:
            waiter.write_message(message)
        except Exception:  # a closed tab
            LiveReloadHandler.waiters.discard(waiter)
