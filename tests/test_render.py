"""What a page says about itself: head metadata, JSON-LD, hreflang, CSP, theme overrides."""

from __future__ import annotations

import html as html_lib
import json
import re
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest
import rcssmin

from generator.build import build
from generator.errors import SiteError
from generator.render.environment import template_problem
from generator.themes import TEMPLATES_DIR, THEMES_DIR


@pytest.fixture
def out(minisite: Path, tmp_path: Path) -> Path:
    target = tmp_path / "out"
    build(minisite, target)
    return target


def head(html: str, pattern: str) -> list[str]:
    return re.findall(pattern, html.split("</head>")[0])


def test_head_carries_lang_dir_title_description_and_canonical(out: Path) -> None:
    html = (out / "spa" / "fr" / "index.html").read_text("utf-8")
    assert '<html lang="fr" dir="ltr">' in html
    [title] = head(html, r"<title>(.*?)</title>")
    assert title.endswith("chez Test Spa · Test bookings")
    assert head(html, r'<link rel="canonical" href="([^"]+)">') == ["https://book.test/spa/fr/"]
    assert head(html, r'<meta name="description" content="([^"]+)">')[0]


def test_hreflang_alternates_name_every_locale_and_a_default(out: Path) -> None:
    html = (out / "spa" / "en" / "index.html").read_text("utf-8")
    links = head(html, r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">')
    assert links == [
        ("fr", "https://book.test/spa/fr/"),
        ("en", "https://book.test/spa/en/"),
        ("x-default", "https://book.test/spa/fr/"),  # the group's own language
    ]


def test_open_graph_and_json_ld_describe_the_business(out: Path) -> None:
    html = (out / "spa" / "fr" / "index.html").read_text("utf-8")
    assert head(html, r'<meta property="og:url" content="([^"]+)">') == ["https://book.test/spa/fr/"]
    [ld] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html)
    data = json.loads(ld)
    assert data["@type"] == "LocalBusiness"
    assert data["address"] == {"@type": "PostalAddress", "streetAddress": "1 rue de la Paix",
                               "addressLocality": "Paris", "postalCode": "75002", "addressCountry": "France"}
    assert data["telephone"] == "01 23 45 67 89"
    assert data["potentialAction"]["@type"] == "ReserveAction"
    assert data["potentialAction"]["target"]["urlTemplate"] == "https://book.test/spa/fr/"


def test_inactive_groups_offer_no_reserve_action(out: Path) -> None:
    html = (out / "shop" / "en" / "index.html").read_text("utf-8")
    [ld] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html)
    assert "potentialAction" not in json.loads(ld)


