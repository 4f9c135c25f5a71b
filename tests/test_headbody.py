"""HeadWithoutBody: a HEAD's answer keeps the GET's status and headers and sends no body bytes.

httpx's ASGI transport drops a HEAD's body on its own, so what the apps themselves send is
looked at here, message by message.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.types import Message, Receive, Scope, Send

from generator.gateway import create_app as gateway_app
from generator.headbody import HeadWithoutBody
from generator.load.loader import load_site
from generator.sandbox import create_app as sandbox_app

from .gatewaykit import FakeClicRDV, settings


async def _streaming(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"6")]})
    await send({"type": "http.response.body", "body": b"abc", "more_body": True})
    await send({"type": "http.response.body", "body": b"def", "more_body": False})


def http(method: str, target: str = "/") -> Scope:
    path, _, query = target.partition("?")
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
            "path": path, "raw_path": path.encode(), "root_path": "", "query_string": query.encode(),
            "headers": [(b"host", b"127.0.0.1:8002")], "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8002)}  # fmt: skip


def run(app: Any, scope: Scope) -> list[Message]:
    """Every message ``app`` sends for ``scope`` (no request body)."""
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


def body_of(sent: list[Message]) -> bytes:
    return b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def test_a_head_answer_keeps_status_headers_and_message_sequence_but_sends_no_body_bytes() -> None:
    sent = run(HeadWithoutBody(_streaming), http("HEAD"))
    assert sent[0] == {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"6")]}
    assert [(m["body"], m["more_body"]) for m in sent[1:]] == [(b"", True), (b"", False)]


def test_other_methods_and_other_scope_types_pass_untouched() -> None:
    assert body_of(run(HeadWithoutBody(_streaming), http("GET"))) == b"abcdef"
    seen: list[str] = []

    async def lifespan_app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    run(HeadWithoutBody(lifespan_app), {"type": "lifespan"})
    assert seen == ["lifespan"]


def _gateway() -> Any:
    return gateway_app(settings(), transport=httpx.ASGITransport(app=FakeClicRDV().app()))


def _sandbox() -> Any:
    return sandbox_app(load_site(Path(__file__).parent / "fixtures" / "minisite"))


@pytest.mark.parametrize(
    ("make", "target"),
    [
        (_gateway, "/api/v1/groups/1"),
        (_gateway, "/api/v1/nothing"),  # a 404
        (_gateway, "/healthz"),
        (_sandbox, "/api/v1/groups/1?apikey=sandbox"),
        (_sandbox, "/api/v1/groups/999?apikey=sandbox"),  # a 401: no identity
    ],
)
def test_the_gateway_and_the_sandbox_send_a_heads_headers_without_body_bytes(make: Any, target: str) -> None:
    got, head = run(make(), http("GET", target)), run(make(), http("HEAD", target))
    assert head[0]["status"] == got[0]["status"]
    length = dict(head[0]["headers"])[b"content-length"]
    assert int(length) == len(body_of(got)) > 0 and body_of(head) == b""


def test_the_gateways_access_log_counts_no_bytes_for_a_head(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bookgen.gateway.access")
    run(_gateway(), http("HEAD", "/api/v1/groups/1"))
    entry = json.loads([r.getMessage() for r in caplog.records if r.name == "bookgen.gateway.access"][-1])
    assert (entry["method"], entry["route"], entry["status"], entry["bytes"]) == ("HEAD", "group", 200, 0)
