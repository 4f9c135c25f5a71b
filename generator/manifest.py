"""``manifest.json``: what a build wrote and what it was built from.

The manifest lists every output file with its sha256 (for CDN syncs: ``bookgen
diff``), the content digest of every input (for incremental builds), the directory
entry of every group (so an incremental build can relist groups it did not reload),
and the shard it covers (for ``bookgen merge``).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .themes import TEMPLATES_DIR, THEMES_DIR

__all__ = ["Manifest", "group_digest", "group_stamp", "read_manifest", "shared_digest", "walk_files"]

NAME = "manifest.json"
LOCALES_DIR = Path(__file__).parent / "locales"


@dataclass
class Manifest:
    generator: str = f"bookgen {__version__}"
    shared: str = ""  # digest of everything every page depends on
    inputs: dict[str, str] = field(default_factory=dict)  # slug → digest of groups/<slug>/
    stamps: dict[str, str] = field(default_factory=dict)  # slug → digest of its files' sizes and times
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)  # slug → directory entry
    assets: dict[str, str] = field(default_factory=dict)  # logical name → path
    files: dict[str, str] = field(default_factory=dict)  # path → sha256
    shard: str | None = None

    def to_json(self) -> str:
        body = {
            "generator": self.generator,
            "shard": self.shard,
            "shared": self.shared,
            "inputs": dict(sorted(self.inputs.items())),
            "stamps": dict(sorted(self.stamps.items())),
            "groups": dict(sorted(self.groups.items())),
            "assets": dict(sorted(self.assets.items())),
            "files": dict(sorted(self.files.items())),
        }
        return json.dumps(body, indent=1, ensure_ascii=False) + "\n"

    def files_by_folder(self) -> dict[str, list[str]]:
        """Output paths grouped by their top folder (a group's slug, ``assets``, or "" for root files)."""
        folders: dict[str, list[str]] = {}
        for path in self.files:
            top, _, rest = path.partition("/")
            folders.setdefault(top if rest else "", []).append(path)
        return folders


def read_manifest(out: Path) -> Manifest | None:
    """The manifest of a previous build in ``out``; ``None`` if absent or unreadable."""
    try:
        data = json.loads((out / NAME).read_text("utf-8"))
        return Manifest(
            generator=data["generator"],
            shared=data.get("shared", ""),
            inputs=dict(data.get("inputs", {})),
            stamps=dict(data.get("stamps", {})),
            groups=dict(data.get("groups", {})),
            assets=dict(data.get("assets", {})),
            files=dict(data["files"]),
            shard=data.get("shard"),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def walk_files(root: Path | str, prefix: str = "") -> Iterator[tuple[str, os.DirEntry[str]]]:
    """Every file under ``root`` as (path relative to it, with ``/``; its entry), in a
    stable order: a folder's files by name, then its subfolders. Links to folders are
    not followed and unreadable folders are skipped, as ``os.walk`` does. Every build
    walks every group, hence scandir and no path objects."""
    try:
        with os.scandir(root) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError:
        return
    folders = []
    for entry in entries:
        if entry.is_dir():
            if not entry.is_symlink():
                folders.append(entry)
        else:
            yield prefix + entry.name, entry
    for entry in folders:
        yield from walk_files(entry.path, f"{prefix}{entry.name}/")


def _hash_tree(digest: Any, root: Path) -> None:
    for relative, entry in walk_files(root):
        digest.update(relative.encode() + b"\0")
        with open(entry.path, "rb") as handle:
            digest.update(handle.read())


def group_stamp(directory: Path) -> str:
    """Digest of the names, sizes and modification times of a group's files: when it
    matches the last build's, the content digest is reused without reading (as git's
    index does)."""
    digest = hashlib.sha256()
    for relative, entry in walk_files(directory):
        info = entry.stat()
        digest.update(f"{relative}\0{info.st_size}\0{info.st_mtime_ns}\0".encode())
    return digest.hexdigest()


def group_digest(directory: Path) -> str:
    """Digest of every file of one group (its JSON, page.toml, pages, logo)."""
    digest = hashlib.sha256()
    _hash_tree(digest, directory)
    return digest.hexdigest()


def shared_digest(site_dir: Path) -> str:
    """Digest of what every page depends on: bookgen's version, templates, themes and
    catalogs, the project's site.toml and themes/."""
    digest = hashlib.sha256(__version__.encode())
    for root in (TEMPLATES_DIR, THEMES_DIR, LOCALES_DIR, site_dir / "themes"):
        digest.update(str(root.name).encode())
        _hash_tree(digest, root)
    config = site_dir / "site.toml"
    digest.update(config.read_bytes() if config.is_file() else b"")
    return digest.hexdigest()


def load_manifest_arg(path: Path) -> Manifest:
    """A manifest named on the command line: a build folder or a manifest.json file."""
    file = path / NAME if path.is_dir() else path
    manifest = read_manifest(file.parent) if file.name == NAME else None
    if manifest is None:
        raise ValueError(f"{path}: no readable {NAME} (is it a bookgen output folder?)")
    return manifest


def diff(old: Manifest, new: Manifest) -> tuple[list[str], list[str]]:
    """Files to upload (new or changed) and to delete, to turn a copy of OLD into NEW.

    ``manifest.json`` itself is always uploaded last by a sync, so it is left out.
    """
    upload = sorted(path for path, digest in new.files.items() if old.files.get(path) != digest)
    delete = sorted(old.files.keys() - new.files.keys())
    return upload, delete
