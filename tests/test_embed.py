"""Embed snippets and pages: every mode, escaped names, SRI that matches the shipped loader."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.build import build
from generator.cli import main
from generator.load.loader import load_site
from generator.plan.urls import snippet_base
from generator.preview.rebuild import Preview
from generator.render.snippets import MODES, SANDBOX, host_csp, snippet
from generator.render.static import embed_loader


@pytest.fixture
def built(minisite: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    build(minisite, out)
    return out


def spa_snippet(site: Path, mode: str, locale: str = "fr") -> str:
    loaded = load_site(site)
    source = next(s for s in loaded.groups if s.slug == "spa")
    return snippet(loaded.config, source, mode, locale, embed_loader(), "Réserver")


def test_the_snippet_hash_is_the_sri_hash_of_the_built_loader(built: Path) -> None:
    versioned = embed_loader()
    data = (built / versioned.path).read_bytes()
    assert versioned.integrity == "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()
    # The stable URL serves the same code, for hosts that prefer updates to pinning.
    assert (built / "embed.js").read_bytes() == data
    assert f"integrity=&#34;{versioned.integrity}&#34;" in (built / "spa" / "embed.html").read_text("utf-8")


@pytest.mark.parametrize("mode", ["inline", "popup", "button"])
def test_script_snippets_load_the_pinned_loader_and_fall_back_to_a_link(minisite: Path, mode: str) -> None:
    html = spa_snippet(minisite, mode)
    assert f'data-bookgen-group="spa" data-locale="fr" data-mode="{mode}"' in html
    assert re.search(r'<script async src="https://book\.test/assets/embed\.[0-9a-f]{10}\.js" '
                     r'integrity="sha384-[A-Za-z0-9+/]{64}" crossorigin="anonymous"></script>', html)
    assert '<noscript><a href="https://book.test/spa/fr/">Réserver – Test Spa</a></noscript>' in html
    assert "<style" not in html and " style=" not in html  # nothing a strict host CSP would block
    assert "onclick" not in html


def test_the_floating_button_takes_the_business_colours(minisite: Path) -> None:
    html = spa_snippet(minisite, "button")
    assert 'data-background="#7A4A12" data-color="#FFFFFF"' in html
    assert 'data-label="Réserver"' in html


def test_the_iframe_snippet_is_titled_lazy_and_sandboxed(minisite: Path) -> None:
    html = spa_snippet(minisite, "iframe", "en")
    assert html.startswith('<iframe src="https://book.test/spa/en/widget.html" title="Réserver – Test Spa" ')
    assert 'loading="lazy"' in html
    assert f'sandbox="{SANDBOX}"' in html
    assert "allow-top-navigation" not in SANDBOX  # a widget may never navigate the host page away


def test_the_link_snippet_is_a_plain_link(minisite: Path) -> None:
    assert spa_snippet(minisite, "link") == '<a href="https://book.test/spa/fr/">Réserver – Test Spa</a>'


def test_names_are_escaped_in_every_mode(minisite: Path) -> None:
    group_file = minisite / "groups" / "spa" / "group.json"
    data = json.loads(group_file.read_text("utf-8"))
    data["group"]["name"] = 'Spa "><script>alert(1)</script>'
    group_file.write_text(json.dumps(data), "utf-8")
    for mode in MODES:
        html = spa_snippet(minisite, mode)
        assert "<script>alert" not in html
        assert "Spa &#34;&gt;&lt;script&gt;alert(1)" in html


def test_unknown_mode_is_refused(minisite: Path) -> None:
    with pytest.raises(ValueError, match="unknown mode 'modal'"):
        spa_snippet(minisite, "modal")


def test_host_csp_names_only_the_widget_origin(minisite: Path) -> None:
    config = load_site(minisite).config
    assert host_csp(config) == "script-src https://book.test; frame-src https://book.test"
    deeper = config.model_copy(update={"site": config.site.model_copy(update={"base_url": "https://x.test/book/"})})
    assert host_csp(deeper) == "script-src https://x.test; frame-src https://x.test"


def test_each_group_has_an_embed_page_in_every_locale(built: Path) -> None:
    default = (built / "spa" / "embed.html").read_text("utf-8")
    assert '<html lang="fr"' in default and 'data-locale="fr"' in default
    english = (built / "spa" / "en" / "embed.html").read_text("utf-8")
    assert '<html lang="en"' in english
    assert "Embed Test Spa on your website" in english
    assert 'data-locale="en"' in english and 'data-locale="fr"' not in english
    assert '<a href="../fr/embed.html" hreflang="fr"' in english
    assert '<meta name="robots" content="noindex">' in english  # a tool page, not for search engines
    manifest = json.loads((built / "manifest.json").read_text("utf-8"))["files"]
    assert {"spa/embed.html", "spa/fr/embed.html", "spa/en/embed.html", "embed.js"} <= manifest.keys()


def test_the_embed_page_says_where_to_paste_on_wix_and_squarespace_too(built: Path) -> None:
    # ux-review D16: "Where to paste" listed WordPress and plain HTML only; docs/embed.md has more.
    for locale in ("fr", "en"):
        howto = (built / "spa" / locale / "embed.html").read_text("utf-8").split('id="howto"')[1]
        assert "WordPress" in howto and "Wix" in howto and "Squarespace" in howto and "iframe" in howto


PREVIEW = "http://127.0.0.1:8123/"
PREVIEW_NOTE = "These are preview snippets"


@pytest.fixture
def previewed(minisite: Path, tmp_path: Path) -> Path:
    """The tree `bookgen serve` builds and serves at PREVIEW (no socket needed)."""
    out = tmp_path / "preview"
    Preview(minisite, out, PREVIEW).build_all()
    return out


def snippet_codes(html: str) -> dict[str, str]:
    return dict(re.findall(r'<code id="snippet-(\w+)">(.*?)</code>', html, re.S))


def test_snippets_name_the_production_base_url_unless_previewing() -> None:
    assert snippet_base("https://book.test/", None) == "https://book.test/"
    assert snippet_base("https://book.test/", PREVIEW) == PREVIEW


def test_the_built_embed_page_names_only_the_production_base_url(built: Path) -> None:
    """review D16: the preview's snippets must never leak into the site that is published."""
    for page in ("spa/embed.html", "spa/fr/embed.html", "spa/en/embed.html"):
        html = (built / page).read_text("utf-8")
        codes = snippet_codes(html)
        assert codes.keys() == set(MODES)
        assert all("https://book.test/spa/" in code for code in codes.values())
        assert "127.0.0.1" not in html and PREVIEW_NOTE not in html
        assert "data-mode=\"button\"" not in html  # the floating-button preview is the preview's own
        assert "script-src https://book.test; frame-src https://book.test" in html


