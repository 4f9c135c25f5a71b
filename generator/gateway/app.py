"""The gateway as an ASGI application: ``create_app(settings)`` → Starlette.

Order of work for a request under ``/api/v1``: match a public route (404/405; ``HEAD``
runs as the path's ``GET``), answer a CORS preflight, check the ``Origin`` of writes
(403), count it against the client IP's rate limit (429), read the body up to
``BOOKGEN_MAX_BODY`` (413), read the session cookie, run the route's handler under the
request deadline (504), set the cookie, add CORS headers for allowed origins.
``/healthz`` answers while the process runs; ``/readyz`` when ClicRDV answers the
gateway's key and Pro login (and Redis, if used).
Every answer goes through :class:`~generator.gateway.accesslog.AccessLog`, and the answer
to a ``HEAD`` through :class:`~generator.headbody.HeadWithoutBody` (the GET's status and
headers, no body).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from ..headbody import HeadWithoutBody
from .accesslog import AccessLog
from .errors import GatewayError, error_response
from .handlers import HANDLERS, KEEP, Call, Services
from .idempotency import store_for
from .origins import Origins, is_loopback
from .ratelimit import RateLimits
from .routes import match
from .rules import GroupRules
from .session import COOKIE_NAME, Session, SessionCodec
from .settings import Settings
from .upstream import Upstream

__all__ = ["create_app"]

log = logging.getLogger("bookgen.gateway")
READY_CACHE_SECONDS = 2.0
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]
BASE_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Vary": "Origin"}


class Gateway:
    """The per-process state behind the routes; ``app.state.gateway``."""

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.upstream = Upstream(settings, transport)
        self.rules = GroupRules(settings, self.upstream)
        self.idempotency = store_for(settings.redis_url, settings.idempotency_ttl, settings.request_timeout)
        self.limits = RateLimits(settings)
        self.origins = Origins(settings)
        self.codec = SessionCodec(settings.secrets, settings.session_ttl)
        self.services = Services(self.upstream, self.rules, self.idempotency)
        self._ready: tuple[float, bool] = (0.0, False)

    async def aclose(self) -> None:
        await self.upstream.aclose()
        await self.idempotency.aclose()

    # -- /api/v1 -------------------------------------------------------------------------------

    async def api(self, request: Request) -> Response:
        cors: dict[str, str] = {}
        try:
            route, group_id = match(request.method, request.url.path)
            request.scope["state"]["route"] = route.name
            cors = self.origins.cors_headers(request)
            if request.method == "OPTIONS":
                return self._preflight(request)
            if route.limit == "write":
                self.origins.check_write(request)
            await self.limits.hit(route.limit, request.client.host if request.client else "-")
            body = await _read_body(request, self.settings.max_body) if request.method == "POST" else b""
            session = self.codec.decode(request.cookies.get(COOKIE_NAME)) or Session()
            deadline = time.monotonic() + self.settings.request_timeout
            call = Call(request, route, group_id, session, body, deadline, self.services)
            try:
                async with asyncio.timeout(self.settings.request_timeout):
                    reply = await HANDLERS[route.name](call)
            except TimeoutError:
                raise GatewayError(504, "upstream_timeout", "ClicRDV did not answer in time") from None
        except GatewayError as error:
            response = error.response()
            response.headers.update({**BASE_HEADERS, **cors})
            return response
        except Exception as error:  # never a traceback page; the type only (messages may hold data)
            log.error("unexpected %s on %s", type(error).__name__, request.scope["state"].get("route", "-"))
            return error_response(500, "internal_error", "the booking gateway failed", {**BASE_HEADERS, **cors})
        response = Response(reply.body, status_code=reply.status, media_type="application/json",
                            headers={**BASE_HEADERS, **cors})  # fmt: skip
        if reply.session is not KEEP:
            response.headers.append("set-cookie", self.codec.header(
                reply.session, secure=self._secure(request), samesite=self.settings.cookie_samesite))  # fmt: skip
        return response

    def _preflight(self, request: Request) -> Response:
        headers = self.origins.preflight_headers(request)
        if headers is None:
            raise GatewayError(403, "forbidden_origin", "this origin may not use the booking gateway")
        return Response(status_code=204, headers={**headers, "Vary": "Origin"})

    def _secure(self, request: Request) -> bool:
        """Secure cookies everywhere but plain HTTP on a loopback host (the preview);
        always with ``SameSite=None``, which browsers refuse on a cookie that is not Secure."""
        if self.settings.cookie_samesite == "none":
            return True
        if self.settings.public_origin:
            return self.settings.public_origin.startswith("https://")
        return not (request.url.scheme == "http" and is_loopback(request.url.hostname or ""))

    # -- operations ----------------------------------------------------------------------------

    async def healthz(self, request: Request) -> Response:
        request.scope["state"]["route"] = "healthz"
        return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})

    async def readyz(self, request: Request) -> Response:
        request.scope["state"]["route"] = "readyz"
        checked, ready = self._ready
        if time.monotonic() - checked > READY_CACHE_SECONDS:
            ready = await self._check_ready()
            self._ready = (time.monotonic(), ready)
        return JSONResponse({"status": "ready" if ready else "unavailable"}, status_code=200 if ready else 503,
                            headers={"Cache-Control": "no-store"})  # fmt: skip

    async def _check_ready(self) -> bool:
        try:
            answer = await self.upstream.call("GET", "groups.json", params=[("results", "1")],
                                              deadline=time.monotonic() + 3)  # fmt: skip
            if answer.status != 200:
                return False
            redis = getattr(self.idempotency, "redis", None)
            if redis is not None:
                await redis.ping()
        except Exception:
            return False
        return True


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise GatewayError(413, "body_too_large", f"the body is over {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise GatewayError(413, "body_too_large", f"the body is over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None) -> Starlette:
    """The gateway for ``settings``; ``transport`` replaces the network (tests, the preview).

    Shapes of every answer: ClicRDV's own, passed through, or ``{"error": {"code",
    "message"}}`` (:mod:`.errors`). ``app.state.gateway`` is the :class:`Gateway`.
    """
    gateway = Gateway(settings, transport)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await gateway.aclose()

    routes: list[Any] = [
        Route("/healthz", gateway.healthz, methods=["GET", "HEAD"]),
        Route("/readyz", gateway.readyz, methods=["GET", "HEAD"]),
        Route("/{path:path}", gateway.api, methods=METHODS),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)

    async def unmatched(scope: Scope, receive: Receive, send: Send) -> None:
        # A path the catch-all's pattern cannot match (a decoded newline, ``%0a``): JSON too.
        answer = error_response(404, "not_found", "no such path on the booking gateway", BASE_HEADERS)
        await answer(scope, receive, send)

    app.router.default = unmatched
    app.add_middleware(HeadWithoutBody)
    app.add_middleware(AccessLog)  # outermost: it logs the bytes really sent
    app.state.gateway = gateway
    return app
