"""The same site builds to the same bytes, whichever process or renderer builds it.

The guard for refactoring the pipeline: a build in a fresh interpreter with two workers,
one in a fresh interpreter with one, and one in this process after other builds (warm
caches) all publish byte-identical trees. (``bench/identical.py`` compares against
another checkout's code.)
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from generator.build import build

REPO = Path(__file__).parent.parent


def tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` (relative path) with the sha256 of its bytes."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def build_in_new_process(site: Path, out: Path, jobs: int) -> None:
    command = [sys.executable, "-m", "generator", "build", str(site), "-o", str(out), "-j", str(jobs), "--full"]
    subprocess.run(command, cwd=REPO, check=True, capture_output=True)


def test_the_demo_builds_to_the_same_bytes_in_separate_processes_and_renderers(
    demo_site: Path, tmp_path: Path
) -> None:
    build_in_new_process(demo_site, tmp_path / "one", jobs=1)
    build_in_new_process(demo_site, tmp_path / "two", jobs=2)
    build(demo_site, tmp_path / "warm-a", incremental=False)
    build(demo_site, tmp_path / "warm-b", incremental=False)  # this process's caches now warm
    first = tree(tmp_path / "one")
    assert len(first) > 100 and "manifest.json" in first
    for other in ("two", "warm-a", "warm-b"):
        assert tree(tmp_path / other) == first, other
