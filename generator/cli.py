"""The ``bookgen`` command line: parse, call, print. Logic lives in the modules.

Exit status: 0 success, 1 invalid input or a failing environment (every problem listed
as ``error: file: field.path: message`` or ``error: message``, no traceback, nothing
written), 2 usage error, 143 stopped by SIGTERM. ``bookgen --debug`` shows the
traceback of an unexpected error instead of its one line.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__
from .errors import BookgenError

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


def _error(message: str) -> None:
    click.echo(click.style("error: ", fg="red", bold=True) + message, err=True)


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
            for problem in error.problems:
                _error(str(problem))
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
            for problem in error.problems:
                click.echo(click.style("error: ", fg="red", bold=True) + str(problem), err=True)
            count = len(error.problems)
            click.echo(f"{count} problem{'s' if count != 1 else ''} found; nothing was written.", err=True)
            sys.exit(error.exit_code)

    return wrapper  # type: ignore[return-value]


def warn(message: str) -> None:
    click.echo(click.style("warning: ", fg="yellow", bold=True) + message, err=True)


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
def main(debug: bool) -> None:
    """Build localized booking pages and embeddable widgets for ClicRDV groups.

    A site project (default: ./site) holds site.toml and groups/<slug>/ folders with
    the Group API's JSON. Start with `bookgen new mysite`, preview with
    `bookgen serve`, publish the output of `bookgen build`.
    """


@main.command()
@SITE_ARGUMENT
@click.option(
    "-o",
    "--out",
    default="build",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder.",
)
@click.option(
    "--strict", is_flag=True, help="Fail on warnings (contrast below WCAG AA, missing translations)."
)
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes rendering groups  [default: the number of cores]")
@click.option("--shard", default=None, metavar="I/N",
              help="Build only slice I of N (a stable partition by group), for CI matrices; "
              "combine the slices with `bookgen merge`.")
@click.option("--full", is_flag=True,
              help="Render everything, ignoring what the previous build in OUT can be reused for.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--force", is_flag=True,
              help="Build into a non-empty OUT that bookgen did not write: its contents are moved "
              "aside to .OUT.displaced-<time>, never deleted.")
@reports_site_errors
def build(
    site: Path, out: Path, strict: bool, jobs: int | None, shard: str | None, full: bool, quiet: bool, force: bool
) -> None:
    """Build SITE into OUT: pages, widgets, embed pages, assets, sitemap, manifest.

    Incremental: groups whose files did not change since the last build into OUT are
    carried over, not rendered again (templates, themes, site.toml or a new bookgen
    version rebuild everything). The output is replaced atomically: a failed or
    interrupted build leaves OUT as it was.
    """
    from .build import build as run_build
    from .plan.shards import parse_shard

    try:
        slice_ = parse_shard(shard) if shard else None
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--shard") from None
    progress = _Progress(enabled=not quiet)
    stops_on_sigterm()
    try:
        result = run_build(site, out, strict=strict, progress=progress, jobs=jobs or os.cpu_count() or 1,
                           shard=slice_, incremental=not full, force=force)  # fmt: skip
    finally:
        progress.close()
    if quiet:
        return
    for message in result.warnings:
        warn(message)
    groups = f"{result.groups} group{'s' if result.groups != 1 else ''}"
    if result.unchanged:
        click.echo(f"Nothing changed: {out}/ is up to date ({groups}, {result.seconds:.2f}s)")
        return
    if result.rendered < result.groups:
        detail = f"{result.rendered} rendered, {result.groups - result.rendered} unchanged"
    else:
        detail = f"{result.pages / max(result.seconds, 1e-9):.0f} pages/s; {result.rendered} rendered"
    click.echo(
        f"Built {result.pages} pages for {groups} in {len(result.locales)} locales into {out}/ "
        f"in {result.seconds:.2f}s ({detail})"
    )


@main.command(short_help="Combine --shard slices into one output.")
@click.argument("slices", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-o", "--out", default="build", show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="Where the merged output goes (replaced atomically).")
@site_option("The site project the slices were built from (for the directory page).")
@click.option("--force", is_flag=True, help="Merge into a non-empty OUT bookgen did not write (moved aside).")
@reports_site_errors
def merge(slices: tuple[Path, ...], out: Path, site: Path, force: bool) -> None:
    """Combine the outputs of `bookgen build --shard i/N` (one per CI machine) into OUT.

    The slices must come from the same site and bookgen version and cover 1..N once
    each. Their files are carried over (hard links on one filesystem); the directory,
    sitemap and manifest are made for all groups.
    """
    from .merge import merge as run_merge

    stops_on_sigterm()
    groups, seconds = run_merge(site, out, list(slices), force=force)
    click.echo(f"Merged {len(slices)} slices ({groups} groups) into {out}/ in {seconds:.2f}s")


@main.command(short_help="Files to upload and delete for an incremental CDN sync.")
@click.argument("old", type=click.Path(exists=True, path_type=Path))
@click.argument("new", type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help='Print {"upload": [...], "delete": [...]} instead.')
def diff(old: Path, new: Path, as_json: bool) -> None:
    """Files to upload and delete to turn a copy of OLD into NEW (build folders or manifest.json).

    For an incremental CDN sync: upload the listed files, then manifest.json, then
    delete the old ones. Lines read `upload PATH` / `delete PATH`; a summary goes to stderr.
    """
    from .publish.manifest import diff as manifest_diff
    from .publish.manifest import load_manifest_arg

    try:
        upload, delete = manifest_diff(load_manifest_arg(old), load_manifest_arg(new))
    except ValueError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps({"upload": upload, "delete": delete}, indent=1))
    else:
        for path in upload:
            click.echo(f"upload {path}")
        for path in delete:
            click.echo(f"delete {path}")
    click.echo(f"{len(upload)} to upload, {len(delete)} to delete", err=True)


@main.command()
@SITE_ARGUMENT
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
@reports_site_errors
def check(site: Path, strict: bool) -> None:
    """Validate SITE without writing anything; report contrast and locale warnings."""
    from .load.checks import check as run_check
    from .load.loader import load_site
    from .render.site import trial_render

    loaded = load_site(site)
    trial_render(loaded)
    warnings = run_check(loaded)
    for message in warnings:
        warn(message)
    count = len(warnings)
    click.echo(f"{site}: {len(loaded.groups)} groups valid, {count} warning{'s' if count != 1 else ''}")
    if strict and warnings:
        sys.exit(1)


@main.command()
@click.option(
    "-o",
    "--out",
    default=None,
    type=click.Path(file_okay=False, path_type=Path),
    help="Write group.schema.json, page.schema.json, site.schema.json here "
    "(default: print the group schema).",
)
def schema(out: Path | None) -> None:
    """JSON Schema of group.json, page.toml and site.toml, for editors."""
    from .schemas import all_schemas

    schemas = all_schemas()
    if out is None:
        click.echo(json.dumps(schemas["group.schema.json"], indent=2))
        return
    out.mkdir(parents=True, exist_ok=True)
    for name, body in schemas.items():
        (out / name).write_text(json.dumps(body, indent=2) + "\n", "utf-8")
        click.echo(f"wrote {out / name}")


@main.command()
@click.argument("directory", type=click.Path(path_type=Path))
def new(directory: Path) -> None:
    """Create a working site project in DIRECTORY (which must not exist or be empty)."""
    if directory.exists() and any(directory.iterdir()):
        raise click.UsageError(f"{directory} exists and is not empty")
    scaffold = Path(__file__).parent / "scaffold"
    shutil.copytree(scaffold, directory, dirs_exist_ok=True)
    click.echo(f"Created {directory}/. Next: bookgen serve {directory}")


@main.command()
@site_option("Site project whose own themes/ are listed too.")
@reports_site_errors
def themes(site: Path) -> None:
    """List the themes a site can use."""
    from .themes import available_themes, load_theme

    project = (site / "themes",) if (site / "themes").is_dir() else ()
    for name in available_themes(project):
        theme = load_theme(name, project)
        origin = "project" if project and theme.folders[0].parent == project[0] else "built-in"
        click.echo(f"{name:<14} {origin:<9} {theme.description}")


APIKEY_FILE_OPTION = click.option(
    "--apikey-file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PATH",
    help="File holding the API key (default: $BOOKGEN_APIKEY). Never pass the key itself.",
)


def _secret_file_option(flag: str, what: str, variable: str) -> Callable[[F], F]:
    """``--<secret>-file PATH``: a file holding ``what`` (else the environment's ``variable``)."""
    return click.option(
        flag, type=click.Path(dir_okay=False, path_type=Path), metavar="PATH",
        help=f"File holding {what} (default: ${variable}).",
    )  # fmt: skip


def remote_options(command: F) -> F:
    """The options `pull` and `push` share: where the API is, how to sign in, how long to try.

    Secrets come from the environment or files only (generator/remote/credentials.py).
    """
    options = [
        click.option(
            "--api-url",
            metavar="URL",
            help="API base URL (default: site.toml's [booking] api_base_url if absolute, "
            "else https://www.clicrdv.com/api/v1).",
        ),
        _secret_file_option("--apikey-file", "the API key", "BOOKGEN_APIKEY"),
        _secret_file_option("--pro-email-file", "the Pro login's email", "BOOKGEN_PRO_EMAIL"),
        _secret_file_option("--pro-password-file", "the Pro login's password", "BOOKGEN_PRO_PASSWORD"),
        click.option(
            "--auth",
            type=click.Choice(["basic", "session"]),
            default="basic",
            show_default=True,
            help="Send the Pro login as HTTP Basic on every request, or once to sessions/login.",
        ),
        click.option(
            "--deadline",
            type=click.FloatRange(min=1, max=86400),
            default=900,
            show_default=True,
            metavar="SECONDS",
            help="Stop the whole run after this long.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def open_api(site: Path, remote: dict[str, Any]) -> Any:
    """A :class:`generator.remote.GroupAPI` from the shared options (secrets read first)."""
    from .remote import GroupAPI, Limits, read_credentials
    from .remote.pull import site_api_url

    credentials = read_credentials(
        apikey_file=remote["apikey_file"],
        email_file=remote["pro_email_file"],
        password_file=remote["pro_password_file"],
        auth=remote["auth"],
    )
    url, source = site_api_url(site, remote["api_url"])
    return GroupAPI(url, credentials, limits=Limits(deadline=remote["deadline"]), url_source=source)


@main.command()
@SITE_ARGUMENT
@click.option(
    "--group",
    "group_ids",
    type=click.IntRange(min=1),
    multiple=True,
    metavar="ID",
    help="Pull this group (repeatable).",
)
@click.option("--all", "every", is_flag=True, help="Pull every group the Pro login can read.")
@remote_options
@reports_site_errors
def pull(site: Path, group_ids: tuple[int, ...], every: bool, **remote: Any) -> None:
    """Copy groups from the Group API into SITE/groups/<slug>/.

    Without --group or --all, refreshes the groups SITE already holds. Writes the
    group's JSON files deterministically, all or nothing; never overwrites page.toml
    or pages/. Needs an API key and a Pro login (see docs/api-client.md).
    """
    from .remote.pull import pull_site

    if every and group_ids:
        raise click.UsageError("use --group or --all, not both")
    with open_api(site, remote) as api:
        result = pull_site(site, api, group_ids, every=every)
    for pulled in result.groups:
        click.echo(f"{pulled.status:<9} {site / 'groups' / pulled.slug}  (group {pulled.id}: {pulled.name})")
    for message in result.warnings:
        warn(message)
    counts = {s: sum(g.status == s for g in result.groups) for s in ("created", "updated", "unchanged")}
    click.echo(f"Pulled {len(result.groups)} groups: " + ", ".join(f"{n} {s}" for s, n in counts.items()))


@main.command()
@SITE_ARGUMENT
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback keeps it private)."
)
@click.option(
    "--port", default=8001, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on."
)
@APIKEY_FILE_OPTION
@click.option(
    "--pro-email",
    default="pro@example.test",
    show_default=True,
    envvar="BOOKGEN_SANDBOX_PRO_EMAIL",
    help="Email of the Pro login (or $BOOKGEN_SANDBOX_PRO_EMAIL).",
)
@click.option(
    "--pro-password-file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PATH",
    help="File holding the Pro password (default: $BOOKGEN_SANDBOX_PRO_PASSWORD, else 'sandbox').",
)
@reports_site_errors
def sandbox(
    site: Path, host: str, port: int, apikey_file: Path | None, pro_email: str, pro_password_file: Path | None
) -> None:
    """Serve a stand-in for ClicRDV API v1 over SITE's groups on loopback.

    The documented paths under /api/v1/ (apikey in the query, HTTP Basic or
    sessions/login), seeded from the site's files; bookings live in memory.
    The key defaults to 'sandbox' (--apikey-file to choose one).
    """
    from .sandbox import DEFAULT_APIKEY, DEFAULT_PRO, DEMO_ACCOUNT
    from .sandbox.run import SandboxServer, read_secret

    if not site.is_dir():
        raise click.UsageError(f"{site} is not a folder (expected a site project)")
    apikey = read_secret(apikey_file, None) or DEFAULT_APIKEY
    password = read_secret(pro_password_file, "BOOKGEN_SANDBOX_PRO_PASSWORD") or DEFAULT_PRO[1]
    try:
        server = SandboxServer(
            site, host=host, port=port, apikey=apikey, pro_email=pro_email, pro_password=password
        )
    except OSError as error:
        click.echo(f"error: cannot listen on {host}:{port} ({error.strerror})", err=True)
        sys.exit(1)
    if not server.loopback:
        warn(f"listening on {host}: anyone on your network can reach this sandbox API")

    def announce() -> None:
        click.echo(f"ClicRDV v1 sandbox for {site} on {server.url}api/v1/ (Ctrl-C to stop)")
        click.echo(f"  groups:  {', '.join(str(g) for g in server.group_ids) or 'none (no group.json has an id)'}")
        click.echo(f"  apikey:  {apikey if apikey == DEFAULT_APIKEY else 'from ' + str(apikey_file)}")
        shown = password if password == DEFAULT_PRO[1] else "(from your file or environment)"
        click.echo(f"  Pro:     {pro_email} / {shown}  (HTTP Basic, or sessions/login with pro[...])")
        click.echo(f"  Account: {DEMO_ACCOUNT[0]} / {DEMO_ACCOUNT[1]}  (in every group; account[...])")
        click.echo(f"  emails:  {server.url}sandbox/outbox?apikey=... lists confirmation links")

    server.run(announce)
    click.echo("\nStopped.")


@main.command()
@click.argument("slug")
@site_option("Site project holding groups/SLUG/.")
@click.option("--dry-run", is_flag=True, help="Show what would change; send nothing.")
@click.option("-y", "--yes", is_flag=True, help="Send without asking (for scripts and CI).")
@remote_options
@reports_site_errors
def push(slug: str, site: Path, dry_run: bool, yes: bool, **remote: Any) -> None:
    """Send group SLUG's theme and booking settings back to the Group API.

    Only the fields bookgen owns (usercolors, calendarChoice, anyCalendar,
    max_multirdvs, display_intervention_length/price, currency_code) are sent, and
    only those that differ from the server's current group. Asks first unless --yes.
    """
    from .remote import push as pushing

    source = pushing.load_group(site, slug)
    group_id = pushing.local_group_id(source)
    if not (dry_run or yes or pushing.stdin_is_interactive()):
        raise click.UsageError("cannot ask for confirmation without a terminal; pass --yes (or --dry-run)")
    with open_api(site, remote) as api:
        plan = pushing.plan_push(source, api.get_group(group_id))
        if plan.not_pushed:
            warn(f"changed locally but not pushed (owned by ClicRDV Pro): {', '.join(plan.not_pushed)}")
        if not plan.changes:
            click.echo(f"group {group_id} ({slug}) is up to date; nothing to push")
            return
        count = f"{len(plan.changes)} field{'s' if len(plan.changes) != 1 else ''}"
        click.echo(f"group {group_id} ({slug}), server → local:")
        for change in plan.changes:
            for line in change.lines():
                click.echo(f"  {api.redact(line)}")
        if dry_run:
            click.echo(f"dry run: {count} would be sent; nothing was sent")
            return
        if not yes:
            click.confirm(f"Push {count} to group {group_id}?", abort=True)
        pushing.send(api, plan)
    click.echo(f"Pushed {count} to group {group_id} ({slug})")


@main.command()
@SITE_ARGUMENT
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback keeps it private).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--open/--no-open", "open_browser", default=None,
              help="Open a browser (default: on a terminal, outside CI).")