def test_under_serve_every_snippet_and_the_host_csp_name_the_preview(previewed: Path) -> None:
    for page in ("spa/embed.html", "spa/fr/embed.html", "spa/en/embed.html"):
        html = (previewed / page).read_text("utf-8")
        codes = snippet_codes(html)
        assert codes.keys() == set(MODES)
        for mode, code in codes.items():
            assert f"{PREVIEW}spa/" in code, mode
            assert "book.test" not in code, mode
        assert "script-src http://127.0.0.1:8123; frame-src http://127.0.0.1:8123" in html
        assert "book.test/spa" not in html.split('id="csp"')[0]


def test_the_preview_snippets_pin_the_loader_the_preview_serves(previewed: Path) -> None:
    code = snippet_codes((previewed / "spa" / "en" / "embed.html").read_text("utf-8"))["popup"]
    path, integrity = re.search(
        rf'src=&#34;{re.escape(PREVIEW)}(assets/embed\.[0-9a-f]{{10}}\.js)&#34; integrity=&#34;(sha384-[^&]+)&#34;', code
    ).groups()
    served = (previewed / path).read_bytes()
    assert integrity == "sha384-" + base64.b64encode(hashlib.sha384(served).digest()).decode()


@pytest.mark.parametrize(
    ("locale", "note"),
    [("fr", "Ce sont des extraits d’aperçu"), ("en", PREVIEW_NOTE), ("ar", "هذه مقتطفات معاينة")],
)
def test_the_preview_embed_page_says_its_snippets_are_for_the_preview(
    minisite: Path, tmp_path: Path, locale: str, note: str
) -> None:
    config = minisite / "site.toml"
    config.write_text(config.read_text("utf-8").replace('locales = ["fr", "en"]', 'locales = ["fr", "en", "ar"]'), "utf-8")
    out = tmp_path / "preview"
    Preview(minisite, out, PREVIEW).build_all()
    html = (out / "spa" / locale / "embed.html").read_text("utf-8")
    assert note in html


def test_the_preview_embed_page_previews_the_floating_button_in_the_group_colours(previewed: Path) -> None:
    html = (previewed / "spa" / "en" / "embed.html").read_text("utf-8")
    button = re.search(r'<div class="embed-preview-button"[^>]*>', html).group(0)
    assert 'data-bookgen-group="spa" data-locale="en" data-mode="button"' in button
    assert 'data-background="#7A4A12" data-color="#FFFFFF"' in button
    assert 'data-label="Book an appointment"' in button
    assert 'src="../../assets/embed.' in html  # the real loader, from the preview itself


def test_snippet_command_prints_one_snippet(cli: CliRunner, minisite: Path) -> None:
    result = cli.invoke(main, ["snippet", "spa", "--site", str(minisite), "--mode", "link", "--locale", "en"])
    assert result.exit_code == 0, result.output
    assert result.output == '<a href="https://book.test/spa/en/">Book an appointment – Test Spa</a>\n'
    default = cli.invoke(main, ["snippet", "spa", "--site", str(minisite)])
    assert 'data-mode="inline"' in default.output and 'data-locale="fr"' in default.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "no group 'nope'"),
        (["spa", "--locale", "de"], "spa is built in fr, en, not de"),
        (["spa", "--mode", "modal"], "'modal' is not one of"),
    ],
)
def test_snippet_command_usage_errors_exit_2(cli: CliRunner, minisite: Path, args: list[str], message: str) -> None:
    result = cli.invoke(main, ["snippet", *args, "--site", str(minisite)])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_snippet_command_reports_broken_input_cleanly(cli: CliRunner, minisite: Path) -> None:
    (minisite / "groups" / "spa" / "group.json").write_text('{"group": {"name": 5', "utf-8")
    result = cli.invoke(main, ["snippet", "spa", "--site", str(minisite)])
    assert result.exit_code == 1
    assert "group.json" in result.output
