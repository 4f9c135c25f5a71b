"""What the preview adds to pages: the reload client, the error overlay, its own pages.

Every text taken from a problem is escaped (file names, field paths and messages are
the user's input) and shown with :func:`printable`.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from ..errors import Problem

__all__ = ["ERROR_PAGE", "NOT_FOUND_PAGE", "OVERLAY_CSS", "decorate", "printable"]

OVERLAY_CSS = (
    "#bookgen-error{position:fixed;inset:0 0 auto 0;z-index:2147483647;max-block-size:70vh;overflow:auto;"
    "margin:0;padding:1rem 1.25rem;background:#2b0b0b;color:#fff;font:14px/1.5 ui-monospace,monospace;"
    "border-block-end:4px solid #ff5c5c;box-shadow:0 4px 16px rgb(0 0 0/.4)}"
    "#bookgen-error h2{margin:0 0 .5rem;font:700 16px/1.3 system-ui,sans-serif;color:#ffb3b3}"
    "#bookgen-error ul{margin:0;padding:0;list-style:none}#bookgen-error li{margin:.25rem 0;white-space:pre-wrap}"
    "#bookgen-error .where{color:#ffd479}#bookgen-error .path{color:#9ad0ff}"
    "#bookgen-error p{margin:.5rem 0 0;font-family:system-ui,sans-serif;color:#ddd}"
)
ERROR_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bookgen: errors</title>'
    "</head><body><main><h1>The site could not be built</h1></main></body></html>"
)
NOT_FOUND_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not found</title></head>'
    '<body><main><h1>Not found</h1><p><a href="/">All groups</a></p></main></body></html>'
)


def printable(text: str) -> str:
    """``text`` with the undecodable bytes of non-UTF-8 file names (kept by Python as lone
    surrogates, which no encoder accepts) shown as ``\\xff`` (review D17)."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _problem_items(problems: Sequence[Problem]) -> str:
    items = []
    for problem in problems:
        where = problem.file if problem.line is None else f"{problem.file}:{problem.line}"
        path = f' <span class="path">{html.escape(printable(problem.path))}</span>' if problem.path else ""
        where, message = html.escape(printable(where)), html.escape(printable(problem.message))
        items.append(f'<li><span class="where">{where}</span>{path}: {message}</li>')
    return "".join(items)


def decorate(page: str, problems: Sequence[Problem], reload_port: int | None, generation: int = 0) -> str:
    """``page`` with the reload client (``reload_port``: the preview's port, or None when
    live reload is off: livereload.js and the preview's plugin, ``client.js``, told the
    ``generation`` (rebuild count) the page was served at) and, while ``problems`` is not
    empty, the error overlay."""
    head = ""
    if reload_port is not None:
        # Deferred (in this order, after the page's own module): the page paints without them.
        head += (
            f'<script defer src="/livereload.js?port={reload_port}"></script>'
            f'<script defer src="/__bookgen__/preview.js" data-generation="{generation}"></script>'
        )
    if problems:
        head += '<link rel="stylesheet" href="/__bookgen__/overlay.css">'
        overlay = (
            '<section id="bookgen-error" role="alert"><h2>bookgen: the site has errors</h2>'
            f"<ul>{_problem_items(problems)}</ul>"
            "<p>Showing the last good build. Fix the file and this page reloads by itself.</p></section>"
        )
        page = _after_body_tag(page, overlay)
    return page.replace("</head>", head + "</head>", 1)


def _after_body_tag(page: str, fragment: str) -> str:
    start = page.find("<body")
    end = page.find(">", start) if start != -1 else -1
    if end == -1:
        return fragment + page
    return page[: end + 1] + fragment + page[end + 1 :]