@click.option("--livereload/--no-livereload", default=True, show_default=True,
              help="Reload open pages after each rebuild.")
def serve(site: Path, host: str, port: int, open_browser: bool | None, livereload: bool) -> None:
    """Preview SITE with live reload and the sandbox booking API.

    Rebuilds only what an edit affects, shows input errors in the browser over the
    last good build, and never writes to build/ (it renders into a temporary folder).
    """
    import errno
    import os
    import threading
    import webbrowser

    from .preview.server import PreviewServer, is_loopback

    if not site.is_dir():
        raise click.UsageError(f"{site} is not a folder (expected a site project)")
    try:
        server = PreviewServer(site, host=host, port=port, livereload=livereload, log=click.echo)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            click.echo(f"error: port {port} on {host} is in use; try --port {port + 1}", err=True)
        else:
            click.echo(f"error: cannot listen on {host}:{port} ({error.strerror})", err=True)
        sys.exit(1)
    if not is_loopback(host):
        warn(f"listening on {host}: anyone on your network can see this preview and its sandbox API")
    server.handle_signals()
    server.first_build()
    click.echo(f"Serving {site} on {server.url} (Ctrl-C to stop)")
    if open_browser is None:
        open_browser = sys.stdout.isatty() and not os.environ.get("CI")
    if open_browser:
        threading.Timer(0.3, webbrowser.open, [server.url]).start()
    try:
        server.run()
    finally:
        server.close()
    click.echo("\nStopped.")


