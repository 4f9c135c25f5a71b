"""Markdown texts (``pages/*.md``) → sanitized HTML.

The output is the only HTML in the tool that templates mark ``|safe``, so it goes
through an allowlist sanitizer (nh3, i.e. Ammonia): headings, lists, links, tables
and images survive; scripts, event handlers, inline styles, ``javascript:`` and
``data:`` URLs do not. Raw HTML in the markdown is allowed in but sanitized out.

Images are kept with the ``src`` as written; the loader checks the files a page
names (:mod:`generator.images`) and the build publishes them under content-hashed
names and rewrites the ``src`` (:func:`with_image_urls`).

Rendering is bounded (review D20): python-markdown scans to the end of a paragraph
for every unclosed ``[`` or ``](`` and the HTML scanner for every unclosed ``<tag``,
so a few kilobytes of them take minutes, and deep nesting overflows the stack. A
page is refused with :class:`MarkdownError` when it is over :data:`MAX_MARKDOWN_BYTES`,
nests deeper than :data:`MAX_NESTING`, or its scan cost (:func:`scan_cost`, counted
before rendering) is over :data:`MAX_SCAN_COST`; any other input is stopped after
:data:`MAX_SECONDS` of rendering.
"""

from __future__ import annotations

import bisect
import functools
import html
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import markdown
import nh3

from .errors import BookgenError

__all__ = [
    "MAX_MARKDOWN_BYTES", "MAX_NESTING", "MAX_SCAN_COST", "MAX_SECONDS",
    "MarkdownError", "TextPage", "is_remote", "nesting_problem", "render_markdown", "scan_cost",
    "with_image_urls",
]  # fmt: skip

MAX_MARKDOWN_BYTES = 256 * 1024  # UTF-8 bytes of one page: a long "about" page is 20 KB
MAX_NESTING = 16  # block quotes and list levels on one line (4 columns of indent = 1 level)
# The renderer's work counted before rendering (see scan_cost): at this budget every
# costly kind renders in at most about 3x the time of an ordinary 200 KB page, well under
# a second on an idle 2-core machine (bench/markdown_bounds.py). Ordinary pages cost a
# few thousand; a 177 KB page written as one paragraph about 5.4 million.
MAX_SCAN_COST = 8_000_000
_HTML_SCAN_DISCOUNT = 100
_COPY_DISCOUNT = 500
_BRACKET_SCANS = 5
_INLINE_MARKERS = "*_`\\[<&"
_SPLIT_LINE = re.compile(r"^ {0,3}(?:#|[-=*_][-=*_ \t]*$)", re.M)
_ITEM_LINE = re.compile(r"^ *[-+*][ \t]", re.M)
MAX_SECONDS = 10.0  # the backstop for anything the counts above do not foresee

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "strong", "sub", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align"},
    "th": {"align", "scope"},
}
_HEADING = re.compile(r"<h([1-6])>(.*?)</h\1>", re.S)
# nh3 serializes every attribute as name="value", with & and " escaped.
_IMAGE_SRC = re.compile(r'(<img\b(?:[^>"]|"[^"]*")*?\ssrc=")([^"]*)(")')


@dataclass(frozen=True)
class TextPage:
    """A markdown page of a group: ``name`` is the file's stem, ``title`` its first heading."""

    name: str
    title: str
    html: str
    images: tuple[str, ...] = ()  # every <img> src, as written (unescaped)


def _demote_headings(rendered: str) -> tuple[str, str]:
    """Pull the first heading out as the title and keep the rest below the page's h1."""
    title = ""
    match = _HEADING.search(rendered)
    if match and match.group(1) == "1":
        title = html.unescape(re.sub(r"<[^>]+>", "", match.group(2))).strip()
        rendered = rendered[: match.start()] + rendered[match.end() :]

    def shift(m: re.Match[str]) -> str:
        level = min(int(m.group(1)) + 1, 6)
        return f"<h{level}>{m.group(2)}</h{level}>"

    return title, _HEADING.sub(shift, rendered)


