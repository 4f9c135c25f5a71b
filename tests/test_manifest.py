"""manifest.json's text (generator/publish/manifest.py): readable, one line per entry, exact."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from generator.publish.manifest import Manifest, json_lines

leaves = st.none() | st.booleans() | st.integers() | st.text()
values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3))


@given(st.dictionaries(st.text(), values))
def test_json_lines_reads_back_as_the_same_value_in_the_same_order(body: dict[str, Any]) -> None:
    text = json_lines(body)
    assert json.loads(text) == body
    assert list(json.loads(text)) == list(body)
    assert text.endswith("}\n")


def test_a_manifest_has_one_line_per_file_so_a_diff_shows_each_changed_file() -> None:
    manifest = Manifest(shared="s", files={"a/index.html": "1" * 64, "b/é.html": "2" * 64}, inputs={"a": "d"})
    lines = manifest.to_json().splitlines()
    assert ' "a/index.html": "' + "1" * 64 + '",' in lines
    assert ' "b/é.html": "' + "2" * 64 + '"' in lines  # not escaped: the file names read as they are
    assert '"assets": {},' in lines and '"shard": null,' in lines
    assert json.loads(manifest.to_json())["files"] == manifest.files


def test_the_same_manifest_is_the_same_bytes_whatever_order_its_files_were_added_in() -> None:
    one = Manifest(files={"b": "2", "a": "1"}, inputs={"y": "1", "x": "2"})
    other = Manifest(files={"a": "1", "b": "2"}, inputs={"x": "2", "y": "1"})
    assert one.to_json() == other.to_json()


@given(st.dictionaries(st.text(), st.text(), min_size=1))
def test_a_member_of_strings_has_one_line_per_entry_whatever_the_strings_hold(files: dict[str, str]) -> None:
    text = json_lines({"files": files})  # '", "', quotes, newlines and non-ASCII inside
    lines = text.split("\n")[:-1]  # lines as diff reads them (U+0085, U+2028 stay inside a line)
    assert lines[0] == "{" and lines[1] == '"files": {' and lines[-2:] == ["}", "}"]
    assert len(lines) == 4 + len(files)
    assert json.loads(text) == {"files": files}
