"""Real processes for the gateway's tests: an upstream served by uvicorn in a thread, gateway
processes (``python -m generator gateway``) on free loopback ports, and a ``redis-server``.

Every wait is for a condition (a port answering, a process ending) with a deadline.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from .gatewaykit import APIKEY, PRO, SECRET

REPO = Path(__file__).parent.parent
REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition: Any, timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


class ThreadServer:
    """An ASGI app on a free loopback port, served by uvicorn in a daemon thread."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False,
                                lifespan="off")  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ThreadServer:
        self.thread.start()
        wait_until(lambda: self.server.started, what="upstream thread server")
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


class GatewayProcess:
    """``python -m generator gateway`` on a free port; stop() sends SIGTERM and waits."""

    def __init__(self, upstream: str, *args: str, secret: str = SECRET, env: dict[str, str] | None = None,
                 port: int | None = None) -> None:  # fmt: skip
        self.port = free_port() if port is None else port  # 0: the system chooses (see announced_port)
        self.log: list[str] = []
        full_env = {**os.environ, "BOOKGEN_APIKEY": APIKEY, "BOOKGEN_SECRET": secret, "BOOKGEN_PRO_EMAIL": PRO[0],
                    "BOOKGEN_PRO_PASSWORD": PRO[1], "PYTHONUNBUFFERED": "1", **(env or {})}  # fmt: skip
        command = [sys.executable, "-m", "generator", "gateway", "--upstream", upstream, "--port", str(self.port), *args]
        self.process = subprocess.Popen(command, cwd=REPO, env=full_env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)  # fmt: skip
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.log.append(line.rstrip("\n"))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self) -> GatewayProcess:
        def up() -> bool:
            if self.process.poll() is not None:
                raise AssertionError("gateway exited: " + "\n".join(self.log))
            try:
                return httpx.get(self.url + "/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(up, what="gateway /healthz")
        return self

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def stop(self, timeout: float = 20) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self.reader.join(timeout=5)
        return code


@contextmanager
def gateways(upstream: str, count: int, *args: str, **kwargs: Any) -> Iterator[list[GatewayProcess]]:
    started = [GatewayProcess(upstream, *args, **kwargs) for _ in range(count)]
    try:
        yield [g.wait_ready() for g in started]
    finally:
        for g in started:
            g.stop()


@contextmanager
def redis_server() -> Iterator[str]:
    """A throwaway ``redis-server`` on a free loopback port; yields its URL."""
    port = free_port()
    process = subprocess.Popen([REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        def answers() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    return sock.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        wait_until(answers, what="redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)
