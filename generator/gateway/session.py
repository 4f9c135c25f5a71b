"""Client sessions without server state: ClicRDV's ``_session_id`` inside an encrypted cookie.

The cookie ``bookgen_session`` holds a Fernet token (AES-128-CBC + HMAC-SHA256, with its
creation time) of ``{"sid": <upstream _session_id>, "gid": <account's group_id>,
"aid": <account id>, "n": <appointments booked in this session>}``; no email, no name.
It is HttpOnly, SameSite (lax by default), Path=/, and Secure unless the gateway is
reached on a loopback host over plain HTTP (the preview). Any instance holding the same
secret reads it; another secret, a forged or expired token reads as "no session".

The Fernet keys are derived from ``BOOKGEN_SECRET`` with HKDF-SHA256, so the secret can
be any string of 32+ characters; several secrets (rotation) all decrypt, the first encrypts.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, replace
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["COOKIE_NAME", "Session", "SessionCodec"]

COOKIE_NAME = "bookgen_session"
MAX_COOKIE_CHARS = 1024


@dataclass(frozen=True)
class Session:
    """One client's state: the upstream session (``sid``), its group and account, and how
    many appointments it booked through this gateway (``booked``, for ``max_multirdvs``)."""

    sid: str | None = None
    group_id: int | None = None
    account_id: int | None = None
    booked: int = 0

    @property
    def signed_in(self) -> bool:
        return bool(self.sid)

    def after_booking(self) -> Session:
        return replace(self, booked=self.booked + 1)


class SessionCodec:
    """Encrypts :class:`Session` into a cookie value and back (``None`` when unreadable)."""

    def __init__(self, secrets: tuple[str, ...], ttl: int) -> None:
        self.fernet = MultiFernet([Fernet(_derive(secret)) for secret in secrets])
        self.ttl = ttl

    def encode(self, session: Session) -> str:
        data = {"sid": session.sid, "gid": session.group_id, "aid": session.account_id, "n": session.booked}
        return self.fernet.encrypt(json.dumps(data, separators=(",", ":")).encode()).decode()

    def decode(self, value: str | None) -> Session | None:
        if not value or len(value) > MAX_COOKIE_CHARS:
            return None
        try:
            data: Any = json.loads(self.fernet.decrypt(value.encode(), ttl=self.ttl))
        except (InvalidToken, ValueError):
            return None
        if not isinstance(data, dict):
            return None
        sid, gid, aid, booked = data.get("sid"), data.get("gid"), data.get("aid"), data.get("n")
        return Session(
            sid=sid if isinstance(sid, str) else None,
            group_id=gid if isinstance(gid, int) else None,
            account_id=aid if isinstance(aid, int) else None,
            booked=booked if isinstance(booked, int) else 0,
        )

    def header(self, session: Session | None, *, secure: bool, samesite: str) -> str:
        """A ``Set-Cookie`` value storing ``session``, or clearing the cookie when ``None``."""
        attributes = f"; Path=/; HttpOnly; SameSite={samesite.capitalize()}" + ("; Secure" if secure else "")
        if session is None:
            return f"{COOKIE_NAME}=; Max-Age=0{attributes}"
        return f"{COOKIE_NAME}={self.encode(session)}; Max-Age={self.ttl}{attributes}"


def _derive(secret: str) -> bytes:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"bookgen-gateway", info=b"session-cookie").derive(
        secret.encode()
    )
    return base64.urlsafe_b64encode(key)
