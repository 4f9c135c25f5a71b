"""`bookgen pull` and `push`: groups from ClicRDV's Group API into the site project, settings back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .app import (
    SITE_ARGUMENT,
    F,
    main,
    print_warnings,
    reports_site_errors,
    site_option,
    warn,
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
    from ..remote import GroupAPI, Limits, read_credentials
    from ..remote.pull import site_api_url

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
    from ..remote.pull import pull_site

    if every and group_ids:
        raise click.UsageError("use --group or --all, not both")
    with open_api(site, remote) as api:
        result = pull_site(site, api, group_ids, every=every)
    for pulled in result.groups:
        click.echo(f"{pulled.status:<9} {site / 'groups' / pulled.slug}  (group {pulled.id}: {pulled.name})")
    print_warnings(result.warnings)
    counts = {s: sum(g.status == s for g in result.groups) for s in ("created", "updated", "unchanged")}
    count = len(result.groups)
    click.echo(f"Pulled {count} group{'' if count == 1 else 's'}: " + ", ".join(f"{n} {s}" for s, n in counts.items()))




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
    from ..remote import push as pushing

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
