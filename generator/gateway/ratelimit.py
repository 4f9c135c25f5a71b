"""Rate limits per client IP with the ``limits`` library: reads and writes counted apart.

Storage is ``memory://`` (one process) or ``redis://`` (shared by every instance and
worker). A request over its limit gets 429 ``rate_limited`` with ``Retry-After`` (whole
seconds until the window lets one more through). The strategy is a sliding window counter
(two fixed windows, the previous one weighted), so a burst at a window's edge cannot double
the rate; unlike ``limits``' moving window it keeps no list of timestamps per client,
which its memory storage trims in a worker thread after every hit. If Redis fails, requests are let through
(the gateway stays up; the failure is logged) rather than refusing every booking.
"""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItem, parse_many
from limits.aio.storage import Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string

from .errors import GatewayError
from .settings import Settings

__all__ = ["RateLimits"]

log = logging.getLogger("bookgen.gateway")


class RateLimits:
    """``await limits.hit("read" | "write", client)`` raises 429 when ``client`` is over."""

    def __init__(self, settings: Settings) -> None:
        self.storage: Storage = _storage(settings.storage)
        self.limiter = SlidingWindowCounterRateLimiter(self.storage)
        self.items: dict[str, list[RateLimitItem]] = {
            "read": parse_many(settings.rate_read),
            "write": parse_many(settings.rate_write),
        }

    async def hit(self, kind: str, client: str) -> None:
        for item in self.items[kind]:
            try:
                allowed = await self.limiter.hit(item, kind, client)
                if allowed:
                    continue
                stats = await self.limiter.get_window_stats(item, kind, client)
            except Exception as error:  # storage down: fail open, say so once per call
                log.warning("rate limit storage unavailable: %s", type(error).__name__)
                return
            retry = max(1, math.ceil(stats.reset_time - time.time()))
            raise GatewayError(429, "rate_limited", "too many requests; try again shortly",
                               {"Retry-After": str(retry)})  # fmt: skip

    async def reset(self) -> None:
        await self.storage.reset()


def _storage(uri: str) -> Storage:
    """The async storage for ``uri`` (``async+`` schemes always give one)."""
    if uri.startswith("redis"):
        storage = storage_from_string(f"async+{uri}", implementation="redispy", key_prefix="bookgen-rl")
    else:
        storage = storage_from_string("async+memory://")
    if not isinstance(storage, Storage):  # pragma: no cover - limits' contract
        raise TypeError(f"limits gave a synchronous storage for {uri.split(':', 1)[0]}")
    return storage
