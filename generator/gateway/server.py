"""Run the gateway under uvicorn (``bookgen gateway``): one process or N workers.

Settings travel to the workers through the environment (secret *files* as
``BOOKGEN_*_FILE`` paths, never values on a command line), and every worker builds its
app with :func:`generator.gateway.asgi.create`. uvicorn's own access log is off (it
prints query strings); the gateway writes JSON lines instead. SIGTERM stops accepting,
lets in-flight requests finish (up to ``graceful_seconds``), then exits.

With several workers the listening socket is made here with ``IPPROTO_TCP``: asyncio
turns Nagle's algorithm off only on sockets that say they are TCP, and uvicorn's own
``socket(family)`` does not, which held every keep-alive answer written in two parts
(headers, body) for the peer's delayed ACK: 40 ms per request.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Mapping

from .settings import Settings

__all__ = ["listening_socket", "run"]


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound TCP socket whose accepted connections get ``TCP_NODELAY`` from asyncio."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def run(env: Mapping[str, str], sock: socket.socket, *, workers: int = 1,
        forwarded_allow_ips: str = "127.0.0.1", graceful_seconds: int = 30,
        announce: Callable[[int], None] = lambda port: None) -> None:  # fmt: skip
    """Validate ``env`` (``ConfigError`` on a problem), export it, and serve on ``sock``
    (from :func:`listening_socket`, bound by the caller so a busy port is its error to
    word) until stopped.

    ``announce`` gets the port really bound (``port=0`` asks the system for a free one)
    before the first request can arrive."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    Settings.from_env(env)  # fail here, once, with one line, not in every worker
    os.environ.update(env)
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(
        "generator.gateway.asgi:create",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_level="warning",
        server_header=False,
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        timeout_graceful_shutdown=graceful_seconds,
        lifespan="on",
    )
    announce(sock.getsockname()[1])
    if workers > 1:
        Multiprocess(config, sockets=[sock]).run()
    else:
        uvicorn.Server(config).run(sockets=[sock])
