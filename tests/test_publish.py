"""Crash-safe publishing: builds killed with SIGKILL at random moments never leave a
half-written output, and the next build repairs whatever the crash left beside it."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator.build import build
from generator.publish.atomic import link_or_copy, replace_file

KILLS = 20  # builds killed while running (a build that finished first does not count)


def assert_complete_tree(out: Path) -> str:
    """OUT holds exactly the files its manifest lists, each with its hash; returns the build's name."""
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))["files"]
    present = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} - {"manifest.json"}
    assert present == set(manifest), f"extra {present - set(manifest)}, missing {set(manifest) - present}"
    for path, digest in manifest.items():
        assert hashlib.sha256((out / path).read_bytes()).hexdigest() == digest, path
    page = (out / "eden-spa" / "fr" / "index.html").read_text("utf-8")
    return page.split("<title>", 1)[1].split("</title>", 1)[0]


def rename_group(site: Path, name: str) -> None:
    path = site / "groups" / "eden-spa" / "group.json"
    data = json.loads(path.read_text("utf-8"))
    data["group"]["name"] = name
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")


def test_sigkill_at_any_moment_leaves_the_old_or_the_new_tree(demo_site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    rename_group(demo_site, "Version 0")
    build(demo_site, out)
    titles = {assert_complete_tree(out)}
    command = [sys.executable, "-m", "generator", "build", str(demo_site), "-o", str(out), "-q"]
    started = time.monotonic()
    subprocess.run(command, check=True, capture_output=True)
    duration = time.monotonic() - started  # on this machine, now: kills land inside it
    rng = random.Random(20261124)
    killed_mid_build = 0
    attempt = 0
    while killed_mid_build < KILLS and attempt < 10 * KILLS:
        attempt += 1
        rename_group(demo_site, f"Version {attempt}")
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        begun = time.monotonic()
        # Past interpreter start-up (about a quarter of the run) up to the very end: rendering,
        # writing the staging tree, the swap, the clean-up.
        time.sleep(rng.uniform(0.25, 1.0) * duration)
        process.send_signal(signal.SIGKILL)
        process.wait()
        killed_mid_build += process.returncode == -signal.SIGKILL
        if process.returncode == 0:  # it finished first: builds got faster (less load); aim earlier
            duration = time.monotonic() - begun
        title = assert_complete_tree(out)
        assert f"Version {attempt - 1}" in title or f"Version {attempt}" in title or title in titles
        titles.add(title)
    assert killed_mid_build == KILLS, f"only {killed_mid_build} of {attempt} builds were killed while running"
    # The next build clears whatever the killed ones left beside OUT and publishes normally.
    rename_group(demo_site, "Final")
    build(demo_site, out)
    assert "Final" in assert_complete_tree(out)
    # Beside OUT: the compiled templates, the lock and the spare tree the next incremental
    # build will update; no staging folders of killed builds.
    siblings = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out") and p.name != ".out.cache")
    assert siblings == [".out.lock", ".out.spare"]


# A build process killed at an exact point (os._exit runs no clean-up, as SIGKILL does not):
# ``point`` is a step of the pipeline ("module:name"), ``after`` whether it ran before the kill.
KILL_AT = """
import importlib, os, sys
point, after = sys.argv.pop(1), sys.argv.pop(1) == "after"
module, _, name = point.partition(":")
owner = importlib.import_module(module)
*parents, attribute = name.split(".")
for parent in parents:
    owner = getattr(owner, parent)
original = getattr(owner, attribute)
def killed(*args, **kwargs):
    if after:
        original(*args, **kwargs)
    os._exit(9)
setattr(owner, attribute, killed)
from generator.cli import main
main()
"""
STEPS = {
    "write_manifest": "generator.publish.output:Output.write_manifest",
    "write_site_pages": "generator.build:render_site_pages",
    "render_group": "generator.render.parallel:render_group",
}


def build_killed_at(site: Path, out: Path, method: str, after: bool) -> None:
    command = [sys.executable, "-c", KILL_AT, STEPS[method], "after" if after else "before", "build", str(site), "-o", str(out), "-j", "1", "-q"]
    assert subprocess.run(command, capture_output=True).returncode == 9


@pytest.mark.parametrize("after", [False, True], ids=["before", "after"])
@pytest.mark.parametrize("method", ["write_manifest", "write_site_pages", "render_group"])
def test_a_build_killed_at_any_step_leaves_folders_the_next_build_takes_back(
    demo_site: Path, tmp_path: Path, method: str, after: bool
) -> None:
    out, site = tmp_path / "out", demo_site
    # The first build into an empty OUT grows the spare as it goes; an incremental one
    # updates that spare in place: kill each at the same step.
    build_killed_at(site, out, method, after)
    build(site, out)
    rename_group(site, "Killed")
    build_killed_at(site, out, method, after)
    rename_group(site, "Final")
    build(site, out)
    assert "Final" in assert_complete_tree(out)


def test_link_or_copy_links_on_one_filesystem(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"page")
    link_or_copy(tmp_path / "a", tmp_path / "b")
    assert (tmp_path / "b").read_bytes() == b"page"
    assert os.path.samefile(tmp_path / "a", tmp_path / "b")


def test_link_or_copy_copies_where_hard_links_are_refused(tmp_path: Path, monkeypatch) -> None:
    def refuse(source, target):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", refuse)
    (tmp_path / "a").write_bytes(b"page")
    link_or_copy(tmp_path / "a", tmp_path / "b")
    assert (tmp_path / "b").read_bytes() == b"page"
    assert not os.path.samefile(tmp_path / "a", tmp_path / "b")


def test_link_or_copy_of_a_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        link_or_copy(tmp_path / "gone", tmp_path / "b")


def test_replace_file_leaves_no_temporary_file(tmp_path: Path) -> None:
    replace_file(tmp_path / "page.html", b"old")
    replace_file(tmp_path / "page.html", b"new")
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]
    assert (tmp_path / "page.html").read_bytes() == b"new"
