"""Run the gateway under uvicorn (``bookgen gateway``): one process or N workers.

Settings travel to the workers through the environment (secret *files* as
``BOOKGEN_*_FILE`` paths, never values on a command line), and every worker builds its
app with :func:`generator.gateway.asgi.create`. uvicorn's own access log is off (it
prints query strings); the gateway writes JSON lines instead. SIGTERM stops accepting,
lets in-flight requests finish (up to ``graceful_seconds``), then exits 0.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from .settings import Settings

__all__ = ["run"]


def run(env: Mapping[str, str], *, host: str, port: int, workers: int = 1,
        forwarded_allow_ips: str = "127.0.0.1", graceful_seconds: int = 30) -> None:  # fmt: skip
    """Validate ``env`` (``ConfigError`` on a problem), export it, and serve until stopped."""
    import uvicorn

    Settings.from_env(env)  # fail here, once, with one line, not in every worker
    os.environ.update(env)
    uvicorn.run(
        "generator.gateway.asgi:create",
        factory=True,
        host=host,
        port=port,
        workers=workers if workers > 1 else None,
        access_log=False,
        log_level="warning",
        server_header=False,
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        timeout_graceful_shutdown=graceful_seconds,
        lifespan="on",
    )
