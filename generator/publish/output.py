"""The only writer of a build's output tree.

An :class:`Output` writes files into one folder (a private staging tree, the spare
tree, or, for the preview, the served folder itself), records each file's sha256 for
the manifest, and optionally hard-links every file into a *twin* tree that becomes the
spare tree the next incremental build updates (docs/scale.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from ..plan.pages import Asset
from .atomic import replace_file
from .manifest import NAME, Manifest

__all__ = ["Output"]


class Output:
    """Writes into ``root``. ``live``: the folder is served while written (the preview), so
    every file is replaced atomically; ``twin``: a folder to hard-link every file into."""

    def __init__(self, root: Path, *, live: bool = False, twin: Path | None = None) -> None:
        self.root = root
        self.live = live
        self.twin = twin
        self.twin_failed = False  # no hard links there: the next incremental build makes its own tree
        self.files: dict[str, str] = {}  # path → sha256, for the manifest
        self.manifest_sha = ""  # sha256 of the manifest.json written (see write_manifest)
        self.manifest_written_ns = 0  # and its mtime then
        self._folders: set[Path] = set()

    def write(self, path: str, data: bytes | str, *, atomic: bool = False) -> None:
        """Write one file (atomically when :attr:`live` or ``atomic``: a reader, or another
        worker writing the same file, never sees half of it)."""
        raw = data.encode("utf-8") if isinstance(data, str) else data
        target = self.root / path
        self._folder(target.parent)
        if self.live or atomic:
            replace_file(target, raw)
        else:  # a private staging folder, published as a whole
            with open(target, "wb") as handle:
                handle.write(raw)
        self.files[path] = hashlib.sha256(raw).hexdigest()
        self._link_twin(path)

    def write_assets(self, assets: Iterable[Asset]) -> None:
        """Write planned assets (``shared`` ones atomically)."""
        for asset in assets:
            self.write(asset.path, asset.data, atomic=asset.shared)

    def _folder(self, folder: Path) -> None:
        if folder not in self._folders:
            folder.mkdir(parents=True, exist_ok=True)
            self._folders.add(folder)

    def _link_twin(self, path: str) -> None:
        if self.twin is None or self.twin_failed:
            return
        twin = self.twin / path
        try:
            self._folder(twin.parent)
            with contextlib.suppress(FileExistsError):  # a stylesheet two workers both wrote
                os.link(self.root / path, twin)
        except OSError:
            self.twin_failed = True

    def write_manifest(self, manifest: Manifest, assets: dict[str, str]) -> None:
        """manifest.json: every file written with its sha256, the inputs' digests, the
        directory, and ``assets`` (the plan's registry)."""
        manifest.files = self.files
        manifest.assets = assets
        raw = manifest.to_json().encode("utf-8")
        (self.root / NAME).write_bytes(raw)
        self.manifest_sha = hashlib.sha256(raw).hexdigest()
        self.manifest_written_ns = os.stat(self.root / NAME).st_mtime_ns
