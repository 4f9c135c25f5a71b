"""Worst-case markdown pages at the scan budget: how long each kind takes to render.

For each kind of costly input (unclosed '[', link targets, '<tag' starts, emphasis and
escape runs, headings and setext lines splitting one paragraph, long bullet lists), the
largest repetition whose scan cost (generator.content.scan_cost) fits the budget is
rendered, and its time printed beside a baseline taken in the same run: an ordinary
200 KB page. Run: .venv/bin/python bench/markdown_bounds.py
"""

from __future__ import annotations

import time

from generator.content import MAX_SCAN_COST, render_markdown, scan_cost

KINDS = {
    "unclosed [": "[", "link targets [a](": "[a](", "tag starts <a": "<a", "emphasis *a": "*a",
    "escapes \\!": "\\!", "code `a": "`a", "entities &amp;": "&amp;", "headings in a paragraph": "text\n# h\n",
    "setext lines": "\n-", "bullets": "- item words here\n",
}  # fmt: skip
ORDINARY = "Our [salon](https://example.com/a) opens *early* and closes **late**; see <https://example.com>.\n"


def largest_within_budget(unit: str) -> str:
    low, high = 1, 256 * 1024 // len(unit)
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if scan_cost(unit * middle)[0] <= MAX_SCAN_COST else (low, middle - 1)
    return unit * low


def seconds(source: str) -> float:
    started = time.perf_counter()
    render_markdown(source, "bench")
    return time.perf_counter() - started


def main() -> None:
    baseline = seconds("# About\n\n" + (ORDINARY * 3 + "\n") * 600)
    print(f"ordinary 200 KB page: {baseline:.2f} s")
    for name, unit in KINDS.items():
        source = largest_within_budget(unit)
        took = seconds(source)
        print(f"{name:26} {len(source):7} bytes  cost {scan_cost(source)[0]:>10,}  {took:5.2f} s  ({took / baseline:4.1f}x)")


if __name__ == "__main__":
    main()
