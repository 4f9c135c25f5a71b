"""The plan: a site's assets and pages as values, with every path and URL from one module,
made without writing anything; the renderer: a fresh one shares nothing with another."""

from __future__ import annotations

import posixpath
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from generator.load.loader import load_site
from generator.plan import urls
from generator.plan.pages import SitePlan
from generator.render.environment import Renderer
from generator.render.static import embed_loader


def files_under(root: Path) -> dict[str, float]:
    return {str(p): p.stat().st_mtime_ns for p in root.rglob("*")}


def test_planning_a_whole_site_writes_nothing(minisite: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    before = files_under(tmp_path)
    site = load_site(minisite)
    plan = SitePlan(site)
    shared = plan.shared_assets()
    planned = [plan.group(source, embed_loader()) for source in site.groups]
    plan.site_pages({})
    assert files_under(tmp_path) == before
    assert {asset.path for asset in shared} >= {urls.LOADER, plan.assets["css:site"]}
    assert all(pages for _, pages in planned)


def spa_plan(minisite: Path):
    """The planned assets and pages of the mini site's spa group, after the shared assets."""
    site = load_site(minisite)
    plan = SitePlan(site)
    plan.shared_assets()
    spa = next(source for source in site.groups if source.slug == "spa")
    return plan.group(spa, embed_loader())


def test_a_groups_pages_are_its_booking_page_and_widget_per_locale_and_its_embed_pages(minisite: Path) -> None:
    _, pages = spa_plan(minisite)
    assert sorted(page.path for page in pages) == sorted([
        "spa/embed.html",
        *(f"spa/{code}/{name}" for code in ("fr", "en") for name in ("index.html", "widget.html", "embed.html")),
    ])  # fmt: skip
    booking = next(page for page in pages if page.path == "spa/en/index.html")
    assert booking.context["canonical"] == "https://book.test/spa/en/"
    assert booking.context["links"].prefix == "../../"
    assert sum(not page.is_embed for page in pages) == 4


def test_a_groups_assets_have_content_hashed_names_in_its_folder(minisite: Path) -> None:
    assets, _ = spa_plan(minisite)
    own = [asset for asset in assets if asset.path.startswith("spa/")]
    assert own and all(asset.path == urls.hashed_path("spa", *_stem_suffix(asset.path), asset.data) for asset in own)


def _stem_suffix(path: str) -> tuple[str, str]:
    name = path.rsplit("/", 1)[1]
    stem, _hash, suffix = name.rsplit(".", 2)
    return stem, f".{suffix}"


@given(st.lists(st.from_regex(r"[a-z0-9-]{1,12}", fullmatch=True), min_size=1, max_size=6))
def test_the_root_prefix_of_any_page_leads_back_to_the_output_root(parts: list[str]) -> None:
    path = "/".join(parts)
    folder = posixpath.dirname(path)
    assert posixpath.normpath(posixpath.join("/out", folder, urls.root_prefix(path))) == "/out"


def test_root_prefix_at_the_root_and_one_folder_down() -> None:
    assert urls.root_prefix("index.html") == ""
    assert urls.root_prefix("spa/embed.html") == "../"
    assert urls.root_prefix("spa/fr/index.html") == "../../"


def test_page_urls_use_the_url_form_of_the_locale() -> None:
    assert urls.page_path("spa", "pt_BR", urls.WIDGET) == "spa/pt-BR/widget.html"
    assert urls.page_url("https://book.test/", "spa", "pt_BR") == "https://book.test/spa/pt-BR/"
    assert urls.sibling_href("en", urls.BOOKING) == "../en/"
    assert urls.sibling_href("en", urls.WIDGET) == "../en/widget.html"


def test_a_fresh_renderer_shares_no_environment_or_compiled_template_with_another(minisite: Path) -> None:
    site = load_site(minisite)
    plan = SitePlan(site)
    plan.shared_assets()
    _, pages = plan.group(site.groups[0], embed_loader())
    page = pages[0]
    first, second = Renderer(), Renderer()
    assert first.render(page.theme, page.locale, page.template, page.context, page.where)
    assert first.templates.code and not second.templates.code
    assert first.environment(page.theme, page.locale) is first.environment(page.theme, page.locale)
    assert second.environment(page.theme, page.locale) is not first.environment(page.theme, page.locale)


def test_the_loaders_two_path_rules_are_plan_urls_rules() -> None:
    """embed.js runs on the host's page, where no page data of bookgen's exists, so it
    carries two output-path rules as literals; each is checked against plan/urls.py:
    the site root from the versioned loader's folder, and a group's widget path."""
    import re

    source = (Path(__file__).resolve().parent.parent / "templates" / "static" / "embed.js").read_text("utf-8")
    folder, up, here = re.search(r'src\.includes\("/([a-z]+)/"\) \? "([./]+)" : "([./]+)"', source).groups()
    loader = embed_loader().path
    assert loader.startswith(f"{folder}/") and up == urls.root_prefix(loader)
    assert here == "./" and urls.root_prefix(urls.LOADER) == ""
    widget = re.search(r"new URL\(`\$\{group\}/\$\{([^}]+)\}/([a-z.]+)#\$\{hash\}`, base\)", source)
    assert widget is not None, "the loader no longer builds the widget's path as <slug>/<locale>/widget.html"
    assert f"SLUG/LOCALE/{widget.group(2)}" == urls.page_path("SLUG", "LOCALE", urls.WIDGET)
