"""bookgen's own static files (``templates/static/``) as they are published.

A script may be written as ES modules with one job each: ``booking.js`` imports its parts
from ``templates/static/booking/`` (``import { a, b } from "./booking/x.js";``, a line of
its own). It is published as **one** file, each module inlined once, before the code that
imports it (the order a browser runs them in), so a page still fetches one script. Shipped
as separate files, the modules made a booking 1.6 KB heavier in gzip (their hashed import
names and gzip's per-file cost) and over its budget in tests/test_assets.py.

Inlined modules share one scope, so :func:`bundle` refuses what would then mean something
else than in the modules: a top-level name declared twice, a module using another's
top-level name without importing it, an import of a name its module does not export, an
import cycle, and any other form of import or export (``default``, ``as``, ``*``, ``let``).
The sources stay plain ES modules that a browser can also run unbundled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import rjsmin

from ..errors import BookgenError
from ..plan.urls import hashed_path
from ..themes import TEMPLATES_DIR
from .snippets import Loader

__all__ = ["BundleError", "bundle", "embed_loader", "script_names", "static_bytes"]

STATIC_DIR = TEMPLATES_DIR / "static"

_IMPORT = re.compile(r'^import \{([^}]*)\} from "(\./[\w./-]+\.js)";\n', re.MULTILINE)
_EXPORT = re.compile(r"^export (?=const |class |function |async function )", re.MULTILINE)
_DECLARED = re.compile(r"^(?:export )?(?:const|let|var|class|function\*?|async function\*?) *([\w$]+)", re.MULTILINE)
_OTHER = re.compile(r"^(?:import\b|export\b|(?:const|let|var) *[\[{])", re.MULTILINE)
_OTHER_ENTRY = re.compile(r"^(?:import\b|(?:export )?(?:const|let|var) *[\[{])", re.MULTILINE)


class BundleError(BookgenError, ValueError):
    """A module graph that cannot be inlined into one script without changing its meaning
    (a fault in bookgen's own scripts, caught by tests/test_static.py before it ships)."""


def static_bytes(name: str) -> bytes:
    """The bytes of ``templates/static/<name>`` as published (scripts bundled with the
    modules they import, then minified by rjsmin: sources keep their comments for people,
    pages stay within budget)."""
    path = STATIC_DIR / name
    if not name.endswith(".js"):
        return path.read_bytes()
    return str(rjsmin.jsmin(bundle(path))).encode("utf-8")


@dataclass
class _Module:
    path: Path
    body: str  # the source without its import lines
    imports: list[tuple[Path, set[str]]]  # (module, the names imported from it)

    @property
    def declared(self) -> list[str]:
        return _DECLARED.findall(self.body)

    @property
    def exported(self) -> set[str]:
        return {name for line in self.body.splitlines() if line.startswith("export ") for name in _DECLARED.findall(line)}


def _module(path: Path) -> _Module:
    source = path.read_text("utf-8")
    imports = [((path.parent / spec).resolve(), {n.strip() for n in names.split(",") if n.strip()})
               for names, spec in _IMPORT.findall(source)]  # fmt: skip
    return _Module(path.resolve(), _IMPORT.sub("", source), imports)


def bundle(entry: Path) -> str:
    """The source of ``entry`` with every module it imports (directly or not) inlined once,
    in the order a browser would run them; ``entry`` itself unchanged if it imports none."""
    modules: dict[Path, _Module] = {}
    order: list[_Module] = []

    def visit(path: Path, chain: tuple[Path, ...]) -> None:
        if path in chain:
            raise BundleError(f"{entry.name}: {path.name} imports itself through {' → '.join(p.name for p in chain)}")
        if path in modules:
            return
        module = modules[path] = _module(path)
        for imported, names in module.imports:
            visit(imported, (*chain, path))
            if missing := names - modules[imported].exported:
                raise BundleError(f"{path.name}: imports {', '.join(sorted(missing))}, which {imported.name} does not export")
        order.append(module)

    visit(entry.resolve(), ())
    if len(order) == 1:
        return order[0].body
    _check_one_scope(order)
    *inlined, main = order
    return "\n".join([*(_EXPORT.sub("", module.body) for module in inlined), main.body])


def _check_one_scope(order: list[_Module]) -> None:
    owner: dict[str, _Module] = {}
    for module in order:
        # The entry keeps its exports; an inlined module's become plain declarations.
        body = module.body if module is order[-1] else _EXPORT.sub("", module.body)
        if other := (_OTHER_ENTRY if module is order[-1] else _OTHER).search(body):
            line = body[other.start() :].split("\n", 1)[0]
            raise BundleError(f"{module.path.name}: {line!r}: only 'import {{ … }} from \"./….js\";' "
                              "lines and exported const, class and function declarations can be bundled")
        for name in module.declared:
            if name in owner:
                raise BundleError(f"{module.path.name}: {name} is declared by {owner[name].path.name} too")
            owner[name] = module
    for module in order:
        code = _code_only(str(rjsmin.jsmin(module.body)))  # without comments, strings, regexps
        imported = set().union(*(names for _, names in module.imports))
        for name in sorted(set(_NAME.findall(code)) & owner.keys() - imported):
            if (declarer := owner[name]) is not module:
                raise BundleError(f"{module.path.name}: uses {name}, a top-level name of {declarer.path.name}, "
                                  "without importing it (or rename one of them)")


_NAME = re.compile(r"(?<![\w$.])[\w$]+(?![\w${])")  # a name, not a property (nor the $ of ${)
_SPECIAL = re.compile(r"[\"'`/{}]")
_REGEX_AFTER = "(,=:[!&|?{};+-*%<>~^"
_REGEX_AFTER_WORDS = {"return", "typeof", "case", "do", "else", "in", "of", "new", "delete", "void", "throw", "await"}


def _code_only(js: str) -> str:
    """``js`` (without comments) with the text of its strings, template literals and regular
    expressions blanked, so that a word in them is not taken for a name."""
    out: list[str] = []
    depths: list[int] = []  # the brace depth inside each open template ${…}
    i = 0
    while i < len(js):
        if not (special := _SPECIAL.search(js, i)):
            out.append(js[i:])
            break
        out.append(js[i : special.start()])
        i = special.start()
        c = js[i]
        if c in "\"'":
            j = _skip(js, i + 1, (c,))
            out.append(c + " " * (j - i - 1) + c)
            i = j + 1
        elif c == "`" or (c == "}" and depths and depths[-1] == 0):
            if c == "}":
                depths.pop()
            j = _skip(js, i + 1, ("`", "${"))
            out.append(c + " " * (j - i - 1))
            if js[j] == "`":
                out.append("`")
                i = j + 1
            else:
                out.append("${")
                depths.append(0)
                i = j + 2
        elif c == "/" and _starts_regex(js, i):
            j, in_class = i + 1, False
            while in_class or js[j] != "/":
                if js[j] in "[]":
                    in_class = js[j] == "["
                j += 2 if js[j] == "\\" else 1
            out.append("/" + " " * (j - i - 1) + "/")
            i = j + 1
        else:
            if depths and c in "{}":
                depths[-1] += 1 if c == "{" else -1
            out.append(c)
            i += 1
    return "".join(out)


def _skip(js: str, j: int, stops: tuple[str, ...]) -> int:
    """The index of the first ``stops`` from ``j`` on that ends a literal (escapes skipped)."""
    while not js.startswith(stops, j):
        j += 2 if js[j] == "\\" else 1
    return j


def _starts_regex(js: str, i: int) -> bool:
    before = js[:i].rstrip()
    word = re.search(r"[\w$]+$", before)
    return not before or before[-1] in _REGEX_AFTER or (word is not None and word.group(0) in _REGEX_AFTER_WORDS)


def script_names() -> list[str]:
    """The file names of every built-in script, sorted (``booking/`` holds modules of
    ``booking.js``, published inside it)."""
    return sorted(p.name for p in STATIC_DIR.glob("*.js"))


def embed_loader() -> Loader:
    """The versioned embed loader (``assets/embed.<hash>.js``) with its SRI hash, as every
    page and snippet names it."""
    raw = static_bytes("embed.js")
    return Loader.from_bytes(hashed_path("assets", "embed", ".js", raw), raw)