@main.command(short_help="Run the booking gateway (pages → ClicRDV).")
@click.option("--upstream", metavar="URL", default=None,
              help="ClicRDV's root, e.g. https://www.clicrdv.com (default: $BOOKGEN_UPSTREAM).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8002, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Worker processes.")
@click.option("--allow-origin", "allow_origins", multiple=True, metavar="ORIGIN",
              help="Another origin whose pages may book through the gateway (repeatable).")
@click.option("--group", "groups", multiple=True, type=click.IntRange(min=1), metavar="ID",
              help="Serve only this group (repeatable; default: every group the Pro login sees).")
@click.option("--storage", default=None, metavar="URI",
              help="memory:// (default) or redis://host:6379/0 for rate limits and Idempotency-Keys "
              "shared by every instance (a password belongs in $BOOKGEN_STORAGE, not here).")
@click.option("--rate-read", default=None, metavar="RATE", help="Reads per client IP  [default: 120/minute]")
@click.option("--rate-write", default=None, metavar="RATE", help="Writes per client IP  [default: 10/minute]")
@click.option("--apikey-file", type=click.Path(dir_okay=False), help="File holding the API key (or $BOOKGEN_APIKEY).")
@click.option("--secret-file", type=click.Path(dir_okay=False),
              help="File holding the cookie secret, 32+ characters (or $BOOKGEN_SECRET).")
