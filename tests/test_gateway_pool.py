"""The gateway's keep-alive pool to ClicRDV: reuse, limits, closed and expired connections, errors.

Against a real uvicorn on a loopback port (tests/gatewayprocs.py), since what is tested is
the connections themselves.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from generator.gateway.pool import KeepAlivePool

from .gatewayprocs import ThreadServer, free_port

pytestmark = pytest.mark.anyio
TIMEOUT = {"connect": 5.0, "read": 5.0, "write": 5.0, "pool": 5.0}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Upstream:
    def __init__(self) -> None:
        self.peers: set[str] = set()  # client ports seen: one per connection
        self.released = threading.Event()  # set at teardown: /hang answers, the server can stop

    async def echo(self, request: Request) -> Response:
        self.peers.add(f"{request.client.port}" if request.client else "-")
        headers = {"Connection": "close"} if request.query_params.get("close") else {}
        return JSONResponse({"n": int(request.query_params.get("n", "0")), "body": (await request.body()).decode()},
                            headers=headers)  # fmt: skip

    async def hang(self, request: Request) -> Response:
        while not self.released.is_set():  # no answer until teardown; the client's read timeout ends it
            await asyncio.sleep(0.02)
        return Response()


@pytest.fixture
def upstream() -> Iterator[tuple[Upstream, str]]:
    state = Upstream()
    app = Starlette(routes=[Route("/echo", state.echo, methods=["GET", "POST"]), Route("/hang", state.hang)])
    with ThreadServer(app) as server:
        yield state, server.url
        state.released.set()


async def call(pool: KeepAlivePool, url: str, method: str = "GET", content: bytes | None = None,
               timeout: dict[str, float] = TIMEOUT) -> httpx.Response:  # fmt: skip
    response = await pool.handle_async_request(
        httpx.Request(method, url, content=content, extensions={"timeout": timeout}))  # fmt: skip
    try:
        await response.aread()
    finally:
        await response.aclose()
    return response


async def test_requests_one_after_another_share_one_connection(upstream) -> None:
    state, url = upstream
    pool = KeepAlivePool()
    answers = [await call(pool, f"{url}/echo?n={n}") for n in range(5)]
    answers.append(await call(pool, f"{url}/echo", "POST", b"booked"))
    await pool.aclose()
    assert [a.json()["n"] for a in answers[:5]] == [0, 1, 2, 3, 4] and answers[5].json()["body"] == "booked"
    assert pool.opened == 1 and len(state.peers) == 1


async def test_concurrent_requests_open_connections_and_keep_at_most_max_idle(upstream) -> None:
    state, url = upstream
    pool = KeepAlivePool(max_idle=3)
    answers = await asyncio.gather(*(call(pool, f"{url}/echo?n={n}") for n in range(8)))
    assert sorted(a.json()["n"] for a in answers) == list(range(8))
    assert pool.opened == 8 and sum(len(v) for v in pool.idle.values()) == 3
    await call(pool, f"{url}/echo")  # reuses a kept one
    assert pool.opened == 8 and len(state.peers) == 8
    await pool.aclose()
    assert sum(len(v) for v in pool.idle.values()) == 0


async def test_max_idle_below_one_keeps_nothing(upstream) -> None:
    _, url = upstream
    pool = KeepAlivePool(max_idle=0)
    for _ in range(2):
        await call(pool, f"{url}/echo")
    assert pool.opened == 2


async def test_a_connection_the_server_closes_is_not_reused(upstream) -> None:
    state, url = upstream
    pool = KeepAlivePool()
    await call(pool, f"{url}/echo?close=1")
    second = await call(pool, f"{url}/echo?n=2")
    await pool.aclose()
    assert second.json()["n"] == 2 and pool.opened == 2 and len(state.peers) == 2


async def test_an_expired_idle_connection_is_replaced(upstream) -> None:
    _, url = upstream
    pool = KeepAlivePool(keepalive_expiry=0.0)
    await call(pool, f"{url}/echo")
    await call(pool, f"{url}/echo")
    await pool.aclose()
    assert pool.opened == 2


async def test_a_refused_connection_is_an_httpx_transport_error() -> None:
    pool = KeepAlivePool()
    with pytest.raises(httpx.TransportError):
        await call(pool, f"http://127.0.0.1:{free_port()}/echo")
    assert sum(len(v) for v in pool.idle.values()) == 0


async def test_a_read_past_the_timeout_is_an_httpx_timeout_and_the_connection_is_dropped(upstream) -> None:
    _, url = upstream
    pool = KeepAlivePool()
    with pytest.raises(httpx.TimeoutException):
        await call(pool, f"{url}/hang", timeout={**TIMEOUT, "read": 0.2})
    assert sum(len(v) for v in pool.idle.values()) == 0
    assert (await call(pool, f"{url}/echo?n=1")).json()["n"] == 1  # a fresh connection works
    await pool.aclose()


class ClosingServer:
    """A raw HTTP/1.1 server that answers each connection's first request, then reads the next
    one and closes without an answer (a keep-alive timeout racing a request)."""

    def __init__(self) -> None:
        self.connections = 0
        self.requests = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await reader.readuntil(b"\r\n\r\n")
            self.requests += 1
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
            await writer.drain()
            await reader.readuntil(b"\r\n\r\n")  # the next request on this connection: dropped
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()


async def test_a_reused_connection_closed_before_any_answer_is_retried_once_on_a_new_one() -> None:
    closing = ClosingServer()
    server = await asyncio.start_server(closing.handle, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/api"
    pool = KeepAlivePool()
    async with server:
        first = await call(pool, url, "POST", b"{}")
        second = await call(pool, url, "POST", b"{}")  # goes out on the kept connection, which drops it
        await pool.aclose()
    assert first.status_code == second.status_code == 200
    assert pool.opened == 2 and closing.connections == 2 and closing.requests == 2


async def test_a_new_connection_closed_before_any_answer_is_an_error_not_a_retry() -> None:
    async def drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.close()

    server = await asyncio.start_server(drop, "127.0.0.1", 0)
    pool = KeepAlivePool()
    async with server:
        with pytest.raises(httpx.TransportError):
            await call(pool, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/api", "POST", b"{}")
    assert pool.opened == 1
