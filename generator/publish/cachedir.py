"""The private cache beside OUT: compiled templates and machine-local build state.

``.OUT.cache/`` holds Jinja bytecode entries and ``state.json``: each group's stamp (the
stat fast path of incremental builds, tied to the manifest it was taken for) and the
sha256 of every bytecode entry a build of this user wrote. Nothing in it is published
or trusted blindly:

- the folder is made ``0700`` and used only when it is a real folder owned by the
  current user and writable by no one else (the rule of Jinja's own
  ``FileSystemBytecodeCache``); otherwise builds run without it;
- a bytecode entry is loaded only when its sha256 is the one recorded when it was
  written (:class:`generator.render._SharedBytecode`), so a corrupt or planted entry is
  ignored and compiled again, never unpickled or executed.

Everything here may be deleted at any time; the next build is then a little slower.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import replace_file
from .manifest import json_lines

__all__ = ["STATE", "BuildState", "private_folder", "read_state", "write_state"]

STATE = "state.json"


def private_folder(path: Path) -> Path | None:
    """``path`` as a private folder (made ``0700`` if missing), or None when it is not a
    folder, belongs to another user, is writable by group or others, or cannot be made."""
    try:
        path.mkdir(mode=0o700, exist_ok=True)
        info = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
        return None
    return path


@dataclass
class BuildState:
    """What the last build into one OUT knew about this machine."""

    manifest: str = ""  # sha256 of the manifest.json bytes the stamps describe
    stamps: dict[str, str] = field(default_factory=dict)  # slug → generator.publish.manifest.group_stamp
    bytecode: dict[str, str] = field(default_factory=dict)  # bytecode entry name → sha256 of its bytes
    written_ns: int = 0  # that manifest's mtime when the build wrote it (a later touch moves the file's)


def read_state(folder: Path | None) -> BuildState:
    """The state in ``folder``; an empty one when absent, unreadable or malformed."""
    if folder is None:
        return BuildState()
    try:
        data = json.loads((folder / STATE).read_text("utf-8"))
        state = BuildState(str(data["manifest"]), dict(data["stamps"]), dict(data["bytecode"]),
                           int(data.get("written_ns", 0)))  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return BuildState()
    if not all(isinstance(v, str) for v in (*state.stamps.values(), *state.bytecode.values())):
        return BuildState()
    return state


def write_state(folder: Path | None, state: BuildState) -> None:
    """Save ``state`` atomically; a cache that cannot be written is simply not used."""
    if folder is None:
        return
    body = {"manifest": state.manifest, "written_ns": state.written_ns, "stamps": dict(sorted(state.stamps.items())),
            "bytecode": dict(sorted(state.bytecode.items()))}  # fmt: skip
    with contextlib.suppress(OSError):
        replace_file(folder / STATE, json_lines(body).encode())
