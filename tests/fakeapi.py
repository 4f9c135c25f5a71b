"""A fake ClicRDV API v1 (Group resources) on loopback HTTP, for the faults a faithful sandbox
should not have: slow drips, endless bodies, echoed secrets, 5xx, 429, dropped connections.

What it enforces is what ``docs/clicrdv-api.md`` documents (§1–§4): paths end in ``.json``;
``apikey`` in the query (a key only in the body is no key); a Pro identity on every
call, HTTP Basic or the ``_session_id`` cookie of ``POST sessions/login.json`` with
``pro[email]`` and ``pro[password]`` as SHA-1 hex; 401 without a challenge header; error
bodies in the sandbox's shape ``{"error": {"code", "number", "field", "message"}}``
(docs/clicrdv-assumptions.md), which extends the login answer's ``error`` key; lists in the seven-key envelope,
paged by ``results`` (default 25, or ``all``) and ``startIndex``. It records every
request, and can be told to misbehave on a path once per queued action.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

APIKEY = "sk-test-5f1e2d3c4b5a69788796a5b4"
PRO_EMAIL = "pro@example.test"
PRO_PASSWORD = "pw-Tr0ub4dor-3xample"
PREFIX = "/api/v1"
ENVELOPE_KEYS = ("records", "sort", "dir", "totalRecords", "startIndex", "recordsReturned", "pageSize")


@dataclass(frozen=True)
class Seen:
    """One request as the server saw it (the query includes the apikey)."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw_body: bytes = b""


