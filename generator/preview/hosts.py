"""Addresses of the preview server: how it is named in URLs and which Host headers it answers."""

from __future__ import annotations

import ipaddress

__all__ = ["allowed_hosts", "is_loopback", "reachable_host", "url_host"]


def url_host(host: str) -> str:
    """``host`` as it appears in a URL or a Host header: IPv6 literals in brackets (RFC 3986 §3.2.2)."""
    return f"[{host}]" if ":" in host else host


def reachable_host(host: str) -> str:
    """An address a browser can reach the server at: a wildcard bind (``0.0.0.0``, ``::``)
    is named by the loopback literal of its family, any other address as it is."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.is_unspecified:
        return "::1" if address.version == 6 else "127.0.0.1"
    return host


def allowed_hosts(host: str, port: int) -> frozenset[str] | None:
    """The Host header values the preview answers (review D15, DNS rebinding): the bound
    address and, on loopback, ``localhost`` and both loopback literals, each with and
    without ``:port``. ``None`` (any) for a wildcard bind (``0.0.0.0``, ``::``), which the
    user chose to expose under names the server cannot know."""
    try:
        if ipaddress.ip_address(host).is_unspecified:
            return None
    except ValueError:
        pass
    names = {url_host(host).lower()}
    if is_loopback(host):
        names |= {"localhost", "127.0.0.1", "[::1]"}
    return frozenset(names | {f"{name}:{port}" for name in names})


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the server private to this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
