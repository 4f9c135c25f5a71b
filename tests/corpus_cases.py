"""The hostile-input corpus (``tests/corpus/*.json``): each case edits a copy of the
mini site and states what must happen.

A case is ``{"about", "edit": [...], "expect": "builds" | "fails", ...}``:

- ``edit`` items name a ``file`` (relative to the site) and one of ``set`` (dotted
  paths into the JSON, list indexes as numbers), ``text``, ``hex`` (raw bytes) or
  ``generate`` (``services``, ``sets``, ``padding``, ``nesting``, ``repeat``, ``list``:
  inputs too big to keep).
- ``builds`` cases may list ``shows`` (text in the group's French page) and ``never``
  (text in no output file); ``browser: true`` puts them in the real-browser test.
- ``fails`` cases list ``errors``: ``[file, field path]`` pairs that must appear
  together on one error line.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).parent / "corpus"
MINISITE = Path(__file__).parent / "fixtures" / "minisite"


@dataclass(frozen=True)
class Case:
    name: str
    about: str
    edits: list[dict[str, Any]]
    expect: str
    shows: list[str]
    never: list[str]
    errors: list[list[str]]
    browser: bool

    def make_site(self, parent: Path) -> Path:
        """A copy of the mini site with this case's edits applied."""
        site = parent / "site"
        shutil.copytree(MINISITE, site)
        for edit in self.edits:
            _apply(site / edit["file"], edit)
        return site


def load_cases() -> list[Case]:
    cases = []
    for path in sorted(CORPUS.glob("*.json")):
        data = json.loads(path.read_text("utf-8"))
        cases.append(
            Case(
                name=path.stem,
                about=data["about"],
                edits=data["edit"],
                expect=data["expect"],
                shows=data.get("shows", []),
                never=data.get("never", []),
                errors=data.get("errors", []),
                browser=data.get("browser", False),
            )
        )
    return cases


def _apply(target: Path, edit: dict[str, Any]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if "set" in edit:
        data = json.loads(target.read_text("utf-8"))
        for dotted, value in edit["set"].items():
            *parents, last = [int(p) if p.isdigit() else p for p in dotted.split(".")]
            node = data
            for key in parents:
                node = node[key]
            node[last] = value
        target.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    elif "text" in edit:
        target.write_bytes(edit["text"].encode("utf-8"))
    elif "hex" in edit:
        target.write_bytes(bytes.fromhex(edit["hex"]))
    else:
        target.write_bytes(_GENERATORS[edit["generate"]](edit))


def _services(edit: dict[str, Any]) -> bytes:
    count = edit["count"]
    records = [
        {"id": 100 + i, "name": f"Service {i}", "length": 15 + 15 * (i % 8), "price": 1000 + i,
         "interventionset_id": 1 + i % 100, "sort": i}
        for i in range(count)
    ]  # fmt: skip
    return json.dumps({"records": records}).encode()


def _sets(edit: dict[str, Any]) -> bytes:
    return json.dumps([{"id": 1 + i, "name": f"Set {i}", "sort": i} for i in range(edit["count"])]).encode()


def _padding(edit: dict[str, Any]) -> bytes:
    filler = "x" * (edit["megabytes"] * 1024 * 1024)
    return json.dumps({"records": [], "note": filler}).encode()


def _nesting(edit: dict[str, Any]) -> bytes:
    depth = edit["depth"]
    return ("[" * depth + "]" * depth).encode()


def _repeat(edit: dict[str, Any]) -> bytes:
    return (edit.get("prefix", "") + edit["unit"] * edit["count"]).encode()


def _nested_list(edit: dict[str, Any]) -> bytes:
    return "".join("  " * i + "- x\n" for i in range(edit["depth"])).encode()


_GENERATORS = {
    "services": _services, "sets": _sets, "padding": _padding, "nesting": _nesting, "repeat": _repeat,
    "list": _nested_list,
}  # fmt: skip
