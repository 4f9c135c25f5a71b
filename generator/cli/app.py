"""The ``bookgen`` command group and what every command shares: the site argument, error
printing (one line per problem, the first 100 unless ``--all-errors``, exit status from
the error), SIGTERM as a clean stop, and build progress on a terminal."""

from __future__ import annotations

import errno
import functools
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from .. import __version__
from ..errors import MAX_LISTED, BookgenError, listed

F = TypeVar("F", bound=Callable[..., Any])

SITE_ARGUMENT = click.argument(
    "site", default="site", type=click.Path(file_okay=False, path_type=Path), metavar="[SITE]"
)


def site_option(help: str) -> Callable[[F], F]:
    """``--site DIR`` for commands whose argument is not the site (default ``site``)."""
    return click.option(
        "--site",
        "site",
        default="site",
        type=click.Path(file_okay=False, path_type=Path),
        show_default=True,
        help=help,
    )


class Terminated(BaseException):
    """SIGTERM arrived: unwind like Ctrl-C (workers stopped, staging removed, lock released)."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


def stops_on_sigterm() -> None:
    """Make SIGTERM unwind the command (see :class:`Terminated`) instead of killing it
    with its workers still rendering and the output's lock held."""
    signal.signal(signal.SIGTERM, _terminate)


def os_error_line(error: OSError) -> str:
    """``file: reason`` for a failing filesystem call (disk full, read-only, busy...)."""
    reason = error.strerror or str(error)
    if error.filename is None:
        return reason
    return f"{os.fsdecode(error.filename)}: {reason}".encode("utf-8", "backslashreplace").decode("utf-8")


def cannot_listen(host: str, port: int, error: OSError) -> None:
    """Say why a server cannot bind ``host:port`` in one line (a busy port suggests the
    next one), exit 1. Shared by ``sandbox``, ``serve`` and ``gateway``."""
    if error.errno == errno.EADDRINUSE:
        _error(f"port {port} on {host} is in use; try --port {port + 1}")
    else:
        _error(f"cannot listen on {host}:{port} ({error.strerror or error})")
    sys.exit(1)


def _error(message: str) -> None:
    click.echo(click.style("error: ", fg="red", bold=True) + message, err=True)


def error_limit() -> int | None:
    """How many problems the running command prints: :data:`~generator.errors.MAX_LISTED`,
    or ``None`` (all) when it runs as ``bookgen --all-errors ...``."""
    context = click.get_current_context(silent=True)
    every = context is not None and bool(context.find_root().params.get("all_errors"))
    return None if every else MAX_LISTED


def print_problems(problems: Sequence[object]) -> None:
    """One ``error:`` line per problem on stderr, in the order given, up to
    :func:`error_limit`, then one line counting the rest."""
    for line in listed(problems, error_limit()):
        _error(line)


class _Main(click.Group):
    """The command group; every error a command lets through becomes one line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Terminated:
            _error("stopped by SIGTERM; the output folder is as it was")
            sys.exit(143)
        except BookgenError as error:  # from a command without its own report
            print_problems(error.problems)
            sys.exit(error.exit_code)
        except OSError as error:
            if ctx.params.get("debug"):
                raise
            _error(os_error_line(error))
            sys.exit(1)
        except Exception as error:
            if ctx.params.get("debug"):
                raise
            _error(f"{type(error).__name__}: {str(error)[:300]} (a bug in bookgen; `bookgen --debug ...` shows where)")
            sys.exit(1)


def reports_site_errors(command: F) -> F:
    """Turn any :class:`BookgenError` into the documented output and its exit status."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except BookgenError as error:
            print_problems(error.problems)
            count = len(error.problems)
            click.echo(f"{count} problem{'s' if count != 1 else ''} found; nothing was written.", err=True)
            sys.exit(error.exit_code)

    return wrapper  # type: ignore[return-value]


def warn(message: str) -> None:
    click.echo(click.style("warning: ", fg="yellow", bold=True) + message, err=True)


def print_warnings(warnings: Sequence[object]) -> None:
    """One ``warning:`` line per warning, capped like :func:`print_problems`."""
    for line in listed(warnings, error_limit(), noun="warning"):
        warn(line)


class _Progress:
    """A progress line on a terminal for builds that take over a second; silent otherwise."""

    def __init__(self, *, enabled: bool = True) -> None:
        self.started = time.monotonic()
        self.shown = False
        self.enabled = enabled and sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or time.monotonic() - self.started < 1.0:
            return
        width = 30
        filled = width * done // max(total, 1)
        bar = "#" * filled + "-" * (width - filled)
        elapsed = time.monotonic() - self.started
        click.echo(f"\r  [{bar}] {done}/{total} groups  {elapsed:.0f}s", err=True, nl=False)
        self.shown = True

    def close(self) -> None:
        if self.shown:
            click.echo("\r" + " " * 60 + "\r", err=True, nl=False)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", "-V", prog_name="bookgen")
@click.option("--debug", is_flag=True, help="Show a traceback for unexpected and filesystem errors.")
@click.option(
    "--all-errors", is_flag=True, help=f"List every problem (default: the first {MAX_LISTED}, then a count)."
)
def main(debug: bool, all_errors: bool) -> None:
    """Build localized booking pages and embeddable widgets for ClicRDV groups.

    A site project (default: ./site) holds site.toml and groups/<slug>/ folders with
    the Group API's JSON. Start with `bookgen new mysite`, preview with
    `bookgen serve`, publish the output of `bookgen build`.
    """


APIKEY_FILE_OPTION = click.option(
    "--apikey-file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PATH",
    help="File holding the API key (default: $BOOKGEN_APIKEY). Never pass the key itself.",
)

