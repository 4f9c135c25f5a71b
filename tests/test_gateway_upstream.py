"""The gateway's network transport to ClicRDV (``network_transport``): keep-alive reuse, and
connections the server closes or lets expire are replaced, not reused.

Against a real uvicorn on a loopback port (tests/gatewayprocs.py), since what is tested is
the connections themselves.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from generator.gateway.upstream import network_transport

from .gatewayprocs import ThreadServer

pytestmark = pytest.mark.anyio
TIMEOUT = {"connect": 5.0, "read": 5.0, "write": 5.0, "pool": 5.0}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Peers:
    def __init__(self) -> None:
        self.ports: set[str] = set()  # client ports seen: one per connection

    async def echo(self, request: Request) -> Response:
        self.ports.add(f"{request.client.port}" if request.client else "-")
        headers = {"Connection": "close"} if request.query_params.get("close") else {}
        return JSONResponse({"n": int(request.query_params.get("n", "0")), "body": (await request.body()).decode()},
                            headers=headers)  # fmt: skip


@pytest.fixture
def upstream() -> Iterator[tuple[Peers, str]]:
    peers = Peers()
    with ThreadServer(Starlette(routes=[Route("/echo", peers.echo, methods=["GET", "POST"])])) as server:
        yield peers, server.url


async def call(transport: httpx.AsyncBaseTransport, url: str, method: str = "GET",
               content: bytes | None = None) -> httpx.Response:  # fmt: skip
    response = await transport.handle_async_request(
        httpx.Request(method, url, content=content, extensions={"timeout": TIMEOUT}))  # fmt: skip
    try:
        await response.aread()
    finally:
        await response.aclose()
    return response


async def test_requests_one_after_another_share_one_connection(upstream) -> None:
    peers, url = upstream
    transport = network_transport()
    answers = [await call(transport, f"{url}/echo?n={n}") for n in range(5)]
    answers.append(await call(transport, f"{url}/echo", "POST", b"booked"))
    await transport.aclose()
    assert [a.json()["n"] for a in answers[:5]] == [0, 1, 2, 3, 4] and answers[5].json()["body"] == "booked"
    assert len(peers.ports) == 1


async def test_a_connection_the_server_closes_is_replaced_not_reused(upstream) -> None:
    peers, url = upstream
    transport = network_transport()
    await call(transport, f"{url}/echo?close=1")
    second = await call(transport, f"{url}/echo?n=2")
    await transport.aclose()
    assert second.json()["n"] == 2 and len(peers.ports) == 2


async def test_idle_connections_expire_before_common_servers_close_them() -> None:
    # uvicorn closes idle keep-alive connections after 5 s, nginx after 75 s: ours go first.
    transport = network_transport()
    assert transport._pool._keepalive_expiry is not None and transport._pool._keepalive_expiry < 5
    await transport.aclose()
