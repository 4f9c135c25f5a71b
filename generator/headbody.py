"""HEAD answered as GET without the body (RFC 9110 §9.3.2), for bookgen's ASGI apps.

The gateway and the sandbox route a ``HEAD`` like the ``GET`` of the same path (never like
a method that changes state) and wrap their app in :class:`HeadWithoutBody`, which drops
the body bytes of a ``HEAD``'s answer and keeps its status and headers, ``Content-Length``
included: the length of the body a ``GET`` would have had. uvicorn and httpx's ASGI
transport drop such bytes too, but the gateway's access log counts what the app sends,
and another server or caller may pass on whatever it is handed.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["HeadWithoutBody"]


class HeadWithoutBody:
    """ASGI middleware: on an HTTP ``HEAD``, every ``http.response.body`` message is sent
    with an empty ``body`` (``more_body`` kept); other requests pass untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body" and message.get("body"):
                message = {**message, "body": b""}
            await send(message)

        await self.app(scope, receive, send_headers_only)
