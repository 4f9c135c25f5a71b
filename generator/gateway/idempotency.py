"""``Idempotency-Key`` for ``POST appointments``: a retry or double submit gets the first answer.

A key (1-255 printable ASCII characters, scoped by group) is *claimed* before the call
upstream. While the first request runs, a duplicate waits for its answer; once it is
known, every duplicate gets the same status and body and nothing new is created. Only
definitive answers are kept (2xx and ClicRDV's 4xx); when the call failed in the gateway
(502/504) the claim is dropped so a retry can try again (ClicRDV then refuses a second
booking of the same slot itself: ``NotAvailable`` / ``SameTimeRdv``, clicrdv-api.md §4).
The same key with a different body is refused: 400 ``idempotency_key_reused``.

Answers live for ``BOOKGEN_IDEMPOTENCY_TTL`` seconds in memory (one process, at most
:data:`MAX_MEMORY_KEYS`, oldest dropped first) or in Redis (every instance); a claim whose
holder died (SIGKILL) expires after the request timeout plus a margin.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

from .errors import GatewayError

__all__ = ["IdempotencyStore", "MemoryStore", "RedisStore", "Stored", "check_key", "scoped_key", "store_for"]

MAX_KEY_LENGTH = 255
MAX_MEMORY_KEYS = 100_000
POLL_SECONDS = 0.05
CLAIM_MARGIN = 5.0


@dataclass(frozen=True)
class Stored:
    """A kept answer: HTTP status and JSON body bytes."""

    status: int
    body: bytes


def check_key(value: str | None) -> str | None:
    """The header's value if well formed, ``None`` if absent; 400 ``bad_idempotency_key`` otherwise."""
    if value is None:
        return None
    if not 1 <= len(value) <= MAX_KEY_LENGTH or not all(" " < ch < "\x7f" for ch in value):
        raise GatewayError(400, "bad_idempotency_key", f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters")
    return value


class IdempotencyStore(Protocol):
    async def begin(self, key: str, fingerprint: str, deadline: float) -> Stored | str:
        """The kept answer for ``key``, or a claim token (the caller then calls upstream)."""

    async def finish(self, key: str, token: str, fingerprint: str, answer: Stored) -> None: ...

    async def abandon(self, key: str, token: str) -> None: ...

    async def aclose(self) -> None: ...


def _scoped(scope: str, key: str) -> str:
    return hashlib.sha256(f"{scope}\x00{key}".encode()).hexdigest()


def _reused() -> GatewayError:
    return GatewayError(400, "idempotency_key_reused", "this Idempotency-Key was used for another request")


def _waited_too_long() -> GatewayError:
    return GatewayError(504, "upstream_timeout", "the first request with this Idempotency-Key is still running")


class MemoryStore:
    """Keys of one process (the default, ``BOOKGEN_STORAGE=memory://``)."""

    def __init__(self, ttl: int, claim_ttl: float) -> None:
        self.ttl, self.claim_ttl = ttl, claim_ttl
        # key -> (expires, fingerprint, answer or claim token)
        self.entries: OrderedDict[str, tuple[float, str, Stored | str]] = OrderedDict()
        self.changed = asyncio.Condition()

    def _evict(self) -> None:
        now = time.monotonic()
        while self.entries:
            key, (expires, _, _) = next(iter(self.entries.items()))
            if expires > now and len(self.entries) <= MAX_MEMORY_KEYS:
                break
            self.entries.pop(key)

    def _live(self, key: str) -> tuple[float, str, Stored | str] | None:
        entry = self.entries.get(key)
        if entry is not None and entry[0] <= time.monotonic():
            self.entries.pop(key, None)
            return None
        return entry

    async def begin(self, key: str, fingerprint: str, deadline: float) -> Stored | str:
        async with self.changed:
            while True:
                self._evict()
                entry = self._live(key)
                if entry is None:
                    token = secrets.token_hex(8)
                    self.entries[key] = (time.monotonic() + self.claim_ttl, fingerprint, token)
                    return token
                if entry[1] != fingerprint:
                    raise _reused()
                if isinstance(entry[2], Stored):
                    return entry[2]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise _waited_too_long()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.changed.wait(), timeout=min(left, entry[0] - time.monotonic() + 0.01))

    async def finish(self, key: str, token: str, fingerprint: str, answer: Stored) -> None:
        async with self.changed:
            self.entries.pop(key, None)
            self.entries[key] = (time.monotonic() + self.ttl, fingerprint, answer)
            self.changed.notify_all()

    async def abandon(self, key: str, token: str) -> None:
        async with self.changed:
            entry = self.entries.get(key)
            if entry is not None and entry[2] == token:
                self.entries.pop(key)
            self.changed.notify_all()

    async def aclose(self) -> None:
        return None


class RedisStore:
    """Keys shared by every instance through Redis (``BOOKGEN_STORAGE=redis://...``).

    A claim is ``SET key {"fp", "token"} NX EX claim_ttl``; an answer replaces it with
    ``{"fp", "status", "body"}`` for ``ttl`` seconds. Waiting duplicates poll every 50 ms.
    """

    PREFIX = "bookgen-idem:"

    def __init__(self, url: str, ttl: int, claim_ttl: float) -> None:
        import redis.asyncio as redis

        self.redis: Any = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.ttl, self.claim_ttl = ttl, claim_ttl

    async def begin(self, key: str, fingerprint: str, deadline: float) -> Stored | str:
        name = self.PREFIX + key
        while True:
            token = secrets.token_hex(8)
            claim = json.dumps({"fp": fingerprint, "token": token})
            try:
                if await self.redis.set(name, claim, nx=True, ex=max(1, round(self.claim_ttl))):
                    return token
                raw = await self.redis.get(name)
            except Exception:
                raise GatewayError(503, "store_unavailable", "bookings are paused for a moment; try again",
                                   {"Retry-After": "1"}) from None  # fmt: skip
            if raw is None:
                continue  # expired or abandoned between SET and GET: claim again
            entry = json.loads(raw)
            if entry.get("fp") != fingerprint:
                raise _reused()
            if "status" in entry:
                return Stored(int(entry["status"]), base64.b64decode(entry["body"]))
            if time.monotonic() >= deadline:
                raise _waited_too_long()
            await asyncio.sleep(POLL_SECONDS)

    async def finish(self, key: str, token: str, fingerprint: str, answer: Stored) -> None:
        value = {"fp": fingerprint, "status": answer.status, "body": base64.b64encode(answer.body).decode()}
        with contextlib.suppress(Exception):  # the answer is still returned; only a later retry loses it
            await self.redis.set(self.PREFIX + key, json.dumps(value), ex=self.ttl)

    async def abandon(self, key: str, token: str) -> None:
        name = self.PREFIX + key
        try:
            raw = await self.redis.get(name)
            if raw is not None and json.loads(raw).get("token") == token:
                await self.redis.delete(name)
        except Exception:
            pass  # the claim expires by itself

    async def aclose(self) -> None:
        await self.redis.aclose()


def store_for(redis_url: str | None, ttl: int, request_timeout: float) -> IdempotencyStore:
    """Redis when configured, else memory; claims last the request timeout plus a margin."""
    claim_ttl = request_timeout + CLAIM_MARGIN
    return RedisStore(redis_url, ttl, claim_ttl) if redis_url else MemoryStore(ttl, claim_ttl)


def scoped_key(scope: str, key: str) -> str:
    """The stored name of ``key`` for ``scope`` (the group id): a SHA-256 hex digest."""
    return _scoped(scope, key)
