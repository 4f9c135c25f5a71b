"""The API key and the user identity every call needs (clicrdv-api.md §2).

- ``apikey`` in the query string of every request (never read from a body); missing
  or wrong → 401.
- Identity: HTTP Basic ``email:password`` (the Pro login, or an Account whose email
  is confirmed; the password in clear, as Basic carries it), or the ``_session_id``
  cookie set by ``POST /api/v1/sessions/login`` (password sent as its SHA-1 hex).
  Missing or wrong → 401, answered without a ``WWW-Authenticate`` challenge (the
  API does not challenge; a browser must not pop up a login box).
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping

from .errors import ApiError
from .store import Identity, Store, sha1_hex

__all__ = ["SESSION_COOKIE", "check_apikey", "identify", "login"]

SESSION_COOKIE = "_session_id"


def check_apikey(query: Mapping[str, str], apikey: str) -> None:
    """401 unless ``query`` carries ``apikey`` (constant-time comparison)."""
    given = query.get("apikey", "")
    if not given or not hmac.compare_digest(given.encode("utf-8", "replace"), apikey.encode("utf-8")):
        raise ApiError(401, "missing or wrong apikey (it goes in the query string of every call)")


def _match(store: Store, email: str, password_sha1: str) -> Identity | None:
    """The identity whose login is ``email`` with that SHA-1 password, if any."""
    lowered = email.strip().lower()
    if hmac.compare_digest(lowered, store.pro_email.lower()) and hmac.compare_digest(
        password_sha1.lower(), store.pro_password_sha1
    ):
        return Identity("pro", store.pro_email)
    accounts = [
        a for a in store.accounts_for(lowered)
        if a.validated and a.password_sha1 and hmac.compare_digest(a.password_sha1, password_sha1.lower())
    ]  # fmt: skip
    if not accounts:
        return None
    return Identity("account", accounts[0].email, frozenset(a.id for a in accounts),
                    frozenset(a.group_id for a in accounts))  # fmt: skip


def identify(store: Store, authorization: str | None, session_id: str | None) -> Identity:
    """Who is calling: HTTP Basic first, else the session cookie; 401 if neither holds."""
    if authorization:
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic":
            raise ApiError(401, "only HTTP Basic authorization is accepted")
        try:
            email, sep, password = (
                base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
            )
        except (binascii.Error, UnicodeDecodeError):
            raise ApiError(401, "malformed HTTP Basic credentials") from None
        identity = _match(store, email, sha1_hex(password)) if sep else None
        if identity is None:
            raise ApiError(401, "wrong login or password")
        return identity
    if session_id:
        identity = store.session(session_id)
        if identity is None:
            raise ApiError(401, "the session has ended; sign in again")
        return identity
    raise ApiError(401, "sign in: send HTTP Basic credentials or the _session_id cookie of sessions/login")


def login(store: Store, params: Mapping[str, str]) -> tuple[Identity, str]:
    """Check ``pro[email]``/``pro[password]`` or ``account[...]`` (password = SHA-1 hex);
    returns the identity and the profile key (``pro`` or ``account``)."""
    for kind in ("pro", "account"):
        email, password = params.get(f"{kind}[email]"), params.get(f"{kind}[password]")
        if email is None and password is None:
            continue
        if not email or not password:
            raise ApiError(
                400, f"{kind}[email] and {kind}[password] are both required", field=f"{kind}[password]"
            )
        identity = _match(store, email, password)
        if identity is None or identity.kind != kind:
            raise ApiError(401, "wrong login or password")
        return identity, kind
    raise ApiError(400, "send pro[email] and pro[password], or account[email] and account[password]",
                   field="pro[email]")  # fmt: skip
