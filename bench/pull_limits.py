"""`bookgen pull` against hostile answers (review D21): peak memory and wall time of the real
command, in a child process, against a fake API serving an endless body, a slow drip and a
gzip bomb, beside a normal pull of the same group as the baseline.

    .venv/bin/python bench/pull_limits.py [--deadline 20]

Prints one line per case: exit status, seconds, peak RSS (MB), and the error line.
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fakeapi import ENV, FakeGroupAPI, sample_groups

REPO = Path(__file__).resolve().parent.parent


def run(url: str, deadline: float) -> tuple[int, float, float, str]:
    """Exit status, seconds, peak RSS in MB and the first stderr line of one `bookgen pull`."""
    site = Path(tempfile.mkdtemp()) / "site"
    site.mkdir()
    shutil.copy(REPO / "tests" / "fixtures" / "minisite" / "site.toml", site / "site.toml")
    command = [sys.executable, "-m", "generator", "pull", str(site), "--api-url", url, "--group", "42"]
    command += ["--deadline", str(deadline)]
    started = time.monotonic()
    with tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(
            command, env={**os.environ, **ENV}, stdout=subprocess.DEVNULL, stderr=err, cwd=REPO
        )
        _, status, usage = os.wait4(child.pid, 0)  # this child's own peak, not the run's
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        err.seek(0)
        line = (err.read().splitlines() or [""])[0][:110]
    shutil.rmtree(site.parent)
    return child.returncode, seconds, usage.ru_maxrss / 1024, line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deadline", type=float, default=20.0)
    args = parser.parse_args()
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb") as packed:  # 512 MB of JSON, 1 MB at a time
        packed.write(b'{"id": 42, "x": "')
        for _ in range(512):
            packed.write(b"a" * (1024 * 1024))
        packed.write(b'"}')
    bomb = buffer.getvalue()
    cases = [
        ("normal pull (baseline)", None),
        ("endless body", ("endless", 65536)),
        ("slow drip, 1 byte / 0.5 s", ("drip", 0.5, 10_000)),
        (f"gzip bomb ({len(bomb) // 1024} KB → 512 MB)", ("body", 200, bomb, {"Content-Encoding": "gzip"})),
    ]
    for name, action in cases:
        with FakeGroupAPI() as fake:
            sample_groups(fake)
            if action is not None:
                fake.misbehave("/groups/42", *[action] * 4)
            code, seconds, rss, line = run(fake.url, args.deadline)
        print(f"{name:<34} exit {code}  {seconds:6.1f} s  peak RSS {rss:6.0f} MB  {line}")


if __name__ == "__main__":
    main()
