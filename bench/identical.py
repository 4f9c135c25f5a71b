"""Byte-identical outputs: build reference trees with one checkout's code, compare with another's.

    .venv/bin/python bench/identical.py build DEST [--code DIR] [--groups 1000] [--locales 2] [--jobs 2]
    .venv/bin/python bench/identical.py compare BEFORE AFTER

``build`` writes, with the code of checkout DIR (default: this one), each in a fresh
interpreter (``python -m generator``):

- ``DEST/demo``: the bundled demo ``site/``, built whole with ``-j 1``;
- ``DEST/demo-merged``: the same site built as two shards (``--shard 1/2``, ``2/2``) and
  combined by ``bookgen merge`` (the merge pipeline);
- ``DEST/demo-incremental``: the demo built, one group edited, and built again (the
  carry-over pipeline);
- ``DEST/bench``: the synthetic site of ``bench/synth.py`` (``--groups`` × ``--locales``,
  seed 1), built with ``--jobs`` forked workers.

``compare`` walks both trees and reports every path that exists on one side only or whose
bytes differ; exit status 1 when anything differs. One field is masked: ``shared`` in each
``manifest.json``, which digests bookgen's own Python code (``manifest.shared_digest``) and
so legitimately changes with any refactoring; every other byte, the manifests' file lists
and sha256s included, must be equal.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from synth import make_site  # noqa: E402

MASKED = "shared"  # manifest.json's digest of bookgen's own code (and templates, themes, site.toml)


def _bookgen(code: Path, *args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(code)}
    command = [sys.executable, "-m", "generator", *args]
    done = subprocess.run(command, cwd=code, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout}{done.stderr}")


def build(dest: Path, code: Path, groups: int, locales: int, jobs: int) -> None:
    """Build every reference tree into ``dest`` with the code of checkout ``code``."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    demo = REPO / "site"
    with tempfile.TemporaryDirectory(prefix="bookgen-identical-") as scratch:
        work = Path(scratch)
        _bookgen(code, "build", str(demo), "-o", str(dest / "demo"), "-j", "1", "--full")
        for index in (1, 2):
            _bookgen(code, "build", str(demo), "-o", str(work / f"slice{index}"), "-j", "1", "--shard", f"{index}/2")
        _bookgen(code, "merge", str(work / "slice1"), str(work / "slice2"), "-o", str(dest / "demo-merged"),
                 "--site", str(demo))  # fmt: skip
        edited = work / "edited"
        shutil.copytree(demo, edited, symlinks=True)
        _bookgen(code, "build", str(edited), "-o", str(dest / "demo-incremental"), "-j", "1")
        group = edited / "groups" / "eden-spa" / "group.json"
        data = json.loads(group.read_text("utf-8"))
        data["group"]["name"] = data["group"]["name"] + " (edited)"
        group.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
        _bookgen(code, "build", str(edited), "-o", str(dest / "demo-incremental"), "-j", "1")
        site = make_site(work / "bench-site", groups=groups, locales=locales)
        _bookgen(code, "build", str(site), "-o", str(dest / "bench"), "-j", str(jobs), "--full")
    for sibling in dest.glob(".*"):  # spare trees, locks, caches: not outputs
        shutil.rmtree(sibling) if sibling.is_dir() else sibling.unlink()


def _tree(root: Path) -> dict[str, Path]:
    files = {}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            files[path.relative_to(root).as_posix()] = path
    return files


def _bytes(path: Path) -> bytes:
    raw = path.read_bytes()
    if path.name != "manifest.json":
        return raw
    body = json.loads(raw)
    body[MASKED] = "(masked)"
    return json.dumps(body, indent=1, ensure_ascii=False).encode("utf-8")


def compare(before: Path, after: Path) -> list[str]:
    """Differences between two trees, one line each (empty when byte-identical)."""
    old, new = _tree(before), _tree(after)
    differences = [f"only in {before}: {p}" for p in sorted(old.keys() - new.keys())]
    differences += [f"only in {after}: {p}" for p in sorted(new.keys() - old.keys())]
    differences += [f"differs: {p}" for p in sorted(old.keys() & new.keys()) if _bytes(old[p]) != _bytes(new[p])]
    return differences


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    making = commands.add_parser("build")
    making.add_argument("dest", type=Path)
    making.add_argument("--code", type=Path, default=REPO, help="checkout whose generator/ builds (default: this one)")
    making.add_argument("--groups", type=int, default=1000)
    making.add_argument("--locales", type=int, default=2)
    making.add_argument("--jobs", type=int, default=2)
    comparing = commands.add_parser("compare")
    comparing.add_argument("before", type=Path)
    comparing.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.command == "build":
        build(args.dest.resolve(), args.code.resolve(), args.groups, args.locales, args.jobs)
        return
    differences = compare(args.before, args.after)
    for line in differences[:50]:
        print(line)
    count = len(_tree(args.before))
    if differences:
        raise SystemExit(f"{len(differences)} differences ({count} files before)")
    print(f"byte-identical: {count} files ({MASKED!r} masked in each manifest.json)")


if __name__ == "__main__":
    main()