@click.option("--pro-email-file", type=click.Path(dir_okay=False), help="Pro login's email (or $BOOKGEN_PRO_EMAIL).")
@click.option("--pro-password-file", type=click.Path(dir_okay=False),
              help="Pro login's password (or $BOOKGEN_PRO_PASSWORD).")
@click.option("--forwarded-allow-ips", default="127.0.0.1", show_default=True, metavar="IPS",
              help="Proxies whose X-Forwarded-For names the client (for rate limits).")
def gateway(upstream: str | None, host: str, port: int, workers: int, allow_origins: tuple[str, ...],
            groups: tuple[int, ...], storage: str | None, rate_read: str | None, rate_write: str | None,
            apikey_file: str | None, secret_file: str | None, pro_email_file: str | None,
            pro_password_file: str | None, forwarded_allow_ips: str) -> None:  # fmt: skip
    """Serve ClicRDV's booking paths under /api/v1 for static pages, holding the API key.

    Secrets come from the environment or files only (see docs/deploy.md): the API key,
    the cookie secret and the Pro login used for clients without an account. Refuses
    to start without them. Stops gently on SIGTERM or Ctrl-C.
    """
    from .gateway.errors import ConfigError
    from .gateway.server import run
    from .gateway.settings import Settings

    env = dict(os.environ)
    flags = {"BOOKGEN_UPSTREAM": upstream, "BOOKGEN_STORAGE": storage, "BOOKGEN_RATE_READ": rate_read,
             "BOOKGEN_RATE_WRITE": rate_write, "BOOKGEN_APIKEY_FILE": apikey_file,
             "BOOKGEN_SECRET_FILE": secret_file, "BOOKGEN_PRO_EMAIL_FILE": pro_email_file,
             "BOOKGEN_PRO_PASSWORD_FILE": pro_password_file,
             "BOOKGEN_ALLOW_ORIGINS": " ".join(allow_origins) or None,
             "BOOKGEN_GROUPS": " ".join(map(str, groups)) or None}  # fmt: skip
    for name, value in flags.items():
        if value is not None:
            env[name] = str(value)
            if name.endswith("_FILE"):
                env.pop(name.removesuffix("_FILE"), None)  # the file named on the command line wins
    try:
        settings = Settings.from_env(env)
    except ConfigError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"bookgen gateway on http://{shown}:{port} -> {settings.upstream} "
               f"({workers} worker{'s' if workers != 1 else ''}; Ctrl-C to stop)", err=True)  # fmt: skip
    run(env, host=host, port=port, workers=workers, forwarded_allow_ips=forwarded_allow_ips)


