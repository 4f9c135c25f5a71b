"""Running the sandbox app with uvicorn on a bound socket (``bookgen sandbox``)."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path

from ..errors import Problem, SiteError
from ..load.loader import load_site
from ..preview.server import is_loopback
from . import create_app

__all__ = ["SandboxServer", "read_secret"]


def read_secret(path: Path | None, env: str | None) -> str | None:
    """A secret from ``path`` (stripped) or the environment variable ``env``; never a
    command-line value. A file that cannot be read is a one-line error naming it."""
    if path is not None:
        try:
            return path.read_text("utf-8").strip() or None
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
            raise SiteError([Problem(str(path), "", f"cannot be read ({reason})")]) from None
    return os.environ.get(env, "").strip() or None if env else None


class SandboxServer:
    """Loads the site (problems raise :class:`SiteError`), binds at construction (a busy
    port fails early), serves until Ctrl-C or SIGTERM in :meth:`run`."""

    def __init__(self, site_dir: Path, *, host: str, port: int, **options: str) -> None:
        site = load_site(site_dir)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.socket.bind((host, port))
            self.socket.listen(128)  # connections wait in the backlog until uvicorn runs
        except OSError:
            self.socket.close()
            raise
        self.port = self.socket.getsockname()[1]
        self.loopback = is_loopback(host)
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{self.port}/"
        hosts = None
        if self.loopback:
            names = {shown, "localhost", "127.0.0.1", "[::1]"}
            hosts = sorted({n.lower() for n in names} | {f"{n.lower()}:{self.port}" for n in names})
        self.app = create_app(site, hosts=hosts, **options)
        self.group_ids = self.app.state.sandbox.group_ids()

    def run(self, announce: Callable[[], None] = lambda: None) -> None:
        """Call ``announce``, then serve until Ctrl-C or SIGTERM and return normally.

        The handlers are set before ``announce`` so a Ctrl-C right after the banner is
        no traceback, and they absorb the signal uvicorn re-raises after shutting down.
        """
        import signal
        import threading

        import uvicorn

        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off")
        server = uvicorn.Server(config)

        def stop(sig: int, frame: object) -> None:
            # A signal before uvicorn has set its own handlers (or the one it re-raises
            # after shutting down) lands here: tell the server to stop, whenever it runs.
            server.should_exit = True

        previous = {}
        if threading.current_thread() is threading.main_thread():
            previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            announce()
            if not server.should_exit:
                server.run(sockets=[self.socket])
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.socket.close()
