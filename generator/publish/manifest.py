"""``manifest.json``: what a build wrote and what it was built from.

The manifest lists every output file with its sha256 (for CDN syncs: ``bookgen
diff``), the content digest of every input (for incremental builds), the directory
entry of every group (so an incremental build can relist groups it did not reload),
and the shard it covers (for ``bookgen merge``). It is published, and a clean build
of the same input writes the same bytes; machine-local facts (file stamps, compiled
templates) live in the private cache beside OUT (:mod:`generator.publish.cachedir`).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import Problem, SiteError
from ..themes import TEMPLATES_DIR, THEMES_DIR

__all__ = ["Manifest", "ManifestFile", "group_digest", "group_stamp", "json_lines", "read_manifest", "read_manifest_file", "shared_digest", "walk_files"]

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
        return json_lines(body)

    def files_by_folder(self) -> dict[str, list[str]]:
        """Output paths grouped by their top folder (a group's slug, ``assets``, or "" for root files)."""
        folders: dict[str, list[str]] = {}
        for path in self.files:
            top, _, rest = path.partition("/")
            folders.setdefault(top if rest else "", []).append(path)
        return folders


_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ": ")).encode
_one_per_line = json.JSONEncoder(ensure_ascii=False, separators=(",\n ", ": ")).encode


def json_lines(body: dict[str, Any]) -> str:
    """``body`` as JSON with one line per member and, for a member that is an object, one
    line per entry (each value compact): a diff of two manifests shows the files that
    changed, one per line. Written with the C encoder, three times as fast as
    ``json.dumps(indent=...)`` (pure Python) on a 20,000-file manifest; the keys' order is
    the caller's."""
    members = []
    for key, value in body.items():
        if isinstance(value, dict) and value:
            if all(isinstance(v, str) for v in value.values()):  # files, inputs: one call
                entries = " " + _one_per_line(value)[1:-1]
            else:
                entries = ",\n".join(f" {_compact(k)}: {_compact(v)}" for k, v in value.items())
            members.append(f"{_compact(key)}: {{\n{entries}\n}}")
        else:
            members.append(f"{_compact(key)}: {_compact(value)}")
    return "{\n" + ",\n".join(members) + "\n}\n"


def read_manifest(out: Path) -> Manifest | None:
    """The manifest of a previous build in ``out``; ``None`` if absent, unreadable or not
    bookgen's (its ``generator`` must start with ``bookgen``)."""
    found = read_manifest_file(out)
    return found.manifest if found else None


@dataclass(frozen=True)
class ManifestFile:
    """A manifest as read from disk: its contents, the sha256 of its bytes and its mtime
    (ns; no file of its tree is newer unless it was edited after the tree was made)."""

    manifest: Manifest
    sha: str
    written_ns: int


_parsed: dict[tuple[int, int, int, int, int], tuple[dict[str, Any], str]] = {}
"""(st_dev, st_ino, st_size, st_mtime_ns, st_ctime_ns) → (the JSON body, sha256): one build
asks for OUT's manifest several times (is OUT ours? what did it build from?); it is parsed
once. A file written since has another key."""


def read_manifest_file(out: Path) -> ManifestFile | None:
    """``out``'s manifest with its sha256 and mtime, or ``None`` as :func:`read_manifest`."""
    try:
        with open(out / NAME, "rb") as handle:
            info = os.fstat(handle.fileno())
            key = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
            if key not in _parsed:
                raw = handle.read()
                _parsed.clear()  # at most one (OUT's or the spare's): memory stays flat
                _parsed[key] = (json.loads(raw.decode("utf-8")), hashlib.sha256(raw).hexdigest())
        data, sha = _parsed[key]
        if not str(data["generator"]).startswith("bookgen"):
            return None
        manifest = Manifest(
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
    return ManifestFile(manifest, sha, info.st_mtime_ns)


OnError = Callable[[str, str], None]


def _raise_problem(path: str, message: str) -> None:
    raise SiteError([Problem(path, "", message)])


def _ignore(path: str, message: str) -> None:
    return None


def not_a_file(mode: int) -> str:
    """The problem with a file of this mode (a FIFO, socket, device), as reported."""
    if stat.S_ISFIFO(mode):
        kind = "a FIFO (named pipe)"
    elif stat.S_ISSOCK(mode):
        kind = "a socket"
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        kind = "a device"
    else:
        kind = "not a regular file"
    return f"is {kind}; bookgen reads only regular files (remove it)"


def walk_files(
    root: Path | str,
    prefix: str = "",
    *,
    follow: Path | None = None,
    on_error: OnError = _raise_problem,
    _seen: set[tuple[int, int]] | None = None,
) -> Iterator[tuple[str, os.stat_result]]:
    """Every regular file under ``root`` as (path relative to it, with ``/``; its stat),
    in a stable order: a folder's files by name, then its subfolders.

    The one walk behind stamps, content digests and the no-op check, so they all see
    the same files the loader reads:

    - links to files are followed (their target's stat); a dangling link (an editor's
      lock file such as ``.#group.json``) is skipped;
    - links to folders are followed when their target is inside ``follow`` (the site
      project; ``Path("/")`` for anywhere) and not already being walked; never when
      ``follow`` is None (the output tree);
    - a FIFO, socket or device is never opened: ``on_error(path, message)``, as for a
      folder that cannot be listed (default: raise :class:`SiteError`). A missing
      ``root`` yields nothing.
    """
    seen = _seen if _seen is not None else set()
    try:
        with os.scandir(root) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
        if follow is not None:  # the folders being walked, so a link back to one is not followed
            info = os.stat(root)
            seen = seen | {(info.st_dev, info.st_ino)}
    except FileNotFoundError:
        return
    except OSError as error:
        on_error(str(root), f"cannot be read ({error.strerror})")
        return
    folders = []
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):  # the entry's type: no stat (every build walks OUT)
            folders.append(entry)
            continue
        try:
            info = entry.stat()  # follows links
        except FileNotFoundError:
            continue  # a dangling link, or a file removed while walking
        except OSError as error:
            on_error(entry.path, f"cannot be read ({error.strerror})")
            continue
        if stat.S_ISDIR(info.st_mode):
            if entry.is_symlink() and not _may_follow(entry.path, follow, info, seen):
                continue
            folders.append(entry)
        elif stat.S_ISREG(info.st_mode):
            yield prefix + entry.name, info
        else:
            on_error(entry.path, not_a_file(info.st_mode))
    for entry in folders:
        yield from walk_files(entry.path, f"{prefix}{entry.name}/", follow=follow, on_error=on_error, _seen=seen)


