"""Read a site project from disk into validated models.

Every file is read and checked before anything is built, and every problem in the
whole project is collected, so one run tells the user all that is wrong. Each
problem names the file and the field path inside it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote

from pydantic import BaseModel, ValidationError

from ..content import MarkdownError, TextPage, is_remote, render_markdown
from ..errors import Problem, SiteError, problems_from_validation
from ..images import image_problem
from ..models import Calendar, Group, Intervention, InterventionSet
from ..publish.manifest import not_a_file, walk_files
from ..themes import load_theme
from .config import PageConfig, SiteConfig

__all__ = ["RESERVED_SLUGS", "SLUG", "GroupSource", "Site", "group_folders", "load_site", "read_json", "read_toml"]

SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
RESERVED_SLUGS = frozenset({"assets"})
"""Names the output uses at its top level for itself (``assets/``: the shared scripts and
stylesheets; the other top-level names, ``index.html``, ``sitemap.xml``, ``embed.js``,
``manifest.json``, cannot be slugs). A group folder with one of them would be published
over, then delete, the site's own files."""
MAX_FILE_BYTES = 16 * 1024 * 1024
Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class GroupSource:
    """One group's validated inputs, as one unit of building."""

    slug: str
    directory: Path
    group: Group
    calendars: tuple[Calendar, ...]
    interventions: tuple[Intervention, ...]
    sets: tuple[InterventionSet, ...]
    page: PageConfig
    texts: tuple[TextPage, ...]
    files: tuple[Path, ...]
    images: tuple[tuple[str, Path], ...] = ()  # markdown image src → its file in the group's folder
    blobs: dict[Path, bytes] = field(default_factory=dict, compare=False, hash=False)  # image → bytes read

    def read(self, path: Path) -> bytes:
        """The bytes of an image or logo as the loader checked them (read again if absent)."""
        blob = self.blobs.get(path)
        return blob if blob is not None else path.read_bytes()


@dataclass(frozen=True)
class Site:
    """A whole validated site project."""

    root: Path
    config: SiteConfig
    groups: tuple[GroupSource, ...]
    theme_dirs: tuple[Path, ...] = field(default=())
    loaded: dict[tuple[int, int], str] = field(default_factory=dict, compare=False, hash=False)
    """(st_dev, st_ino) → sha256 of the bytes read from each file: what the build was
    made from, for the manifest's input digests (:func:`generator.manifest.group_digest`)."""


