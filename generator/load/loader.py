"""Read a site project from disk into validated models.

Every file is read and checked before anything is built, and every problem in the
whole project is collected, so one run tells the user all that is wrong. Each
problem names the file and the field path inside it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from ..content import MarkdownError, TextPage, is_remote, render_markdown
from ..errors import Problem, SiteError, in_reading_order
from ..images import image_problem
from ..models import Calendar, Group, Intervention, InterventionSet
from ..publish.manifest import walk_files
from ..themes import THEMES_DIR, load_theme
from .config import PageConfig, SiteConfig
from .reader import Reader
from .records import KINDS, check_group, check_references

__all__ = ["RESERVED_SLUGS", "SLUG", "GroupSource", "Site", "group_folders", "load_site"]

SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
RESERVED_WHY = {
    "assets": "the output's assets/ holds the site's shared scripts and stylesheets",
    "api": "/api/ is where the booking gateway is served beside the pages (docs/deploy.md), "
           "so the group's pages could never be reached there",
    "sandbox": "bookgen serve answers /sandbox/ itself (the sandbox's outbox and confirmation links), "
               "so the group's pages could never be previewed",
}  # fmt: skip
RESERVED_SLUGS = frozenset(RESERVED_WHY)
"""Folder names a group may not have, because the URL path they would be published at
belongs to something else: ``assets/`` (the output's own shared scripts and stylesheets:
a group there would be published over, then delete, them), ``api/`` (the gateway, in the
documented same-host deployment and in ``bookgen serve``) and ``sandbox/`` (the preview's
sandbox pages). The other top-level names of the output (``index.html``, ``sitemap.xml``,
``embed.js``, ``manifest.json``) cannot be slugs. ``bookgen pull`` names a new group
around them (``api-42``)."""


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
    made from, for the manifest's input digests (:func:`generator.publish.manifest.group_digest`)."""


def _raw_records(reader: Reader, path: Path) -> tuple[list[Any], str]:
    """A list file's records, unvalidated: ``{"records": [...]}`` or a bare list, and the
    field path prefix of its records (``records`` or none)."""
    if not path.exists():
        return [], ""
    before = len(reader.problems)
    data = reader.json(path)
    if len(reader.problems) > before:  # unreadable or invalid JSON, already reported
        return [], ""
    prefix = ""
    if isinstance(data, dict) and "records" in data:
        data, prefix = data["records"], "records"
    if not isinstance(data, list):
        reader.add(path, prefix, 'must be a list of records or {"records": [...]}')
        return [], prefix
    return data, prefix


def _load_group(reader: Reader, directory: Path) -> GroupSource | None:
    before = len(reader.problems)
    slug = directory.name
    if not SLUG.fullmatch(slug):
        reader.add(directory, "", "folder name is not a slug (lowercase letters, digits, -)")
        return None
    if slug in RESERVED_SLUGS:
        reader.add(directory, "", f"folder name {slug!r} is reserved: {RESERVED_WHY[slug]}; rename the folder")
        return None
    if not reader.inside(directory):
        return None
    for _ in walk_files(directory, follow=reader.real_root, on_error=lambda path, message: reader.add(Path(path), "", message)):
        pass  # FIFOs, sockets, devices and unreadable folders anywhere in the group: what a build refuses
    group_file = directory / "group.json"
    if not group_file.is_file():
        reader.add(group_file, "", "is missing (every group folder needs one)")
        return None
    before_json = len(reader.problems)
    data = reader.json(group_file)
    group_read = len(reader.problems) == before_json  # a literal `null` is read, and refused as not an object
    if isinstance(data, dict) and set(data) == {"group"}:
        data = data["group"]
    files = {name: directory / f"{name}.json" for name in KINDS}
    lists: dict[str, list[Any]] = {}
    prefixes = {"group": "group"}
    for kind, path in files.items():
        lists[kind], prefixes[kind] = _raw_records(reader, path)
    shown = {kind: reader.shown(path) for kind, path in {"group": group_file, **files}.items()}

    def locate(kind: str, index: int, _record: Any) -> tuple[str, str]:
        prefix = prefixes[kind]
        return shown[kind], prefix if kind == "group" else f"{prefix}[{index}]"

    records = check_group(data, lists, locate, has_group=group_read)
    reader.problems.extend(records.problems)
    if len(reader.problems) == before:  # on partly invalid lists these checks only add noise
        reader.problems.extend(check_references(records, lists, locate))
    group = records.group

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
        calendars=tuple(record for _, record in records.calendars),
        interventions=tuple(record for _, record in records.interventions),
        sets=tuple(record for _, record in records.sets),
        page=page,
        texts=tuple(texts),
        files=tuple(path for path in inputs if path.exists()),
        images=tuple(images.items()),
        blobs=blobs,
    )


