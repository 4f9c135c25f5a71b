"""Rebuilds cost what changed: a no-op lists only OUT's top folder and reads none of its
pages (one ``stat`` per file and folder instead), an incremental build lists none of the
spare tree's unmodified folders, and every hand edit of OUT or of the spare is still
noticed and repaired (README, "How a build is published")."""

from __future__ import annotations

import builtins
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from generator.build import build
from generator.render.environment import Renderer

sys.path.insert(0, str(Path(__file__).parent.parent / "bench"))
from synth import make_site

from .test_scale import fresh, rename, tree


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return make_site(tmp_path / "site", groups=6, locales=2)


def with_spare(site: Path, out: Path) -> None:
    """Two builds into ``out``: the second leaves a spare tree the next one updates."""
    build(site, out)
    rename(site, "business-00001", "Spare maker")
    build(site, out)


class Reads:
    """Records the folders listed and the files opened under ``root`` while active."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = str(root)
        self.listed: set[str] = set()
        self.opened: set[str] = set()
        scandir, listdir, opener = os.scandir, os.listdir, builtins.open

        def spy_scandir(path: Any = ".") -> Iterator[os.DirEntry[str]]:
            self._note(self.listed, path)
            return scandir(path)

        def spy_listdir(path: Any = ".") -> list[str]:
            self._note(self.listed, path)
            return listdir(path)

        def spy_open(file: Any, *args: Any, **kwargs: Any) -> Any:
            self._note(self.opened, file)
            return opener(file, *args, **kwargs)

        monkeypatch.setattr(os, "scandir", spy_scandir)
        monkeypatch.setattr(os, "listdir", spy_listdir)
        monkeypatch.setattr(builtins, "open", spy_open)

    def _note(self, where: set[str], path: Any) -> None:
        if isinstance(path, (str, os.PathLike)) and os.fspath(path).startswith(self.root):
            where.add(os.path.relpath(os.fspath(path), self.root))


def test_a_no_op_lists_only_outs_top_folder_and_opens_only_its_manifest(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    with_spare(site, out)  # a no-op touches the spare no more than OUT
    reads = Reads(tmp_path, monkeypatch)
    assert build(site, out).unchanged
    monkeypatch.undo()
    assert {path for path in reads.listed if path.startswith(("out", ".out"))} == {"out"}
    assert {path for path in reads.opened if path.startswith(("out", ".out"))} <= {"out/manifest.json", ".out.cache/state.json"}


@pytest.mark.parametrize("edit", ["append in place", "replace by rename", "delete", "add beside", "add a folder"])
def test_a_no_op_notices_any_hand_edit_deep_in_out(site: Path, tmp_path: Path, edit: str) -> None:
    out = tmp_path / "out"
    build(site, out)
    page = out / "business-00002" / "fr" / "index.html"
    if edit == "append in place":
        with open(page, "a", encoding="utf-8") as handle:
            handle.write("<!-- x -->")  # same inode, shared with the spare
    elif edit == "replace by rename":
        page.with_name("new.tmp").write_text("<p>edited</p>", "utf-8")
        os.replace(page.with_name("new.tmp"), page)
    elif edit == "delete":
        page.unlink()
    elif edit == "add beside":
        page.with_name("stray.html").write_text("not ours", "utf-8")
    else:
        (page.parent / "extra").mkdir()
    assert not build(site, out).unchanged
    assert tree(out) == fresh(site, tmp_path)


def test_a_one_group_change_lists_no_unmodified_folder_of_the_spare(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    with_spare(site, out)
    rename(site, "business-00003", "Changed")
    reads = Reads(tmp_path, monkeypatch)
    assert build(site, out).rendered == 1
    monkeypatch.undo()
    assert {path for path in reads.listed if path.startswith(".out.spare/")} <= {".out.spare/business-00003"}
    assert tree(out) == fresh(site, tmp_path)


def test_a_folder_added_deep_in_the_spare_never_reaches_out(site: Path, tmp_path: Path) -> None:
    out, spare = tmp_path / "out", tmp_path / ".out.spare"
    with_spare(site, out)
    extra = spare / "business-00004" / "en" / "extra" / "deeper"
    extra.mkdir(parents=True)
    (extra / "page.html").write_text("not ours", "utf-8")
    rename(site, "business-00001", "Second")
    build(site, out)
    assert tree(out) == fresh(site, tmp_path)


def test_a_rename_renders_the_directory_again_but_carries_the_sitemap(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    build(site, out)
    rendered: list[str] = []
    real = Renderer.render

    def spy(self: Renderer, theme: Any, locale: str, template: str, context: Any, where: str) -> str:
        rendered.append(template)
        return real(self, theme, locale, template, context, where)

    monkeypatch.setattr(Renderer, "render", spy)
    rename(site, "business-00003", "Renamed")  # the directory shows names; the sitemap does not
    build(site, out)
    assert "index.html" in rendered and "sitemap.xml" not in rendered
    page = site / "groups" / "business-00003" / "page.toml"
    page.write_text(page.read_text("utf-8") + 'locales = ["fr"]\n', "utf-8")  # fewer locales: new sitemap
    rendered.clear()
    build(site, out)
    assert "sitemap.xml" in rendered
    monkeypatch.undo()
    assert tree(out) == fresh(site, tmp_path)
