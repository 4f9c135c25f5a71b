"""The gateway as real processes: CLI start-up, SIGTERM, restarts, two instances sharing Redis, SIGKILL."""

from __future__ import annotations

import concurrent.futures
import os
import re
import signal
import subprocess
import sys

import httpx

from .gatewaykit import APIKEY, SESSION_ID, FakeClicRDV, appointment, login_form
from .gatewayprocs import REDIS, REPO, GatewayProcess, ThreadServer, gateways, redis_server, wait_until

BODY_3 = appointment(intervention_ids=[41], calendar_id=45)
def needs_redis(test):  # never skipped: a missing server is a setup fault (scripts/test-env.sh installs it)
    if not os.path.exists(REDIS):
        raise RuntimeError(f"{REDIS} is missing: apt-get install -y --no-install-recommends redis-server")
    return test


def _post(url: str, body: dict, **headers: str) -> httpx.Response:
    return httpx.post(url + "/api/v1/groups/1/appointments", json=body, headers={"Origin": url, **headers}, timeout=30)


def test_the_cli_refuses_to_start_without_a_secret_in_one_line() -> None:
    env = {"PATH": "/usr/bin:/bin", "BOOKGEN_APIKEY": "k", "BOOKGEN_PRO_EMAIL": "a", "BOOKGEN_PRO_PASSWORD": "b"}
    done = subprocess.run([sys.executable, "-m", "generator", "gateway", "--upstream", "https://www.clicrdv.com"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "error: BOOKGEN_SECRET is not set (or BOOKGEN_SECRET_FILE): the gateway refuses to start"
    ]


def test_port_0_announces_the_port_the_system_chose_and_serves_there() -> None:
    with ThreadServer(FakeClicRDV().app()) as upstream:
        gateway = GatewayProcess(upstream.url, port=0)
        try:
            wait_until(lambda: any("bookgen gateway on" in line for line in gateway.log), what="announcement")
            line = next(line for line in gateway.log if "bookgen gateway on" in line)
            match = re.search(r"http://127\.0\.0\.1:(\d+) ", line)
            assert match is not None and int(match.group(1)) != 0, line
            health = f"http://127.0.0.1:{match.group(1)}/healthz"

            def serving() -> bool:  # announced once bound; it listens a moment later
                try:
                    return httpx.get(health, timeout=1).status_code == 200
                except httpx.HTTPError:
                    return False

            wait_until(serving, what="gateway on the announced port")
        finally:
            gateway.stop()


def test_sigterm_lets_the_request_in_flight_finish_then_ends_the_process() -> None:
    fake = FakeClicRDV(delay=0.0)
    with ThreadServer(fake.app()) as upstream:
        gateway = GatewayProcess(upstream.url).wait_ready()
        fake.delay = 1.5
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            answer = pool.submit(_post, gateway.url, appointment())
            wait_until(lambda: any(s["path"] == "groups/1/appointments" for s in fake.seen), what="booking upstream")
            gateway.signal(signal.SIGTERM)
            response = answer.result(timeout=30)
        code = gateway.stop()
    assert response.status_code == 201
    assert code in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once its requests are done
    assert not any("Traceback" in line for line in gateway.log)
    assert len(fake.appointments) == 1


def test_sessions_survive_a_restart_with_the_same_secret_and_not_with_another() -> None:
    fake = FakeClicRDV()
    with ThreadServer(fake.app()) as upstream:
        first = GatewayProcess(upstream.url).wait_ready()
        login = httpx.post(first.url + "/api/v1/sessions/login", data=login_form(), headers={"Origin": first.url})
        cookie = login.cookies["bookgen_session"]
        first.stop()
        again = GatewayProcess(upstream.url, port=first.port).wait_ready()
        booked = httpx.post(again.url + "/api/v1/groups/3/appointments", json=BODY_3,
                            headers={"Origin": again.url}, cookies={"bookgen_session": cookie})  # fmt: skip
        again.stop()
        other = GatewayProcess(upstream.url, secret="another-secret-that-is-long-enough-0123").wait_ready()
        refused = httpx.post(other.url + "/api/v1/groups/3/appointments", json=BODY_3,
                             headers={"Origin": other.url}, cookies={"bookgen_session": cookie})  # fmt: skip
        other.stop()
    assert booked.status_code == 201
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "signin_required"
    logs = "\n".join(first.log + again.log + other.log)
    for secret in (APIKEY, SESSION_ID, cookie, "jane@example.test", "Jane"):
        assert secret not in logs
    assert '"route":"appointments"' in logs  # the access log is there, only without personal data


@needs_redis
def test_two_instances_with_redis_share_rate_limits_and_idempotency_keys() -> None:
    fake = FakeClicRDV(delay=0.3)
    with (ThreadServer(fake.app()) as upstream, redis_server() as redis_url,
          gateways(upstream.url, 2, "--storage", redis_url, "--rate-write", "4/minute") as (a, b)):  # fmt: skip
        key = {"Idempotency-Key": "shared-key-1"}
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            twins = list(pool.map(lambda g: _post(g.url, appointment(), **key), [a, b, a, b]))
        assert {t.status_code for t in twins} == {201} and len({t.content for t in twins}) == 1
        assert len(fake.appointments) == 1
        # 4 writes per minute per client IP, counted across both instances
        assert _post(b.url, appointment("2026-12-03 09:00:00")).status_code == 429
        limited = _post(a.url, appointment("2026-12-04 09:00:00"))
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert len(fake.appointments) == 1


@needs_redis
def test_sigkill_of_one_instance_under_load_loses_and_doubles_no_appointment() -> None:
    fake = FakeClicRDV(delay=0.05)
    clients = 40
    with ThreadServer(fake.app()) as upstream, redis_server() as redis_url:
        env = {"BOOKGEN_REQUEST_TIMEOUT": "3", "BOOKGEN_CALL_TIMEOUT": "2", "BOOKGEN_RATE_WRITE": "1000/minute"}
        with gateways(upstream.url, 2, "--storage", redis_url, env=env) as (a, b):

            def book(i: int) -> tuple[int, httpx.Response]:
                body = appointment(f"2026-12-{1 + i // 8:02d} {9 + i % 8:02d}:00:00")
                order = [a, b] if i % 2 else [b, a]
                deadline = __import__("time").monotonic() + 60
                attempt = 0
                while True:
                    gateway = order[attempt % 2] if order[0].process.poll() is None else b
                    attempt += 1
                    try:
                        response = _post(gateway.url, body, **{"Idempotency-Key": f"client-{i}"})
                        if response.status_code < 500 or __import__("time").monotonic() > deadline:
                            return i, response
                    except httpx.TransportError:
                        if __import__("time").monotonic() > deadline:
                            raise

            with concurrent.futures.ThreadPoolExecutor(10) as pool:
                futures = [pool.submit(book, i) for i in range(clients)]
                wait_until(lambda: len(fake.appointments) >= clients // 4, what="a quarter of the bookings")
                a.signal(signal.SIGKILL)
                results = dict(f.result(timeout=90) for f in futures)
    dates = [x["date"] for x in fake.appointments]
    assert len(dates) == len(set(dates)) == clients  # nothing lost, nothing doubled
    for _i, response in results.items():
        # 201, or ClicRDV's NotAvailable when the killed instance had booked it before dying
        assert response.status_code == 201 or response.json() == {"error": {"code": 10, "message": "NotAvailable"}}