def test_every_page_has_a_strict_content_security_policy(out: Path) -> None:
    for page in out.rglob("*.html"):
        [raw] = head(page.read_text("utf-8"), r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">')
        csp = html_lib.unescape(raw)
        assert "script-src 'self'" in csp and "style-src 'self'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "default-src 'none'" in csp


def test_every_demo_page_needs_nothing_a_strict_csp_forbids(demo_site: Path, tmp_path: Path) -> None:
    """The policy is only honest if the pages never rely on what it forbids."""
    out = tmp_path / "out"
    build(demo_site, out)
    pages = list(out.rglob("*.html"))
    assert len(pages) > 60
    for page in pages:
        text = page.read_text("utf-8")
        [raw] = head(text, r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">')
        csp = html_lib.unescape(raw)
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "default-src 'none'" in csp, page
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", text, re.S)
        for attributes, body in scripts:
            assert "src=" in attributes or 'type="application/ld+json"' in attributes or (
                'type="application/json"' in attributes
            ), f"{page}: an inline script the CSP would block"
            assert "src=" not in attributes or not body.strip()
        assert not re.search(r'<style[\s>]|\sstyle="', text), f"{page}: inline style"
        assert not re.search(r"\son[a-z]+=", text), f"{page}: an inline event handler"


def test_sitemap_lists_every_page_with_hreflang_alternates(out: Path) -> None:
    tree = ElementTree.parse(out / "sitemap.xml")
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    urls = tree.findall("s:url", ns)
    assert sorted(u.find("s:loc", ns).text for u in urls) == [
        f"https://book.test/{slug}/{loc}/" for slug in ("shop", "spa") for loc in ("en", "fr")
    ]
    for url in urls:
        assert {link.get("hreflang") for link in url.findall("x:link", ns)} == {"fr", "en", "x-default"}


def test_sitemap_and_page_heads_name_the_same_alternates(out: Path) -> None:
    # Both sources must agree, x-default included (bug-hunt #11), for every page.
    tree = ElementTree.parse(out / "sitemap.xml")
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    for url in tree.findall("s:url", ns):
        loc = url.find("s:loc", ns).text
        page = out / loc.removeprefix("https://book.test/") / "index.html"
        in_head = head(page.read_text("utf-8"), r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">')
        in_sitemap = [(link.get("hreflang"), link.get("href")) for link in url.findall("x:link", ns)]
        assert in_sitemap == in_head


def test_preposition_is_used_in_the_groups_language_only(out: Path) -> None:
    fr = (out / "spa" / "fr" / "index.html").read_text("utf-8")
    en = (out / "spa" / "en" / "index.html").read_text("utf-8")
    assert "chez Test Spa</h1>" in fr
    assert "chez" not in re.findall(r"<h1[^>]*>(.*?)</h1>", en)[0]


def test_project_theme_overrides_a_partial_and_inherits_the_rest(minisite: Path, tmp_path: Path) -> None:
    theme = minisite / "themes" / "brand"
    (theme / "templates" / "partials").mkdir(parents=True)
    (theme / "static").mkdir()
    (theme / "theme.toml").write_text('name = "brand"\nextends = "minimal"\n', "utf-8")
    (theme / "templates" / "partials" / "contact.html").write_text(
        '<address class="brand-contact">{{ group.name }}</address>\n', "utf-8"
    )
    (theme / "static" / "theme.css").write_text(".brand-contact{font-weight:700}\n", "utf-8")
    (minisite / "groups" / "spa" / "page.toml").write_text('theme = "brand"\n', "utf-8")
    build(minisite, tmp_path / "out")
    html = (tmp_path / "out" / "spa" / "fr" / "index.html").read_text("utf-8")
    assert '<address class="brand-contact">Test Spa</address>' in html
    [css] = (tmp_path / "out" / "assets").glob("brand.*.css")
    text = css.read_text("utf-8")
    # base, then the parent theme, then the project theme, each as shipped (minified):
    sheets = [TEMPLATES_DIR / "static" / "base.css", THEMES_DIR / "minimal" / "static" / "theme.css"]
    positions = [text.index(rcssmin.cssmin(sheet.read_text("utf-8"))) for sheet in sheets]
    assert positions[0] < positions[1] < text.index(".brand-contact{font-weight:700}")
    assert "/*" not in text


def test_names_are_escaped_everywhere_they_appear(minisite: Path, tmp_path: Path) -> None:
    path = minisite / "groups" / "spa" / "group.json"
    data = json.loads(path.read_text("utf-8"))
    data["group"]["name"] = '</script><script>alert(1)</script>"<b>'
    path.write_text(json.dumps(data), "utf-8")
    build(minisite, tmp_path / "out")
    html = (tmp_path / "out" / "spa" / "fr" / "index.html").read_text("utf-8")
    assert "<script>alert(1)" not in html
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "\\u003c/script\\u003e" in html  # inside JSON data blocks


def test_an_elided_preposition_joins_the_name_without_a_space(minisite: Path, tmp_path: Path) -> None:
    path = minisite / "groups" / "spa" / "group.json"
    data = json.loads(path.read_text("utf-8"))
    data["group"].update(preposition="à l'", name="Atelier")
    path.write_text(json.dumps(data), "utf-8")
    build(minisite, tmp_path / "out")
    html = (tmp_path / "out" / "spa" / "fr" / "index.html").read_text("utf-8")
    assert re.findall(r"<h1[^>]*>(.*?)</h1>", html)[0].endswith("à l&#39;Atelier")


# -- templates that fail while rendering (bug-hunt #12) -------------------------------------------


def _theme_partial(minisite: Path, text: str, name: str = "partials/contact.html") -> Path:
    folder = minisite / "themes" / "mine" / "templates"
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    (folder.parent / "theme.toml").write_text('name = "mine"\nextends = "classic"\n', "utf-8")
    (folder / name).write_text(text, "utf-8")
    (minisite / "groups" / "spa" / "page.toml").write_text('theme = "mine"\n', "utf-8")
    return folder / name


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("<p>{{ group.name + 1 }}</p>\n", 1, 'template error: can only concatenate str (not "int") to str'),
        ("<p>\n{{ 1 // 0 }}</p>\n", 2, "template error: integer division or modulo by zero"),
        ("<p>\n\n{{ group.nothing_here }}</p>\n", 3, "template error: "),
    ],
    ids=["str-plus-int", "division-by-zero", "undefined"],
)  # fmt: skip
def test_a_template_failing_while_rendering_is_a_located_one_line_error(
    minisite: Path, tmp_path: Path, text: str, line: int, message: str
) -> None:
    partial = _theme_partial(minisite, text)
    for command in (["build", str(minisite), "-o", str(tmp_path / "out")], ["check", str(minisite)]):
        done = subprocess.run([sys.executable, "-m", "generator", *command], capture_output=True, text=True)
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr
        [error] = [row for row in done.stderr.splitlines() if row.startswith("error: ")]
        assert error.startswith(f"error: {partial}:{line}: {message}")
    assert not (tmp_path / "out").exists()


def test_a_template_that_includes_itself_is_reported_not_a_traceback(minisite: Path, tmp_path: Path) -> None:
    partial = _theme_partial(minisite, '{% include "partials/contact.html" %}')
    with pytest.raises(SiteError) as caught:
        build(minisite, tmp_path / "out", jobs=2)
    [problem] = caught.value.problems
    assert problem.file == str(partial) and problem.line == 1
    assert "include or call each other without end" in problem.message


def test_template_problem_leaves_faults_outside_templates_to_the_traceback() -> None:
    try:
        raise TypeError("a bug in bookgen itself")
    except TypeError as error:
        assert template_problem(error, "booking.html") is None


def test_the_static_page_hides_blank_publicname_sets_and_deleted_calendars(minisite: Path, tmp_path: Path) -> None:
    spa = minisite / "groups" / "spa"
    (spa / "interventionsets.json").write_text(json.dumps(
        [{"id": 1, "name": "Massages", "publicname": " ", "sort": 1},
         {"id": 2, "name": "Soins du visage", "publicname": "Visage", "sort": 2}]), "utf-8")
    (spa / "calendars.json").write_text(json.dumps({"records": [
        {"id": 10, "name": "Alice", "intervention_ids": [100, 101, 102], "deleted": True},
        {"id": 11, "name": "Bruno", "publicname": "Bruno B.", "intervention_ids": [101, 102]},
        {"id": 12, "name": "Chloé", "intervention_ids": [102]}]}), "utf-8")
    build(minisite, tmp_path / "out")
    page = (tmp_path / "out" / "spa" / "en" / "index.html").read_text("utf-8")
    services = re.findall(r'data-service="(\d+)"', page)
    calendars = re.findall(r'data-calendar="(\d+)"', page)
    assert services == ["102"]  # 100 (own publicname) and 101 hidden by their set's blank publicname
    assert "Massage relaxant" not in page and "Visage" in page
    assert calendars == ["11", "12"] and "Bruno B." in page and "Alice" not in page
    data = json.loads(re.search(r'class="bookgen-data">(.*?)</script>', page, re.S).group(1))
    assert [s["id"] for s in data["services"]] == [102]
    assert [c["name"] for c in data["calendars"]] == ["Bruno B.", "Chloé"]
