"""Direct to the sandbox vs through the gateway, on loopback, in one run.

    .venv/bin/python bench/gateway.py [--levels 1,20,100] [--requests 600] [--bookings 150]
                                      [--workers 2] [--memory-requests 100000] [--rate R] [--pin]

Starts the sandbox app (one uvicorn process) on a copy of the demo site where one group
(salon-lagon, 7420) takes bookings 08:00-20:00 every day at capacity 100 and without email
validation, then ``bookgen gateway --workers N`` in front of it (rate limits out of the
way). At each level of concurrent clients it sends the same availability requests
(``GET availabletimeslots`` for one week) and the same booking requests (``POST
appointments``, a fresh email each, so every one creates an appointment) straight to the
sandbox (apikey + Basic) and through the gateway (no key, an Origin), alternating which
goes first, and prints requests/s, p50/p95/p99 latency and the gateway's added latency.
Last, it sends ``--memory-requests`` requests for a cheap list (interventionsets) through the
gateway and samples the gateway processes' resident memory every tenth of them.

Clients are raw HTTP/1.1 keep-alive connections (one per client, asyncio streams), so the
load generator costs little next to the servers; all share the machine's cores. Beside the
latencies it prints the CPU time each side spent per request (from /proc, user + system, of
the sandbox and of the gateway's processes), which a loaded machine changes far less than
latency. ``--pin`` puts the gateway's processes on the last core and the sandbox and the
load generator on the others (``sched_setaffinity``), so the gateway does not queue behind them.
Budget (issue 16): p95 added ≤ 5 ms at 20 clients; gateway ≥ 50 % of direct throughput
with --workers 2; memory flat over 100,000 requests.

Clients send back to back by default (closed loop): every path is saturated, so latency is
mostly queueing, ``clients / throughput``. ``--rate R`` adds a paced (open-loop) pass at each
level: the clients together offer R requests/s on a fixed schedule, each request's latency
counted from the moment it was *due* (not when a busy client got round to it, which would
hide queueing: "coordinated omission"), so the added latency is what the gateway costs a
request at a load both paths can carry, as people booking are, not at saturation.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parent.parent
GROUP, SLUG = 7420, "salon-lagon"
APIKEY, PRO = "bench-key", ("pro@example.test", "sandbox")
SECRET = "bench-secret-" + "x" * 32


# The sandbox app under uvicorn on host/port: `bookgen sandbox` binds its own socket with
# protocol 0, on which asyncio leaves Nagle on, so its keep-alive answers wait 40 ms for a
# delayed ACK (the gateway's server.py explains); here the sandbox gets TCP_NODELAY too.
SANDBOX = f"""
import sys, uvicorn
from pathlib import Path
from generator.load.loader import load_site
from generator.sandbox import create_app
app = create_app(load_site(Path(sys.argv[1])), apikey={APIKEY!r})
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False, lifespan="off")
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_site(target: Path) -> Path:
    site = target / "site"
    shutil.copytree(ROOT / "site", site)
    group_file = site / "groups" / SLUG / "group.json"
    data = json.loads(group_file.read_text("utf-8"))
    data["group"].update(validateEmail=False, open=True, openData=True, inactive=False, max_multirdvs=3)
    group_file.write_text(json.dumps(data), "utf-8")
    days = ", ".join(f'{d} = ["08:00-20:00"]' for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
    (site / "groups" / SLUG / "page.toml").write_text(
        'language = "fr"\nurlname = "salon-lagon"\ncapacity = 100\nslot_step = 15\n\n[hours]\n'
        + days.replace(", ", "\n") + "\n", "utf-8")  # fmt: skip
    return site


def wait_port(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"{what} did not start")


class Conn:
    """One keep-alive HTTP/1.1 connection; ``request`` returns (status, body)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        body = await self.reader.readexactly(length)
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def get(path: str, headers: dict[str, str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def post(path: str, headers: dict[str, str], body: dict[str, Any]) -> bytes:
    data = json.dumps(body).encode()
    lines = [f"POST {path} HTTP/1.1", "Content-Type: application/json",
             f"Content-Length: {len(data)}", *(f"{k}: {v}" for k, v in headers.items())]  # fmt: skip
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


class Target:
    """Where requests go: straight to the sandbox (key + Basic) or through the gateway."""

    def __init__(self, name: str, port: int, direct: bool) -> None:
        self.name, self.port, self.direct = name, port, direct
        basic = base64.b64encode(":".join(PRO).encode()).decode()
        self.headers = {"Host": f"127.0.0.1:{port}"}
        self.headers.update({"Authorization": f"Basic {basic}"} if direct else {"Origin": f"http://127.0.0.1:{port}"})
        self.suffix = f"&apikey={APIKEY}" if direct else ""

    def slots(self, service: int, start: str) -> bytes:
        return get(f"/api/v1/groups/{GROUP}/availabletimeslots.json?intervention_ids[]={service}"
                   f"&start={start}%2000:00:00{self.suffix}", self.headers)  # fmt: skip

    def booking(self, service: int, date: str, n: int) -> bytes:
        fiche = {"firstname": "Bench", "lastname": f"Client{n}", "email": f"bench-{self.name}-{n}@example.test"}
        body = {"appointment": {"date": date, "intervention_ids": [service], "from_web": 1, "fiche": fiche}}
        query = f"?apikey={APIKEY}" if self.direct else ""
        return post(f"/api/v1/groups/{GROUP}/appointments.json{query}", self.headers, body)


async def run(target: Target, requests: list[bytes], clients: int, expect: int) -> dict[str, Any]:
    """Send ``requests`` over ``clients`` connections, each one after the other: requests/s,
    p50/p95/p99 ms, and the raw ``latencies`` (ms) and ``elapsed`` (s)."""
    latencies: list[float] = []
    queue = iter(requests)
    failures: list[int] = []
    last_error: list[bytes] = []

    async def client() -> None:
        conn = Conn(target.port)
        try:
            for raw in queue:
                started = time.perf_counter()
                status, answer = await conn.request(raw)
                latencies.append((time.perf_counter() - started) * 1000)
                if status != expect:
                    failures.append(status)
                    last_error[:] = [answer[:300]]
        finally:
            conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{target.name}: {len(failures)} answers were not {expect}: {sorted(set(failures))} {last_error}")
    return summary(latencies, elapsed)


async def paced(target: Target, requests: list[bytes], clients: int, expect: int, rate: float) -> dict[str, Any]:
    """Send ``requests`` at ``rate`` per second in all, spread over ``clients`` connections
    (request ``i`` due at ``i / rate`` s, sent by client ``i % clients``); each latency is
    counted from its due time. Same figures as :func:`run`."""
    latencies: list[float] = []
    failures: list[int] = []
    start = time.perf_counter() + 0.05

    async def client(index: int) -> None:
        conn = Conn(target.port)
        try:
            for number in range(index, len(requests), clients):
                due = start + number / rate
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                status, _ = await conn.request(requests[number])
                latencies.append((time.perf_counter() - due) * 1000)
                if status != expect:
                    failures.append(status)
        finally:
            conn.close()

    await asyncio.gather(*(client(i) for i in range(clients)))
    if failures:
        raise SystemExit(f"{target.name}: {len(failures)} answers were not {expect}: {sorted(set(failures))}")
    return summary(latencies, time.perf_counter() - start)


def summary(latencies: list[float], elapsed: float) -> dict[str, Any]:
    cuts = statistics.quantiles(latencies, n=100)
    return {"rps": len(latencies) / elapsed, "p50": cuts[49], "p95": cuts[94], "p99": cuts[98],
            "latencies": latencies, "elapsed": elapsed}  # fmt: skip


def family(pid: int) -> list[int]:
    """``pid`` and its children (the uvicorn workers)."""
    try:
        return [pid] + [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return [pid]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of ``pids`` and their children, in seconds."""
    total = 0
    for pid in pids:
        for p in family(pid):
            try:
                fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its children (the uvicorn workers), in MB."""
    total = 0
    for p in family(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


async def compare(targets: tuple[Target, Target], requests: dict[str, list[bytes]], clients: int, expect: int,
                  pids: dict[str, int], rounds: int) -> dict[str, dict[str, Any]]:
    """Both targets' ``requests`` in ``rounds`` slices, taking turns (the first target of each
    round alternates), so both meet the sandbox in the same state: its booking and slot
    search cost grows with the appointments already made. Per target: :func:`run`'s figures
    over all rounds, plus the CPU milliseconds per request of each process in ``pids``."""
    latencies: dict[str, list[float]] = {t.name: [] for t in targets}
    elapsed = dict.fromkeys(latencies, 0.0)
    cpu = {(t.name, name): 0.0 for t in targets for name in pids}
    for index in range(rounds):
        for target in targets if index % 2 == 0 else targets[::-1]:
            mine = requests[target.name]
            part = mine[index * len(mine) // rounds:(index + 1) * len(mine) // rounds]
            before = {name: cpu_seconds([pid]) for name, pid in pids.items()}
            result = await run(target, part, clients, expect)
            for name, pid in pids.items():
                cpu[target.name, name] += cpu_seconds([pid]) - before[name]
            latencies[target.name] += result["latencies"]
            elapsed[target.name] += result["elapsed"]
    out = {}
    for target in targets:
        out[target.name] = summary(latencies[target.name], elapsed[target.name])
        for name in pids:
            out[target.name][f"cpu_{name}"] = cpu[target.name, name] * 1000 / len(latencies[target.name])
    return out


async def main_async(args: argparse.Namespace, sandbox_port: int, gateway_port: int, pids: dict[str, int]) -> None:
    gateway_pid = pids["gateway"]
    direct = Target("direct", sandbox_port, True)
    gateway = Target("gateway", gateway_port, False)
    conn = Conn(sandbox_port)
    _, body = await conn.request(get(f"/api/v1/groups/{GROUP}/interventions.json?results=all&apikey={APIKEY}",
                                     direct.headers))
    service = next(r["id"] for r in json.loads(body)["records"] if not r.get("deleted"))
    tomorrow = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 2 * 86400))  # after "today" in any zone
    _, body = await conn.request(direct.slots(service, tomorrow))
    starts = [s["start"] for s in json.loads(body)["availabletimeslots"]]
    conn.close()
    print(f"sandbox :{sandbox_port}, gateway :{gateway_port} (--workers {args.workers}); group {GROUP}, service "
          f"{service}, {len(starts)} slots in the week; machine: {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f} at the start\n")  # fmt: skip
    rows = []
    paced_rows: list[tuple[int, str, dict[str, Any], dict[str, Any]]] = []
    made = 0

    def bookings(target: Target, count: int) -> list[bytes]:
        """``count`` booking requests, each for a new client, spread over the week's slots."""
        nonlocal made
        made += count
        return [target.booking(service, starts[n * 7 % len(starts)], n) for n in range(made - count, made)]
    for level_index, clients in enumerate(args.levels):
        for kind in ("availability", "booking"):
            order = (direct, gateway) if level_index % 2 == 0 else (gateway, direct)
            warm = max(clients, 20)
            requests: dict[str, list[bytes]] = {}
            for target in order:
                if kind == "availability":
                    requests[target.name] = [target.slots(service, tomorrow)] * (warm + args.requests)
                    expect = 200
                else:
                    requests[target.name] = bookings(target, warm + args.bookings)
                    expect = 201
                await run(target, requests[target.name][:warm], clients, expect)  # warm-up: connections, caches
            measured = {name: r[warm:] for name, r in requests.items()}
            results = await compare(order, measured, clients, expect, pids, args.rounds)
            rows.append((clients, kind, results["direct"], results["gateway"]))
            if args.rate and kind == "availability":
                # the same requests again, paced: slot searches do not change the sandbox's state
                out = {t.name: await paced(t, measured[t.name], clients, expect, args.rate) for t in order}
                paced_rows.append((clients, kind, out["direct"], out["gateway"]))
            elif args.rate:  # fresh bookings: each one creates an appointment
                out = {t.name: await paced(t, bookings(t, args.bookings), clients, expect, args.rate) for t in order}
                paced_rows.append((clients, kind, out["direct"], out["gateway"]))
    print("| clients | request | direct req/s | gateway req/s | ratio | direct p50/p95/p99 ms "
          "| gateway p50/p95/p99 ms | added p50 / p95 ms | CPU ms/request: sandbox direct / via gateway, gateway |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for clients, kind, d, g in rows:
        print(f"| {clients} | {kind} | {d['rps']:.0f} | {g['rps']:.0f} | {g['rps'] / d['rps']:.0%} "
              f"| {d['p50']:.1f} / {d['p95']:.1f} / {d['p99']:.1f} | {g['p50']:.1f} / {g['p95']:.1f} / {g['p99']:.1f} "
              f"| {g['p50'] - d['p50']:.1f} / {g['p95'] - d['p95']:.1f} "
              f"| {d['cpu_sandbox']:.2f} / {g['cpu_sandbox']:.2f}, {g['cpu_gateway']:.2f} |")  # fmt: skip
    if paced_rows:
        print(f"\npaced: {args.rate:g} requests/s offered in all, latency from each request's due time")
        print("| clients | request | direct p50/p95/p99 ms | gateway p50/p95/p99 ms | added p50 / p95 ms |")
        print("| ---: | --- | ---: | ---: | ---: |")
        for clients, kind, d, g in paced_rows:
            print(f"| {clients} | {kind} | {d['p50']:.1f} / {d['p95']:.1f} / {d['p99']:.1f} "
                  f"| {g['p50']:.1f} / {g['p95']:.1f} / {g['p99']:.1f} "
                  f"| {g['p50'] - d['p50']:.1f} / {g['p95'] - d['p95']:.1f} |")  # fmt: skip
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end of the comparison")
    if args.memory_requests:
        step = args.memory_requests // 10
        samples = [rss_mb(gateway_pid)]
        # a cheap upstream answer, so the gateway (not the sandbox's slot search) is what runs
        request = get(f"/api/v1/groups/{GROUP}/interventionsets.json", gateway.headers)
        started = time.perf_counter()
        for _ in range(10):
            await run(gateway, [request] * step, 20, 200)
            samples.append(rss_mb(gateway_pid))
        elapsed = time.perf_counter() - started
        print(f"\nmemory over {args.memory_requests:,} requests through the gateway (20 clients, "
              f"{args.memory_requests / elapsed:.0f} req/s): RSS of the gateway's processes, MB, every "
              f"{step:,}: " + ", ".join(f"{s:.0f}" for s in samples))  # fmt: skip
        print(f"growth after the first tenth: {samples[-1] - samples[1]:+.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", default="1,20,100", type=lambda v: [int(x) for x in v.split(",")])
    parser.add_argument("--requests", type=int, default=600, help="availability requests per level and path")
    parser.add_argument("--bookings", type=int, default=150, help="booking requests per level and path")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=4, help="turns each path takes per level and request kind")
    parser.add_argument("--memory-requests", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=0.0,
                        help="also a paced pass per level: this many requests/s offered in all (0: none)")
    parser.add_argument("--pin", action="store_true", help="the gateway on the last core, the rest on the others")
    args = parser.parse_args()
    cores = sorted(os.sched_getaffinity(0))
    if args.pin and len(cores) < 2:
        raise SystemExit("--pin needs at least two cores")
    rest, last = (set(cores[:-1]), {cores[-1]}) if args.pin else (set(cores), set(cores))
    tmp = Path(tempfile.mkdtemp(prefix="bookgen-bench-gw-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        site = bench_site(tmp)
        sandbox_port, gateway_port = free_port(), free_port()
        python = sys.executable
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        processes.append(subprocess.Popen([python, "-c", SANDBOX, str(site), str(sandbox_port)], cwd=ROOT,
                                          preexec_fn=lambda: os.sched_setaffinity(0, rest), **quiet))  # fmt: skip
        wait_port(sandbox_port, processes[0], "sandbox")
        env = {**os.environ, "BOOKGEN_APIKEY": APIKEY, "BOOKGEN_SECRET": SECRET, "BOOKGEN_PRO_EMAIL": PRO[0],
               "BOOKGEN_PRO_PASSWORD": PRO[1], "BOOKGEN_RATE_READ": "100000000/minute",
               "BOOKGEN_RATE_WRITE": "100000000/minute",
               # queueing at 100 clients on a shared machine is not an upstream fault
               "BOOKGEN_CALL_TIMEOUT": "120", "BOOKGEN_REQUEST_TIMEOUT": "300"}  # fmt: skip
        processes.append(subprocess.Popen([python, "-m", "generator", "gateway", "--upstream",
                                           f"http://127.0.0.1:{sandbox_port}", "--port", str(gateway_port),
                                           "--workers", str(args.workers)], cwd=ROOT, env=env,
                                          preexec_fn=lambda: os.sched_setaffinity(0, last), **quiet))  # fmt: skip
        wait_port(gateway_port, processes[1], "gateway")
        os.sched_setaffinity(0, rest)  # the load generator
        if args.pin:
            print(f"pinned: gateway on core {cores[-1]}, sandbox and load generator on {sorted(rest)}")
        asyncio.run(main_async(args, sandbox_port, gateway_port, {"sandbox": processes[0].pid,
                                                                  "gateway": processes[1].pid}))
    finally:
        for process in processes:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
