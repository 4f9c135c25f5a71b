"""Incremental builds: what the previous build in OUT can give the next one.

The previous tree's files are carried into the new one (hard links into a fresh
folder, or by updating the spare tree in place), but only while they are what the
manifest says: a file modified after its tree's manifest was written, or missing, is
never carried (``bookgen diff`` and CDN syncs trust the manifest). A spare tree is
claimed, updated and deleted only when bookgen made it (:mod:`generator.publish.atomic`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import BookgenError
from ..plan.urls import LOADER
from .atomic import PARTIAL, discard_tree, is_ours, link_or_copy, spare_dir
from .cachedir import BuildState
from .manifest import NAME, Manifest, group_digest, group_stamp, read_manifest_file

if TYPE_CHECKING:
    from .output import Output

__all__ = ["OutEdited", "Previous", "Spare", "carry_files", "claim_spare", "find_strays", "finish_twin", "previous_build",
           "remove_stale", "still_foreign", "tree_matches", "walk_names"]  # fmt: skip


@dataclass
class Previous:
    """The last build in OUT, as this build may reuse it."""

    manifest: Manifest
    written_ns: int  # mtime of OUT's manifest.json: no file of that tree is newer unless edited
    sha: str  # sha256 of OUT's manifest.json bytes (what the cached stamps belong to)


def previous_build(out: Path, manifest: Manifest, incremental: bool, state: BuildState | None = None) -> Previous | None:
    """The previous build in ``out`` when this one may reuse it: incremental, and built by
    the same bookgen from the same shared inputs, as the same shard.

    Files of OUT count as unedited when no newer than the manifest (their tree's build),
    so a manifest saved or touched after a hand edit would hide the edit. With the
    private cache's ``state`` of the last build into OUT: a manifest whose bytes are not
    the ones that build wrote is not reused (everything is rendered again), and the time
    is the one the state recorded when it wrote them, not the file's mtime now."""
    if not incremental:
        return None
    found = read_manifest_file(out)
    if found is None:
        return None
    previous = found.manifest
    if (previous.generator, previous.shared, previous.shard) != (manifest.generator, manifest.shared, manifest.shard):
        return None
    written_ns = found.written_ns
    if state is not None and state.manifest:
        if state.manifest != found.sha:
            return None
        if state.written_ns:
            written_ns = min(written_ns, state.written_ns)
    return Previous(previous, written_ns, found.sha)


def still_foreign(out: Path) -> bool:
    return out.is_dir() and any(os.scandir(out)) and not is_ours(out)


def finish_twin(twin: Path, output: Output, manifest: Manifest) -> None:
    """Make the twin a valid spare tree (its own manifest, written last) or remove it."""
    if output.twin_failed:
        shutil.rmtree(twin, ignore_errors=True)
        return
    with contextlib.suppress(OSError):
        (twin / NAME).write_text(manifest.to_json(), "utf-8")
        (twin / PARTIAL).unlink()  # complete: its manifest now says what it holds
        return
    shutil.rmtree(twin, ignore_errors=True)


class OutEdited(BookgenError):
    """A file the previous manifest lists is missing from OUT, or was changed in place."""


@dataclass
class Spare:
    files: dict[str, str]  # path → sha256, as its manifest listed them
    written_ns: int  # mtime of its manifest: a newer file was edited after
    strays: list[str] = field(default_factory=list)  # files its manifest does not list (added by hand)

    def stale(self, kept: Iterable[str]) -> set[str]:
        """The files to delete from the spare once it holds ``kept``."""
        return (self.files.keys() | set(self.strays)) - set(kept)


def claim_spare(out: Path) -> Spare | None:
    """The spare tree (the build before OUT's), if it can be updated in place.

    It is marked :data:`PARTIAL` and its manifest removed first: a build killed while
    updating it leaves it without one, and the next build then starts from a fresh
    folder. A spare that cannot be claimed (read-only, say) is left alone: this build
    makes a fresh tree instead. A folder there that bookgen did not make is refused.
    """
    spare = spare_dir(out)
    found = read_manifest_file(spare)
    if found is None:
        discard_tree(spare)
        return None
    written = found.written_ns
    strays = find_strays(spare, found.manifest.files, written)
    try:
        (spare / PARTIAL).touch()
    except OSError:
        return None
    try:
        (spare / NAME).unlink()
    except OSError:
        with contextlib.suppress(OSError):
            (spare / PARTIAL).unlink()
        return None
    return Spare(found.manifest.files, written, strays)


def _expected(files: Iterable[str]) -> dict[str, set[str]]:
    """folder → the names the tree of ``files`` has in it ("" is the top folder)."""
    names: dict[str, set[str]] = {"": {NAME, PARTIAL}}
    for path in files:
        folder, _, name = path.rpartition("/")
        while True:
            known = folder in names
            names.setdefault(folder, set()).add(name)
            if known or not folder:
                break
            folder, _, name = folder.rpartition("/")
    return names


def find_strays(root: Path, files: Iterable[str], written_ns: int) -> list[str]:
    """Files under ``root`` that ``files`` does not list, found without walking the tree:
    a file added, or renamed into a folder, moves that folder's mtime, so only the top
    folder and the folders modified after ``written_ns`` are listed (one stat per folder)."""
    strays: list[str] = []
    prefix = os.path.join(root, "")
    for folder, names in _expected(files).items():
        try:
            if folder and os.stat(prefix + folder).st_mtime_ns <= written_ns:
                continue
            with os.scandir(prefix + folder) as listing:
                entries = [entry for entry in listing if entry.name not in names]
        except OSError:
            continue  # a missing folder: its files are missing, and carrying them checks that
        for entry in entries:
            relative = f"{folder}/{entry.name}" if folder else entry.name
            if entry.is_dir(follow_symlinks=False):
                strays += walk_names(entry.path, relative + "/")
            else:
                strays.append(relative)
    return strays


def _unedited(path: str | Path, written_ns: int) -> bool:
    """The file exists and was not modified after its tree's manifest was written."""
    try:
        return os.stat(path).st_mtime_ns <= written_ns
    except OSError:
        return False


def carry_files(
    out: Path, staging: Path, paths: list[str], hashes: dict[str, str], spare: Spare | None,
    output: Output, out_written_ns: int,
) -> None:
    """Bring unchanged files into the new tree without rendering them: in a fresh folder
    as hard links to OUT's; in the spare, by copying only those that differ. A spare
    file that is missing or was modified after its tree was made is copied from OUT
    again; an OUT file in that state raises :class:`OutEdited` (the manifest would lie)."""
    made: set[Path] = set()
    spare_root = os.path.join(staging, "")  # one stat per carried file: strings, not Paths
    for path in paths:
        output.files[path] = hashes[path]
        if spare is not None and spare.files.get(path) == hashes[path] and _unedited(spare_root + path, spare.written_ns):
            continue
        target, source = staging / path, out / path
        if not _unedited(source, out_written_ns):
            raise OutEdited(path)
        if spare is not None:
            raw = source.read_bytes()
            if hashlib.sha256(raw).hexdigest() != hashes[path]:
                raise OutEdited(path)
            output.write(path, raw)
            continue
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        try:
            link_or_copy(source, target)
        except FileNotFoundError as error:
            raise OutEdited(path) from error


def remove_stale(root: Path, paths: Iterable[str]) -> None:
    """Delete files the new state no longer has, and folders left empty."""
    folders = set()
    for path in paths:
        (root / path).unlink(missing_ok=True)
        folders.add((root / path).parent)
    for folder in sorted(folders, key=lambda f: len(f.parts), reverse=True):
        with contextlib.suppress(OSError):
            folder.rmdir()  # only succeeds when empty


def walk_names(root: Path | str, prefix: str = "") -> Iterator[str]:
    """The paths of the files of an output tree, links not followed: names only (the
    directory entries' types, no stat), as it runs over every file of every build."""
    try:
        with os.scandir(root) as listing:
            entries = list(listing)
    except OSError:
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            yield from walk_names(entry.path, f"{prefix}{entry.name}/")
        else:
            yield prefix + entry.name


def tree_matches(out: Path, previous: Previous) -> bool:
    """OUT holds exactly the files its manifest lists (nobody added or removed any), none
    modified after the manifest was written (nobody edited one in place).

    Checked without reading or walking OUT: its top folder is listed, and every other
    folder and file the manifest implies gets one ``stat`` (a file added, removed or
    renamed moves its folder's mtime; an in-place edit moves the file's own). That is the
    cost the guarantee needs: a few µs per file on a warm cache, no directory reads."""
    files = previous.manifest.files
    written = previous.written_ns
    names = _expected(files)
    prefix, stat = os.path.join(out, ""), os.stat
    try:
        if set(os.listdir(out)) != names[""] - {PARTIAL}:
            return False
        return all(stat(prefix + folder).st_mtime_ns <= written for folder in names if folder) and all(
            stat(prefix + path).st_mtime_ns <= written for path in files
        )
    except OSError:
        return False


def changed_inputs(
    site_dir: Path, previous: Previous, known: dict[str, str], slugs: list[str], started_ns: int
) -> tuple[dict[str, str], dict[str, str]]:
    """Each group's stamp (taken now) and content digest: the previous build's digest when
    the stamp is the one ``known`` from then, else the folder read again. (stamps, inputs)."""
    groups, follow = site_dir / "groups", Path(os.path.realpath(site_dir))
    stamps = {slug: group_stamp(groups / slug, started_ns, follow=follow) for slug in slugs}
    inputs = {
        slug: previous.manifest.inputs[slug]
        if stamp and known.get(slug) == stamp and slug in previous.manifest.inputs
        else group_digest(groups / slug, follow=follow)
        for slug, stamp in stamps.items()
    }  # fmt: skip
    return stamps, inputs


def carried_paths(old: Manifest, slugs: list[str], changed: set[str]) -> list[str]:
    """The files of the previous tree an incremental build carries over: the shared
    assets, the unchanged groups' files, and the stable loader."""
    by_folder = old.files_by_folder()
    kept = [slug for slug in slugs if slug not in changed]
    shared = [folder for folder in by_folder if folder not in old.inputs and folder != ""]
    return [*(path for folder in (*shared, *kept) for path in by_folder.get(folder, [])), LOADER]


def start_twin(out: Path) -> Path | None:
    """The spare tree a build into an empty OUT grows beside it (``None`` if it cannot be
    made). Marked before its first file: a build killed while the twin grows leaves a
    folder the next build knows as its own, and may discard."""
    discard_tree(spare_dir(out))
    twin = spare_dir(out)
    try:
        twin.mkdir(parents=True)
        (twin / PARTIAL).touch()
    except OSError:
        return None
    return twin
