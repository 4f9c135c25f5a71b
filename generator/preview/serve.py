"""``bookgen serve``'s wiring: a :class:`PreviewServer` driving a site's :class:`Preview`.

The server (:mod:`.server`) knows nothing of building; this is the one place that hands
it the build side (:mod:`.rebuild`) and the folders to watch (the site project, and the
built-in templates and themes in a checkout).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..errors import MAX_LISTED
from .rebuild import Preview
from .server import PreviewServer
from .watch import built_in_dirs

__all__ = ["preview_server"]


def preview_server(
    site_dir: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    livereload: bool = True,
    log: Callable[[str], None] = print,
    max_errors: int | None = MAX_LISTED,
) -> PreviewServer:
    """A preview of the site project at ``site_dir``, bound to ``host:port`` (0: any free
    port); raises :class:`OSError` when the port is taken. ``max_errors``: how many
    problems each report prints before one line counting the rest (``None``: all)."""

    def make_preview(out: Path, url: str) -> Preview:
        return Preview(site_dir, out, url)

    return PreviewServer(
        make_preview, [site_dir, *built_in_dirs()], host=host, port=port, livereload=livereload, log=log,
        max_errors=max_errors,
    )  # fmt: skip
