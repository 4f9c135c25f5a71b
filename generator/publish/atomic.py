"""Crash-safe publishing of a finished build into the output folder.

The new tree is written beside OUT in a staging folder, then exchanged with OUT in
one atomic ``renameat2(RENAME_EXCHANGE)`` on Linux, so any reader, and any crash,
sees either the complete old tree or the complete new one. Where the exchange is
not available, two renames are used and an interrupted swap is repaired by the
next build. A lock file serialises concurrent builds into the same OUT.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from ..errors import Problem, SiteError

__all__ = ["PARTIAL", "BuildLocked", "discard_tree", "is_ours", "link_or_copy", "locked", "replace_file", "spare_dir", "staging_dir", "swap_into_place"]

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


class BuildLocked(SiteError):
    """Another build is writing the same output folder (reported like any other problem:
    one line naming OUT, exit 1)."""

    def __init__(self, out: Path, waited: float) -> None:
        super().__init__([Problem(str(out), "", f"another build is writing this folder (waited {waited:g} s "
                                                "for it); try again when it has finished")])  # fmt: skip


PARTIAL = ".bookgen-partial"
"""Marks a spare tree a build has started to update (its manifest removed): still ours."""


def is_ours(tree: Path) -> bool:
    """A folder a build made: it has a bookgen manifest, or the mark of one being updated."""
    from .manifest import read_manifest  # manifest imports themes; keep this module light

    return read_manifest(tree) is not None or (tree / PARTIAL).is_file()


def discard_tree(tree: Path) -> None:
    """Delete a tree a build made (best effort: what cannot be removed stays); an empty
    folder is removed too. Raises :class:`SiteError` for a non-empty folder bookgen did
    not make: bookgen never deletes what it did not write."""
    if not os.path.lexists(tree):
        return
    if tree.is_symlink() or not tree.is_dir():
        raise SiteError([Problem(str(tree), "", "is in the way of bookgen's spare tree and is not a "
                                                "folder bookgen made; move it away")])  # fmt: skip
    with contextlib.suppress(OSError):
        tree.rmdir()  # empty
        return
    if not is_ours(tree):
        raise SiteError([Problem(str(tree), "", "is in the way of bookgen's spare tree and holds files "
                                                "bookgen did not write; move it away")])  # fmt: skip
    shutil.rmtree(tree, ignore_errors=True)


def replace_file(target: Path, raw: bytes) -> None:
    """Write ``target`` so that a reader sees the old bytes or the new, never half: through
    a temporary file named for this process (workers may write the same file at once)."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temporary.write_bytes(raw)
    os.replace(temporary, target)


def link_or_copy(source: Path, target: Path) -> None:
    """Hard-link ``source`` as ``target`` (no bytes copied), or copy it on a filesystem
    without hard links. A missing ``source`` raises FileNotFoundError."""
    try:
        os.link(source, target)
    except FileNotFoundError:
        raise
    except OSError:
        shutil.copyfile(source, target)


def _sibling(out: Path, kind: str) -> Path:
    return out.parent / f".{out.name}.{kind}"


@contextlib.contextmanager
def locked(out: Path, *, wait: float = 60.0) -> Iterator[None]:
    """Hold the output folder's lock; wait up to ``wait`` seconds for another build."""
    out.parent.mkdir(parents=True, exist_ok=True)
    lock_path = _sibling(out, "lock")
    with open(lock_path, "a") as handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise BuildLocked(out, wait) from None
                time.sleep(0.05)
        try:
            _repair(out)
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _repair(out: Path) -> None:
    """Finish a swap a crash interrupted, and remove leftovers of dead builds."""
    old = _sibling(out, "old")
    if old.exists() and not out.exists():
        old.rename(out)
    for leftover in out.parent.glob(f".{out.name}.staging-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)


def staging_dir(out: Path) -> Path:
    """A fresh folder beside ``out`` (same filesystem, so the swap is a rename)."""
    path = _sibling(out, f"staging-{os.getpid()}")
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def _exchange(a: Path, b: Path) -> bool:
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def swap_into_place(staging: Path, out: Path) -> None:
    """Make ``staging`` the new ``out`` atomically; the old tree becomes the spare.

    Keeping the old tree (instead of deleting it) is what makes the next incremental
    build cheap: it updates the spare to the new state by rewriting only what differs,
    then swaps again, so no build ever recreates thousands of folders. Once the new
    tree is in place nothing raises: an old tree that cannot become the spare (a
    read-only spare, say) is deleted as far as possible and left for a later build.
    """
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"{out} exists and is not a folder")
    spare = spare_dir(out)
    if not out.exists():
        staging.rename(out)
        return
    if _exchange(staging, out):
        if staging != spare:
            _keep_as_spare(staging, spare)
        return
    old = _sibling(out, "old")
    out.rename(old)
    staging.rename(out)
    _keep_as_spare(old, spare)


def _keep_as_spare(tree: Path, spare: Path) -> None:
    """The old tree becomes the spare (replacing the one before), or is deleted. An old
    tree without a manifest (OUT's was deleted by hand) is marked :data:`PARTIAL`: a
    later build may then discard it, as it does an update that was interrupted."""
    try:
        discard_tree(spare)
        if not is_ours(tree):
            (tree / PARTIAL).touch()
        tree.rename(spare)
    except (OSError, SiteError):
        shutil.rmtree(tree, ignore_errors=True)


def spare_dir(out: Path) -> Path:
    """The previous tree, kept beside OUT for the next incremental build to update."""
    return _sibling(out, "spare")