class _Reader:
    """Collects problems while reading; every file is shown relative to the user's path."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.real_root = Path(os.path.realpath(root))
        self.problems: list[Problem] = []
        self.loaded: dict[tuple[int, int], str] = {}
        self.blobs: dict[Path, bytes] = {}  # images and logos, published as checked

    def shown(self, path: Path) -> str:
        return str(path)

    def add(self, path: Path, where: str, message: str, line: int | None = None) -> None:
        self.problems.append(Problem(self.shown(path), where, message, line))

    def inside(self, path: Path) -> bool:
        """Whether ``path``, every link on the way resolved, is inside the site project;
        if not, the problem is recorded (a linked file, or a linked folder, that leads out)."""
        if Path(os.path.realpath(path)).is_relative_to(self.real_root):
            return True
        if path.is_symlink():
            kind = "folder" if path.is_dir() else "file"
            self.add(path, "", f"is a link to a {kind} outside the site project")
        else:
            self.add(path, "", "is in a linked folder that leads outside the site project")
        return False

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
                self.add(path, "", f"is {info.st_size // (1024 * 1024)} MB; at most 16 MB is read")
                return None
            descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            with open(descriptor, "rb") as handle:
                opened = os.fstat(descriptor)
                if not stat.S_ISREG(opened.st_mode):  # swapped since the stat
                    self.add(path, "", not_a_file(opened.st_mode))
                    return None
                raw = handle.read(MAX_FILE_BYTES + 1)
            if len(raw) > MAX_FILE_BYTES:
                self.add(path, "", "is over 16 MB; at most 16 MB is read")
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


def _number_message(error: ValueError) -> str:
    text = str(error)
    if "digits" in text:
        return "a number has over 4300 digits"
    return text[:200]


class _DuplicateKey(ValueError):
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


def _records(reader: _Reader, path: Path, model: type[Model]) -> tuple[list[Model], str]:
    """A list file: ``{"records": [...]}`` or a bare list. Returns models and the path prefix."""
    if not path.exists():
        return [], ""
    data = reader.json(path)
    if data is None:
        return [], ""
    prefix = ""
    if isinstance(data, dict) and "records" in data:
        data, prefix = data["records"], "records"
    if not isinstance(data, list):
        reader.add(path, prefix, 'must be a list of records or {"records": [...]}')
        return [], prefix
    items = []
    for index, item in enumerate(data):
        record = reader.model(model, item, path, f"{prefix}[{index}]")
        if record is not None:
            items.append(record)
    return items, prefix


def _check_ids(reader: _Reader, path: Path, prefix: str, records: list[Any]) -> None:
    seen: set[int] = set()
    for index, record in enumerate(records):
        if record.id in seen:
            reader.add(path, f"{prefix}[{index}].id", f"id {record.id} is used twice")
        seen.add(record.id)


def _check_references(
    reader: _Reader,
    files: dict[str, Path],
    prefixes: tuple[str, str],
    calendars: list[Calendar],
    interventions: list[Intervention],
    sets: list[InterventionSet],
) -> None:
    """Services name existing sets; calendars name existing services."""
    cal_prefix, int_prefix = prefixes
    set_ids = {s.id for s in sets}
    for index, item in enumerate(interventions):
        if item.interventionset_id is not None and item.interventionset_id not in set_ids:
            reader.add(
                files["interventions"],
                f"{int_prefix}[{index}].interventionset_id",
                f"no intervention set has id {item.interventionset_id}",
            )
    service_ids = {i.id for i in interventions}
    for index, calendar in enumerate(calendars):
        for position, ref in enumerate(calendar.intervention_ids or ()):
            if ref not in service_ids:
                reader.add(
                    files["calendars"],
                    f"{cal_prefix}[{index}].intervention_ids[{position}]",
                    f"no intervention has id {ref}",
                )


def _load_group(reader: _Reader, directory: Path) -> GroupSource | None:
    before = len(reader.problems)
    slug = directory.name
    if not SLUG.fullmatch(slug):
        reader.add(directory, "", "folder name is not a slug (lowercase letters, digits, -)")
        return None
    if slug in RESERVED_SLUGS:
        reader.add(directory, "", f"folder name {slug!r} is reserved: the output's {slug}/ holds the site's "
                                  "shared scripts and stylesheets; rename the folder")  # fmt: skip
        return None
    if not reader.inside(directory):
        return None
    for _ in walk_files(directory, follow=reader.real_root, on_error=lambda path, message: reader.add(Path(path), "", message)):
        pass  # FIFOs, sockets, devices and unreadable folders anywhere in the group: what a build refuses
    group_file = directory / "group.json"
    if not group_file.is_file():
        reader.add(group_file, "", "is missing (every group folder needs one)")
        return None
    data = reader.json(group_file)
    group = None
    if data is not None:
        if isinstance(data, dict) and set(data) == {"group"}:
            data = data["group"]
        group = reader.model(Group, data, group_file, "group")
        if group is not None and not _valid_id((group.model_extra or {}).get("id")):
            reader.add(group_file, "group.id", f"{_short(group.model_extra['id'])} is not a group id "
                                               "(a positive whole number)")  # fmt: skip
            group = None

    files = {name: directory / f"{name}.json" for name in ("calendars", "interventions", "interventionsets")}
    calendars, cal_prefix = _records(reader, files["calendars"], Calendar)
    interventions, int_prefix = _records(reader, files["interventions"], Intervention)
    sets, set_prefix = _records(reader, files["interventionsets"], InterventionSet)
    _check_ids(reader, files["calendars"], cal_prefix, calendars)
    _check_ids(reader, files["interventions"], int_prefix, interventions)
    _check_ids(reader, files["interventionsets"], set_prefix, sets)

    if len(reader.problems) == before:  # on partly invalid lists these checks only add noise
        _check_references(reader, files, (cal_prefix, int_prefix), calendars, interventions, sets)

    page_file = directory / "page.toml"
    page = reader.settings(PageConfig, page_file)
    logo = _image_file(reader, page_file, "logo", directory, page.logo, directory) if page.logo else None

    texts = []
    images: dict[str, Path] = {}
    pages_dir = directory / "pages"
    text_files = _markdown_files(reader, pages_dir)
    for text_file in text_files:
        if not SLUG.fullmatch(text_file.stem):
            reader.add(text_file, "", "file name is not a slug (lowercase letters, digits, -)")
            continue
        source = reader.text(text_file)
        if source is None:
            continue
        try:
            text = render_markdown(source, text_file.stem)
        except MarkdownError as error:
            reader.add(text_file, "", f"markdown: {error}", error.line)
            continue
        texts.append(text)
        for src in text.images:
            if not is_remote(src) and not src.startswith("/") and src not in images:
                image = _image_file(reader, text_file, "", pages_dir, src, directory)
                if image is not None:
                    images[src] = image

    if group is None or len(reader.problems) > before:
        return None
    inputs = [group_file, page_file, *files.values(), *text_files, *images.values()]
    if logo:
        inputs.append(logo)
    blobs = {path: reader.blobs[path] for path in (*images.values(), *([logo] if logo else [])) if path in reader.blobs}
    return GroupSource(
        slug=slug,
        directory=directory,
        group=group,
        calendars=tuple(calendars),
        interventions=tuple(interventions),
        sets=tuple(sets),
        page=page,
        texts=tuple(texts),
        files=tuple(path for path in inputs if path.exists()),
        images=tuple(images.items()),
        blobs=blobs,
    )


def _valid_id(value: Any) -> bool:
    """A group id as the API gives it (clicrdv-api.md, "Groups"): absent, or a positive
    whole number, possibly as a string. ``1e400`` (infinity) and the like are not."""
    if value is None:
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value > 0
    if isinstance(value, float):
        return value.is_integer() and 0 < value < 2**53
    return isinstance(value, str) and re.fullmatch(r"[1-9][0-9]{0,17}", value.strip()) is not None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _markdown_files(reader: _Reader, pages_dir: Path) -> list[Path]:
    """The ``*.md`` files of a group's ``pages/``; a folder that cannot be listed is a
    problem, not an empty folder."""
    if not pages_dir.is_dir():
        return []
    try:
        names = sorted(entry.name for entry in os.scandir(pages_dir))
    except OSError as error:
        reader.add(pages_dir, "", f"cannot be read ({error.strerror})")
        return []
    return [pages_dir / name for name in names if name.endswith(".md") and not name.startswith(".")]


def _image_file(
    reader: _Reader, named_in: Path, where: str, base: Path, name: str, folder: Path
) -> Path | None:
    """The image file ``name`` (relative to ``base``) that ``named_in`` refers to, once
    checked: inside the group's ``folder`` and really an image (:mod:`generator.images`)."""
    label = f"image {name[:80]!r}" if not where else f"{name[:80]!r}"
    path = (base / unquote(name.split("?")[0].split("#")[0])).resolve()
    if not path.is_relative_to(folder.resolve()):
        reader.add(named_in, where, f"{label} is outside the group's folder")
    elif not path.is_file():
        reader.add(named_in, where, f"{label} is not a file in {base.relative_to(folder.parent).as_posix()}/")
    elif (raw := reader.raw(path)) is not None:  # within the size limit, readable
        problem = image_problem(path.name, raw)
        if problem is None:
            reader.blobs[path] = raw
            return path
        reader.add(named_in, where, f"{label}: {problem}")
    return None