class MarkdownError(BookgenError, ValueError):
    """A page that cannot be rendered within the bounds; ``line`` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


_TAG_START = re.compile(r"<[A-Za-z/!?]")
_SCANNED = re.compile(r"[\\\[\]()<]")
_CONTAINER = re.compile(r" {0,3}(?:>|[-+*][ \t]|\d{1,9}[.)][ \t])")


def nesting_problem(source: str) -> MarkdownError | None:
    """The first line nested deeper than :data:`MAX_NESTING`: block quotes (``>``), list
    markers and every 4 columns of indentation (python-markdown's ``tab_length``) each
    count one level, as each makes the parser recurse once."""
    for number, line in enumerate(source.splitlines(), 1):
        if not line.strip():
            continue
        expanded = line.expandtabs(4)
        stripped = expanded.lstrip(" ")
        depth = (len(expanded) - len(stripped)) // 4
        rest = stripped
        while depth <= MAX_NESTING and (m := _CONTAINER.match(rest)):
            depth += 1
            rest = rest[m.end() :]
        if depth > MAX_NESTING:
            return MarkdownError(f"line {number} is nested more than {MAX_NESTING} levels deep", number)
    return None


def scan_cost(source: str) -> tuple[int, int]:
    """(characters the renderer's scanners step over, the line where most of it starts).

    Counted in one pass, per paragraph (text between blank lines): an unclosed ``[``
    costs 5 x the rest of its paragraph (five link and reference patterns scan it), a
    closed one 5 x the distance to its ``]``; ``(`` after ``]`` (a link target) 1 x the
    distance to its ``)``; a ``<`` that starts a tag the distance to the next ``>`` (or the
    end of the page) / 100; every inline marker (``*_`\\[<&``) the paragraph's length
    / 500 (a backslash / 250: an escape is a match by itself, markers pair up); every
    heading, rule or setext line in it the paragraph's length / 8, every bullet line its
    length / 80. A backslash escapes. The weights are python-markdown
    3.x's measured costs relative to one step of its Python scanning loops (about 0.1 us).
    """
    cost = 0
    worst_at, worst = 0, -1
    closers = [m.start() for m in re.finditer(">", source)] + [len(source)]
    for start, end in _paragraphs(source):
        opened: dict[str, list[int]] = {"[": [], "(": []}
        spans: list[tuple[int, int]] = []
        escaped = -1
        for match in _SCANNED.finditer(source, start, end):
            i, c = match.start(), match.group()
            if i == escaped:
                continue
            if c == "\\":
                escaped = i + 1
            elif c == "[" or (c == "(" and i > start and source[i - 1] == "]"):
                opened[c].append(i)
            elif c == "(":
                opened["("].append(-1)  # a plain parenthesis, counted for nesting only
            elif c in "])":
                stack = opened["[" if c == "]" else "("]
                if stack and (at := stack.pop()) >= 0:
                    spans.append((at, at + (i - at) * (_BRACKET_SCANS if c == "]" else 1)))
            elif _TAG_START.match(source, i):
                gt = closers[bisect.bisect_left(closers, i)]
                spans.append((i, i + (gt - i) // _HTML_SCAN_DISCOUNT))
        spans += [(at, at + (end - at) * _BRACKET_SCANS) for at in opened["["]]
        spans += [(at, end) for at in opened["("] if at >= 0]
        # Each inline match copies the whole paragraph text once (python-markdown's
        # placeholders), so a paragraph of n markers costs n x its length in memcpy.
        # Pairs of markers make one match each; a backslash escape is a match by itself.
        markers = sum(source.count(c, start, end) for c in _INLINE_MARKERS) + source.count("\\", start, end)
        spans.append((start, start + markers * (end - start) // _COPY_DISCOUNT))
        # A heading, rule or setext line inside a paragraph splits it, and the rest is
        # tested again by every block processor (the table test splits it into rows).
        splits = len(_SPLIT_LINE.findall(source, start, end))
        items = len(_ITEM_LINE.findall(source, start, end))
        spans.append((start, start + splits * (end - start) // 8 + items * (end - start) // 80))
        for at, stop in spans:
            cost += stop - at
            if stop - at > worst:
                worst_at, worst = at, stop - at
        if cost > MAX_SCAN_COST:
            break
    return cost, source.count("\n", 0, worst_at) + 1


def _paragraphs(source: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the runs of non-blank lines."""
    runs: list[tuple[int, int]] = []
    start = None
    offset = 0
    for line in source.splitlines(keepends=True):
        if line.strip():
            start = offset if start is None else start
        elif start is not None:
            runs.append((start, offset))
            start = None
        offset += len(line)
    if start is not None:
        runs.append((start, offset))
    return runs


class _Deadline:
    """Raises :class:`MarkdownError` once ``seconds`` have passed since it was made;
    checked before every step of the renderer (each block and inline match)."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.until = clock() + seconds
        self.seconds = seconds

    def restart(self) -> None:
        """Give the next page its own ``seconds`` from now."""
        self.until = self.clock() + self.seconds

    def check(self) -> None:
        if self.clock() > self.until:
            raise MarkdownError(f"took over {self.seconds:g} s to render; split it or simplify it")

    def guard(self, step: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(step)
        def checked(*args: Any, **kwargs: Any) -> Any:
            self.check()
            return step(*args, **kwargs)

        return checked


def _renderer(deadline: _Deadline) -> markdown.Markdown:
    md = markdown.Markdown(extensions=["tables", "sane_lists"], output_format="html")
    for pattern in md.inlinePatterns:
        pattern.handleMatch = deadline.guard(pattern.handleMatch)  # type: ignore[method-assign]
        for scanner in ("getText", "getLink"):
            if hasattr(pattern, scanner):
                setattr(pattern, scanner, deadline.guard(getattr(pattern, scanner)))
    for processor in md.parser.blockprocessors:
        processor.run = deadline.guard(processor.run)  # type: ignore[method-assign]
    for stage in (md.preprocessors, md.treeprocessors, md.postprocessors):
        for step in stage:
            step.run = deadline.guard(step.run)  # type: ignore[method-assign]
    return md


def _bounded_html(source: str, clock: Callable[[], float]) -> str:
    size = len(source.encode("utf-8"))
    if size > MAX_MARKDOWN_BYTES:
        raise MarkdownError(f"is {size:,} bytes; a page is at most {MAX_MARKDOWN_BYTES:,} (256 KB)")
    problem = nesting_problem(source)
    if problem is not None:
        raise problem
    cost, line = scan_cost(source)
    if cost > MAX_SCAN_COST:
        raise MarkdownError(
            f"too slow to render from line {line} on (scan cost {cost:,}, at most {MAX_SCAN_COST:,}): "
            "close or escape (\\[ \\( \\< \\*) unclosed '[', '](', '<' and runs of '*' or '_', "
            "or split long paragraphs with blank lines",
            line,
        )
    deadline, md = _idle.pop(clock, (None, None))  # taken: a render that fails leaves it out
    if deadline is None or md is None:
        deadline = _Deadline(MAX_SECONDS, clock)
        md = _renderer(deadline)
    deadline.restart()
    try:
        html = md.reset().convert(source)
    except RecursionError:
        raise MarkdownError("is nested too deeply to render") from None
    _idle[clock] = (deadline, md)
    return html


_idle: dict[Callable[[], float], tuple[_Deadline, markdown.Markdown]] = {}
"""A renderer per clock, reused (reset) between pages: making one, with its extensions and
guards, took as long as rendering a short page. A thread or a failed render takes it out
of here, so no two pages ever share one at once, and one left half-way is never reused."""


def render_markdown(source: str, name: str, *, clock: Callable[[], float] = time.monotonic) -> TextPage:
    """Render ``source`` and sanitize it; a leading ``# Title`` becomes the page title.

    Raises :class:`MarkdownError` for a page over the bounds (size, nesting, scan cost,
    time; see the module's docstring). ``clock`` (seconds) is for tests.
    """
    rendered = _bounded_html(source, clock)
    title, body = _demote_headings(rendered)
    clean = nh3.clean(
        body,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    images = tuple(dict.fromkeys(html.unescape(m.group(2)) for m in _IMAGE_SRC.finditer(clean)))
    return TextPage(name=name, title=title or name.replace("-", " ").capitalize(), html=clean, images=images)


def is_remote(src: str) -> bool:
    """An image on another origin (``https://…``, ``//host/…``), not a file of the group."""
    return bool(re.match(r"[A-Za-z][A-Za-z0-9+.-]*:|//", src))


def with_image_urls(text: TextPage, urls: dict[str, str]) -> TextPage:
    """``text`` with each image ``src`` in ``urls`` replaced by its published URL."""
    if not urls or not text.images:
        return text

    def replace(match: re.Match[str]) -> str:
        url = urls.get(html.unescape(match.group(2)))
        return match.group(0) if url is None else f"{match.group(1)}{html.escape(url)}{match.group(3)}"

    return TextPage(text.name, text.title, _IMAGE_SRC.sub(replace, text.html), text.images)
