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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .themes import TEMPLATES_DIR, THEMES_DIR

__all__ = ["Manifest", "group_digest", "read_manifest", "shared_digest"]

NAME = "manifest.json"
LOCALES_DIR = Path(__file__).parent / "locales"


@dataclass
class Manifest:
    generator: str = f"bookgen {__version__}"
    shared: str = ""  # digest of everything every page depends on
    inputs: dict[str, str] = field(default_factory=dict)  # slug → digest of groups/<slug>/
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
            "groups": dict(sorted(self.groups.items())),
            "assets": dict(sorted(self.assets.items())),
            "files": dict(sorted(self.files.items())),
        }
        return json.dumps(body, indent=1, ensure_ascii=False) + "\n"

    def group_files(self, slug: str) -> list[str]:
        prefix = f"{slug}/"
        return [path for path in self.files if path.startswith(prefix)]


def read_manifest(out: Path) -> Manifest | None:
    """The manifest of a previous build in ``out``; ``None`` if absent or unreadable."""
    try:
        data = json.loads((out / NAME).read_text("utf-8"))
        return Manifest(
            generator=data["generator"],
            shared=data.get("shared", ""),
            inputs=dict(data.get("inputs", {})),
            groups=dict(data.get("groups", {})),
            assets=dict(data.get("assets", {})),
            files=dict(data["files"]),
            shard=data.get("shard"),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _hash_tree(digest: Any, root: Path) -> None:
    if not root.is_dir():
        return
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder, name)
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            digest.update(path.read_bytes())


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
