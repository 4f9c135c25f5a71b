"""Builds at scale: parallel, incremental, sharded and merged outputs are all the same
bytes as one plain full build, and the CDN diff lists exactly what changed."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.build import build
from generator.cli import main
from generator.errors import SiteError
from generator.plan.shards import in_shard, parse_shard

sys.path.insert(0, str(Path(__file__).parent.parent / "bench"))
from synth import make_site


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return make_site(tmp_path / "site", groups=12, locales=2)


def files_of(out: Path) -> dict[str, str]:
    return json.loads((out / "manifest.json").read_text("utf-8"))["files"]


def tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def rename(site: Path, slug: str, name: str) -> None:
    path = site / "groups" / slug / "group.json"
    data = json.loads(path.read_text("utf-8"))
    data["group"]["name"] = name
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")


def fresh(site: Path, tmp_path: Path, name: str = "fresh") -> dict[str, bytes]:
    out = tmp_path / name
    build(site, out, jobs=1, incremental=False)
    return tree(out)


def test_parallel_workers_write_the_same_bytes_as_one_process(site: Path, tmp_path: Path) -> None:
    build(site, tmp_path / "one", jobs=1)
    result = build(site, tmp_path / "two", jobs=2)
    assert result.pages == 12 * 2 * 2 and result.rendered == 12
    assert tree(tmp_path / "one") == tree(tmp_path / "two")


def test_a_rebuild_with_nothing_changed_leaves_out_alone(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(site, out)
    before = os.stat(out / "index.html").st_mtime_ns
    result = build(site, out)
    assert result.unchanged and result.groups == 12
    assert os.stat(out / "index.html").st_mtime_ns == before


@pytest.mark.parametrize("rounds", [1, 3])  # 1: from a fresh tree (links); 3: updating the spare tree
def test_a_one_group_change_renders_only_that_group_and_matches_a_full_build(
    site: Path, tmp_path: Path, rounds: int
) -> None:
    out = tmp_path / "out"
    build(site, out)
    for attempt in range(rounds):
        rename(site, "business-00003", f"Renamed {attempt}")
        result = build(site, out, jobs=2)
        assert result.rendered == 1 and result.pages == 48
    assert tree(out) == fresh(site, tmp_path)
    assert "Renamed" in (out / "business-00003" / "fr" / "index.html").read_text("utf-8")


def test_added_and_removed_groups_are_carried_through_incrementally(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(site, out)
    rename(site, "business-00001", "Spare maker")
    build(site, out)  # now a spare tree exists
    (site / "groups" / "business-00005").rename(tmp_path / "removed")
    make_site(tmp_path / "other", groups=1, locales=2, seed=9)
    (tmp_path / "other" / "groups" / "business-00000").rename(site / "groups" / "newcomer")
    result = build(site, out)
    assert result.rendered == 1 and result.groups == 12
    assert not (out / "business-00005").exists()
    assert tree(out) == fresh(site, tmp_path)


@pytest.mark.parametrize("edit", ["site.toml", "theme"])
def test_shared_inputs_rebuild_everything(site: Path, tmp_path: Path, edit: str) -> None:
    out = tmp_path / "out"
    build(site, out)
    if edit == "site.toml":
        config = site / "site.toml"
        config.write_text(config.read_text("utf-8").replace("Synthetic", "Renamed site"), "utf-8")
    else:
        theme = site / "themes" / "mine"
        theme.mkdir(parents=True)
        (theme / "theme.toml").write_text('name = "mine"\nextends = "classic"\n', "utf-8")
    result = build(site, out)
    assert result.rendered == 12


def test_hand_edits_to_out_are_repaired_by_the_next_build(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(site, out)
    (out / "business-00002" / "en" / "widget.html").unlink()
    (out / "stray.html").write_text("not ours", "utf-8")
    result = build(site, out)
    assert not result.unchanged
    assert tree(out) == fresh(site, tmp_path)


def test_full_and_strict_builds_render_everything(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(site, out)
    rename(site, "business-00004", "Once more")
    assert build(site, out, incremental=False).rendered == 12


def test_shards_partition_the_groups_stably() -> None:
    slugs = [f"business-{i:05d}" for i in range(500)]
    owners = [[i for i in range(1, 5) if in_shard(slug, (i, 4))] for slug in slugs]
    assert all(len(found) == 1 for found in owners)
    sizes = [sum(1 for found in owners if found == [i]) for i in range(1, 5)]
    assert min(sizes) > 90  # roughly even
    assert parse_shard("2/4") == (2, 4)
    for bad in ("0/4", "5/4", "x", "1/"):
        with pytest.raises(ValueError):
            parse_shard(bad)


def test_merged_slices_equal_one_full_build_and_stay_incremental(site: Path, tmp_path: Path) -> None:
    cli = CliRunner()
    slices = []
    for index in (1, 2, 3):
        folder = tmp_path / f"slice{index}"
        result = cli.invoke(main, ["build", str(site), "-o", str(folder), "--shard", f"{index}/3", "-q"])
        assert result.exit_code == 0, result.output
        slices.append(str(folder))
    merged = tmp_path / "merged"
    result = cli.invoke(main, ["merge", *slices, "-o", str(merged), "--site", str(site)])
    assert result.exit_code == 0, result.output
    assert "Merged 3 slices (12 groups)" in result.output
    assert tree(merged) == fresh(site, tmp_path)
    assert build(site, merged).unchanged  # the merged manifest feeds the next incremental build


def test_merge_refuses_slices_that_do_not_belong_together(site: Path, tmp_path: Path) -> None:
    cli = CliRunner()
    build(site, tmp_path / "a", shard=(1, 2))
    build(site, tmp_path / "whole")
    missing = cli.invoke(main, ["merge", str(tmp_path / "a"), "-o", str(tmp_path / "m"), "--site", str(site)])
    assert missing.exit_code == 1 and "do not cover 1..N once each" in missing.output
    whole = cli.invoke(main, ["merge", str(tmp_path / "a"), str(tmp_path / "whole"), "-o", str(tmp_path / "m"),
                              "--site", str(site)])  # fmt: skip
    assert whole.exit_code == 1 and "is a whole build, not a slice" in whole.output
    assert not (tmp_path / "m").exists()


def test_diff_lists_what_to_upload_and_delete(site: Path, tmp_path: Path) -> None:
    build(site, tmp_path / "old")
    rename(site, "business-00007", "New name")
    (site / "groups" / "business-00008").rename(tmp_path / "gone")
    build(site, tmp_path / "new")
    result = CliRunner().invoke(main, ["diff", str(tmp_path / "old"), str(tmp_path / "new" / "manifest.json")])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    uploads = {line.split(" ", 1)[1] for line in lines if line.startswith("upload ")}
    deletes = {line.split(" ", 1)[1] for line in lines if line.startswith("delete ")}
    assert "business-00007/fr/index.html" in uploads and "index.html" in uploads
    assert not any(path.startswith("business-00001/") for path in uploads)
    assert {p for p in deletes if not p.startswith("business-00008/")} == set()
    assert "business-00008/en/widget.html" in deletes
    as_json = CliRunner().invoke(main, ["diff", str(tmp_path / "old"), str(tmp_path / "new"), "--json"])
    assert set(json.loads(as_json.stdout)["delete"]) == deletes


def test_diff_of_something_that_is_not_a_build_is_a_clean_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["diff", str(tmp_path), str(tmp_path)])
    assert result.exit_code == 1
    assert "no readable manifest.json" in result.output


def test_build_summary_names_pages_rate_and_reuse(site: Path, tmp_path: Path) -> None:
    cli = CliRunner()
    out = tmp_path / "out"
    first = cli.invoke(main, ["build", str(site), "-o", str(out), "-j", "2"])
    assert first.exit_code == 0, first.output
    assert "Built 48 pages for 12 groups in 2 locales" in first.output and "pages/s; 12 groups rendered)" in first.output
    assert "\r" not in first.output  # no progress bar when not on a terminal
    rename(site, "business-00000", "Changed")
    second = cli.invoke(main, ["build", str(site), "-o", str(out)])
    assert "1 group rendered, 11 unchanged" in second.output
    third = cli.invoke(main, ["build", str(site), "-o", str(out)])
    assert "Nothing changed" in third.output
    bad = cli.invoke(main, ["build", str(site), "-o", str(out), "--shard", "3/2"])
    assert bad.exit_code == 2 and "i must be between 1 and N" in bad.output


def test_a_build_into_an_empty_folder_leaves_a_spare_tree_for_the_next_one(site: Path, tmp_path: Path) -> None:
    out, spare = tmp_path / "out", tmp_path / ".out.spare"
    build(site, out, jobs=2)
    assert tree(spare) == tree(out)  # the same files, manifest included
    assert os.stat(spare / "index.html").st_ino == os.stat(out / "index.html").st_ino  # as hard links
    rename(site, "business-00006", "Edited once")
    assert build(site, out).rendered == 1
    assert tree(out) == fresh(site, tmp_path)
    # Updating the spare never wrote through an inode OUT shares: the old tree is intact too.
    assert "Edited once" not in (spare / "business-00006" / "fr" / "index.html").read_text("utf-8")
    assert json.loads((spare / "manifest.json").read_text("utf-8"))["files"] == files_of(spare)


def test_a_failed_build_into_an_empty_folder_leaves_no_spare(site: Path, tmp_path: Path) -> None:
    (site / "groups" / "business-00002" / "group.json").write_text('{"group": {"name": 5}}', "utf-8")
    with pytest.raises(SiteError):
        build(site, tmp_path / "out", jobs=2)
    assert not (tmp_path / "out").exists() and not (tmp_path / ".out.spare").exists()
    assert not list(tmp_path.glob(".out.staging-*"))
