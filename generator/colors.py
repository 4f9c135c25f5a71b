"""usercolors → CSS custom properties, derived shades and WCAG contrast checks.

A group sets at most seven colours; a usable page needs more (hover, focus, border,
disabled). Those are derived here from the seven, so a business's palette carries
through every state without hard-coded greys. Colours reach CSS only as ``#rrggbb``
strings produced by :func:`hex_colour`, so nothing from the input can inject CSS.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from .fields import HEX_COLOUR
from .models import USERCOLOR_KEYS

__all__ = [
    "ContrastIssue",
    "contrast_issues",
    "contrast_ratio",
    "css_variables",
    "derive_palette",
    "hex_colour",
    "nearest_passing",
    "theme_stylesheet",
]

RGB = tuple[int, int, int]

#: Text/background pairs a client reads: (foreground, background, minimum ratio, what).
CONTRAST_PAIRS = (
    ("page_text", "page_bg", 4.5, "page text"),
    ("main_text", "main_bg", 4.5, "header and button text"),
    ("content_text", "content_bg", 4.5, "panel text"),
    ("content_links", "content_bg", 4.5, "links in the panel"),
)
# The focus ring needs 3:1; it is derived with nearest_passing(), so it always has it.


def hex_colour(value: str) -> str:
    """Validate and normalise a colour to lowercase ``#rrggbb`` (the only form emitted)."""
    if not HEX_COLOUR.fullmatch(value):
        raise ValueError(f"{value!r} is not a #RRGGBB colour")
    return value.lower()


def _rgb(value: str) -> RGB:
    value = hex_colour(value)
    return int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16)


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in rgb)


def mix(colour: str, other: str, amount: float) -> str:
    """``colour`` moved ``amount`` (0..1) of the way towards ``other``."""
    a, b = _rgb(colour), _rgb(other)
    (r1, g1, b1), (r2, g2, b2) = a, b
    return _hex((r1 + (r2 - r1) * amount, g1 + (g2 - g1) * amount, b1 + (b2 - b1) * amount))


@functools.lru_cache(maxsize=65536)
def relative_luminance(colour: str) -> float:
    """WCAG 2.2 relative luminance (remembered: the contrast searches of
    :func:`nearest_passing` ask for the same few colours thousands of times a build)."""

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG contrast ratio, 1.0 to 21.0."""
    a, b = relative_luminance(foreground), relative_luminance(background)
    light, dark = max(a, b), min(a, b)
    return (light + 0.05) / (dark + 0.05)


def nearest_passing(foreground: str, background: str, minimum: float) -> str:
    """The colour closest to ``foreground`` that reaches ``minimum`` against ``background``.

    Tries moving towards black and towards white in small steps and keeps the
    smaller move that passes, so the suggestion stays in the brand's hue.
    """
    if contrast_ratio(foreground, background) >= minimum:
        return hex_colour(foreground)
    best: tuple[int, str] | None = None
    for target in ("#000000", "#ffffff"):
        for step in range(1, best[0] if best else 101):  # past the best move there is nothing to win
            candidate = mix(foreground, target, step / 100)
            if contrast_ratio(candidate, background) >= minimum:
                if best is None or step < best[0]:
                    best = (step, candidate)
                break
    return best[1] if best else "#000000"


def _shade(colour: str, amount: float) -> str:
    """Darken light colours and lighten dark ones: a hover state visible on either."""
    towards = "#000000" if relative_luminance(colour) > 0.18 else "#ffffff"
    return mix(colour, towards, amount)


def derive_palette(colours: Mapping[str, str]) -> dict[str, str]:
    """The seven colours plus the states derived from them, as CSS variable names."""
    c = {key: hex_colour(colours[key]) for key in USERCOLOR_KEYS}
    raised = _shade(c["content_bg"], 0.04)
    selected = mix(c["main_bg"], c["content_bg"], 0.85)

    def readable(colour: str, *backgrounds: str) -> str:
        # Derived text must stay AA on every surface it sits on.
        for background in backgrounds:
            colour = nearest_passing(colour, background, 4.5)
        return colour

    return {
        **{key.replace("_", "-"): c[key] for key in USERCOLOR_KEYS},
        "main-bg-hover": _shade(c["main_bg"], 0.15),
        "content-links-hover": _shade(c["content_links"], 0.2),
        "content-muted": readable(mix(c["content_text"], c["content_bg"], 0.3), c["content_bg"], raised, selected),
        "content-border": mix(c["content_text"], c["content_bg"], 0.75),
        "content-raised": raised,
        "content-selected": selected,
        "disabled-bg": mix(c["content_text"], c["content_bg"], 0.88),
        "disabled-text": mix(c["content_text"], c["content_bg"], 0.45),
        "focus-ring": nearest_passing(c["content_links"], c["content_bg"], 3.0),
        "page-muted": readable(mix(c["page_text"], c["page_bg"], 0.25), c["page_bg"]),
    }


def css_variables(colours: Mapping[str, str]) -> str:
    """``--bg-...`` declarations for one palette."""
    return "".join(f"--{name}:{value};" for name, value in derive_palette(colours).items())


def theme_stylesheet(colours: Mapping[str, str], dark: Mapping[str, str] | None = None) -> str:
    """The per-group stylesheet: custom properties, with a dark variant when given."""
    css = f":root{{{css_variables(colours)}color-scheme:light}}\n"
    if dark:
        css += f"@media (prefers-color-scheme:dark){{:root{{{css_variables(dark)}color-scheme:dark}}}}\n"
    return css


@dataclass(frozen=True)
class ContrastIssue:
    """A text/background pair below its WCAG minimum, with a passing alternative."""

    foreground_key: str
    background_key: str
    what: str
    foreground: str
    background: str
    ratio: float
    minimum: float
    suggestion: str

    def __str__(self) -> str:
        return (
            f"{self.what}: {self.foreground_key} {self.foreground} on {self.background_key} "
            f"{self.background} has contrast {self.ratio:.2f}:1, below {self.minimum:g}:1; "
            f"nearest passing {self.foreground_key} is {self.suggestion}"
        )


def contrast_issues(colours: Mapping[str, str]) -> list[ContrastIssue]:
    """Every text pair of the palette below WCAG 2.2 AA's 4.5:1."""
    issues = []
    for fg_key, bg_key, minimum, what in CONTRAST_PAIRS:
        fg, bg = hex_colour(colours[fg_key]), hex_colour(colours[bg_key])
        ratio = contrast_ratio(fg, bg)
        if ratio < minimum:
            issues.append(
                ContrastIssue(fg_key, bg_key, what, fg, bg, ratio, minimum, nearest_passing(fg, bg, minimum))
            )
    return issues
