"""bookgen's own static files (``templates/static/``) as they are published."""

from __future__ import annotations

import rjsmin

from ..plan.urls import hashed_path
from ..themes import TEMPLATES_DIR
from .snippets import Loader

__all__ = ["embed_loader", "script_names", "static_bytes"]


def static_bytes(name: str) -> bytes:
    """The bytes of ``templates/static/<name>`` as published (scripts minified by rjsmin: sources keep their comments for people, pages stay within budget)."""
    data = (TEMPLATES_DIR / "static" / name).read_bytes()
    return rjsmin.jsmin(data.decode("utf-8")).encode("utf-8") if name.endswith(".js") else data


def script_names() -> list[str]:
    """The file names of every built-in script, sorted."""
    return sorted(p.name for p in (TEMPLATES_DIR / "static").glob("*.js"))


def embed_loader() -> Loader:
    """The versioned embed loader (``assets/embed.<hash>.js``) with its SRI hash, as every
    page and snippet names it."""
    raw = static_bytes("embed.js")
    return Loader.from_bytes(hashed_path("assets", "embed", ".js", raw), raw)
