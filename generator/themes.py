"""Themes: where templates and static files are found, and their default colours.

A theme is a folder ``themes/<name>/`` with a ``theme.toml`` (name, ``extends``,
description, ``[colors]`` and optional ``[colors_dark]``), and optionally
``templates/`` overriding any template or partial and ``static/theme.css``.
Search order: the project's ``themes/`` → the built-in themes → the base
``templates/``. Built-in files live at the repository root in a checkout and inside
the package (``generator/_share``) in a wheel.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from .errors import Problem, SiteError, problems_from_validation
from .fields import ThemeName
from .models import Colour

__all__ = ["SHARE_DIR", "TEMPLATES_DIR", "THEMES_DIR", "Theme", "available_themes", "load_theme"]


def _share_dir() -> Path:
    packaged = Path(__file__).parent / "_share"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent


SHARE_DIR = _share_dir()
TEMPLATES_DIR = SHARE_DIR / "templates"
THEMES_DIR = SHARE_DIR / "themes"
MAX_DEPTH = 8


class _Colours(BaseModel):
    model_config = ConfigDict(extra="forbid")
    content_bg: Colour
    content_text: Colour
    content_links: Colour
    main_bg: Colour
    main_text: Colour
    page_bg: Colour
    page_text: Colour


class _ThemeFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    # A name, looked up in the project's themes/ then bookgen's: never a path, or a theme
    # could pull templates (and links) from anywhere on the machine.
    extends: ThemeName | None = None
    description: str = ""
    colors: _Colours | None = None
    colors_dark: _Colours | None = None


@dataclass(frozen=True, eq=False)
class Theme:
    """A resolved theme: its chain of folders (most specific first) and its colours.

    Compared by identity: :func:`load_theme` returns one object per theme and site.
    """

    name: str
    description: str
    folders: tuple[Path, ...]
    colors: dict[str, str]
    colors_dark: dict[str, str] | None

    @property
    def template_dirs(self) -> list[Path]:
        """Jinja search path: each theme's templates/, then the base templates."""
        dirs = [folder / "templates" for folder in self.folders if (folder / "templates").is_dir()]
        return [*dirs, TEMPLATES_DIR]

    @property
    def project_templates(self) -> bool:
        """Whether any of :attr:`template_dirs` comes from a site project (a theme folder
        outside bookgen's built-in ``themes/``): the project's code, so every page of this
        theme renders sandboxed and time-limited (:mod:`generator.untrusted`)."""
        return any((folder / "templates").is_dir() for folder in self.folders if folder.parent != THEMES_DIR)

    @property
    def stylesheets(self) -> list[Path]:
        """CSS in cascade order: base first, then ancestors, then this theme."""
        sheets = [TEMPLATES_DIR / "static" / "base.css"]
        sheets += [f / "static" / "theme.css" for f in reversed(self.folders)]
        return [sheet for sheet in sheets if sheet.is_file()]


def _find(name: str, project_dirs: tuple[Path, ...]) -> Path | None:
    for base in (*project_dirs, THEMES_DIR):
        folder = base / name
        if (folder / "theme.toml").is_file():
            return folder
    return None


def _read(folder: Path) -> _ThemeFile:
    """``theme.toml`` read like every other TOML file of a project (the loader's bounded
    reader: regular file, 16 MB, UTF-8 with or without a BOM, no NUL, nesting depth, numbers
    of over 4300 digits), so a bad one is a located problem and never a crash."""
    from .load.reader import Reader  # here: the reader's module imports this one

    path = folder / "theme.toml"
    reader = Reader(Path(path.anchor or "/"))  # containment is the loader's check, not this one's
    data = reader.toml(path)
    if data is None:
        raise SiteError(reader.problems)
    try:
        return _ThemeFile.model_validate(data)
    except ValidationError as error:
        raise SiteError(problems_from_validation(error, str(path))) from None


@cache
def load_theme(name: str, project_dirs: tuple[Path, ...] = ()) -> Theme:
    """Resolve ``name`` and its ``extends`` chain; raises :class:`SiteError` if broken."""
    folders: list[Path] = []
    colors = colors_dark = None
    description = ""
    current: str | None = name
    while current is not None:
        folder = _find(current, project_dirs)
        if folder is None:
            known = ", ".join(available_themes(project_dirs))
            if folders:  # named by the `extends` of the theme before it, not by the caller
                where = str(folders[-1] / "theme.toml")
                raise SiteError([Problem(where, "extends", f"{current!r} is no theme (available: {known})")])
            raise SiteError([Problem("theme", current, f"no such theme (available: {known})")])
        if folder in folders or len(folders) >= MAX_DEPTH:
            raise SiteError([Problem(str(folder / "theme.toml"), "extends", "themes extend in a loop")])
        data = _read(folder)
        folders.append(folder)
        description = description or data.description
        colors = colors or (data.colors.model_dump() if data.colors else None)
        colors_dark = colors_dark or (data.colors_dark.model_dump() if data.colors_dark else None)
        current = data.extends
    if colors is None:
        raise SiteError(
            [Problem(str(folders[0] / "theme.toml"), "colors", "no theme in the chain sets colors")]
        )
    return Theme(name, description, tuple(folders), colors, colors_dark)


def available_themes(project_dirs: tuple[Path, ...] = ()) -> list[str]:
    """Names of every theme a site can use, project themes included."""
    names: set[str] = set()
    for base in (*project_dirs, THEMES_DIR):
        if base.is_dir():
            names.update(p.parent.name for p in base.glob("*/theme.toml"))
    return sorted(names)
