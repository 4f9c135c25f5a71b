"""Input problems, reported all at once as ``file: field.path: message``, and the one
error hierarchy every bookgen exception belongs to.

The tree (httpx-style; the module that raises each is named on the right)::

    BookgenError                  exit status 1; ``problems`` renders one line each
    ├── SiteError                 the site project cannot be built (every problem at once)
    │   └── BuildLocked           another build is writing OUT            (publish)
    ├── ApiError                  the Group API could not do what was asked (remote.transport)
    ├── MarkdownError             a page over the rendering bounds; also a ValueError (content)
    ├── OutEdited                 OUT was edited after the last build      (incremental)
    ├── sandbox.errors.ApiError   a refusal the sandbox answers with        (sandbox)
    ├── GatewayError              a refusal the gateway answers with        (gateway.errors)
    ├── BundleError               a runtime module graph that cannot be inlined (render.static)
    ├── RenderTimeout             a project theme's page took too long; also a TemplateError (untrusted)
    └── ConfigError               the gateway cannot start                  (gateway.errors)

The CLI prints any :class:`BookgenError` as ``error: <problem>`` lines (the first
:data:`MAX_LISTED`, then one line counting the rest: :func:`listed`) and exits with its
``exit_code``: no bookgen error ends in a traceback. (``cli.Terminated`` stays a
``BaseException`` on purpose: SIGTERM must unwind past every ``except Exception``.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

from pydantic import ValidationError

__all__ = [
    "MAX_LISTED",
    "BookgenError",
    "Problem",
    "Severity",
    "SiteError",
    "in_reading_order",
    "listed",
    "problems_from_validation",
]

_DIGITS = re.compile(r"(\d+)")

Severity = Literal["error", "warning"]
"""An ``error`` stops the build; a ``warning`` is reported (and fails ``--strict``)."""


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, located by file and field path.

    ``line`` is 1-based when known. ``severity`` does not change the rendering
    (``file[:line]: field.path: message``); the caller prefixes ``error:``/``warning:``.
    A problem with no file (an error that is not about one input file) renders as
    ``field.path: message`` or just ``message``.
    """

    file: str
    path: str
    message: str
    line: int | None = None
    severity: Severity = "error"

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return ": ".join(part for part in (where, self.path, self.message) if part)

    @property
    def is_warning(self) -> bool:
        return self.severity == "warning"


class BookgenError(Exception):
    """The root of every bookgen exception (see the module docstring for the tree).

    ``problems`` is what the CLI prints, one ``error:`` line each; by default the
    exception's own message, located nowhere. ``exit_code`` is the CLI's exit status.
    """

    exit_code: ClassVar[int] = 1

    @property
    def problems(self) -> list[Problem]:
        return [Problem("", "", str(self))]


class SiteError(BookgenError):
    """The site project cannot be built; ``problems`` lists every reason."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self._problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self._problems))

    @property
    def problems(self) -> list[Problem]:
        return self._problems


def in_reading_order(problems: Iterable[Problem]) -> list[Problem]:
    """``problems`` once each, by file, then field path, then message, numbers compared as
    numbers: ``records[2]`` before ``records[10]``, ``groups/a2`` before ``groups/a10``."""
    return sorted(set(problems), key=lambda p: (_natural(p.file), _natural(p.path), p.message))


MAX_LISTED = 100
"""How many problems a command prints before one line counting the rest."""


def listed(problems: Sequence[object], limit: int | None = MAX_LISTED, noun: str = "problem") -> list[str]:
    """The texts of the ``error:`` lines for ``problems``, in their order (the caller adds
    the prefix): every problem when there are at most ``limit`` (``None``: no limit), else
    the first ``limit`` and then one line, ``N more problems not shown (...)`` (``noun``:
    ``warning`` for warnings), naming ``bookgen --all-errors``, which lifts the limit.
    ``limit`` is at least 1."""
    if limit is None or len(problems) <= limit:
        return [str(problem) for problem in problems]
    rest = len(problems) - limit
    more = f"{rest} more {noun}{'s' if rest != 1 else ''} not shown"
    hint = "fix these first, or run again as `bookgen --all-errors ...` to list them all"
    return [*(str(problem) for problem in problems[:limit]), f"{more} ({hint})"]


def _natural(text: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in _DIGITS.split(text) if part)


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
        if item["type"] == "default_factory_not_called":
            continue  # a default computed from a field that failed: that field's problem says it
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
