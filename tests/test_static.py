"""A script written as ES modules is published as one file (generator/render/static.py):
each imported module inlined once, before what imports it, and only when one shared scope
means what the modules meant."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.render.static import STATIC_DIR, BundleError, bundle, script_names, static_bytes


def write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, "utf-8")


def test_each_imported_module_is_inlined_once_before_the_code_that_imports_it(tmp_path: Path) -> None:
    write(tmp_path, {"main.js": 'import { b } from "./parts/b.js";\nimport { c } from "./parts/c.js";\nb(c);\n',
                     "parts/b.js": 'import { c } from "./c.js";\nexport function b(x) { return c(x); }\n',
                     "parts/c.js": "// c\nexport const c = (x) => x;\n"})  # fmt: skip
    assert bundle(tmp_path / "main.js") == "// c\nconst c = (x) => x;\n\nfunction b(x) { return c(x); }\n\nb(c);\n"


def test_a_script_that_imports_nothing_is_published_as_written_with_its_exports() -> None:
    assert bundle(STATIC_DIR / "done.js") == (STATIC_DIR / "done.js").read_text("utf-8")
    assert b"export function ics" in static_bytes("done.js")


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"a.js": 'import { b } from "./b.js";\n', "b.js": 'import { a } from "./a.js";\nexport const b = 1;\n'},
         "a.js imports itself through"),
        ({"a.js": 'import { c } from "./b.js";\nc;\n', "b.js": "export const b = 1;\n"},
         "a.js: imports c, which b.js does not export"),
        ({"a.js": 'import { b } from "./b.js";\nconst x = b;\n', "b.js": "export const b = 1;\nconst x = 2;\n"},
         "a.js: x is declared by b.js too"),
        ({"a.js": 'import { b } from "./b.js";\nfocus(b);\n', "b.js": "export const b = 1;\nexport function focus() {}\n"},
         "a.js: uses focus, a top-level name of b.js, without importing it"),
        ({"a.js": 'import { b } from "./b.js";\nb;\n', "b.js": "export default 1;\nexport const b = 1;\n"},
         "b.js: 'export default"),
        ({"a.js": 'import { b } from "./b.js";\nb;\n', "b.js": "export let b = 1;\n"}, "b.js: 'export let"),
        ({"a.js": 'import { b } from "./b.js";\nimport * as c from "./c.js";\nb;\n', "b.js": "export const b = 1;\n",
          "c.js": "export const c = 1;\n"}, "a.js: 'import"),
    ],
)  # fmt: skip
def test_a_module_graph_whose_meaning_one_scope_would_change_is_refused(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    write(tmp_path, files)
    with pytest.raises(BundleError, match=message.replace("*", r"\*")):
        bundle(tmp_path / "a.js")


def test_a_name_inside_a_string_template_or_regexp_is_not_a_use_of_it(tmp_path: Path) -> None:
    write(tmp_path, {"a.js": 'import { b } from "./b.js";\nconst r = [b, "aria-current", `x ${b} current`, /\\/$/];\n',
                       "b.js": "export const b = 1;\nexport const $ = 2;\nexport function current() {}\n"})  # fmt: skip
    assert "aria-current" in bundle(tmp_path / "a.js")


def test_every_module_of_the_runtime_is_published_whole_inside_a_script() -> None:
    import re

    import rjsmin

    published = [static_bytes(name).decode("utf-8") for name in script_names()]
    modules = sorted(STATIC_DIR.glob("*/*.js"))
    assert len(modules) >= 7  # booking.js's parts, and signin.js's password hash
    for module in modules:
        body = re.sub(r"^(import .*\n|export )", "", module.read_text("utf-8"), flags=re.MULTILINE)
        assert any(rjsmin.jsmin(body).strip() in script for script in published), module.name
    assert not re.search(r"\bimport\s*[{*]|\bexport\b", static_bytes("booking.js").decode("utf-8"))
