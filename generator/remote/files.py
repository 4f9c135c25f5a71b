"""Write a set of files all or nothing, as an ordinary write would leave them (reliability review D23).

:func:`write_all` first writes every changed file to a hidden temporary file beside
its target, then renames them all into place. A failure while writing (disk full,
read-only folder, permission) removes every temporary file and every folder it
created, and raises :class:`SiteError` naming the path: the project is left as it
was. A new file gets the mode ``open(path, "w")`` would give it (``0o666`` less the
umask); a replaced file keeps its mode.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path

from ..errors import Problem, SiteError

__all__ = ["current_umask", "write_all"]


def current_umask() -> int:
    """The process umask (read by setting it and putting it back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _cannot(path: Path, error: OSError) -> SiteError:
    reason = error.strerror or type(error).__name__
    return SiteError([Problem(str(path), "", f"cannot be written ({reason})")])


def write_all(files: Mapping[Path, bytes]) -> list[Path]:
    """Write ``files`` (path → bytes) whose content differs from what is there.

    Returns the paths that changed. Raises :class:`SiteError` before renaming anything
    if any file cannot be written.
    """
    changed = []
    for path, data in files.items():
        try:
            if path.read_bytes() == data:
                continue
        except (FileNotFoundError, NotADirectoryError):
            pass
        except OSError as error:
            raise _cannot(path, error) from None
        changed.append(path)
    new_mode = 0o666 & ~current_umask()
    made: list[Path] = []
    staged: list[tuple[Path, Path]] = []
    path = Path()
    try:
        for path in changed:
            missing = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
            for folder in reversed(missing):
                folder.mkdir()
                made.append(folder)
            try:
                mode = stat.S_IMODE(path.stat().st_mode)
            except FileNotFoundError:
                mode = new_mode
            fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            staged.append((Path(temp), path))
            with os.fdopen(fd, "wb") as handle:
                handle.write(files[path])
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp, mode)
    except OSError as error:
        for staged_file, _ in staged:
            staged_file.unlink(missing_ok=True)
        for folder in reversed(made):
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise _cannot(path, error) from None
    for staged_file, path in staged:
        os.replace(staged_file, path)
    return changed
