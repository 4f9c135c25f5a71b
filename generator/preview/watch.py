"""What the preview watches: files under some folders, as the kernel reports their changes.

:class:`Watcher` wraps watchfiles' Rust backend (inotify on Linux, FSEvents on macOS, ...):
no polling, so an idle preview costs nothing and a save is seen within the quiet period.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from watchfiles._rust_notify import RustNotify, WatchfilesRustInternalError

from ..themes import TEMPLATES_DIR, THEMES_DIR

__all__ = ["LONGEST_MS", "QUIET_MS", "Watcher", "built_in_dirs", "ignored"]

QUIET_MS = 15
"""A burst of saves (an editor's write then rename, ``git checkout``) ends after this many
milliseconds without a change; the whole burst is handed over at once."""
LONGEST_MS = 1000
"""A burst that never goes quiet (a long checkout) is handed over after this many milliseconds."""

_IGNORED_SUFFIXES = (".swp", ".swx", ".tmp", "~")


def built_in_dirs() -> list[Path]:
    """Built-in templates and themes, watched only in a checkout (not in an installed wheel)."""
    if "site-packages" in TEMPLATES_DIR.parts or "_share" in TEMPLATES_DIR.parts:
        return []
    return [TEMPLATES_DIR, THEMES_DIR]


def ignored(relative: str) -> bool:
    """Whether a change at ``relative`` (a path under a watched folder, ``/``-separated) is
    an editor's or a tool's, never read by a build: any part that is hidden (``.git/``,
    ``.group.json.swp``) or ``__pycache__``, a name starting with ``#`` (Emacs autosaves), or
    ending in ``.swp``, ``.swx``, ``.tmp`` or ``~``."""
    parts = relative.split("/")
    if any(part.startswith(".") or part == "__pycache__" for part in parts):
        return True
    return parts[-1].startswith("#") or parts[-1].endswith(_IGNORED_SUFFIXES)


class Watcher:
    """Calls ``on_change(paths)`` (a set of absolute paths: added, changed or removed files and
    folders) once per burst of edits under ``roots``, from its own thread, until :meth:`stop`.

    Watching starts before the constructor returns, so nothing saved after it is missed.
    Folders reached through symbolic links are watched too (the build reads them), a link
    loop included once; folders that do not exist are skipped. watchfiles cannot name a
    file whose name is not UTF-8 and stops at it for good (review D17's ``\\xff.md``): the
    watch is then made anew and the watched folders themselves are handed over, meaning
    "something changed, anywhere" (rebuild everything).
    """

    def __init__(self, roots: Iterable[Path], on_change: Callable[[set[Path]], None]) -> None:
        self.roots = [os.path.abspath(root) for root in roots if Path(root).is_dir()]
        self.on_change = on_change
        self._stop = threading.Event()
        self._notify = self._watch()
        self._thread = threading.Thread(target=self._run, name="bookgen-watch", daemon=True)
        self._thread.start()

    def _watch(self) -> RustNotify:
        return RustNotify(self.roots, False, False, 300, True, True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                raw = self._notify.watch(LONGEST_MS, QUIET_MS, 0, self._stop)
            except WatchfilesRustInternalError:  # a name that is not UTF-8: this watch is spent
                self._renew()
                continue
            if isinstance(raw, str):  # "stop" (or "signal"/"timeout", which the loop rechecks)
                continue
            paths = {Path(path) for _, path in raw if not self._ignored(path)}
            if paths:
                self.on_change(paths)

    def _renew(self) -> None:
        """A new watch in place of a spent one; what changed meanwhile is unknown, so every
        watched folder is reported (after the new watch is up, so nothing falls between)."""
        spent = self._notify
        while not self._stop.is_set():
            try:
                self._notify = self._watch()
                break
            except OSError:  # a watched folder is being replaced: try again shortly
                self._stop.wait(QUIET_MS / 1000)
        spent.close()
        if not self._stop.is_set():
            self.on_change({Path(root) for root in self.roots})

    def _ignored(self, path: str) -> bool:
        for root in self.roots:
            if path.startswith(root + os.sep):
                return ignored(path[len(root) + 1 :].replace(os.sep, "/"))
        return path not in self.roots

    def stop(self) -> None:
        """Stop watching and wait for the thread (at most one quiet period); idempotent."""
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join()
        self._notify.close()
