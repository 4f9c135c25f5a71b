"""Running the sandbox app with uvicorn on a bound socket (``bookgen sandbox``)."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path

from ..load.loader import load_site
from ..preview.server import is_loopback
from ..secretfiles import secret_from
from . import DEFAULT_APIKEY, DEFAULT_PRO, create_app

__all__ = ["SandboxServer", "read_secret"]


def read_secret(path: Path | None, env: str | None) -> str | None:
    """A secret from ``path`` (stripped) or the environment variable ``env``; never a
    command-line value. A file that cannot be read is a one-line error naming it."""
    return secret_from(path, env, os.environ)[0] or None


class SandboxServer:
    """Loads the site (problems raise :class:`SiteError`), binds at construction (a busy
    port fails early), serves until Ctrl-C or SIGTERM in :meth:`run`."""

    def __init__(
        self, site_dir: Path, *, host: str, port: int, apikey: str = DEFAULT_APIKEY,
        pro_email: str = DEFAULT_PRO[0], pro_password: str = DEFAULT_PRO[1],
    ) -> None:  # fmt: skip
        site = load_site(site_dir)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # IPPROTO_TCP: asyncio sets TCP_NODELAY only on sockets that say they are TCP; without
        # it a keep-alive answer written in two parts waited for the peer's delayed ACK (40 ms).
        self.socket = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
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
        self.app = create_app(site, hosts=hosts, apikey=apikey, pro_email=pro_email, pro_password=pro_password)
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
