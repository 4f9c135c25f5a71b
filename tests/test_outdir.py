"""What OUT may be (issue 17, D3 and D5): bookgen never hides, moves or deletes a
folder it did not write, never builds into its own input, and publishes through a
symlinked OUT without swapping the link away."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from generator.build import build
from generator.errors import SiteError
from generator.publish.outdir import is_mount_point, output_folder


def all_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def rename(site: Path, slug: str, name: str) -> None:
    path = site / "groups" / slug / "group.json"
    data = json.loads(path.read_text("utf-8"))
    data["group"]["name"] = name
    path.write_text(json.dumps(data), "utf-8")


@pytest.mark.parametrize("where", ["", "groups", "groups/spa", "groups/spa/out", "groups/out", "themes/mine"])
def test_out_equal_to_or_inside_the_projects_inputs_is_refused_twice_and_nothing_moves(
    minisite: Path, where: str
) -> None:
    (minisite / "themes" / "mine").mkdir(parents=True)
    before = all_files(minisite)
    out = minisite / where if where else minisite
    for _ in range(2):  # the review's reproduction builds twice: the second build deleted the project
        with pytest.raises(SiteError) as caught:
            build(minisite, out)
        assert caught.value.problems[0].file == str(out)
    assert all_files(minisite) == before
    assert not [p for p in minisite.parent.iterdir() if p.name.startswith(f".{out.name}.")]


@pytest.mark.parametrize("spelling", ["parent", "dot"])
def test_out_containing_the_site_is_refused(minisite: Path, monkeypatch: pytest.MonkeyPatch, spelling: str) -> None:
    before = all_files(minisite)
    monkeypatch.chdir(minisite.parent)
    out = Path(".") if spelling == "dot" else minisite.parent
    with pytest.raises(SiteError, match="contains the site project"):
        build(minisite, out)
    assert all_files(minisite) == before
    assert not list(minisite.parent.glob("..*"))  # the review's `..cache`, `..lock`


def test_out_in_the_project_but_outside_its_inputs_still_builds_and_then_is_a_no_op(minisite: Path) -> None:
    build(minisite, minisite / "out")  # held in the review (row 7): keep it working
    assert build(minisite, minisite / "out").unchanged


def test_a_non_empty_folder_bookgen_did_not_write_is_refused_without_force(minisite: Path, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "notes.txt").write_text("mine", "utf-8")
    with pytest.raises(SiteError, match="--force"):
        build(minisite, docs)
    assert all_files(docs) == {"notes.txt": b"mine"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["docs", "site"]


def test_force_moves_the_folder_aside_and_no_later_build_deletes_it(minisite: Path, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / "deep").mkdir(parents=True)
    (docs / "deep" / "notes.txt").write_text("mine", "utf-8")
    result = build(minisite, docs, force=True)
    moved = [p for p in tmp_path.iterdir() if p.name.startswith(".docs.displaced-")]
    assert len(moved) == 1 and all_files(moved[0]) == {"deep/notes.txt": b"mine"}
    assert any(str(moved[0]) in w for w in result.warnings)
    for attempt in range(3):  # changing builds used to delete the hidden copy
        rename(minisite, "spa", f"Edit {attempt}")
        build(minisite, docs)
    assert all_files(moved[0]) == {"deep/notes.txt": b"mine"}


def test_an_empty_folder_and_a_previous_build_need_no_force(minisite: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    build(minisite, tmp_path / "empty")
    rename(minisite, "spa", "Again")
    assert build(minisite, tmp_path / "empty").rendered == 1


def test_a_manifest_from_another_tool_does_not_make_a_folder_ours(minisite: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "manifest.json").write_text('{"generator": "webpack", "files": {}}', "utf-8")
    with pytest.raises(SiteError, match="did not write"):
        build(minisite, other)


def test_a_foreign_folder_in_the_spares_place_is_never_deleted(minisite: Path, tmp_path: Path) -> None:
    spare = tmp_path / ".out.spare"
    spare.mkdir()
    (spare / "keep.txt").write_text("mine", "utf-8")
    with pytest.raises(SiteError, match="bookgen did not write"):
        build(minisite, tmp_path / "out")
    assert all_files(spare) == {"keep.txt": b"mine"}


def test_a_symlinked_out_is_published_through_and_the_link_stays(minisite: Path, tmp_path: Path) -> None:
    real = tmp_path / "realout"
    real.mkdir()
    link = tmp_path / "out"
    link.symlink_to(real)
    build(minisite, link)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert (real / "spa" / "fr" / "index.html").is_file()
    for attempt in range(2):  # later builds raised NotADirectoryError after publishing
        rename(minisite, "spa", f"Linked {attempt}")
        result = build(minisite, link)
        assert result.rendered == 1
    assert link.is_symlink() and "Linked 1" in (real / "spa" / "fr" / "index.html").read_text("utf-8")


def test_a_link_to_a_file_is_refused(minisite: Path, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", "utf-8")
    (tmp_path / "out").symlink_to(tmp_path / "file")
    with pytest.raises(SiteError, match="not a folder"):
        build(minisite, tmp_path / "out")
    assert (tmp_path / "file").read_text("utf-8") == "x"


def test_a_mount_point_is_refused_in_one_line_before_anything_is_written(minisite: Path) -> None:
    shm = Path("/dev/shm")
    if not (shm.is_dir() and is_mount_point(shm)):
        pytest.skip("no mount point to use without privileges on this machine")
    before = sorted(p.name for p in Path("/dev").iterdir() if p.name.startswith(".shm"))
    with pytest.raises(SiteError, match="is a mount point"):
        build(minisite, shm)
    assert sorted(p.name for p in Path("/dev").iterdir() if p.name.startswith(".shm")) == before


def test_a_path_under_a_file_and_the_filesystem_root_are_refused(minisite: Path, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", "utf-8")
    with pytest.raises(SiteError, match="is not a folder"):
        output_folder(tmp_path / "file" / "deeper" / "out", minisite)
    with pytest.raises(SiteError, match="root of the filesystem"):
        output_folder(Path("/"), minisite)


def test_merge_refuses_the_same_outs_as_build(minisite: Path, tmp_path: Path) -> None:
    from generator.merge import merge

    build(minisite, tmp_path / "s1", shard=(1, 1))
    with pytest.raises(SiteError, match="groups/"):
        merge(minisite, minisite / "groups", [tmp_path / "s1"])
