"""`bookgen sandbox`, `serve` and `gateway`: the servers (loopback by default)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from .app import (
    APIKEY_FILE_OPTION,
    SITE_ARGUMENT,
    cannot_listen,
    error_limit,
    main,
    print_problems,
    reports_site_errors,
    warn,
)


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
    from ..sandbox import DEFAULT_APIKEY, DEFAULT_PRO, DEMO_ACCOUNT
    from ..sandbox.run import SandboxServer, read_secret

    if not site.is_dir():
        raise click.UsageError(f"{site} is not a folder (expected a site project)")
    apikey = read_secret(apikey_file, None) or DEFAULT_APIKEY
    password = read_secret(pro_password_file, "BOOKGEN_SANDBOX_PRO_PASSWORD") or DEFAULT_PRO[1]
    try:
        server = SandboxServer(
            site, host=host, port=port, apikey=apikey, pro_email=pro_email, pro_password=password
        )
    except OSError as error:
        cannot_listen(host, port, error)
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
    import os
    import threading
    import webbrowser

    from ..preview.serve import preview_server
    from ..preview.server import is_loopback

    if not site.is_dir():
        raise click.UsageError(f"{site} is not a folder (expected a site project)")
    try:
        server = preview_server(site, host=host, port=port, livereload=livereload, log=click.echo,
                                max_errors=error_limit())  # fmt: skip
    except OSError as error:
        cannot_listen(host, port, error)
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
    from ..gateway.errors import ConfigError
    from ..gateway.server import listening_socket, run
    from ..gateway.settings import Settings

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
        print_problems(error.problems)
        sys.exit(1)
    shown = f"[{host}]" if ":" in host else host

    def announce(bound: int) -> None:  # the real port, also when --port 0 let the system choose
        click.echo(f"bookgen gateway on http://{shown}:{bound} -> {settings.upstream} "
                   f"({workers} worker{'s' if workers != 1 else ''}; Ctrl-C to stop)", err=True)  # fmt: skip

    try:
        sock = listening_socket(host, port)
    except OSError as error:
        cannot_listen(host, port, error)
    run(env, sock, workers=workers, forwarded_allow_ips=forwarded_allow_ips, announce=announce)
