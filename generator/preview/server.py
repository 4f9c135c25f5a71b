"""``bookgen serve``: the live-reload preview server.

Built on tornado and the ``livereload`` package's protocol handler and browser
client, wired for speed: the site is polled every 50 ms, a burst of saves is
debounced for 100 ms into one rebuild, and browsers are told to reload at once
(livereload's own server polls every 800 ms and throttles reloads to 3 s).

The preview renders into its own temporary folder (never the user's ``build/``),
serves only that folder, and shows input errors over the last good pages.
``/api/v1/`` runs the production booking path on loopback: the gateway (key, sessions,
origin checks, group rules) in front of the sandbox (ClicRDV v1).
"""

from __future__ import annotations

import asyncio
import html
import logging
import mimetypes
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from livereload.handlers import LiveReloadHandler, LiveReloadJSHandler  # type: ignore[import-untyped]
from tornado import httpserver, ioloop, netutil, web

from .hosts import allowed_hosts, is_loopback, reachable_host, url_host
from .rebuild import Preview, Watcher, built_in_dirs

__all__ = ["PreviewServer", "allowed_hosts", "is_loopback", "printable", "url_host"]

POLL_SECONDS = 0.05
DEBOUNCE_SECONDS = 0.1
OVERLAY_CSS = (
    "#bookgen-error{position:fixed;inset:0 0 auto 0;z-index:2147483647;max-block-size:70vh;overflow:auto;"
    "margin:0;padding:1rem 1.25rem;background:#2b0b0b;color:#fff;font:14px/1.5 ui-monospace,monospace;"
    "border-block-end:4px solid #ff5c5c;box-shadow:0 4px 16px rgb(0 0 0/.4)}"
    "#bookgen-error h2{margin:0 0 .5rem;font:700 16px/1.3 system-ui,sans-serif;color:#ffb3b3}"
    "#bookgen-error ul{margin:0;padding:0;list-style:none}#bookgen-error li{margin:.25rem 0;white-space:pre-wrap}"
    "#bookgen-error .where{color:#ffd479}#bookgen-error .path{color:#9ad0ff}"
    "#bookgen-error p{margin:.5rem 0 0;font-family:system-ui,sans-serif;color:#ddd}"
)


class _ReloadSocket(LiveReloadHandler):  # type: ignore[misc]
    """livereload's websocket, accepting only pages served by this preview."""

    def check_origin(self, origin: str) -> bool:
        from urllib.parse import urlparse

        return bool(urlparse(origin).netloc == self.request.host)


class _ReloadScript(LiveReloadJSHandler):  # type: ignore[misc]
    """livereload's browser client, also answering HEAD."""

    head = LiveReloadJSHandler.get


def _reload_browsers() -> None:
    """Ask every connected page to reload (a non-CSS path means a full reload)."""
    message = {"command": "reload", "path": "index.html", "liveCSS": False, "liveImg": False}
    for waiter in list(LiveReloadHandler.waiters):
        try:
            waiter.write_message(message)
        except Exception:  # a closed tab
            LiveReloadHandler.waiters.discard(waiter)


class _WrongHost(web.RequestHandler):
    """The answer to a request whose Host header is not this preview's (DNS rebinding)."""

    def initialize(self, server: PreviewServer) -> None:
        self.server = server

    def prepare(self) -> None:
        self.set_status(403)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(f"This preview only answers at {self.server.url} (the Host header names another site).\n")


class _Application(web.Application):
    """Routes every request, whatever its path or method, through the Host check first."""

    def __init__(self, server: PreviewServer, handlers: list[Any]) -> None:
        super().__init__(handlers)
        self.preview_server = server

    def find_handler(self, request: Any, **kwargs: Any) -> web._HandlerDelegate:
        allowed = self.preview_server.allowed_hosts
        if allowed is not None and request.host.lower() not in allowed:
            return self.get_handler_delegate(request, _WrongHost, {"server": self.preview_server})
        return super().find_handler(request, **kwargs)


class _OverlayCSS(web.RequestHandler):
    def get(self) -> None:
        self.set_header("Content-Type", "text/css; charset=utf-8")
        self.write(OVERLAY_CSS)

    head = get


class _Status(web.RequestHandler):
    """Machine-readable state of the preview (tests and editors can poll it)."""

    def initialize(self, server: PreviewServer) -> None:
        self.server = server

    def get(self) -> None:
        self.set_header("Cache-Control", "no-store")
        problems = [printable(str(p)) for p in self.server.preview.problems]
        self.write({"generation": self.server.generation, "problems": problems})

    head = get


