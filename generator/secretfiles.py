"""The one reader of secrets (API keys, passwords, signing keys) for every command and server.

A secret comes from a file or an environment variable, never from a command-line value
(which lands in shell history, CI logs and ``ps``). A file is read bounded
(:data:`MAX_SECRET_FILE` bytes: it should hold one line), as UTF-8 with an optional
byte-order mark, and stripped. A file that cannot be read is a
:class:`~generator.errors.SiteError` naming the file and the reason, never its content.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from .errors import Problem, SiteError

__all__ = ["MAX_SECRET_FILE", "read_secret_file", "secret_from"]

MAX_SECRET_FILE = 4096
"""Bytes: a secret file over this holds something else than a secret."""


def read_secret_file(path: Path) -> str:
    """The stripped text of ``path``; ``""`` for an empty file.

    Raises :class:`SiteError` (``path: cannot be read (reason)`` or ``path: is over 4096
    bytes; it should hold one line``).
    """
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_SECRET_FILE + 1)
        if len(raw) > MAX_SECRET_FILE:
            raise SiteError([Problem(str(path), "", f"is over {MAX_SECRET_FILE} bytes; it should hold one line")])
        return raw.decode("utf-8-sig").strip()
    except OSError as error:
        raise SiteError([Problem(str(path), "", f"cannot be read ({error.strerror})")]) from None
    except UnicodeDecodeError:
        raise SiteError([Problem(str(path), "", "cannot be read (not UTF-8 text)")]) from None


def secret_from(path: Path | None, env: str | None, environ: Mapping[str, str]) -> tuple[str, str]:
    """(value, where it came from) for one secret: ``path`` when given, else ``$env``.

    The value is ``""`` when absent; *where* is the file's path or ``$NAME``, for messages.
    """
    if path is not None:
        return read_secret_file(path), str(path)
    if env is None:
        return "", ""
    return environ.get(env, "").strip(), f"${env}"
