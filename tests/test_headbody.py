"""HeadWithoutBody: a HEAD's answer keeps the GET's status and headers and sends no body bytes."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from generator.headbody import HeadWithoutBody


async def _streaming(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"6")]})
    await send({"type": "http.response.body", "body": b"abc", "more_body": True})
    await send({"type": "http.response.body", "body": b"def", "more_body": False})


def run(app: Any, scope: Scope) -> list[Message]:
    """Every message ``app`` sends for ``scope`` (no request body)."""
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


def http(method: str) -> Scope:
    return {"type": "http", "method": method, "path": "/", "headers": []}


def test_a_head_answer_keeps_status_headers_and_message_sequence_but_sends_no_body_bytes() -> None:
    sent = run(HeadWithoutBody(_streaming), http("HEAD"))
    assert sent[0] == {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"6")]}
    assert [(m["body"], m["more_body"]) for m in sent[1:]] == [(b"", True), (b"", False)]


def test_other_methods_and_other_scope_types_pass_untouched() -> None:
    assert b"".join(m.get("body", b"") for m in run(HeadWithoutBody(_streaming), http("GET"))) == b"abcdef"
    seen: list[str] = []

    async def lifespan_app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    run(HeadWithoutBody(lifespan_app), {"type": "lifespan"})
    assert seen == ["lifespan"]