class _ApiProxy(web.RequestHandler):
    """``/api/v1/*`` → the gateway app → the sandbox app (``generator.gateway.preview``): the
    production booking path on loopback. ``/sandbox/*`` (confirmation links) → the sandbox."""

    def initialize(self, server: PreviewServer) -> None:
        self.server = server

    async def _handle(self, path: str) -> None:
        chain = self.server.chain
        if chain is None:
            self.set_status(500)
            self.set_header("Cache-Control", "no-store")
            self.finish({"error": {"code": "unavailable", "message": "the site has errors; fix them first"}})
            return
        request = self.request
        status, headers, body = await chain.forward(request.method or "GET", request.path, request.query,
                                                    dict(request.headers.get_all()), request.body)  # fmt: skip
        self.set_status(status)
        self.clear_header("Content-Type")
        for name, value in headers:
            self.add_header(name, value)
        self.finish(body)

    get = post = put = delete = options = _handle


class _Pages(web.RequestHandler):
    """Static files from the preview folder only; HTML gets the reload script and error overlay."""

    def initialize(self, server: PreviewServer) -> None:
        self.server = server

    def _target(self, path: str) -> Path | None:
        """The file or folder of the preview folder that ``path`` names, or ``None``.

        Tornado has already percent-decoded the path once; anything still looking like
        traversal, a backslash or a NUL is refused outright, and a name the file system
        cannot look up (a segment over 255 bytes: ENAMETOOLONG) is simply not there.
        """
        if path.startswith("/") or "\\" in path or "\x00" in path or ".." in path.split("/"):
            return None
        try:
            root = self.server.out.resolve()
            target = (root / path).resolve()
            if not target.is_relative_to(root) or not (target.is_dir() or target.is_file()):
                return None
        except (OSError, ValueError):
            return None
        return target

    def get(self, path: str) -> None:
        self.set_header("Cache-Control", "no-store")
        if self.server.preview.site is None:
            self._send_html(self.server.error_page())
            return
        target = self._target(path)
        if target is not None and target.is_dir():
            if path and not path.endswith("/"):  # only after the traversal check (review D15)
                self.redirect(f"/{path}/")
                return
            target = target / "index.html"
        try:
            data = target.read_bytes() if target is not None else None
        except OSError:  # removed by a rebuild since the check, or not a file after all
            data = None
        if target is None or data is None:
            self.set_status(404)
            self._send_html(self.server.not_found_page())
            return
        if target.suffix == ".html":
            self._send_html(data.decode("utf-8"))
            return
        kind, _ = mimetypes.guess_type(target.name)
        self.set_header("Content-Type", kind or "application/octet-stream")
        # Embeds load the loader cross-origin with an SRI hash, which needs a CORS response.
        self.set_header("Access-Control-Allow-Origin", "*")
        self.finish(data)

    head = get  # tornado sends the headers (Content-Length included) and drops the body

    def _send_html(self, page: str) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(self.server.decorate(page))


