"""What `bookgen pull` / `push` authenticate with, and how those secrets are kept out of sight.

ClicRDV API v1 needs two things on every call (``clicrdv-api.md`` §2): an **API key**
that identifies the application, sent as ``?apikey=`` in the query (never the body),
and a **user identity**, here a Pro login (email + password), sent either as HTTP
Basic on every request or once to ``sessions/login`` (password as SHA-1 hex) whose
``_session_id`` cookie is then sent back.

Each secret comes from the environment or from a file, never from a command-line
value (which lands in shell history, CI logs and ``ps``):

=================  ======================  =====================
what               environment             file option
=================  ======================  =====================
API key            ``BOOKGEN_APIKEY``      ``--apikey-file``
Pro email          ``BOOKGEN_PRO_EMAIL``   ``--pro-email-file``
Pro password       ``BOOKGEN_PRO_PASSWORD`` ``--pro-password-file``
=================  ======================  =====================

A file wins over the environment. Messages name the source, never its content.
:func:`redact` masks every secret in text and :func:`scrub` in JSON data, so that an
API that echoes them cannot get them into a message, a log record or a file.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import Problem, SiteError
from ..secretfiles import secret_from

__all__ = [
    "APIKEY_ENV",
    "AUTH_MODES",
    "EMAIL_ENV",
    "PASSWORD_ENV",
    "Credentials",
    "read_credentials",
    "redact",
    "scrub",
    "sha1_hex",
]

APIKEY_ENV = "BOOKGEN_APIKEY"
EMAIL_ENV = "BOOKGEN_PRO_EMAIL"
PASSWORD_ENV = "BOOKGEN_PRO_PASSWORD"
#: ``basic``: an ``Authorization: Basic`` header on every request; ``session``:
#: ``POST sessions/login.json`` once, then the ``_session_id`` cookie (§2).
AUTH_MODES = ("basic", "session")

#: Secrets that travel under a name: the key in a query, the session in a cookie.
_NAMED = re.compile(r"(apikey=|_session_id=)[^&;,\s\"'<>]*", re.IGNORECASE)
_PRINTABLE = re.compile(r"[\x21-\x7e]{1,200}")
_EMAIL = re.compile(r"[^\s@]{1,200}@[^\s@]{1,200}")


def sha1_hex(password: str) -> str:
    """The password as ``sessions/login`` wants it: the SHA-1 hex digest of its UTF-8 (§2)."""
    return hashlib.sha1(password.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Credentials:
    """The API key and the Pro login; ``repr`` never shows them."""

    apikey: str = field(repr=False)
    email: str = field(repr=False)
    password: str = field(repr=False)
    auth: str = "basic"

    def secrets(self) -> tuple[str, ...]:
        """Every form in which a secret could travel: the key, the password, its SHA-1,
        and the Basic header's token."""
        token = base64.b64encode(f"{self.email}:{self.password}".encode()).decode("ascii")
        return (self.apikey, self.password, sha1_hex(self.password), token)


def read_credentials(
    *,
    apikey_file: Path | None = None,
    email_file: Path | None = None,
    password_file: Path | None = None,
    auth: str = "basic",
    environ: Mapping[str, str] = os.environ,
) -> Credentials:
    """The key and Pro login from files, else the environment; every gap reported at once.

    Raises :class:`SiteError` whose problems name the missing or malformed source.
    """
    if auth not in AUTH_MODES:
        raise ValueError(f"auth must be one of {AUTH_MODES}")
    apikey, key_from = secret_from(apikey_file, APIKEY_ENV, environ)
    email, email_from = secret_from(email_file, EMAIL_ENV, environ)
    password, password_from = secret_from(password_file, PASSWORD_ENV, environ)
    problems = []
    if not apikey:
        problems.append(Problem("API key", "", f"none given: set {APIKEY_ENV} or pass --apikey-file PATH"))
    elif not _PRINTABLE.fullmatch(apikey):
        problems.append(
            Problem(key_from, "", "does not hold an API key (one line of printable ASCII, no spaces)")
        )
    if not email:
        problems.append(Problem("Pro login", "", f"no email: set {EMAIL_ENV} or pass --pro-email-file PATH"))
    elif not _EMAIL.fullmatch(email):
        problems.append(Problem(email_from, "", "does not hold an email address (one line, name@domain)"))
    if not password:
        problems.append(
            Problem("Pro login", "", f"no password: set {PASSWORD_ENV} or pass --pro-password-file PATH")
        )
    elif "\n" in password or len(password) > 1024:
        problems.append(
            Problem(password_from, "", "does not hold a password (one line, at most 1024 characters)")
        )
    if problems:
        raise SiteError(problems)
    return Credentials(apikey, email, password, auth)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every ``apikey=...`` and ``_session_id=...`` value, and each of ``secrets``
    anywhere, masked as ``***``."""
    text = _NAMED.sub(r"\1***", text)
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def scrub(data: Any, secrets: Iterable[str], path: str = "") -> tuple[Any, list[str]]:
    """``data`` (parsed JSON) with :func:`redact` applied to every string, key or value,
    and the field paths that changed (``group.links.self``), so that an API echoing a
    secret cannot get it written into a file."""
    secrets = tuple(secrets)
    changed: list[str] = []

    def walk(value: Any, where: str) -> Any:
        if isinstance(value, str):
            clean = redact(value, secrets)
            if clean != value:
                changed.append(where)
            return clean
        if isinstance(value, list):
            return [walk(item, f"{where}[{index}]") for index, item in enumerate(value)]
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                clean_key = redact(str(key), secrets)
                if clean_key != key:
                    changed.append(f"{where}.<key>" if where else "<key>")
                out[clean_key] = walk(item, f"{where}.{clean_key}" if where else clean_key)
            return out
        return value

    return walk(data, path), changed


class RedactingFilter(logging.Filter):
    """httpx logs each request's URL at INFO, httpcore the answer's headers (``Set-Cookie``) at
    DEBUG; mask the key and the session before any handler sees them."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True  # a malformed record: logging reports it, with nothing formatted in
        lowered = message.lower()
        if "apikey=" in lowered or "_session_id=" in lowered:
            record.msg, record.args = redact(message), ()
        return True


# A logger's filters see only the records logged on it, not its children's: name each one.
for _name in (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.connection_pool",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
):
    _logger = logging.getLogger(_name)
    if not any(isinstance(f, RedactingFilter) for f in _logger.filters):
        _logger.addFilter(RedactingFilter())
