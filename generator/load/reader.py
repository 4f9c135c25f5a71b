"""The one reader of a site project's files: bounded, UTF-8-checked, every problem located.

A :class:`Reader` reads files below a project root, refusing what is not a regular file,
larger than :data:`MAX_FILE_BYTES`, not UTF-8, or JSON/TOML with a syntax error or a
duplicated key, and collects each problem (file shown relative to the user's path, line,
field path) instead of stopping at the first.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..errors import BookgenError, Problem, problems_from_validation
from ..publish.manifest import not_a_file

__all__ = ["MAX_FILE_BYTES", "Model", "Reader", "read_json", "read_toml"]

MAX_FILE_BYTES = 16 * 1024 * 1024
Model = TypeVar("Model", bound=BaseModel)


class Reader:
    """Collects problems while reading; every file is shown relative to the user's path."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.real_root = Path(os.path.realpath(root))
        self.problems: list[Problem] = []
        self.loaded: dict[tuple[int, int], str] = {}
        self.blobs: dict[Path, bytes] = {}  # images and logos, published as checked
        self._real_folders: dict[str, str] = {}  # folder → its real path (see _resolved)

    def shown(self, path: Path) -> str:
        return str(path)

    def add(self, path: Path, where: str, message: str, line: int | None = None) -> None:
        self.problems.append(Problem(self.shown(path), where, message, line))

    def inside(self, path: Path) -> bool:
        """Whether ``path``, every link on the way resolved, is inside the site project;
        if not, the problem is recorded (a linked file, or a linked folder, that leads out)."""
        if Path(self._resolved(path)).is_relative_to(self.real_root):
            return True
        if path.is_symlink():
            kind = "folder" if path.is_dir() else "file"
            self.add(path, "", f"is a link to a {kind} outside the site project")
        else:
            self.add(path, "", "is in a linked folder that leads outside the site project")
        return False

    def _resolved(self, path: Path) -> str:
        """``os.path.realpath(path)``, resolving each folder once per load: a file that
        is not a link resolves to its folder's real path and its name (one ``lstat``
        instead of one per component of the path, for every file of every group)."""
        folder = str(path.parent)
        real = self._real_folders.get(folder)
        if real is None:
            real = self._real_folders[folder] = os.path.realpath(folder)
        if path.name in ("", ".", "..") or os.path.islink(path):
            return os.path.realpath(path)
        return os.path.join(real, path.name)

    def raw(self, path: Path) -> bytes | None:
        """The bytes of a regular file of the project, within the size limit; None (and
        the problem recorded) when it cannot be read, leads outside the project, or is a
        FIFO, socket or device (never opened for reading, so never waited on)."""
        try:
            if not self.inside(path):
                return None
            info = path.stat()
            if not stat.S_ISREG(info.st_mode):
                self.add(path, "", not_a_file(info.st_mode))
                return None
            if info.st_size > MAX_FILE_BYTES:
                self.add(path, "", too_large(info.st_size))
                return None
            descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            with open(descriptor, "rb") as handle:
                opened = os.fstat(descriptor)
                if not stat.S_ISREG(opened.st_mode):  # swapped since the stat
                    self.add(path, "", not_a_file(opened.st_mode))
                    return None
                raw = handle.read(MAX_FILE_BYTES + 1)
            if len(raw) > MAX_FILE_BYTES:
                self.add(path, "", too_large(None))
                return None
            self.loaded[(opened.st_dev, opened.st_ino)] = hashlib.sha256(raw).hexdigest()
            return raw
        except OSError as error:
            self.add(path, "", f"cannot be read ({error.strerror})")
            return None

    def text(self, path: Path) -> str | None:
        raw = self.raw(path)
        if raw is None:
            return None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = raw[: error.start].count(b"\n") + 1
            self.add(path, "", f"is not valid UTF-8 (byte {error.start})", line)
            return None
        if "\x00" in text:
            self.add(path, "", "contains a NUL character")
            return None
        return text

    def json(self, path: Path) -> Any:
        text = self.text(path)
        if text is None:
            return None
        try:
            return read_json(text)
        except _DuplicateKey as error:
            self.add(path, error.where, f"duplicate key {error.key!r}")
        except json.JSONDecodeError as error:
            self.add(path, "", f"invalid JSON: {error.msg} (column {error.colno})", error.lineno)
        except RecursionError:
            self.add(path, "", "invalid JSON: nested too deeply")
        except ValueError as error:  # an integer beyond Python's 4300-digit conversion limit
            self.add(path, "", f"invalid JSON: {_number_message(error)}")
        return None

    def toml(self, path: Path) -> dict[str, Any] | None:
        text = self.text(path)
        if text is None:
            return None
        try:
            return read_toml(text)
        except tomllib.TOMLDecodeError as error:
            self.add(path, "", f"invalid TOML: {error}")
        except RecursionError:
            self.add(path, "", "invalid TOML: nested too deeply")
        except ValueError as error:
            self.add(path, "", f"invalid TOML: {_number_message(error)}")
        return None

    def settings(self, model: type[Model], path: Path) -> Model:
        """An optional TOML settings file (site.toml, page.toml) as ``model``: its
        defaults when the file is absent or invalid (the problem is recorded)."""
        data = self.toml(path) if path.exists() else None
        return (self.model(model, data, path) if data is not None else None) or model()

    def model(self, model: type[Model], data: Any, path: Path, prefix: str = "") -> Model | None:
        try:
            return model.model_validate(data)
        except ValidationError as error:
            self.problems.extend(problems_from_validation(error, self.shown(path), prefix))
            return None