def _may_follow(path: str, follow: Path | None, info: os.stat_result, seen: set[tuple[int, int]]) -> bool:
    if follow is None or (info.st_dev, info.st_ino) in seen:
        return False
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(follow))


Loaded = dict[tuple[int, int], str]
"""(st_dev, st_ino) → sha256 of the bytes the loader read from that file."""

RACY_NS = 2_000_000_000
"""A file modified less than this before a build started is *racy*: filesystem clocks
tick coarsely (jiffies on Linux, 2 s on FAT), so a second same-size save in the same
tick would leave size, mtime and ctime as they were. Git's index has the same rule."""


def group_stamp(directory: Path, started_ns: int, *, follow: Path | None = None) -> str:
    """Digest of the names, sizes, modification and change times and inodes of a group's
    files (what git's index compares): when it matches the last build's, the content
    digest is reused without reading. ``""`` (never matches) when a file is racy,
    i.e. its mtime is not older than ``started_ns`` - :data:`RACY_NS` (``time.time_ns()``
    when the build started)."""
    digest = hashlib.sha256()
    for relative, info in walk_files(directory, follow=follow):
        if info.st_mtime_ns >= started_ns - RACY_NS or info.st_ctime_ns >= started_ns - RACY_NS:
            return ""
        digest.update(f"{relative}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_ctime_ns}\0{info.st_ino}\0".encode())
    return digest.hexdigest()


def _file_sha(path: str) -> str:
    """sha256 of a regular file, opened without blocking (a FIFO swapped in is refused)."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with open(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise SiteError([Problem(path, "", "is not a regular file; bookgen reads only regular files")])
        return hashlib.sha256(handle.read()).hexdigest()


def _hash_tree(digest: Any, root: Path, follow: Path | None, loaded: Loaded | None = None) -> None:
    for relative, info in walk_files(root, follow=follow):
        known = loaded.get((info.st_dev, info.st_ino)) if loaded else None
        path = os.path.join(root, relative)
        try:
            sha = known or _file_sha(path)
        except FileNotFoundError:
            continue  # removed since the walk listed it: as if it had never been there
        except OSError as error:
            raise SiteError([Problem(path, "", f"cannot be read ({error.strerror})")]) from None
        digest.update(relative.encode() + b"\0" + sha.encode() + b"\0")


def group_digest(directory: Path, *, follow: Path | None = None, loaded: Loaded | None = None) -> str:
    """Digest of every file of one group (its JSON, page.toml, pages, logo, and any
    other file in its folder). ``loaded`` gives the digests of the bytes the loader
    actually read, so a save that lands after loading is not recorded as built
    (git's racy-clean rule, applied to content). Raises SiteError for a
    file that cannot be read or is not a regular file."""
    digest = hashlib.sha256()
    _hash_tree(digest, directory, follow, loaded)
    return digest.hexdigest()


def code_digest(package: Path = Path(__file__).parent) -> bytes:
    """Digest of bookgen's own code and data (``*.py``, ``*.json`` of the package, not
    ``__pycache__`` nor the shipped templates, hashed on their own): a checkout or an
    editable install that changes bookgen without a new version still rebuilds every page."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        parts = path.relative_to(package).parts
        if path.suffix in {".py", ".json"} and "__pycache__" not in parts and parts[0] != "_share":
            digest.update("/".join(parts).encode() + b"\0" + path.read_bytes())
    return digest.digest()


_own_code_digest = cache(code_digest)  # bookgen's code does not change while it runs


def shared_digest(site_dir: Path) -> str:
    """Digest of what every page depends on: bookgen's version and code, templates, themes
    and catalogs, the project's site.toml and themes/ (links to theme folders followed)."""
    digest = hashlib.sha256(__version__.encode())
    digest.update(_own_code_digest())
    for root in (TEMPLATES_DIR, THEMES_DIR, LOCALES_DIR, site_dir / "themes"):
        digest.update(str(root.name).encode())
        _hash_tree(digest, root, Path("/"))
    config = site_dir / "site.toml"
    try:
        digest.update(config.read_bytes() if config.is_file() else b"")
    except OSError as error:
        raise SiteError([Problem(str(config), "", f"cannot be read ({error.strerror})")]) from None
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
