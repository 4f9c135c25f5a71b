"""Right-to-left pages keep phone numbers, addresses and the business's own texts readable.

Measured in Chromium with DOM ranges: on an Arabic page, the first character of
"+33 1 83 62 04 04" or "12 rue des Martyrs" must be drawn left of its last one
(bug-hunt #2, ux-review D11).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.build import build

REPO = Path(__file__).parent.parent.parent

# The x positions of the first and last character of the first text node under `selector`.
FIRST_AND_LAST = """(selector) => {
  const el = document.querySelector(selector);
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT,
    { acceptNode: (n) => n.data.trim() ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_SKIP });
  const node = walker.nextNode();
  const text = node.data, start = text.search(/\\S/), end = text.trimEnd().length - 1;
  const at = (i) => { const r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + 1);
                      return r.getBoundingClientRect().left; };
  return [text.trim(), at(start), at(end)];
}"""


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bidi")
    site = root / "site"
    shutil.copytree(REPO / "site", site)
    group = site / "groups" / "eden-spa" / "group.json"
    group.write_text(group.read_text("utf-8").replace('"01 83 62 04 04"', '"+33 1 83 62 04 04"'), "utf-8")
    build(site, root / "out")
    return root / "out"


@pytest.mark.parametrize(
    ("path", "selector"),
    [
        ("eden-spa/ar/", ".contact a[href^='tel:']"),  # the phone, with its leading +
        ("eden-spa/ar/", ".contact span:nth-of-type(1)"),  # 12 rue des Martyrs
        ("eden-spa/ar/", ".contact span:nth-of-type(2)"),  # 75009 Paris
        ("eden-spa/ar/", ".contact bdi"),  # the fax
        ("atelier-velo/ar/", ".notice-inactive .button bdi"),  # the call button
        ("atelier-velo/ar/", ".notice-inactive p bdi"),
    ],
)
def test_latin_contact_details_read_left_to_right_on_arabic_pages(demo_out, serve_dir, page, path, selector) -> None:
    server = serve_dir(demo_out)
    page.goto(f"{server.url}/{path}")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    text, first, last = page.evaluate(FIRST_AND_LAST, selector)
    assert text[0].isdigit() or text[0] == "+"
    assert first < last, f"{text!r} is drawn right to left"


def test_the_groups_own_texts_keep_their_language_and_direction(demo_out, serve_dir, page) -> None:
    server = serve_dir(demo_out)
    page.goto(f"{server.url}/eden-spa/ar/")
    section = page.locator("#text-about")
    assert section.get_attribute("lang") == "fr"
    assert section.evaluate("(el) => getComputedStyle(el.querySelector('p')).direction") == "ltr"
    # On the group's own language the page needs no marking.
    page.goto(f"{server.url}/eden-spa/fr/")
    assert page.locator("#text-about").get_attribute("lang") is None
