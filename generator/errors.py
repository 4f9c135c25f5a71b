"""Input problems, reported all at once as ``file: field.path: message``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import ValidationError

__all__ = ["Problem", "SiteError", "problems_from_validation"]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, located by file and field path."""

    file: str
    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class SiteError(Exception):
    """The site project cannot be built; ``problems`` lists every reason."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


def format_loc(loc: Iterable[str | int], prefix: str = "") -> str:
    """Join a pydantic location into ``group.usercolors.main_bg`` / ``records[3].price``."""
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def problems_from_validation(error: ValidationError, file: str, prefix: str = "") -> list[Problem]:
    """Turn a pydantic error into problems, with messages written for people."""
    problems = []
    for item in error.errors(include_url=False):
        loc = [part for part in item["loc"] if not _is_internal(part)]
        message = item["msg"]
        kind = item["type"]
        if kind == "missing":
            message = "is required"
        elif kind == "extra_forbidden":
            message = "is not a known setting"
        elif kind.endswith("_type") or kind.endswith("_parsing"):
            message = f"{message[0].lower()}{message[1:]} (got {_short(item.get('input'))})"
        problems.append(Problem(file, format_loc(loc, prefix), message))
    return problems


def _is_internal(part: str | int) -> bool:
    # Pydantic names union members and validators in locations ("function-before[...]").
    return isinstance(part, str) and ("[" in part or part in {"str", "int", "bool", "list"})


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
