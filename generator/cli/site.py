"""`bookgen build`, `merge`, `diff`, `check`, `schema`, `new`, `themes`, `snippet`: the site project's commands."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from .app import (
    SITE_ARGUMENT,
    _Progress,
    main,
    print_warnings,
    reports_site_errors,
    site_option,
    stops_on_sigterm,
)


@contextlib.contextmanager
def _names_out(out: Path) -> Iterator[None]:
    """A failing write that names no file (ENOSPC or EDQUOT in a worker's ``write()``, for
    one) becomes a problem located at OUT: ``out: cannot be built (No space left on
    device); the output folder is as it was``, instead of the bare reason."""
    try:
        yield
    except OSError as error:
        if error.filename is not None or not error.errno or click.get_current_context().find_root().params.get("debug"):
            raise
        from ..errors import Problem, SiteError

        reason = error.strerror or errno.errorcode.get(error.errno, str(error))
        raise SiteError([Problem(str(out), "", f"cannot be built ({reason}); the output folder is as it was")]) from None


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
    from ..build import build as run_build
    from ..plan.shards import parse_shard

    try:
        slice_ = parse_shard(shard) if shard else None
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--shard") from None
    progress = _Progress(enabled=not quiet)
    stops_on_sigterm()
    few_collections()
    try:
        with _names_out(out):
            result = run_build(site, out, strict=strict, progress=progress, jobs=jobs or os.cpu_count() or 1,
                               shard=slice_, incremental=not full, force=force)  # fmt: skip
    finally:
        progress.close()
    if quiet:
        return
    print_warnings(result.warnings)
    groups = f"{result.groups} group{'s' if result.groups != 1 else ''}"
    if result.unchanged:
        click.echo(f"Nothing changed: {out}/ is up to date ({groups}, {result.seconds:.2f}s)")
        return
    if result.rendered < result.groups:
        detail = f"{result.rendered} group{'s' if result.rendered != 1 else ''} rendered, {result.groups - result.rendered} unchanged"
    else:
        detail = f"{result.pages / max(result.seconds, 1e-9):.0f} pages/s; {result.rendered} groups rendered"
    click.echo(
        f"Built {result.pages} pages for {groups} in {len(result.locales)} locales into {out}/ "
        f"in {result.seconds:.2f}s ({detail})"
    )


YOUNG_OBJECTS = 100_000
"""Allocations between two collections of the garbage collector's youngest generation
during a build (Python's default: 700)."""


def few_collections() -> None:
    """Collect garbage less often for the rest of this process (a build, then exit), and
    not at all on the way out.

    A build allocates in bursts (parsed manifests, a page's strings) on top of objects
    that live until it ends, and each full collection walks all of them: in a one-group
    rebuild at 400 groups one landed in the directory page's render, 24 ms of the
    rebuild's 120 ms (7 ms without it). Fewer young collections mean fewer full ones;
    cycles are still collected, every :data:`YOUNG_OBJECTS` allocations. At exit the
    interpreter's last collection walked everything once more, 50 ms of a one-group
    rebuild at 800 groups: the objects are frozen first (``gc.freeze``), so it skips
    them; they are still freed, and the process ends anyway.
    """
    import atexit
    import gc

    gc.set_threshold(YOUNG_OBJECTS, *gc.get_threshold()[1:])
    atexit.register(gc.freeze)


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
    from ..merge import merge as run_merge

    stops_on_sigterm()
    with _names_out(out):
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
    from ..publish.manifest import diff as manifest_diff
    from ..publish.manifest import load_manifest_arg

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
    from ..load.checks import check as run_check
    from ..load.loader import load_site
    from ..render.site import trial_render

    loaded = load_site(site)
    trial_render(loaded)
    warnings = run_check(loaded)
    print_warnings(warnings)
    count = len(warnings)
    counted = f"{count} warning{'s' if count != 1 else ''}"
    if strict and warnings:
        click.echo(f"error: {site}: {counted} (listed above); --strict counts warnings as errors", err=True)
        sys.exit(1)
    click.echo(f"{site}: {len(loaded.groups)} groups valid, {counted}")


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
    from ..schemas import all_schemas

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
    scaffold = Path(__file__).parent.parent / "scaffold"
    shutil.copytree(scaffold, directory, dirs_exist_ok=True)
    click.echo(f"Created {directory}/. Next: bookgen serve {directory}")


@main.command()
@site_option("Site project whose own themes/ are listed too.")
@reports_site_errors
def themes(site: Path) -> None:
    """List the themes a site can use."""
    from ..themes import available_themes, load_theme

    given = click.get_current_context().get_parameter_source("site") != click.core.ParameterSource.DEFAULT
    if given and not site.is_dir():  # the default ./site may be absent: built-in themes only
        raise click.BadParameter(f"{site} is not a folder", param_hint="--site")
    project = (site / "themes",) if (site / "themes").is_dir() else ()
    for name in available_themes(project):
        theme = load_theme(name, project)
        origin = "project" if project and theme.folders[0].parent == project[0] else "built-in"
        click.echo(f"{name:<14} {origin:<9} {theme.description}")


@main.command()
@click.argument("slug")
@site_option("Site project holding groups/SLUG/.")
@click.option("--mode", type=click.Choice(["iframe", "inline", "popup", "button", "link"]), default="inline",
              show_default=True, help="How the booking appears on the host page.")
@click.option("--locale", default=None, help="Widget language (default: the site's default locale).")
@reports_site_errors
def snippet(slug: str, site: Path, mode: str, locale: str | None) -> None:
    """Print the HTML snippet that embeds group SLUG on another website."""
    from ..i18n import translations
    from ..load.loader import load_site
    from ..load.site import group_locales
    from ..render.snippets import snippet as make_snippet
    from ..render.static import embed_loader

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
