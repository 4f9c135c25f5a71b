"""Call the sandbox app in-process (httpx over ASGI), with the documented key and logins."""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from collections.abc import Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from generator.load.loader import load_site
from generator.sandbox import create_app

KEY = "sandbox"
PRO = ("pro@example.test", "sandbox")
CLIENT = ("client@example.test", "sandbox")
#: Monday 30 November 2026, 08:00 in Paris.
NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


class _ThreadLoop:
    """An event loop on its own thread: works even when the test's thread already runs
    one (Playwright's sync API leaves its loop running in an xdist worker that ran a
    browser test before, and ``run_until_complete`` there raises)."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    def run_until_complete(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


class Api:
    """A synchronous client of one sandbox app; keeps cookies like a browser."""

    def __init__(self, site: Path, now: datetime = NOW, **options: Any) -> None:
        self.clock = [now]
        self.app = create_app(load_site(site), now=lambda: self.clock[0], **options)
        self.store = self.app.state.sandbox
        self.loop = _ThreadLoop()
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://sandbox.test")

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()

    def call(self, method: str, path: str, *, key: str | None = KEY, auth: Any = PRO, params: Any = None,
             body: Any = None, raw: bytes | None = None, headers: dict[str, str] | None = None,
             data: Any = None) -> httpx.Response:  # fmt: skip
        """``path`` is under /api/v1/ unless it starts with /."""
        url = path if path.startswith("/") else f"/api/v1/{path}"
        query = list(params.items() if isinstance(params, dict) else params or [])
        if key is not None:
            query.append(("apikey", key))
        extra = dict(headers or {})
        if body is not None:
            raw = json.dumps(body).encode()
            extra.setdefault("content-type", "application/json")
        request = self.client.request(method, url, params=query, content=raw, data=data, headers=extra,
                                      auth=auth if auth is not None else httpx.USE_CLIENT_DEFAULT)  # fmt: skip
        return self.loop.run_until_complete(request)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        return self.call("POST", path, body=body, **kwargs)

    def slots(self, group_id: int = 1, **params: Any) -> list[str]:
        """The start times offered (``HH:MM`` or full strings when ``full``)."""
        query = {"intervention_ids[]": "100", **{k: str(v) for k, v in params.items()}}
        answer = self.get(f"groups/{group_id}/availabletimeslots", params=query)
        assert answer.status_code == 200, answer.text
        return [slot["start"] for slot in answer.json()["availabletimeslots"]]

    def book(self, date: str, *, group_id: int = 1, services=(100,), calendar: Any = None, auth: Any = PRO,
             **fiche: Any) -> httpx.Response:  # fmt: skip
        details = {"firstname": "Claude", "lastname": "Client", "email": CLIENT[0], **fiche}
        appointment: dict[str, Any] = {"date": date, "intervention_ids": list(services), "fiche": details}
        if calendar is not None:
            appointment["calendar_id"] = calendar
        return self.post(f"groups/{group_id}/appointments", {"appointment": appointment}, auth=auth)


def error(answer: httpx.Response) -> dict[str, Any]:
    """The one error shape, checked, as its inner object."""
    body = answer.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "number", "field", "message"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


def write_hours(site: Path, slug: str, hours: str, **settings: Any) -> None:
    lines = [f"{k} = {json.dumps(v)}" for k, v in settings.items()]
    (site / "groups" / slug / "page.toml").write_text("\n".join([*lines, "[hours]", hours, ""]), "utf-8")