def load_site(root: Path | str, *, only: Callable[[str], bool] | None = None) -> Site:
    """Load and validate the site project at ``root``.

    ``only`` selects groups by slug (for sharded builds); unselected groups are not
    read at all. Raises :class:`SiteError` listing every problem found.
    """
    root = Path(root)
    reader = _Reader(root)
    if not root.is_dir():
        raise SiteError([Problem(str(root), "", "is not a folder (expected a site project)")])
    config_file = root / "site.toml"
    config = reader.settings(SiteConfig, config_file)
    if not config_file.exists():
        reader.add(config_file, "", "is missing (run `bookgen new` to start a project)")

    groups_dir = root / "groups"
    groups = []
    directories = group_folders(groups_dir)
    for directory in directories:
        if only is not None and not only(directory.name):
            continue
        source = _load_group(reader, directory)
        if source is not None:
            groups.append(source)
    theme_dirs = (root / "themes",) if (root / "themes").is_dir() else ()
    _check_themes(reader, config_file, config.site.theme, theme_dirs)
    for source in groups:
        if source.page.theme:
            _check_themes(reader, source.directory / "page.toml", source.page.theme, theme_dirs)
    if reader.problems:
        raise SiteError(sorted(set(reader.problems), key=lambda p: (p.file, p.path, p.message)))
    return Site(root=root, config=config, groups=tuple(groups), theme_dirs=theme_dirs, loaded=reader.loaded)


def group_folders(groups_dir: Path) -> list[Path]:
    """The folders in ``groups/`` (links to folders included, for the loader to check),
    by name. Raises :class:`SiteError` when ``groups/`` cannot be listed."""
    if not groups_dir.is_dir():
        return []
    try:
        return sorted(p for p in groups_dir.iterdir() if p.is_dir())
    except OSError as error:
        raise SiteError([Problem(str(groups_dir), "", f"cannot be read ({error.strerror})")]) from None


def _check_themes(reader: _Reader, file: Path, name: str, theme_dirs: tuple[Path, ...]) -> None:
    """A theme named in ``file`` must exist and load; its own errors are reported as is."""
    try:
        load_theme(name, theme_dirs)
    except SiteError as error:
        for problem in error.problems:
            if problem.file == "theme":
                reader.add(file, "theme" if file.name == "page.toml" else "site.theme", problem.message)
            else:
                reader.problems.append(problem)