def too_large(size: int | None) -> str:
    """The message for a file over :data:`MAX_FILE_BYTES`, in bytes where the size is
    known (in MB it read "is 16 MB; at most 16 MB" for 16 MB + 1 byte); ``None``: a file
    that grew past the bound while it was read."""
    limit = f"at most {MAX_FILE_BYTES:,} bytes (16 MiB) are read"
    return f"is {size:,} bytes; {limit}" if size is not None else f"grew past the bound while read; {limit}"


def _number_message(error: ValueError) -> str:
    text = str(error)
    if "digits" in text:
        return "a number has over 4300 digits"
    return text[:200]


class _DuplicateKey(BookgenError, ValueError):
    def __init__(self, key: str, where: str) -> None:
        super().__init__(key)
        self.key, self.where = key, where


class _Duplicated(dict[str, Any]):
    """An object that had a key twice; ``key`` is the first repeated one."""

    key = ""


def _find_duplicate(data: Any) -> tuple[str, str]:
    """The field path of the first repeated key in ``data`` (``group.name``, ``records[2].id``)."""
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        node, where = stack.pop()
        if isinstance(node, _Duplicated):
            return f"{where}.{node.key}" if where else node.key, node.key
        if isinstance(node, dict):
            stack += [(value, f"{where}.{key}" if where else key) for key, value in reversed(node.items())]
        elif isinstance(node, list):
            stack += [(value, f"{where}[{index}]") for index, value in reversed(list(enumerate(node)))]
    raise AssertionError("no duplicate found")  # pragma: no cover - only called after one was seen


def read_json(text: str) -> Any:
    """Parse JSON, refusing duplicate keys (the API never sends them; a hand edit might)."""
    seen_duplicate = False

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal seen_duplicate
        result = dict(pairs)
        if len(result) == len(pairs):
            return result
        seen_duplicate = True
        marked = _Duplicated(result)
        keys = [key for key, _ in pairs]
        marked.key = next(key for index, key in enumerate(keys) if key in keys[:index])
        return marked

    data = json.loads(text, object_pairs_hook=pairs_hook)
    if seen_duplicate:
        where, key = _find_duplicate(data)
        raise _DuplicateKey(key, where)
    return data


def read_toml(text: str) -> dict[str, Any]:
    return tomllib.loads(text)
