"""A tiny ClicRDV v1 stand-in for the gateway's tests, and helpers to call a gateway in-process.

The fake upstream speaks the documented contract (clicrdv-api.md §2-§5): ``apikey`` in the
query (401 otherwise), Basic Pro login or ``_session_id`` cookie, list envelopes,
``availabletimeslots``, ``POST appointments`` (201 bare record, 400 ``NotAvailable`` on a
taken slot), ``sessions/login`` with ``account[email]`` / SHA-1 ``account[password]``,
``sessions/logout``, ``accounts``. ``fault`` makes the next answers misbehave.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from generator.gateway import Settings, create_app

APIKEY = "k-live-7b2f9d41c0e8a6"
SECRET = "s" * 16 + "-cookie-secret-for-tests-0123456789"
PRO = ("pro@gateway.test", "pro-password")
CLIENT_EMAIL = "jane@example.test"
CLIENT_PASSWORD = hashlib.sha1(b"jane-password").hexdigest()
SESSION_ID = "upstream-session-4f7a"

GROUPS: dict[int, dict[str, Any]] = {
    1: {"id": 1, "name": "Open Salon", "open": True, "openData": True, "inactive": False, "max_multirdvs": 2,
        "sms_sender_name": "SALON", "check_sms": 1},
    2: {"id": 2, "name": "Closed Shop", "inactive": "1", "open": 1, "openData": 1},
    3: {"id": 3, "name": "Members Club", "open": False, "openData": "0", "inactive": 0, "max_multirdvs": 1},
}  # fmt: skip
INTERVENTIONS = {1: [{"id": 21, "name": "Cut"}, {"id": 22, "name": "Old", "deleted": True}],
                 2: [{"id": 31}], 3: [{"id": 41}]}  # fmt: skip
CALENDARS = {1: [{"id": 15, "name": "Anna"}, {"id": 16, "deleted": 1}], 2: [{"id": 35}], 3: [{"id": 45}]}


@dataclass
class FakeClicRDV:
    """State of the fake upstream: what it received and created, and queued faults."""

    seen: list[dict[str, Any]] = field(default_factory=list)
    appointments: list[dict[str, Any]] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)  # "500", "html", "truncated", "slow", "redirect"
    path_faults: dict[str, list[str]] = field(default_factory=dict)  # the same, for one path only
    delay: float = 0.0
    echo_key: bool = False

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/api/v1/{path:path}", self.handle, methods=["GET", "POST"])])

    def _identity(self, request: Request) -> str | None:
        auth = request.headers.get("authorization", "")
        if auth.startswith("Basic "):
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            return "pro" if (user, password) == PRO else None
        return "account" if request.cookies.get("_session_id") == SESSION_ID else None

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        path = request.path_params["path"].removesuffix(".json")
        self.seen.append({"method": request.method, "path": path, "query": list(request.query_params.multi_items()),
                          "headers": dict(request.headers), "body": body})  # fmt: skip
        queue = self.path_faults.get(path) or self.faults
        if queue:
            fault = queue.pop(0)
            if fault == "500":
                return JSONResponse({"error": "boom"}, status_code=500)
            if fault == "html":
                return Response("<html><body>502 Bad Gateway</body></html>", 502, media_type="text/html")
            if fault == "html200":
                return Response("<html>maintenance</html>", 200, media_type="text/html")
            if fault == "truncated":
                return Response(b'{"records": [{"id": 1', 200, media_type="application/json")
            if fault == "redirect":
                return Response(status_code=302, headers={"Location": "/login"})
            if fault == "slow":
                await asyncio.sleep(30)
        if self.delay:
            await asyncio.sleep(self.delay)
        if request.query_params.get("apikey") != APIKEY:
            return JSONResponse({"error": "invalid apikey"}, status_code=401)
        if path == "sessions/login":
            form = dict(parse_qsl(body.decode()))
            if (form.get("account[email]"), form.get("account[password]")) != (CLIENT_EMAIL, CLIENT_PASSWORD):
                return JSONResponse({"account": None, "error": "wrong login or password"}, status_code=401)
            answer = JSONResponse({"account": {"id": 7, "group_id": 3, "email": CLIENT_EMAIL}, "error": None})
            answer.set_cookie("_session_id", SESSION_ID, httponly=True)
            return answer
        if path == "accounts" and request.method == "POST":  # creates an identity: needs none
            account = json.loads(body)["account"]
            return JSONResponse({"id": 99, "email": account["email"], "group_id": account["group_id"]}, 201)
        identity = self._identity(request)
        if identity is None:
            return JSONResponse({"error": "not allowed"}, status_code=401)
        if path == "sessions/logout":
            return JSONResponse({"error": None})
        if path == "groups" and request.method == "GET":
            return JSONResponse(_envelope([GROUPS[1]]))
        parts = path.split("/")
        if len(parts) < 2 or parts[0] != "groups" or not parts[1].isdigit() or int(parts[1]) not in GROUPS:
            return JSONResponse({"error": "not found"}, status_code=404)
        group_id, resource = int(parts[1]), "/".join(parts[2:])
        if resource == "" and request.method == "GET":
            group = dict(GROUPS[group_id])
            if self.echo_key:
                group["note"] = f"called with {APIKEY}"
            return JSONResponse({"group": group})
        if resource == "interventions":
            return JSONResponse(_envelope(INTERVENTIONS[group_id]))
        if resource == "calendars":
            return JSONResponse(_envelope(CALENDARS[group_id]))
        if resource == "interventionsets":
            return JSONResponse(_envelope([{"id": 5, "publicname": "Hair"}]))
        if resource == "availabletimeslots":
            return JSONResponse({"group_id": group_id, "firstSlot": "2026-12-01 09:00:00", "intervention_ids": [21],
                                 "calendar_id": "", "calendar_ids": [15],
                                 "availabletimeslots": [{"start": "2026-12-01 09:00:00", "capacity": 1,
                                                         "calendar_ids": [15]}]})  # fmt: skip
        if resource == "appointments" and request.method == "POST":
            record = json.loads(body)["appointment"]
            if any(a["date"] == record["date"] and a["group_id"] == group_id for a in self.appointments):
                return JSONResponse({"error": {"code": 10, "message": "NotAvailable"}}, status_code=400)
            created = {"id": len(self.appointments) + 1, "group_id": group_id, **record}
            self.appointments.append(created)
            return JSONResponse(created, status_code=201)
        return JSONResponse({"error": "not found"}, status_code=404)


def _envelope(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"records": records, "sort": None, "dir": None, "totalRecords": len(records), "startIndex": 0,
            "recordsReturned": len(records), "pageSize": 25}  # fmt: skip


def settings(**overrides: Any) -> Settings:
    base: dict[str, Any] = {"upstream": "http://upstream.test", "apikey": APIKEY, "secrets": (SECRET,),
                            "pro_email": PRO[0], "pro_password": PRO[1], "call_timeout": 2.0,
                            "request_timeout": 4.0, "connect_timeout": 1.0}  # fmt: skip
    return Settings(**{**base, **overrides})


ORIGIN = "http://127.0.0.1:8002"


def gateway_client(fake: FakeClicRDV, *, base_url: str = ORIGIN, transport: httpx.AsyncBaseTransport | None = None,
                   **overrides: Any) -> httpx.AsyncClient:  # fmt: skip
    """An httpx client talking to a gateway app (in-process) whose upstream is ``fake``."""
    upstream = transport or httpx.ASGITransport(app=fake.app())
    app = create_app(settings(**overrides), transport=upstream)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url,
                             headers={"Origin": base_url})  # fmt: skip


def appointment(date: str = "2026-12-01 09:00:00", **extra: Any) -> dict[str, Any]:
    return {"appointment": {"date": date, "intervention_ids": [21], "calendar_id": 15, "from_web": 1,
                            "fiche": {"firstname": "Jane", "lastname": "Doe", "email": CLIENT_EMAIL,
                                      "firstphone": "+33 6 12 34 56 78"}, **extra}}  # fmt: skip


def login_form(password: str = CLIENT_PASSWORD) -> dict[str, str]:
    return {"account[email]": CLIENT_EMAIL, "account[password]": password}
