"""What the preview watches: files under some folders, polled by mtime."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from ..themes import TEMPLATES_DIR, THEMES_DIR

__all__ = ["Watcher", "built_in_dirs"]

_IGNORED_SUFFIXES = (".swp", ".swx", ".tmp", "~")


def built_in_dirs() -> list[Path]:
    """Built-in templates and themes, watched only in a checkout (not in an installed wheel)."""
    if "site-packages" in TEMPLATES_DIR.parts or "_share" in TEMPLATES_DIR.parts:
        return []
    return [TEMPLATES_DIR, THEMES_DIR]


class Watcher:
    """Notices added, changed and removed files under some folders by polling mtimes.

    Polling a site project costs well under a millisecond per pass, needs no native
    dependency, and never sees the preview's own output (it lives elsewhere).
    """

    def __init__(self, roots: Iterable[Path]) -> None:
        self.roots = [Path(root) for root in roots]
        self.state = self._scan()

    def _scan(self) -> dict[Path, float]:
        state: dict[Path, float] = {}
        seen: set[str] = set()  # folders reached through links are watched too (the build reads them), once
        for root in self.roots:
            for folder, dirs, files in os.walk(root, followlinks=True):
                seen.add(os.path.realpath(folder))
                dirs[:] = [d for d in dirs if not d.startswith(".") and d != "__pycache__"
                           and os.path.realpath(os.path.join(folder, d)) not in seen]  # fmt: skip
                for name in files:
                    if name.startswith((".", "#")) or name.endswith(_IGNORED_SUFFIXES):
                        continue
                    path = Path(folder, name)
                    try:
                        state[path] = path.stat().st_mtime_ns
                    except OSError:
                        continue
        return state

    def changes(self) -> set[Path]:
        """Paths added, modified or removed since the last call."""
        new = self._scan()
        changed = {p for p in new.keys() | self.state.keys() if new.get(p) != self.state.get(p)}
        self.state = new
        return changed
