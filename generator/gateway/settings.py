"""The gateway's settings, read from the environment and from files, never from flags.

Secrets (``BOOKGEN_APIKEY``, ``BOOKGEN_SECRET``, ``BOOKGEN_PRO_EMAIL``,
``BOOKGEN_PRO_PASSWORD``) come from the variable itself or from the file named by the
same variable with ``_FILE`` appended (Docker and Kubernetes secrets); setting both is an
error. Every other setting is an ordinary variable (see :data:`VARIABLES`). A missing or
bad setting raises :class:`~generator.gateway.errors.ConfigError` with one line that
names the variable and never echoes a secret's value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from limits import parse_many

from ..errors import SiteError
from ..fields import MAX_ID
from ..secretfiles import read_secret_file
from .errors import ConfigError

__all__ = ["VARIABLES", "Settings", "origin_of"]

MIN_SECRET_LENGTH = 32
MAX_BODY = 1024 * 1024  # bytes: ClicRDV's booking bodies are a few hundred
MAX_SESSION_TTL = 30 * 86400  # a sign-in lasts at most 30 days
MAX_IDEMPOTENCY_TTL = 7 * 86400  # a booking's answer is replayed for at most a week
MAX_RETRIES = 10
T = TypeVar("T")

#: Every variable the gateway reads, with its default ("" = required or none).
VARIABLES: dict[str, str] = {
    "BOOKGEN_UPSTREAM": "",  # ClicRDV's root, e.g. https://www.clicrdv.com (required)
    "BOOKGEN_APIKEY": "",  # or BOOKGEN_APIKEY_FILE (required)
    "BOOKGEN_SECRET": "",  # or BOOKGEN_SECRET_FILE: cookie key(s), >= 32 chars each (required)
    "BOOKGEN_PRO_EMAIL": "",  # or BOOKGEN_PRO_EMAIL_FILE (required)
    "BOOKGEN_PRO_PASSWORD": "",  # or BOOKGEN_PRO_PASSWORD_FILE (required)
    "BOOKGEN_ALLOW_ORIGINS": "",  # space- or comma-separated origins allowed besides the gateway's own
    "BOOKGEN_PUBLIC_ORIGIN": "",  # the gateway's own origin when a proxy rewrites Host
    "BOOKGEN_GROUPS": "",  # only these group ids (space/comma separated); empty = any the Pro sees
    "BOOKGEN_RATE_READ": "120/minute",
    "BOOKGEN_RATE_WRITE": "10/minute",
    "BOOKGEN_STORAGE": "memory://",  # or redis://host:6379/0 (rate limits + idempotency keys)
    "BOOKGEN_IDEMPOTENCY_TTL": "86400",  # seconds an Idempotency-Key answer is kept
    "BOOKGEN_MAX_BODY": "16384",  # bytes; larger request bodies get 413
    "BOOKGEN_CONNECT_TIMEOUT": "3",  # seconds per upstream connection
    "BOOKGEN_CALL_TIMEOUT": "10",  # seconds per upstream call
    "BOOKGEN_REQUEST_TIMEOUT": "20",  # seconds per gateway request, retries included
    "BOOKGEN_RETRIES": "2",  # extra attempts for idempotent GETs
    "BOOKGEN_SESSION_TTL": "43200",  # seconds a client session cookie stays valid
    "BOOKGEN_COOKIE_SAMESITE": "lax",  # lax | strict | none (none: embeds on other sites)
    "BOOKGEN_SETTINGS_TTL": "60",  # seconds a group's settings are cached
}
SECRETS = ("BOOKGEN_APIKEY", "BOOKGEN_SECRET", "BOOKGEN_PRO_EMAIL", "BOOKGEN_PRO_PASSWORD")


@dataclass(frozen=True)
class Settings:
    """Everything a gateway instance needs; :meth:`from_env` builds it.

    Times are seconds, sizes bytes. ``secrets[0]`` encrypts session cookies and every
    entry decrypts them (key rotation). ``rate_read`` / ``rate_write`` use the ``limits``
    notation (``"120/minute"``), per client IP.
    """

    upstream: str
    apikey: str = field(repr=False)
    secrets: tuple[str, ...] = field(repr=False)
    pro_email: str = field(repr=False)
    pro_password: str = field(repr=False)
    allow_origins: frozenset[str] = frozenset()
    public_origin: str | None = None
    groups: frozenset[int] | None = None
    rate_read: str = "120/minute"
    rate_write: str = "10/minute"
    storage: str = "memory://"
    idempotency_ttl: int = 86400
    max_body: int = 16384
    connect_timeout: float = 3.0
    call_timeout: float = 10.0
    request_timeout: float = 20.0
    retries: int = 2
    session_ttl: int = 43200
    cookie_samesite: str = "lax"
    settings_ttl: float = 60.0

    def __post_init__(self) -> None:
        found = _check_url(self.upstream, "BOOKGEN_UPSTREAM")
        for name, value in (("BOOKGEN_APIKEY", self.apikey), ("BOOKGEN_PRO_EMAIL", self.pro_email),
                            ("BOOKGEN_PRO_PASSWORD", self.pro_password)):  # fmt: skip
            if not value:
                found.append(f"{name} is not set (or {name}_FILE)")
        if not self.secrets:
            found.append("BOOKGEN_SECRET is not set (or BOOKGEN_SECRET_FILE): the gateway refuses to start")
        elif any(len(s) < MIN_SECRET_LENGTH for s in self.secrets):
            found.append(f"BOOKGEN_SECRET: each secret needs at least {MIN_SECRET_LENGTH} characters")
        for origin in sorted(self.allow_origins | ({self.public_origin} if self.public_origin else set())):
            if origin_of(origin) != origin:
                found.append(f"{origin!r} is not an origin like https://example.com")
        for name, value in (("BOOKGEN_RATE_READ", self.rate_read), ("BOOKGEN_RATE_WRITE", self.rate_write)):
            try:
                parse_many(value)
            except ValueError:
                found.append(f"{name}: {value!r} is not a rate like 120/minute")
        if not self.storage.startswith(("memory://", "redis://", "rediss://")):
            found.append(f"BOOKGEN_STORAGE: {self.storage!r} is not memory:// or redis://...")
        if self.cookie_samesite not in ("lax", "strict", "none"):
            found.append("BOOKGEN_COOKIE_SAMESITE must be lax, strict or none")
        if found:
            raise ConfigError(*found)

    @property
    def redis_url(self) -> str | None:
        return self.storage if self.storage.startswith("redis") else None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Read :data:`VARIABLES` from ``env`` (default ``os.environ``); ``overrides`` win.

        Every missing or bad setting is reported at once (one line each), as a
        :class:`ConfigError`. Here, and not for a ``Settings`` built in code, the upstream must
        be https:// unless it is on loopback: every call carries the API key in its query and
        the Pro login in a header."""
        env = os.environ if env is None else env
        found: list[str] = []

        def take(read: Callable[..., T], *args: Any, fallback: T) -> T:
            try:
                return read(*args)
            except ConfigError as error:
                found.extend(error.messages)
                return fallback

        value = {name: take(_secret, env, name, fallback="") for name in SECRETS}

        def get(name: str) -> str:
            return env.get(name, "").strip() or VARIABLES[name]

        def number(name: str, low: int, high: int) -> int:
            return take(_int, get(name), name, low, high, fallback=int(VARIABLES[name]))

        def seconds(name: str) -> float:
            return take(_float, get(name), name, fallback=float(VARIABLES[name]))

        upstream = get("BOOKGEN_UPSTREAM").rstrip("/")
        found.extend(_plain_http_off_loopback(upstream, "BOOKGEN_UPSTREAM"))
        groups = [take(_int, g, "BOOKGEN_GROUPS", 1, MAX_ID, fallback=0) for g in _words(get("BOOKGEN_GROUPS"))]
        fields: dict[str, Any] = dict(
            upstream=upstream,
            apikey=value["BOOKGEN_APIKEY"],
            secrets=tuple(value["BOOKGEN_SECRET"].split()),
            pro_email=value["BOOKGEN_PRO_EMAIL"],
            pro_password=value["BOOKGEN_PRO_PASSWORD"],
            allow_origins=frozenset(_words(get("BOOKGEN_ALLOW_ORIGINS"))),
            public_origin=get("BOOKGEN_PUBLIC_ORIGIN") or None,
            groups=frozenset(groups) or None,
            rate_read=get("BOOKGEN_RATE_READ"),
            rate_write=get("BOOKGEN_RATE_WRITE"),
            storage=get("BOOKGEN_STORAGE"),
            idempotency_ttl=number("BOOKGEN_IDEMPOTENCY_TTL", 1, MAX_IDEMPOTENCY_TTL),
            max_body=number("BOOKGEN_MAX_BODY", 256, MAX_BODY),
            connect_timeout=seconds("BOOKGEN_CONNECT_TIMEOUT"),
            call_timeout=seconds("BOOKGEN_CALL_TIMEOUT"),
            request_timeout=seconds("BOOKGEN_REQUEST_TIMEOUT"),
            retries=number("BOOKGEN_RETRIES", 0, MAX_RETRIES),
            session_ttl=number("BOOKGEN_SESSION_TTL", 60, MAX_SESSION_TTL),
            cookie_samesite=get("BOOKGEN_COOKIE_SAMESITE").lower(),
            settings_ttl=seconds("BOOKGEN_SETTINGS_TTL"),
        )
        try:
            settings = cls(**fields)
        except ConfigError as error:  # what the fields themselves say, once per variable
            named = {_variable(message) for message in found}
            found.extend(m for m in error.messages if _variable(m) not in named)
        if found:
            raise ConfigError(*found)
        return replace(settings, **overrides) if overrides else settings  # type: ignore[arg-type]


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of ``url`` (lowercase, default ports dropped), or None."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def _secret(env: Mapping[str, str], name: str) -> str:
    direct, path = env.get(name, ""), env.get(f"{name}_FILE", "")
    if direct and path:
        raise ConfigError(f"{name} and {name}_FILE are both set; keep one")
    if not path:
        return direct.strip()
    try:
        return read_secret_file(Path(path))
    except SiteError as error:
        raise ConfigError(f"{name}_FILE: {error}") from None


