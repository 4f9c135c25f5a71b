"""The gateway's keep-alive connections to ClicRDV: a last-in-first-out pool of httpcore connections.

httpx's own pool (``httpcore.AsyncConnectionPool``) walks *every* connection it holds on
every request, asking each idle one whether the server closed it (a ``poll`` system call
through anyio's attribute lookups): with 20 concurrent visitors that walk was about a sixth
of the gateway's CPU per request (README "Performance", py-spy). This pool takes the most
recently used idle connection, checks only that one, and puts it back when its answer has
been read. One HTTP/1.1 request per connection at a time, any number of connections; at most
``max_idle`` are kept between requests, each for ``keepalive_expiry`` seconds (2 by default,
below common servers' idle timeouts: uvicorn closes after 5, nginx after 75).

A server may still close an idle connection just as a request goes out on it; the request
then fails before any answer arrived, so it was never processed. Such a failure on a
*reused* connection is retried once on a new one, whatever the method, as browsers do
(on a new connection it is a real failure and raised).

It is an ``httpx.AsyncBaseTransport`` raising httpx's own exceptions, so
:class:`~generator.gateway.upstream.Upstream` treats it like any other transport.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from contextlib import contextmanager

import httpcore
import httpx

__all__ = ["KeepAlivePool"]

_FAILURES: tuple[type[Exception], ...] = (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol,
                                          httpcore.ConnectionNotAvailable)  # fmt: skip


#: A connection closed by the server before any answer: the request was not processed.
_CLOSED_UNDER_US = (httpcore.RemoteProtocolError, httpcore.ReadError, httpcore.WriteError)


def _closed_before_answer(error: Exception) -> bool:
    """A reset or refused write, or an end of stream before the status line (httpcore's words)."""
    return not isinstance(error, httpcore.RemoteProtocolError) or "without sending a response" in str(error)


@contextmanager
def _as_httpx() -> Iterator[None]:
    """httpcore's exceptions as httpx's (timeouts stay timeouts)."""
    try:
        yield
    except httpcore.TimeoutException as error:
        raise httpx.TimeoutException(str(error)) from error
    except _FAILURES as error:
        raise httpx.TransportError(str(error)) from error


class _Body(httpx.AsyncByteStream):
    """An answer's body; when closed, its connection goes back to the pool."""

    def __init__(self, pool: KeepAlivePool, key: tuple[bytes, bytes, int], connection: httpcore.AsyncHTTPConnection,
                 stream: AsyncIterable[bytes]) -> None:  # fmt: skip
        self.pool, self.key, self.connection, self.stream = pool, key, connection, stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx():
            async for chunk in self.stream:
                yield chunk

    async def aclose(self) -> None:
        try:
            with _as_httpx():
                await self.stream.aclose()  # type: ignore[attr-defined]  # httpcore's streams have it
        finally:
            await self.pool._release(self.key, self.connection)


class KeepAlivePool(httpx.AsyncBaseTransport):
    """HTTP/1.1 keep-alive connections per origin, reused last-in-first-out."""

    def __init__(self, *, max_idle: int = 64, keepalive_expiry: float = 2.0,
                 ssl_context: ssl.SSLContext | None = None) -> None:  # fmt: skip
        self.max_idle = max_idle
        self.keepalive_expiry = keepalive_expiry
        self.ssl_context = ssl_context or httpx.create_ssl_context(trust_env=False)
        self.idle: dict[tuple[bytes, bytes, int], list[httpcore.AsyncHTTPConnection]] = {}
        self.opened = 0  # connections made so far (tests, diagnostics)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        port = url.port or (443 if url.raw_scheme == b"https" else 80)
        key = (url.raw_scheme, url.raw_host, port)
        core = httpcore.Request(method=request.method, url=httpcore.URL(scheme=url.raw_scheme, host=url.raw_host,
                                port=port, target=url.raw_path), headers=request.headers.raw,
                                content=request.stream, extensions=request.extensions)  # fmt: skip
        connection, reused = await self._take(key)
        try:
            try:
                answer = await connection.handle_async_request(core)
            except _CLOSED_UNDER_US as error:
                if not reused or not _closed_before_answer(error):
                    raise
                await connection.aclose()
                connection, reused = await self._take(key, fresh=True)
                answer = await connection.handle_async_request(core)
        except BaseException as error:
            await connection.aclose()
            if isinstance(error, Exception):
                with _as_httpx():
                    raise
            raise
        stream = answer.stream
        assert isinstance(stream, AsyncIterable)  # an async connection's answer
        return httpx.Response(answer.status, headers=answer.headers, extensions=answer.extensions,
                              stream=_Body(self, key, connection, stream))  # fmt: skip

    async def _take(self, key: tuple[bytes, bytes, int], *,
                    fresh: bool = False) -> tuple[httpcore.AsyncHTTPConnection, bool]:  # fmt: skip
        """An idle connection (and True), else a new one (and False)."""
        idle = self.idle.get(key, [])
        while idle and not fresh:
            connection = idle.pop()
            if connection.is_idle() and not connection.has_expired():
                return connection, True
            await connection.aclose()
        self.opened += 1
        origin = httpcore.Origin(*key)
        return httpcore.AsyncHTTPConnection(origin, ssl_context=self.ssl_context if key[0] == b"https" else None,
                                            keepalive_expiry=self.keepalive_expiry, http1=True,
                                            http2=False), False  # fmt: skip

    async def _release(self, key: tuple[bytes, bytes, int], connection: httpcore.AsyncHTTPConnection) -> None:
        idle = self.idle.setdefault(key, [])
        if connection.is_idle() and len(idle) < self.max_idle:
            idle.append(connection)
        else:
            await connection.aclose()

    async def aclose(self) -> None:
        for idle in self.idle.values():
            while idle:
                await idle.pop().aclose()
