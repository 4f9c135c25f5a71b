"""The faithful sandbox (``generator.sandbox``) on a loopback uvicorn, for pull/push tests.

It holds the demo site's groups and the same key and Pro login as ``tests/fakeapi.py``,
so a test can run the real client against what ClicRDV documents.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette

from generator.load.loader import load_site
from generator.remote import GroupAPI, RetryPolicy
from generator.sandbox import create_app

from .fakeapi import APIKEY, PRO_EMAIL, PRO_PASSWORD, credentials

__all__ = ["Recorder", "Sandbox", "running_sandbox"]


class Recorder(httpx.HTTPTransport):
    """A real HTTP transport that keeps every request it sends (body read), for assertions."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return super().handle_request(request)


class Sandbox:
    """A running sandbox: ``url`` is its API base, ``app.state.sandbox`` its store."""

    def __init__(self, app: Starlette, url: str) -> None:
        self.app = app
        self.url = url
        self.store = app.state.sandbox

    def client(self, auth: str = "basic", **options: Any) -> tuple[GroupAPI, Recorder]:
        """A client of this sandbox as fakeapi's Pro login, and the requests it sends."""
        recorder = Recorder()
        options.setdefault("retry", RetryPolicy(sleep=lambda _: None))
        creds = options.pop("credentials", None) or credentials(auth)
        return GroupAPI(self.url, creds, transport=recorder, **options), recorder


@contextmanager
def running_sandbox(site: Path) -> Iterator[Sandbox]:
    """Serve ``site``'s groups on 127.0.0.1 (a free port) until the block ends."""
    app = create_app(load_site(site), apikey=APIKEY, pro_email=PRO_EMAIL, pro_password=PRO_PASSWORD)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    end = time.monotonic() + 30
    while not server.started:  # wait for the condition, not a fixed time
        if not thread.is_alive() or time.monotonic() > end:
            raise RuntimeError("the sandbox did not start")
        time.sleep(0.01)
    try:
        yield Sandbox(app, f"http://127.0.0.1:{port}/api/v1")
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()
