"""``bookgen serve``: the live-reload preview server's lifecycle.

Built on tornado and the ``livereload`` package's protocol handler and browser
client, wired for speed: the kernel reports each save (:class:`.watch.Watcher`), a burst
of saves becomes one rebuild once it has been quiet for 15 ms, and browsers are told at
once what changed: a stylesheet-only edit swaps the stylesheets in place, anything else
reloads the page, which keeps the booking step and typed fields (:mod:`.changes`,
``client.js``). livereload's own server polls every 800 ms and throttles reloads to 3 s.

The server knows nothing of building: it is handed a factory for the build side
(:class:`SitePreview`; ``bookgen serve`` passes :class:`generator.preview.rebuild.Preview`,
see :func:`generator.preview.serve.preview_server`) and the folders to watch. It
renders into its own temporary folder (never the user's ``build/``), serves only that
folder (:mod:`.handlers`), and shows input errors over the last good pages
(:mod:`.overlay`). ``/api/v1/`` runs the production booking path on loopback: the
gateway (key, sessions, origin checks, group rules) in front of the sandbox (ClicRDV v1).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import signal
import socket
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from tornado import httpserver, netutil, web

from ..errors import MAX_LISTED, Problem, SiteError, listed
from ..load.loader import Site
from .changes import RELOAD, PageChanges
from .handlers import Application, pages_route, routes
from .hosts import allowed_hosts, is_loopback, reachable_host, url_host
from .livereload import routes as livereload_routes
from .livereload import tell_browsers
from .overlay import decorate, printable
from .watch import Watcher

__all__ = ["PreviewServer", "SitePreview", "allowed_hosts", "is_loopback", "printable", "url_host"]


class SitePreview(Protocol):
    """The build side a :class:`PreviewServer` drives."""

    site: Site | None  # the last good site, None until one loads
    problems: list[Problem]  # why the last (re)build failed; empty when it worked
    changes: PageChanges  # what the last successful (re)build changed in the pages

    def build_all(self) -> object:
        """Build everything; raise :class:`SiteError`. The result is printed."""

    def rebuild(self, changed: set[Path]) -> object | None:
        """Rebuild what ``changed`` touches; a printable result, or None (nothing done or
        it failed: then ``problems`` says why)."""


class PreviewServer:
    """Binds at construction (so a busy port fails early), serves until :meth:`stop`."""

    def __init__(
        self,
        make_preview: Callable[[Path, str], SitePreview],
        watch: Sequence[Path],
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        livereload: bool = True,
        log: Callable[[str], None] = print,
        max_errors: int | None = MAX_LISTED,
    ) -> None:
        """``make_preview(out, url)``: the build side, rendering into the folder ``out`` this
        server serves, for embed snippets that name ``url``; ``watch``: folders whose
        edits are handed to its ``rebuild``; ``max_errors``: how many problems each report
        to ``log`` lists before one line counting the rest (``None``: all; the overlay and
        ``/__bookgen__/status`` always list all)."""
        host = host.removeprefix("[").removesuffix("]")  # "[::1]" as written in a URL
        self.sockets = netutil.bind_sockets(port, host, family=socket.AF_INET if "." in host else socket.AF_UNSPEC)
        self.host = host
        self.port = self.sockets[0].getsockname()[1]
        self.allowed_hosts = allowed_hosts(host, self.port)
        self.livereload = livereload
        self.log = log
        self.max_errors = max_errors
        self.out = Path(tempfile.mkdtemp(prefix="bookgen-preview-"))
        # Embed snippets name an address the preview answers at, for pasting into a test page.
        self.preview = make_preview(self.out, f"http://{url_host(reachable_host(host))}:{self.port}/")
        self.generation = 0
        # Made here, not in run(): a Ctrl-C during its construction would leave a broken loop.
        self.loop = asyncio.new_event_loop()
        self._pending: set[Path] = set()
        # Watching starts now, so what is saved during the first build is rebuilt once serving.
        self.watcher = Watcher(watch, self._changed)
        self.sandbox_app: Any = None  # the sandbox's Starlette app, made after the first good build
        self.sandbox: Any = None  # its store (app.state.sandbox), for tests
        self.chain: Any = None  # the gateway in front of it (generator.gateway.preview.PreviewChain)

    @property
    def url(self) -> str:
        """Where the preview answers, e.g. ``http://127.0.0.1:8000/``, ``http://[::1]:8000/``."""
        return f"http://{url_host(self.host)}:{self.port}/"

    # -- building ----------------------------------------------------------------------------

    def first_build(self) -> None:
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
        for line in listed(problems, self.max_errors):
            self.log(printable(f"error: {line}"))
        self.log(f"{len(problems)} problem{'s' if len(problems) != 1 else ''}; serving the last good build")

    def _changed(self, paths: set[Path]) -> None:
        """From the watcher's thread: queue ``paths`` for the loop, which rebuilds them in one
        go with whatever else arrived meanwhile (a rebuild blocks the loop)."""
        with contextlib.suppress(RuntimeError):  # the loop is closed: the server is stopping
            self.loop.call_soon_threadsafe(self._queue, paths)

    def _queue(self, paths: set[Path]) -> None:
        if not self._pending:
            self.loop.call_soon(self._rebuild)
        self._pending |= paths

    def _rebuild(self) -> None:
        pending, self._pending = self._pending, set()
        had_problems = bool(self.preview.problems)
        result = self.preview.rebuild(pending)
        if result is not None:
            self.log(str(result))
            self._refresh_sandbox()
        elif self.preview.problems:
            self._report()
        if result is None and not self.preview.problems and not had_problems:
            return
        self.generation += 1
        if self.livereload:
            # The overlay comes and goes with a reload; otherwise what the rebuild wrote decides.
            ok = result is not None and not had_problems
            tell_browsers(self.preview.changes if ok else RELOAD)

    # -- pages -------------------------------------------------------------------------------

    def decorate(self, page: str) -> str:
        """Add the reload client and, while input is broken, the error overlay."""
        return decorate(page, self.preview.problems, self.port if self.livereload else None, self.generation)

    # -- serving -----------------------------------------------------------------------------

    def application(self) -> web.Application:
        handlers = routes(self) + (livereload_routes() if self.livereload else []) + [pages_route(self)]
        return Application(self, handlers)

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
        try:
            self.loop.run_forever()
        finally:
            self.watcher.stop()
            server.stop()
            self.loop.run_until_complete(asyncio.sleep(0))
            self.loop.close()

    def stop(self) -> None:
        """Stop serving; safe to call from another thread."""
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.loop.stop)

    def close(self) -> None:
        """Stop watching, release the port and delete the preview folder."""
        self.watcher.stop()
        for sock in self.sockets:
            sock.close()
        if not self.loop.is_closed() and not self.loop.is_running():
            self.loop.close()
        shutil.rmtree(self.out, ignore_errors=True)