class PreviewServer:
    """Binds at construction (so a busy port fails early), serves until :meth:`stop`."""

    def __init__(
        self,
        site_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        livereload: bool = True,
        log: Callable[[str], None] = print,
    ) -> None:
        host = host.removeprefix("[").removesuffix("]")  # "[::1]" as written in a URL
        self.sockets = netutil.bind_sockets(port, host, family=socket.AF_INET if "." in host else socket.AF_UNSPEC)
        self.host = host
        self.port = self.sockets[0].getsockname()[1]
        self.allowed_hosts = allowed_hosts(host, self.port)
        self.livereload = livereload
        self.log = log
        self.out = Path(tempfile.mkdtemp(prefix="bookgen-preview-"))
        # Embed snippets name an address the preview answers at, for pasting into a test page.
        self.preview = Preview(site_dir, self.out, f"http://{url_host(reachable_host(host))}:{self.port}/")
        self.watcher = Watcher([site_dir, *built_in_dirs()])
        self.generation = 0
        # Made here, not in run(): a Ctrl-C during its construction would leave a broken loop.
        self.loop = asyncio.new_event_loop()
        self._pending: set[Path] = set()
        self._last_change = 0.0
        self.sandbox_app: Any = None  # the sandbox's Starlette app, made after the first good build
        self.sandbox: Any = None  # its store (app.state.sandbox), for tests
        self.chain: Any = None  # the gateway in front of it (generator.gateway.preview.PreviewChain)

    @property
    def url(self) -> str:
        """Where the preview answers, e.g. ``http://127.0.0.1:8000/``, ``http://[::1]:8000/``."""
        return f"http://{url_host(self.host)}:{self.port}/"

    # -- building ----------------------------------------------------------------------------

    def first_build(self) -> None:
        from ..errors import SiteError

        try:
            self.log(str(self.preview.build_all()))
        except SiteError as error:
            self.preview.problems = error.problems
            self._report()
        self._refresh_sandbox()

    def _refresh_sandbox(self) -> None:
        from ..gateway.preview import PreviewChain
        from ..sandbox import DEFAULT_APIKEY, DEFAULT_PRO, create_app

        if self.preview.site is None or self.preview.problems:
            return
        if self.sandbox_app is None:
            self.sandbox_app = create_app(self.preview.site)
            self.sandbox = self.sandbox_app.state.sandbox
            self.chain = PreviewChain(self.sandbox_app, DEFAULT_APIKEY, DEFAULT_PRO)
        else:
            self.sandbox.reload(self.preview.site)
            self.chain.forget_settings()

    def _report(self) -> None:
        problems = self.preview.problems
        for problem in problems:
            self.log(printable(f"error: {problem}"))
        self.log(f"{len(problems)} problem{'s' if len(problems) != 1 else ''}; serving the last good build")

    def _tick(self) -> None:
        changes = self.watcher.changes()
        now = time.monotonic()
        if changes:
            self._pending |= changes
            self._last_change = now
            return
        if not self._pending or now - self._last_change < DEBOUNCE_SECONDS:
            return
        pending, self._pending = self._pending, set()
        had_problems = bool(self.preview.problems)
        result = self.preview.rebuild(pending)
        if result is not None:
            self.log(str(result))
            self._refresh_sandbox()
        elif self.preview.problems:
            self._report()
        if result is not None or self.preview.problems or had_problems:
            self.generation += 1
            if self.livereload:
                _reload_browsers()

    # -- pages -------------------------------------------------------------------------------

    def _problem_items(self) -> str:
        items = []
        for problem in self.preview.problems:
            where = problem.file if problem.line is None else f"{problem.file}:{problem.line}"
            path = f' <span class="path">{html.escape(printable(problem.path))}</span>' if problem.path else ""
            where, message = html.escape(printable(where)), html.escape(printable(problem.message))
            items.append(f'<li><span class="where">{where}</span>{path}: {message}</li>')
        return "".join(items)

    def decorate(self, page: str) -> str:
        """Add the reload client and, while input is broken, the error overlay."""
        head = ""
        if self.livereload:
            head += f'<script src="/livereload.js?port={self.port}"></script>'
        if self.preview.problems:
            head += '<link rel="stylesheet" href="/__bookgen__/overlay.css">'
            overlay = (
                '<section id="bookgen-error" role="alert"><h2>bookgen: the site has errors</h2>'
                f"<ul>{self._problem_items()}</ul>"
                "<p>Showing the last good build. Fix the file and this page reloads by itself.</p></section>"
            )
            page = _after_body_tag(page, overlay)
        return page.replace("</head>", head + "</head>", 1)

    def error_page(self) -> str:
        return (
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bookgen: errors</title>'
            "</head><body><main><h1>The site could not be built</h1></main></body></html>"
        )

    def not_found_page(self) -> str:
        return (
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not found</title></head>'
            '<body><main><h1>Not found</h1><p><a href="/">All groups</a></p></main></body></html>'
        )

    # -- serving -----------------------------------------------------------------------------

    def application(self) -> web.Application:
        handlers: list[Any] = [
            (r"/__bookgen__/overlay\.css", _OverlayCSS),
            (r"/__bookgen__/status", _Status, {"server": self}),
            (r"/(?:api/v1|sandbox)/(.*)", _ApiProxy, {"server": self}),
        ]
        if self.livereload:
            handlers += [(r"/livereload", _ReloadSocket), (r"/livereload\.js", _ReloadScript)]
        handlers.append((r"/(.*)", _Pages, {"server": self}))
        return _Application(self, handlers)

    def handle_signals(self) -> None:
        """Make Ctrl-C and SIGTERM stop the loop gently instead of raising wherever we are.

        Called before announcing the URL too: a Ctrl-C that lands between the announcement
        and :meth:`run` would otherwise escape as KeyboardInterrupt (exit 1, "Aborted!").
        """
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self.loop.add_signal_handler(signum, self.loop.stop)

    def run(self) -> None:
        """Serve until :meth:`stop` (or Ctrl-C in the caller); blocks this thread."""
        logging.getLogger("tornado.access").setLevel(logging.ERROR)  # the preview prints its own lines
        asyncio.set_event_loop(self.loop)
        self.handle_signals()
        server = httpserver.HTTPServer(self.application())
        server.add_sockets(self.sockets)
        ticker = ioloop.PeriodicCallback(self._tick, POLL_SECONDS * 1000)
        ticker.start()

        try:
            self.loop.run_forever()
        finally:
            ticker.stop()
            server.stop()
            self.loop.run_until_complete(asyncio.sleep(0))
            self.loop.close()

    def stop(self) -> None:
        """Stop serving; safe to call from another thread."""
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.loop.stop)

    def close(self) -> None:
        """Release the port and delete the preview folder."""
        for sock in self.sockets:
            sock.close()
        if not self.loop.is_closed() and not self.loop.is_running():
            self.loop.close()
        shutil.rmtree(self.out, ignore_errors=True)


def printable(text: str) -> str:
    """``text`` with the undecodable bytes of non-UTF-8 file names (kept by Python as lone
    surrogates, which no encoder accepts) shown as ``\\xff`` (review D17)."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _after_body_tag(page: str, fragment: str) -> str:
    start = page.find("<body")
    end = page.find(">", start) if start != -1 else -1
    if end == -1:
        return fragment + page
    return page[: end + 1] + fragment + page[end + 1 :]