@main.command()
@click.argument("slug")
@site_option("Site project holding groups/SLUG/.")
@click.option("--mode", type=click.Choice(["iframe", "inline", "popup", "button", "link"]), default="inline",
              show_default=True, help="How the booking appears on the host page.")
@click.option("--locale", default=None, help="Widget language (default: the site's default locale).")
@reports_site_errors
def snippet(slug: str, site: Path, mode: str, locale: str | None) -> None:
    """Print the HTML snippet that embeds group SLUG on another website."""
    from .i18n import translations
    from .load.loader import load_site
    from .load.site import group_locales
    from .render.snippets import snippet as make_snippet
    from .render.static import embed_loader

    loaded = load_site(site, only=lambda name: name == slug)
    if not loaded.groups:
        raise click.UsageError(f"no group {slug!r} in {site}/groups/")
    source = loaded.groups[0]
    locales = group_locales(loaded.config, source)
    chosen = locale or loaded.config.site.default_locale or locales[0]
    code = chosen.replace("-", "_")  # as the site lists locales ("pt_BR" for "pt-BR")
    if code not in locales:
        raise click.UsageError(f"{slug} is built in {', '.join(locales)}, not {chosen}")
    label = translations(code).gettext("Book an appointment")
    click.echo(make_snippet(loaded.config, source, mode, code, embed_loader(), label))