@dataclass
class FakeGroupAPI:
    apikey: str = APIKEY
    email: str = PRO_EMAIL
    password: str = PRO_PASSWORD
    page_size: int = 25
    wrap_group: bool = True
    groups: dict[int, dict[str, Any]] = field(default_factory=dict)
    lists: dict[int, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    offers: dict[int, dict[int, set[int]]] = field(default_factory=dict)
    forbidden: set[int] = field(default_factory=set)
    requests: list[Seen] = field(default_factory=list)
    sessions: set[str] = field(default_factory=set)
    #: Bytes of body written by "drip" and "endless" answers before the client hung up.
    streamed: list[int] = field(default_factory=list)
    _actions: dict[tuple[str | None, str], list[Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    # Setup

    def add_group(
        self,
        group: dict[str, Any],
        calendars: list[dict[str, Any]] = (),  # type: ignore[assignment]
        interventions: list[dict[str, Any]] = (),  # type: ignore[assignment]
        sets: list[dict[str, Any]] = (),  # type: ignore[assignment]
        offers: dict[int, set[int]] | None = None,
    ) -> None:
        """``offers`` maps calendar id → service ids (default: every calendar offers every service)."""
        group_id = group["id"]
        self.groups[group_id] = copy.deepcopy(group)
        self.lists[group_id] = {
            "calendars": copy.deepcopy(list(calendars)),
            "interventions": copy.deepcopy(list(interventions)),
            "interventionsets": copy.deepcopy(list(sets)),
        }
        every = {i["id"] for i in interventions}
        self.offers[group_id] = offers if offers is not None else {c["id"]: set(every) for c in calendars}

    def misbehave(self, path: str, *actions: Any, method: str | None = None) -> None:
        """Queue answers for ``path`` (without /api/v1), for any or one ``method``: an int
        status, ``("retry-after", "2")``, ``"drop"`` (close without answering),
        ``("body", status, bytes[, headers])``, ``("drip", seconds_per_byte, length)`` (a 200 whose
        declared body comes one byte at a time) or ``("endless", chunk)`` (a 200 whose
        body never ends). Actions apply before any check of key or identity."""
        self._actions.setdefault((method, path), []).extend(actions)

    def seen(self, method: str | None = None, path: str | None = None) -> list[Seen]:
        """Requests so far, by method and path (``/groups/7`` matches ``/groups/7.json``)."""
        with self._lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method)
                and (path is None or r.path in (path, path + ".json"))
            ]

    # Serving

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{PREFIX}"

    def __enter__(self) -> FakeGroupAPI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._handle(self)

            def do_PUT(self) -> None:
                fake._handle(self)

            def do_POST(self) -> None:
                fake._handle(self)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    # Answers

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        query = parse_qs(parts.query)
        path = parts.path.removeprefix(PREFIX)
        body: Any = None
        raw = b""
        if handler.command in ("PUT", "POST"):
            length = int(handler.headers.get("content-length") or 0)
            raw = handler.rfile.read(length)
            if "json" in handler.headers.get("content-type", ""):
                body = json.loads(raw) if raw else None
            else:
                body = parse_qs(raw.decode())
        headers = {k.lower(): v for k, v in handler.headers.items()}
        with self._lock:
            self.requests.append(Seen(handler.command, path, query, body, headers, raw))
            bare = path.removesuffix(".json")
            queued = self._actions.get((handler.command, bare)) or self._actions.get((None, bare))
            action = queued.pop(0) if queued else None
        if action == "drop":
            handler.close_connection = True
            return
        if isinstance(action, int):
            return self._send(handler, action, {"error": "unavailable"})
        if isinstance(action, tuple) and action[0] == "retry-after":
            return self._send(handler, 429, {"error": "slow down"}, {"Retry-After": action[1]})
        if isinstance(action, tuple) and action[0] == "body":
            return self._send_raw(handler, action[1], action[2], *action[3:])
        if isinstance(action, tuple) and action[0] in ("drip", "endless"):
            return self._stream(handler, action)
        if query.get("apikey") != [self.apikey]:
            return self._send(handler, 401, {"error": "invalid apikey"})
        if not path.endswith(".json"):
            return self._send(handler, 404, {"error": "not found"})
        path = path.removesuffix(".json")
        if path == "/sessions/login" and handler.command == "POST":
            return self._login(handler, body)
        if not self._identified(headers):
            return self._send(handler, 401, {"error": "authentication required"})
        status, answer = self._route(handler.command, path, query, body)
        self._send(handler, status, answer)

    def _identified(self, headers: dict[str, str]) -> bool:
        token = base64.b64encode(f"{self.email}:{self.password}".encode()).decode()
        if headers.get("authorization") == f"Basic {token}":
            return True
        cookies = dict(
            part.strip().split("=", 1) for part in headers.get("cookie", "").split(";") if "=" in part
        )
        return cookies.get("_session_id") in self.sessions

    def _login(self, handler: BaseHTTPRequestHandler, form: Any) -> None:
        digest = hashlib.sha1(self.password.encode()).hexdigest()
        form = form if isinstance(form, dict) else {}
        if form.get("pro[email]") != [self.email] or form.get("pro[password]") != [digest]:
            return self._send(handler, 401, {"pro": None, "error": "wrong login or password"})
        session = secrets.token_hex(16)
        with self._lock:
            self.sessions.add(session)
        answer = {"pro": {"id": 1, "email": self.email, "group_id": 42}, "error": None}
        cookie = {"Set-Cookie": f"_session_id={session}; path=/; HttpOnly"}
        self._send(handler, 200, answer, cookie)

    def _stream(self, handler: BaseHTTPRequestHandler, action: tuple[Any, ...]) -> None:
        """Write a body slowly or forever, until the client hangs up; count what was written."""
        written = 0
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        if action[0] == "drip":
            handler.send_header("Content-Length", str(action[2]))
        handler.end_headers()
        try:
            if action[0] == "drip":
                for _ in range(action[2]):
                    handler.wfile.write(b" ")
                    handler.wfile.flush()
                    written += 1
                    time.sleep(action[1])
            else:
                chunk = b"[" + b" " * (action[1] - 1)
                while True:
                    handler.wfile.write(chunk)
                    written += len(chunk)
        except OSError:
            pass  # the client hung up: what this fault is for
        finally:
            handler.close_connection = True
            with self._lock:
                self.streamed.append(written)

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        segments = path.strip("/").split("/")
        if segments == ["groups"] and method == "GET":
            return 200, self._page([self.groups[i] for i in sorted(self.groups)], query)
        if len(segments) < 2 or segments[0] != "groups" or not segments[1].isdigit():
            return 404, {"error": "Not found"}
        group_id = int(segments[1])
        if group_id not in self.groups:
            return 404, {"error": "Group not found"}
        if group_id in self.forbidden:
            return 403, {"error": "Forbidden"}
        if len(segments) == 2 and method == "GET":
            group = copy.deepcopy(self.groups[group_id])
            return 200, {"group": group} if self.wrap_group else group
        if len(segments) == 2 and method == "PUT":
            if not isinstance(body, dict) or not isinstance(body.get("group"), dict):
                return 400, {"error": "expected {group: {...}}"}
            self.groups[group_id].update(body["group"])
            return 200, copy.deepcopy(self.groups[group_id])
        if len(segments) == 3 and method == "GET" and segments[2] in self.lists[group_id]:
            records = self.lists[group_id][segments[2]]
            records = self._filter(group_id, segments[2], records, query)
            return 200, self._page(records, query)
        return 404, {"error": "Not found"}

    def _filter(
        self, group_id: int, kind: str, records: list[dict[str, Any]], query: dict[str, list[str]]
    ) -> list[dict[str, Any]]:
        offers = self.offers[group_id]
        if kind == "calendars" and "intervention_ids[]" in query:
            wanted = {int(v) for v in query["intervention_ids[]"]}
            return [c for c in records if offers.get(c["id"], set()) & wanted]
        if kind == "interventions" and "calendar_ids[]" in query:
            offered = set().union(*(offers.get(int(v), set()) for v in query["calendar_ids[]"]))
            return [i for i in records if i["id"] in offered]
        return records

    def _page(self, records: list[dict[str, Any]], query: dict[str, list[str]]) -> dict[str, Any]:
        results = query.get("results", ["25"])[0]
        start = int(query.get("startIndex", ["0"])[0])
        size = len(records) if results == "all" else min(int(results), self.page_size)
        page = records[start : start + size]
        return {
            "records": copy.deepcopy(page),
            "sort": None,
            "dir": None,
            "totalRecords": len(records),
            "startIndex": start,
            "recordsReturned": len(page),
            "pageSize": size,
        }

    @staticmethod
    def _send(
        handler: BaseHTTPRequestHandler, status: int, answer: Any, headers: dict[str, str] | None = None
    ) -> None:
        if isinstance(answer, dict) and isinstance(answer.get("error"), str):
            message = answer["error"]
            answer = {**answer, "error": {"code": None, "number": None, "field": None, "message": message}}
        FakeGroupAPI._send_raw(handler, status, json.dumps(answer).encode(), headers)

    @staticmethod
    def _send_raw(
        handler: BaseHTTPRequestHandler, status: int, data: bytes, headers: dict[str, str] | None = None
    ) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)


