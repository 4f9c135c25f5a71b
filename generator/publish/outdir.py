"""What the output folder (OUT) may be, checked before a build or merge touches anything.

bookgen publishes by exchanging a finished tree with OUT and keeps the previous tree
beside it, so OUT must be a folder bookgen owns. Refused, each with one located line:

- OUT equal to the site project, containing it, or inside the folders the project is
  read from (``groups/``, ``themes/``): building there would hide, then delete, the
  project, or make a group's output part of its own input. Other folders inside the
  project (``site/out``) are allowed;
- a non-empty folder without a bookgen ``manifest.json`` (nor a bookgen spare tree
  beside it, as when the manifest of a real output was deleted), unless ``force`` (then
  its contents are moved aside to ``.OUT.displaced-<time>``, never deleted);
- a mount point (it cannot be renamed; build into a folder inside it), the filesystem
  root, and a path under a file.

A symbolic link OUT is followed: the build publishes into its target, and the link
is left as it is (the siblings ``.OUT.*`` are made beside the target).
"""

from __future__ import annotations

import functools
import os
import re
import time
from pathlib import Path

from ..errors import Problem, SiteError
from .atomic import is_ours
from .manifest import read_manifest

__all__ = ["displace", "output_folder"]


def _refuse(shown: Path | str, message: str) -> SiteError:
    return SiteError([Problem(str(shown), "", message)])


def _mount_points() -> set[str]:
    """Mount points of this process's namespace (``/proc/self/mountinfo``, field 5)."""
    try:
        lines = Path("/proc/self/mountinfo").read_bytes().splitlines()
    except OSError:
        return set()
    unescape = functools.partial(re.compile(rb"\\([0-7]{3})").sub, lambda m: bytes([int(m[1], 8)]))
    return {os.fsdecode(unescape(fields[4])) for fields in (line.split(b" ") for line in lines) if len(fields) > 4}


def is_mount_point(path: Path) -> bool:
    """True for a mount point, bind mounts on the same filesystem included."""
    return os.path.ismount(path) or str(path) in _mount_points()


def output_folder(out: Path, site: Path | None, *, force: bool = False) -> tuple[Path, bool]:
    """The folder to publish into for the user's ``out``, and whether its present contents
    must first be moved aside (``force`` on a folder bookgen did not write).

    Raises :class:`SiteError` naming ``out`` as the user wrote it."""
    path = Path(os.path.abspath(out))
    if path.is_symlink():
        target = Path(os.path.realpath(path))
        if target.exists() and not target.is_dir():
            raise _refuse(out, f"is a link to {target}, which is not a folder")
        path = target
    if path.parent == path:
        raise _refuse(out, "is the root of the filesystem; choose a folder for the output")
    for parent in path.parents:
        if os.path.lexists(parent):
            if not parent.is_dir():
                raise _refuse(parent, "is not a folder, so the output folder cannot be made under it")
            break
    if path.exists() and not path.is_dir():
        raise _refuse(out, "exists and is not a folder")
    if site is not None:
        _check_site(out, Path(os.path.realpath(path)), Path(os.path.realpath(site)))
    if path.is_dir() and is_mount_point(path):
        raise _refuse(out, "is a mount point, which cannot be replaced as a whole; build into a folder "
                           f"inside it (-o {out}/site) or mount its parent instead")  # fmt: skip
    return path, _foreign(out, path, force)


def _check_site(out: Path, path: Path, site: Path) -> None:
    if path == site:
        raise _refuse(out, "is the site project itself; choose another output folder (default: build)")
    if site.is_relative_to(path):
        raise _refuse(out, f"contains the site project {site}; choose a folder beside it")
    for inputs in ("groups", "themes"):
        if path.is_relative_to(site / inputs):
            raise _refuse(out, f"is inside the site project's {inputs}/, which bookgen reads as input; "
                               "choose a folder outside it")  # fmt: skip


def _foreign(out: Path, path: Path, force: bool) -> bool:
    try:
        empty = not path.is_dir() or next(os.scandir(path), None) is None
    except OSError as error:
        raise _refuse(out, f"cannot be read ({error.strerror})") from None
    if empty or read_manifest(path) is not None or is_ours(path.parent / f".{path.name}.spare"):
        return False  # a bookgen output (its manifest deleted or corrupt, if its spare is ours)
    if not force:
        raise _refuse(out, "holds files bookgen did not write (no bookgen manifest.json), and a build "
                           "replaces the whole folder; choose another folder, or pass --force to move "
                           f"its contents aside to .{path.name}.displaced-<time>")  # fmt: skip
    return True


def displace(path: Path) -> Path:
    """Move a folder bookgen did not write aside (``.NAME.displaced-<UTC time>`` beside
    it), keeping every file; returns where it went."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = path.parent / f".{path.name}.displaced-{stamp}"
    counter = 1
    while os.path.lexists(target):
        counter += 1
        target = path.parent / f".{path.name}.displaced-{stamp}-{counter}"
    path.rename(target)
    return target
