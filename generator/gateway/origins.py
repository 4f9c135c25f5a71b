"""Which web origins may use the gateway: the CSRF check and the CORS headers.

A state-changing request (POST) must carry an ``Origin`` header equal to the gateway's
own origin or one of ``BOOKGEN_ALLOW_ORIGINS``; otherwise 403 ``forbidden_origin``
(a browser always sends ``Origin`` on a POST, so a missing or ``null`` one is refused
too). CORS headers are added only for allowed origins, with credentials (the session
cookie) and ``Vary: Origin``; ClicRDV documents no CORS (clicrdv-api.md §1), so these are
the gateway's own.
"""

from __future__ import annotations

import functools
import ipaddress

from starlette.requests import Request

from .errors import GatewayError
from .settings import Settings, origin_of

__all__ = ["Origins", "is_loopback"]

ALLOWED_METHODS = "GET, POST, OPTIONS"
ALLOWED_HEADERS = "Content-Type, Idempotency-Key, X-Request-Id"
PREFLIGHT_MAX_AGE = "600"
#: ``origin_of`` once per distinct ``Origin`` header (bounded: the header is the caller's choice);
#: parsing it for every answer was 4 % of the gateway's CPU per booking.
_origin = functools.lru_cache(maxsize=256)(origin_of)


def is_loopback(host: str) -> bool:
    """Whether ``host`` (no port; IPv6 with or without brackets) names this machine."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Origins:
    """Origin decisions for one gateway configuration."""

    def __init__(self, settings: Settings) -> None:
        self.allowed = settings.allow_origins
        self.public = settings.public_origin

    def own(self, request: Request) -> str | None:
        """The gateway's own origin as the browser sees it (``BOOKGEN_PUBLIC_ORIGIN`` wins)."""
        if self.public:
            return self.public
        host = request.headers.get("host", "")
        return _origin(f"{request.url.scheme}://{host}") if host else None

    def is_cross_allowed(self, origin: str | None) -> bool:
        return origin is not None and origin in self.allowed

    def check_write(self, request: Request) -> None:
        """Raise 403 unless a POST comes from the gateway's own origin or an allowed one."""
        origin = request.headers.get("origin")
        if origin is None or origin == "null":
            raise GatewayError(403, "forbidden_origin", "this request must come from an allowed page (Origin)")
        normalized = _origin(origin)
        if normalized is None or (normalized != self.own(request) and normalized not in self.allowed):
            raise GatewayError(403, "forbidden_origin", "this origin may not use the booking gateway")

    def cors_headers(self, request: Request) -> dict[str, str]:
        """Headers for an answer to ``request``: CORS for an allowed other origin, else none."""
        origin = request.headers.get("origin")
        if origin is None or _origin(origin) not in self.allowed:
            return {}
        return {
            "Access-Control-Allow-Origin": _origin(origin) or "",
            "Access-Control-Allow-Credentials": "true",
            "Access-Control-Expose-Headers": "Retry-After, X-Request-Id",
        }

    def preflight_headers(self, request: Request) -> dict[str, str] | None:
        """Headers for an ``OPTIONS`` preflight, or ``None`` if the origin is not allowed."""
        headers = self.cors_headers(request)
        if not headers:
            return None
        return {**headers, "Access-Control-Allow-Methods": ALLOWED_METHODS,
                "Access-Control-Allow-Headers": ALLOWED_HEADERS, "Access-Control-Max-Age": PREFLIGHT_MAX_AGE}  # fmt: skip