def _check_url(url: str, name: str) -> list[str]:
    if not url:
        return [f"{name} is not set (ClicRDV's root, e.g. https://www.clicrdv.com)"]
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port out of range or not a number
    except ValueError:
        return [f"{name}: {url!r} is not an http(s) URL like https://www.clicrdv.com"]
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        return [f"{name}: {url!r} is not an http(s) URL like https://www.clicrdv.com"]
    return []


def _plain_http_off_loopback(url: str, name: str) -> list[str]:
    """The key (in every query) and the Pro login (in every header) must not cross a network
    in clear: plain http:// only to this machine, as ``bookgen pull`` allows."""
    from .origins import is_loopback  # here: origins imports this module

    try:
        parts = urlsplit(url)
    except ValueError:
        return []  # reported as not a URL
    if parts.scheme == "http" and parts.hostname and not is_loopback(parts.hostname):
        return [f"{name}: {url!r} is plain http:// to another machine, which would carry the API key "
                "and the Pro password in clear; use https:// (http:// is accepted on loopback only)"]  # fmt: skip
    return []


def _variable(message: str) -> str:
    """The variable a message is about (``BOOKGEN_APIKEY`` for ``BOOKGEN_APIKEY_FILE: ...``)."""
    return message.split(" ", 1)[0].rstrip(":").removesuffix("_FILE")


def _words(value: str) -> list[str]:
    return value.replace(",", " ").split()


def _int(value: str, name: str, minimum: int, maximum: int) -> int:
    if not re.fullmatch(r"-?[0-9]{1,18}", value):
        raise ConfigError(f"{name}: {value[:40]!r} is not a whole number")
    number = int(value)
    if number < minimum:
        raise ConfigError(f"{name}: {number} is below the minimum {minimum}")
    if number > maximum:
        raise ConfigError(f"{name}: {number} is above the maximum {maximum}")
    return number


def _float(value: str, name: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name}: {value[:40]!r} is not a number of seconds") from None
    if not 0 < number <= 3600:
        raise ConfigError(f"{name}: {number} must be above 0 and at most 3600 seconds")
    return number