def sample_groups(api: FakeGroupAPI) -> None:
    """Three groups: a spa with sets and an association, a shop, and an accented name."""
    api.add_group(
        {
            "id": 42,
            "urlname": "eden-spa",
            "name": "Eden Spa",
            "preposition": "chez",
            "timezone": "Paris",
            "currency_code": "EUR",
            "calendarChoice": "2",
            "anyCalendar": "1",
            "display_intervention_price": "1",
            "display_intervention_length": "1",
            "max_multirdvs": 1,
            "phone": "01 83 62 04 04",
            "usercolors": json.dumps(
                {"content_bg": "#FDF7E8", "main_bg": "#F1C48D", "main_text": "#FFFFFF"}, separators=(",", ":")
            ),
        },
        calendars=[{"id": 11, "name": "Bruno"}, {"id": 10, "name": "Alice"}],
        interventions=[
            {"id": 102, "name": "Soin visage", "length": 45, "price": 5500, "interventionset_id": 2},
            {"id": 100, "name": "Massage", "length": 60, "price": 7500, "interventionset_id": 1},
            {"id": 101, "name": "Massage duo", "length": 90, "price": 14000, "interventionset_id": 1},
            {"id": 103, "name": "Ancien soin", "deleted": "1", "interventionset_id": 2},
        ],
        sets=[{"id": 2, "name": "Visage", "sort": 2}, {"id": 1, "name": "Massages", "sort": 1}],
        offers={10: {100, 101}, 11: {101, 102}},
    )
    api.add_group(
        {"id": 7, "name": "Kings Cross Barbers", "timezone": "London", "currency_code": "GBP"},
        calendars=[{"id": 70, "name": "Chair 1"}],
        interventions=[{"id": 700, "name": "Cut", "length": 30, "price": 2500}],
    )
    api.add_group({"id": 9, "name": "Clinique du Lac à Genève", "timezone": "Bern", "currency_code": "CHF"})


def credentials(auth: str = "basic", **changes: str) -> Any:
    """The fake's key and Pro login as a ``Credentials``, with ``changes`` (apikey, email, password)."""
    from generator.remote import Credentials

    values = {"apikey": APIKEY, "email": PRO_EMAIL, "password": PRO_PASSWORD, **changes}
    return Credentials(auth=auth, **values)


#: The environment `bookgen pull` / `push` read the fake's secrets from.
ENV = {"BOOKGEN_APIKEY": APIKEY, "BOOKGEN_PRO_EMAIL": PRO_EMAIL, "BOOKGEN_PRO_PASSWORD": PRO_PASSWORD}
