"""usercolors become CSS variables safely; derived shades; WCAG contrast is computed right."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.colors import (
    contrast_issues,
    contrast_ratio,
    css_variables,
    derive_palette,
    hex_colour,
    nearest_passing,
    theme_stylesheet,
)
from generator.errors import SiteError
from generator.models import USERCOLOR_KEYS
from generator.themes import available_themes, load_theme

colour = st.from_regex(r"#[0-9A-Fa-f]{6}", fullmatch=True)
palettes = st.fixed_dictionaries({key: colour for key in USERCOLOR_KEYS})


def test_contrast_ratio_matches_wcag_reference_values() -> None:
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)
    assert contrast_ratio("#767676", "#FFFFFF") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("bad", ["red", "red;}body{x:y}", "#fff", "url(x)", "#12345g", "expression(1)"])
def test_only_rrggbb_reaches_css(bad: str) -> None:
    with pytest.raises(ValueError):
        hex_colour(bad)


@given(palettes)
def test_stylesheet_contains_nothing_but_hex_colours(palette: dict[str, str]) -> None:
    declarations = r"(?:--[a-z-]+:#[0-9a-f]{6};)+color-scheme:(?:light|dark)"
    grammar = rf":root\{{{declarations}\}}\n@media \(prefers-color-scheme:dark\)\{{:root\{{{declarations}\}}\}}\n"
    assert re.fullmatch(grammar, theme_stylesheet(palette, palette))


@given(palettes)
def test_focus_ring_always_reaches_3_to_1(palette: dict[str, str]) -> None:
    derived = derive_palette(palette)
    assert contrast_ratio(derived["focus-ring"], derived["content-bg"]) >= 3.0


@given(colour, colour, st.sampled_from([3.0, 4.5]))
def test_nearest_passing_passes(foreground: str, background: str, minimum: float) -> None:
    assert contrast_ratio(nearest_passing(foreground, background, minimum), background) >= minimum or (
        # Neither black nor white reaches the ratio on a mid-grey: black is returned.
        max(contrast_ratio("#000000", background), contrast_ratio("#ffffff", background)) < minimum
    )


def test_contrast_issue_names_pair_ratio_and_suggestion() -> None:
    palette = dict(load_theme("minimal").colors, content_text="#AAAAAA")
    [issue] = contrast_issues(palette)
    assert issue.what == "panel text"
    assert f"{issue.ratio:.2f}" == "2.32"
    assert contrast_ratio(issue.suggestion, "#ffffff") >= 4.5
    assert "nearest passing content_text is" in str(issue)


def test_derived_shades_differ_from_their_base() -> None:
    derived = derive_palette(load_theme("classic").colors)
    assert derived["main-bg-hover"] != derived["main-bg"]
    assert derived["content-border"] not in (derived["content-bg"], derived["content-text"])


@pytest.mark.parametrize("name", available_themes())
def test_built_in_themes_pass_wcag_aa_in_light_and_dark(name: str) -> None:
    theme = load_theme(name)
    assert contrast_issues(theme.colors) == []
    if theme.colors_dark:
        assert contrast_issues(theme.colors_dark) == []


def test_dark_palette_follows_prefers_color_scheme() -> None:
    theme = load_theme("minimal")
    css = theme_stylesheet(theme.colors, theme.colors_dark)
    assert "@media (prefers-color-scheme:dark)" in css
    assert css_variables(theme.colors_dark) in css


@given(palettes)
def test_derived_muted_text_stays_readable_on_every_surface(palette: dict[str, str]) -> None:
    d = derive_palette(palette)
    surfaces = ("content-bg", "content-raised", "content-selected")
    # Where some text colour can reach AA on all three surfaces, the derived one does.
    if all(contrast_ratio("#000000", d[s]) >= 4.6 for s in surfaces) or all(
        contrast_ratio("#ffffff", d[s]) >= 4.6 for s in surfaces
    ):
        for surface in surfaces:
            assert contrast_ratio(d["content-muted"], d[surface]) >= 4.5, surface
    if max(contrast_ratio("#000000", d["page-bg"]), contrast_ratio("#ffffff", d["page-bg"])) >= 4.5:
        assert contrast_ratio(d["page-muted"], d["page-bg"]) >= 4.5


@pytest.mark.parametrize(("value", "shown"), [('"red;}"', "'red;}'"), ("3", "3"), ('"#12345"', "'#12345'")])
def test_a_project_theme_colour_that_is_not_rrggbb_names_its_key(tmp_path: Path, value: str, shown: str) -> None:
    folder = tmp_path / "themes" / "mine"
    folder.mkdir(parents=True)
    colours = "".join(f'{key} = "#112233"\n' for key in USERCOLOR_KEYS if key != "page_bg")
    (folder / "theme.toml").write_text(f'name = "mine"\n[colors]\npage_bg = {value}\n{colours}', "utf-8")
    with pytest.raises(SiteError) as caught:
        load_theme("mine", (tmp_path / "themes",))
    assert [str(p) for p in caught.value.problems] == [
        f"{folder / 'theme.toml'}: colors.page_bg: {shown} is not a #RRGGBB colour"
    ]
