"""Built pages on one loopback origin book through ``bookgen gateway`` on another, in Chromium.

The chain is the production one of docs/deploy.md ("Own origin"): the static ``build/``
served by a plain HTTP server, ``python -m generator gateway --allow-origin <pages>`` as a
real process, and the sandbox (ClicRDV v1) behind it holding the gateway's key and Pro
login. Two ports on 127.0.0.1 are two origins of one site, as ``book.example.com`` and
``book-api.example.com`` are: the ``SameSite=Lax`` session cookie travels only if the page
asks fetch for credentials.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from generator.build import build
from generator.gateway.session import COOKIE_NAME
from generator.load.loader import load_site
from generator.sandbox import DEMO_ACCOUNT, create_app
from tests.browser.test_flow import FICHE, confirm, fill_details, pick, sign_in
from tests.gatewaykit import APIKEY, PRO
from tests.gatewayprocs import GatewayProcess, ThreadServer, free_port

GROUP = 1  # tests/fixtures/minisite/groups/spa
SECRETS = {"apikey": APIKEY, "Pro password": PRO[1],
           "Basic credentials": base64.b64encode(f"{PRO[0]}:{PRO[1]}".encode()).decode()}  # fmt: skip


def set_group(site: Path, **changes: Any) -> None:
    path = site / "groups" / "spa" / "group.json"
    data = json.loads(path.read_text("utf-8"))
    data.get("group", data).update(changes)
    path.write_text(json.dumps(data), "utf-8")


@dataclass
class Chain:
    pages: str  # the pages' origin
    gateway: GatewayProcess
    sandbox: Any  # the sandbox's store

    def booked(self) -> list[dict[str, Any]]:
        return self.sandbox.appointments(GROUP)


@pytest.fixture
def chain(minisite: Path, tmp_path: Path, serve_dir) -> Iterator[Any]:
    """``chain(**group_changes)`` → a :class:`Chain`; everything stops at teardown."""
    started: list[tuple[ThreadServer, GatewayProcess]] = []

    def start(**changes: Any) -> Chain:
        set_group(minisite, validateEmail=False, **changes)
        gateway_port = free_port()
        toml = minisite / "site.toml"
        toml.write_text(toml.read_text("utf-8").replace(
            'api_base_url = "/api/v1"', f'api_base_url = "http://127.0.0.1:{gateway_port}/api/v1"'), "utf-8")  # fmt: skip
        build(minisite, tmp_path / "out")
        pages = serve_dir(tmp_path / "out")
        app = create_app(load_site(minisite), apikey=APIKEY, pro_email=PRO[0], pro_password=PRO[1])
        sandbox = ThreadServer(app).__enter__()
        gateway = GatewayProcess(sandbox.url, "--allow-origin", pages.url, port=gateway_port)
        started.append((sandbox, gateway))
        gateway.wait_ready()
        return Chain(pages.url, gateway, app.state.sandbox)

    yield start
    for sandbox, gateway in started:
        gateway.stop()
        sandbox.__exit__()


def book_signed_in(page, chain: Chain) -> str:
    page.goto(f"{chain.pages}/spa/en/")
    page.click("[data-service='100'] button")
    page.click("[data-calendar='10'] button")
    start = pick(page)
    sign_in(page, DEMO_ACCOUNT[0], DEMO_ACCOUNT[1])
    fill_details(page, {**FICHE, "email": DEMO_ACCOUNT[0]})
    confirm(page)
    return start


def test_a_page_on_another_origin_signs_in_and_books_with_the_session_cookie(chain, page) -> None:
    # open=false: ClicRDV (and so the gateway) takes bookings from signed-in Accounts only, so
    # the booking succeeds only if the cookie set by sessions/login came back with it.
    running = chain(open=False)
    sent: list[Any] = []
    page.on("request", lambda r: sent.append(r) if "/api/v1/" in r.url else None)
    start = book_signed_in(page, running)
    assert [a["start"] for a in running.booked()] == [start]
    gateway_cookies = page.context.cookies(running.gateway.url)
    assert [c["name"] for c in gateway_cookies] == [COOKIE_NAME]
    assert gateway_cookies[0]["httpOnly"] and gateway_cookies[0]["sameSite"] == "Lax"
    assert all(r.url.startswith(running.gateway.url + "/") for r in sent)
    booking = [r for r in sent if r.method == "POST" and "/appointments" in r.url]
    assert len(booking) == 1 and f"{COOKIE_NAME}=" in booking[0].all_headers().get("cookie", "")


def test_the_gateway_answers_cors_with_credentials_for_the_allowed_pages_only(chain, page) -> None:
    running = chain()
    page.goto(f"{running.pages}/spa/en/")
    answers = {}
    for origin in (running.pages, "http://127.0.0.1:9"):
        reply = page.request.get(f"{running.gateway.url}/api/v1/groups/{GROUP}.json", headers={"Origin": origin})
        answers[origin] = reply.headers
    assert answers[running.pages]["access-control-allow-origin"] == running.pages
    assert answers[running.pages]["access-control-allow-credentials"] == "true"
    assert "access-control-allow-origin" not in answers["http://127.0.0.1:9"]
    assert "access-control-allow-credentials" not in answers["http://127.0.0.1:9"]


@pytest.mark.parametrize("signed_in", [False, True], ids=["pro-identity", "client-account"])
def test_the_key_and_pro_login_appear_nowhere_chromium_or_the_logs_can_see(chain, page, signed_in: bool) -> None:
    # Without an account the gateway books with its Pro login; with one, the client's session.
    running = chain(open=not signed_in)
    responses: list[Any] = []
    requests: list[Any] = []
    page.on("response", lambda r: responses.append(r))
    page.on("request", lambda r: requests.append(r))
    if signed_in:
        start = book_signed_in(page, running)
    else:
        page.goto(f"{running.pages}/spa/en/")
        page.click("[data-service='100'] button")
        page.click("[data-calendar='10'] button")
        start = pick(page)
        fill_details(page)
        confirm(page)
    assert [a["start"] for a in running.booked()] == [start]
    seen: dict[str, str] = {"page HTML": page.content(), "cookies": json.dumps(page.context.cookies()),
                            "requests": json.dumps([[r.url, r.all_headers(), r.post_data] for r in requests])}  # fmt: skip
    api_paths = set()
    for index, response in enumerate(responses):
        body = response.body().decode("utf-8", "replace") if response.status not in (204, 304) else ""
        seen[f"response {index} {response.url}"] = json.dumps(response.all_headers()) + body
        if "/api/v1/" in response.url:
            api_paths.add(response.url.split("/api/v1/")[1].split("?")[0].split("/")[-1].removesuffix(".json"))
    # The page's settings and lists are built in; what goes through the gateway is this:
    assert api_paths == {"availabletimeslots", "appointments"} | ({"login"} if signed_in else set())
    running.gateway.stop()  # flushes its log
    seen["gateway log"] = "\n".join(running.gateway.log)
    assert '"route":"appointments","path"' in seen["gateway log"] and '"status":201' in seen["gateway log"]
    leaks = [f"{what} in {where}" for where, text in seen.items() for what, secret in SECRETS.items()
             if secret in text]  # fmt: skip
    assert leaks == []
    assert "_session_id" not in seen["cookies"]
