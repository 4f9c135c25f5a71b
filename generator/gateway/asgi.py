"""The gateway for any ASGI server, configured from the environment.

- ``uvicorn --factory generator.gateway.asgi:create`` (or any server that calls a factory);
- ``generator.gateway.asgi:app`` for servers that want an application object (hypercorn,
  granian, gunicorn's uvicorn worker): it reads the environment on its first event.

Both read :data:`~generator.gateway.settings.VARIABLES`; a missing secret stops the
process with one line (``error: BOOKGEN_SECRET is not set ...``) on stderr.
"""

from __future__ import annotations

import logging
import sys

from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from .accesslog import json_lines_handler
from .app import create_app
from .errors import ConfigError
from .settings import Settings

__all__ = ["app", "create", "setup_logging"]


def setup_logging() -> None:
    """Access lines (JSON) to stdout; the gateway's own warnings to stderr."""
    access = logging.getLogger("bookgen.gateway.access")
    if not access.handlers:
        access.addHandler(json_lines_handler(sys.stdout))
        access.setLevel(logging.INFO)
        access.propagate = False
    own = logging.getLogger("bookgen.gateway")
    if not own.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        own.addHandler(handler)
        own.setLevel(logging.INFO)


def create() -> Starlette:
    """The gateway configured from ``os.environ``; exits 1 with one line when it cannot start."""
    setup_logging()
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        for message in error.messages:
            print(f"error: {message}", file=sys.stderr)
        raise SystemExit(1) from None
    return create_app(settings)


class _FromEnvironment:
    """An ASGI app that builds the real one from the environment on its first event."""

    def __init__(self) -> None:
        self.app: Starlette | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.app is None:
            self.app = create()
        await self.app(scope, receive, send)


app = _FromEnvironment()