def _markdown_files(reader: Reader, pages_dir: Path) -> list[Path]:
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
    reader: Reader, named_in: Path, where: str, base: Path, name: str, folder: Path
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


def load_site(root: Path | str, *, only: Callable[[str], bool] | None = None, settings: Site | None = None) -> Site:
    """Load and validate the site project at ``root``.

    ``only`` selects groups by slug (for sharded builds); unselected groups are not
    read at all. ``settings``, the same project loaded before in this build (its groups
    not needed), gives ``site.toml`` and the site's theme as they were checked then: a
    build's every slice of groups does not read and check them again. Raises
    :class:`SiteError` listing every problem found.
    """
    root = Path(root)
    reader = Reader(root)
    if not root.is_dir():
        raise SiteError([Problem(str(root), "", "is not a folder (expected a site project)")])
    config_file = root / "site.toml"
    if settings is not None:
        config = settings.config
    else:
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
    checked: set[Path] = set()
    if settings is None:
        _check_themes(reader, config_file, config.site.theme, theme_dirs, checked)
    for source in groups:
        if source.page.theme:
            _check_themes(reader, source.directory / "page.toml", source.page.theme, theme_dirs, checked)
    if reader.problems:
        raise SiteError(in_reading_order(reader.problems))
    return Site(root=root, config=config, groups=tuple(groups), theme_dirs=theme_dirs, loaded=reader.loaded)


def group_folders(groups_dir: Path) -> list[Path]:
    """The folders in ``groups/`` (links to folders included, for the loader to check),
    by name. Raises :class:`SiteError` when ``groups/`` cannot be listed."""
    if not groups_dir.is_dir():
        return []
    try:
        with os.scandir(groups_dir) as listing:  # entry types from the listing: no stat but for links
            names = sorted(entry.name for entry in listing if _is_folder(entry))
    except OSError as error:
        raise SiteError([Problem(str(groups_dir), "", f"cannot be read ({error.strerror})")]) from None
    return [groups_dir / name for name in names]


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()  # follows links, as Path.is_dir
    except OSError:
        return False


def _check_themes(
    reader: Reader, file: Path, name: str, theme_dirs: tuple[Path, ...], checked: set[Path]
) -> None:
    """A theme named in ``file`` must exist and load; its own errors are reported as is.
    The files of the project's themes in its chain (``checked`` holds the folders already
    read) go through :meth:`Reader.text` like every other input: a template or stylesheet
    linked outside the project, too large, not UTF-8 or with a NUL is a problem, and
    any other file of theirs must not lead outside the project."""
    try:
        theme = load_theme(name, theme_dirs)
    except SiteError as error:
        for problem in error.problems:
            if problem.file == "theme":
                reader.add(file, "theme" if file.name == "page.toml" else "site.theme", problem.message)
            else:
                reader.problems.append(problem)
        return
    for folder in theme.folders:
        if folder in checked or folder.parent == THEMES_DIR:
            continue  # a built-in theme, or one already read: every other folder is the project's
        checked.add(folder)
        on_error = lambda path, message: reader.add(Path(path), "", message)  # noqa: E731
        for relative, _ in walk_files(folder, follow=reader.real_root, on_error=on_error):
            if relative.startswith("templates/") or relative in ("theme.toml", "static/theme.css"):
                reader.text(folder / relative)  # what a build reads as text
            else:
                reader.inside(folder / relative)
