"""A fake ClicRDV Group API (v1) served over loopback HTTP from a thread of the test process.

It pages lists as ClicRDV does (``{"records": [...], "totalRecords": N}``, ``results``
and ``startIndex``, ``results=all``), checks ``?apikey=``, answers 403/404, filters
the calendar/service association, records every request, and can be told to
misbehave on a path: a status code, a 429 with ``Retry-After``, a dropped
connection or a malformed body, once per queued action.
"""

from __future__ import annotations

import copy
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

APIKEY = "sk-test-5f1e2d3c4b5a69788796a5b4"
PREFIX = "/api/v1"


@dataclass(frozen=True)
class Seen:
    """One request as the server saw it (the query includes the apikey)."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any = None


@dataclass
class FakeGroupAPI:
    apikey: str = APIKEY
    page_size: int = 25
    wrap_group: bool = True
    groups: dict[int, dict[str, Any]] = field(default_factory=dict)
    lists: dict[int, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    offers: dict[int, dict[int, set[int]]] = field(default_factory=dict)
    forbidden: set[int] = field(default_factory=set)
    requests: list[Seen] = field(default_factory=list)
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
        status, ``("retry-after", "2")``, ``"drop"`` (close without answering) or
        ``("body", status, bytes)``."""
        self._actions.setdefault((method, path), []).extend(actions)

    def seen(self, method: str | None = None, path: str | None = None) -> list[Seen]:
        with self._lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method) and (path is None or r.path == path)
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
        body = None
        if handler.command == "PUT":
            length = int(handler.headers.get("content-length") or 0)
            raw = handler.rfile.read(length)
            body = json.loads(raw) if raw else None
        with self._lock:
            self.requests.append(Seen(handler.command, path, query, body))
            queued = self._actions.get((handler.command, path)) or self._actions.get((None, path))
            action = queued.pop(0) if queued else None
        if action == "drop":
            handler.close_connection = True
            return
        if isinstance(action, int):
            return self._send(handler, action, {"error": "unavailable"})
        if isinstance(action, tuple) and action[0] == "retry-after":
            return self._send(handler, 429, {"error": "slow down"}, {"Retry-After": action[1]})
        if isinstance(action, tuple) and action[0] == "body":
            return self._send_raw(handler, action[1], action[2])
        if query.get("apikey") != [self.apikey]:
            return self._send(handler, 401, {"error": "Invalid API key"})
        status, answer = self._route(handler.command, path, query, body)
        self._send(handler, status, answer)

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
            return 200, {"group": copy.deepcopy(self.groups[group_id])}
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
        results = query.get("results", [str(self.page_size)])[0]
        start = int(query.get("startIndex", ["0"])[0])
        size = len(records) if results == "all" else min(int(results), self.page_size)
        page = records[start : start + size]
        return {"records": copy.deepcopy(page), "totalRecords": len(records)}

    @staticmethod
    def _send(
        handler: BaseHTTPRequestHandler, status: int, answer: Any, headers: dict[str, str] | None = None
    ) -> None:
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
