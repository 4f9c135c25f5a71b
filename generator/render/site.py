"""Rendering planned pages into an output: a group, the directory and sitemap, a trial run."""

from __future__ import annotations

import tempfile
from collections.abc import Collection
from pathlib import Path
from typing import Any

from ..errors import Problem, SiteError
from ..load.loader import GroupSource, Site
from ..plan.pages import SitePlan
from ..publish.output import Output
from .environment import Renderer

__all__ = ["render_group", "render_site_pages", "trial_render"]


def render_group(plan: SitePlan, renderer: Renderer, output: Output, source: GroupSource) -> int:
    """Write one group's assets and pages; returns the number of booking pages and widgets."""
    assets, pages = plan.group(source, renderer.embed_loader)
    output.write_assets(assets)
    for page in pages:
        output.write(page.path, renderer.render(page.theme, page.locale, page.template, page.context, page.where))
    return sum(not page.is_embed for page in pages)


def render_site_pages(
    plan: SitePlan, renderer: Renderer, output: Output, entries: dict[str, dict[str, Any]], skip: Collection[str] = ()
) -> None:
    """Write the directory and the sitemap of the groups ``entries`` describe, but for
    the paths in ``skip`` (carried over instead)."""
    for page in plan.site_pages(entries):
        if page.path in skip:
            continue
        output.write(page.path, renderer.render(page.theme, page.locale, page.template, page.context, page.where))


def trial_render(site: Site) -> None:
    """Render every page into a temporary folder that is then deleted (``bookgen check``),
    so a template that fails only while rendering is reported without writing anything.
    Raises :class:`SiteError` with each distinct template problem."""
    problems: list[Problem] = []
    plan, renderer = SitePlan(site), Renderer()
    with tempfile.TemporaryDirectory(prefix="bookgen-check-") as folder:
        output = Output(Path(folder))
        try:
            output.write_assets(plan.shared_assets())
        except SiteError as error:
            problems += error.problems
        for source in site.groups:
            try:
                render_group(plan, renderer, output, source)
            except SiteError as error:
                problems += [p for p in error.problems if p not in problems]
    if problems:
        raise SiteError(problems)
