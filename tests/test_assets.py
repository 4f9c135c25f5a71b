"""Shipped scripts stay within their weight budgets (gzip -9)."""

from __future__ import annotations

import gzip

import pytest

from generator.themes import TEMPLATES_DIR

# booking.js + frame.js make the widget runtime (issue 5: 8 KB); embed.js is the host loader (issue 6: 3 KB).
BUDGETS = {"booking.js": 7 * 1024 + 512, "frame.js": 1024, "embed.js": 3 * 1024, "directory.js": 1024, "embed-page.js": 1024}


@pytest.mark.parametrize(("name", "budget"), BUDGETS.items())
def test_script_is_within_its_gzip_budget(name: str, budget: int) -> None:
    size = len(gzip.compress((TEMPLATES_DIR / "static" / name).read_bytes(), 9))
    assert size <= budget, f"{name} is {size} bytes gzipped; budget {budget}"


def test_widget_runtime_booking_and_frame_is_within_8_kb_gzip() -> None:
    static = TEMPLATES_DIR / "static"
    size = sum(len(gzip.compress((static / name).read_bytes(), 9)) for name in ("booking.js", "frame.js"))
    assert size <= 8 * 1024, f"booking.js + frame.js is {size} bytes gzipped; budget 8 KB"
