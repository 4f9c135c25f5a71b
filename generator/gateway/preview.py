"""The preview's booking chain on loopback: pages → gateway → sandbox, all in one process.

``bookgen serve`` forwards the page's ``/api/v1/*`` calls to :class:`PreviewChain`, which
runs the production gateway app (:func:`~generator.gateway.create_app`) in front of the
sandbox app over in-memory ASGI transports: the sandbox's key and Pro login, a random
cookie secret per run, cookies without ``Secure`` (plain HTTP on loopback), rate limits
raised for a developer clicking through. ``/sandbox/*`` (the sandbox's own confirmation
link and outbox) goes straight to the sandbox with its key, as it is not ClicRDV's.
"""

from __future__ import annotations

import secrets
from typing import Any

import httpx
from starlette.applications import Starlette

from .app import create_app
from .settings import Settings

__all__ = ["PreviewChain"]

#: Answer headers the preview passes back to the browser.
PASSED_BACK = ("content-type", "set-cookie", "retry-after", "allow", "x-request-id", "cache-control", "vary",
               "access-control-allow-origin", "access-control-allow-credentials", "access-control-allow-methods",
               "access-control-allow-headers", "access-control-max-age", "access-control-expose-headers")  # fmt: skip
#: Request headers the browser's call keeps on its way to the gateway.
PASSED_ON = ("host", "origin", "cookie", "content-type", "idempotency-key", "x-request-id",
             "access-control-request-method", "access-control-request-headers")  # fmt: skip


class PreviewChain:
    """The gateway over ``sandbox_app``; :meth:`forward` is one browser call."""

    def __init__(self, sandbox_app: Starlette, apikey: str, pro: tuple[str, str]) -> None:
        self.sandbox_app, self.apikey = sandbox_app, apikey
        settings = Settings(
            upstream="http://sandbox.invalid",
            apikey=apikey,
            secrets=(secrets.token_urlsafe(32),),
            pro_email=pro[0],
            pro_password=pro[1],
            rate_read="6000/minute",
            rate_write="600/minute",
            settings_ttl=1.0,
        )
        self.app = create_app(settings, transport=httpx.ASGITransport(app=sandbox_app))
        self.gateway = self.app.state.gateway

    def forget_settings(self) -> None:
        """Drop cached group settings (the site was rebuilt)."""
        self.gateway.rules.cache.clear()

    async def forward(self, method: str, path: str, query: str, headers: dict[str, str],
                      body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:  # fmt: skip
        """Send one call to the gateway (``/api/v1/...``) or the sandbox (``/sandbox/...``):
        its status, the :data:`PASSED_BACK` headers (and, for a ``HEAD``, ``Content-Length``:
        the length of the GET's body, which the caller cannot count) and the body."""
        kept = {k: v for k, v in headers.items() if k.lower() in PASSED_ON}
        host = kept.get("Host") or kept.get("host") or "127.0.0.1"
        if path.startswith("/sandbox/"):
            app: Any = self.sandbox_app
            query = "&".join(p for p in (query, httpx.QueryParams({"apikey": self.apikey}).__str__()) if p)
        else:
            app = self.app
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 0))
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{host}") as client:
            url = path + (f"?{query}" if query else "")
            answer = await client.request(method, url, content=body or None, headers=kept)
        passed = [(k, v) for k, v in answer.headers.multi_items() if k.lower() in PASSED_BACK]
        if method == "HEAD" and "content-length" in answer.headers:  # the GET's length; no body to count
            passed.append(("content-length", answer.headers["content-length"]))
        return answer.status_code, passed, answer.content
