"""Shipped scripts stay within their weight budgets (gzip -9 of each file, summed)."""

from __future__ import annotations

import gzip

import pytest

from generator.render.static import static_bytes

# What a visitor's browser loads for each part (issue 5 and 18: the booking runtime within
# 8 KB on pages and in widgets; issue 6: the host's loader within 3 KB).
BUDGETS = {
    # The first step's (issue 18: split loading is fine if the first step needs <= 8 KB).
    "page runtime": (["booking.js"], 8 * 1024),
    "page runtime through a booking": (["booking.js", "slots.js", "done.js"], 10 * 1024),
    # slots.js and done.js are loaded on demand when their step opens.
    "widget runtime": (["booking.js", "frame.js"], 8 * 1024),
    "widget slot step": (["slots.js"], 4 * 1024),
    "widget confirmation": (["done.js"], 4 * 1024),
    "widget sign-in step": (["signin.js"], 2 * 1024),
    "embed loader": (["embed.js"], 3 * 1024),
    "directory search": (["directory.js"], 1024),
    "embed page": (["embed-page.js"], 1024),
}


def gzipped(name: str) -> int:
    return len(gzip.compress(static_bytes(name), 9))  # as shipped: trimmed by generator/jsmin.py


@pytest.mark.parametrize(("part", "files", "budget"), [(part, *spec) for part, spec in BUDGETS.items()])
def test_each_part_a_visitor_loads_is_within_its_gzip_budget(part: str, files: list[str], budget: int) -> None:
    size = sum(gzipped(name) for name in files)
    assert size <= budget, f"{part} ({' + '.join(files)}) is {size} bytes gzipped; budget {budget}"


def test_the_loader_is_ascii_so_a_host_page_in_any_encoding_reads_it_right() -> None:
    # A host page without <meta charset> decodes scripts as windows-1252: a literal "×"
    # would show as "Ã—" on the popup's close button.
    static_bytes("embed.js").decode("ascii")
