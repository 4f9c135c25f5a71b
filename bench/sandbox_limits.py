"""The sandbox under the reliability review's D16 load: RSS and statuses of a real
``bookgen sandbox`` process fed large and deep bodies (not run by CI's test step).

    .venv/bin/python bench/sandbox_limits.py [--big 5] [--small 200]

Prints the server's RSS before and after, each kind of request's statuses, and how
long the slot query for a 62-day window takes (median of 5), on the demo site.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AUTH = {"Authorization": "Basic " + base64.b64encode(b"pro@example.test:sandbox").decode()}


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def send(port: int, method: str, path: str, body: bytes = b"", kind: str = "application/json") -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body or None, headers={**AUTH, "Content-Type": kind})
        response = connection.getresponse()
        response.read()
        return response.status
    except (BrokenPipeError, ConnectionResetError):
        return -1  # the server refused and closed before the whole body was sent
    finally:
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", type=int, default=5, help="20 MB bodies to send")
    parser.add_argument("--small", type=int, default=200, help="60 KB bodies to send")
    args = parser.parse_args()
    server = subprocess.Popen([sys.executable, "-m", "generator", "sandbox", str(ROOT / "site"), "--port", "0"],
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    port = int(server.stdout.readline().split(" on ")[1].split(":")[2].split("/")[0])
    base = "/api/v1/groups/4102"
    try:
        send(port, "GET", f"{base}.json?apikey=sandbox")
        before = rss_kb(server.pid)
        statuses: dict[str, Counter] = {"20 MB": Counter(), "60 KB": Counter(), "deep": Counter()}
        for _ in range(args.big):
            statuses["20 MB"][send(port, "POST", f"{base}/appointments?apikey=sandbox", b" " * (20 << 20))] += 1
        padding = "x" * (60 << 10)
        for index in range(args.small):
            body = {"appointment": {"date": "2026-12-01 10:00:00", "intervention_ids": [101], "comments": padding,
                                    "fiche": {"lastname": "X", "email": f"c{index}@example.test"}}}  # fmt: skip
            statuses["60 KB"][send(port, "POST", f"{base}/appointments?apikey=sandbox", json.dumps(body).encode())] += 1
        for _ in range(20):
            statuses["deep"][send(port, "PUT", f"{base}?apikey=sandbox", b"[" * 60000)] += 1
        after = rss_kb(server.pid)
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            send(port, "GET", f"{base}/availabletimeslots?apikey=sandbox&intervention_ids[]=101&nDays=62")
            timings.append(time.perf_counter() - started)
    finally:
        server.terminate()
        server.wait(30)
    print(f"RSS before {before / 1024:.1f} MB, after {after / 1024:.1f} MB")
    for kind, counts in statuses.items():
        print(f"{kind:>6}: " + ", ".join(f"{status} x{count}" for status, count in sorted(counts.items())))
    print(f"availabletimeslots, 62 days, 2 calendars: median {statistics.median(timings) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
