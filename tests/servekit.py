"""Run a PreviewServer in a thread for a test, and stop it cleanly."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from generator.preview.serve import preview_server
from generator.preview.server import PreviewServer


@contextmanager
def running(site: Path, **kwargs) -> Iterator[tuple[PreviewServer, list[str]]]:
    lines: list[str] = []
    server = preview_server(site, port=0, log=lines.append, **kwargs)
    server.first_build()
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield server, lines
    finally:
        server.stop()
        thread.join(5)
        server.close()
