"""The ``bookgen`` command line: parse, call, print. Logic lives in the modules.

Exit status: 0 success, 1 invalid input or a failing environment (every problem listed
as ``error: file: field.path: message`` or ``error: message``, the first 100 and then one
line counting the rest unless ``bookgen --all-errors``, no traceback, nothing written),
2 usage error, 143 stopped by SIGTERM. ``bookgen --debug`` shows the
traceback of an unexpected error instead of its one line.

``app`` holds the command group and what every command shares (error printing, SIGTERM,
progress); the commands live by what they work on: ``site`` (build, merge, diff, check,
schema, new, themes, snippet), ``remote`` (pull, push), ``servers`` (sandbox, serve,
gateway). Importing this package registers them all on :data:`main`.
"""

from __future__ import annotations

from . import remote, servers, site  # noqa: F401  (each registers its commands on main)
from .app import Terminated, main

__all__ = ["Terminated", "main"]
