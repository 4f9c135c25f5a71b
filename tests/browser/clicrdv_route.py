"""ClicRDV v1's booking calls, answered inside Chromium (``page.route``), for runtime tests.

Only the shapes of clicrdv-api.md §2–§5 and the sandbox's error body
(docs/clicrdv-assumptions.md): the availability object with ``firstSlot``, a 201 with
the bare record, 400 with a code, ``sessions/login`` with a SHA-1 password and a
``_session_id`` cookie, ``accounts`` with ``pendingRdv``. It lets a test shape what the
API answers (an empty month, a taken slot, a proxy's HTML 502) and records every
request exactly as the page sent it. Booking end to end through ``bookgen serve`` and
the sandbox is in test_flow.py.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

HOURS = ("10:00:00", "11:00:00", "14:30:00")


@dataclass
class Sent:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class ClicRDVRoute:
    """``install(page)`` answers ``/api/v1/**``; ``sent`` lists what the page sent."""

    today: date
    first_free: date | None = None  # no slot before this day (None: from today)
    hours: tuple[str, ...] = HOURS  # the free times of every free day
    accounts: dict[str, str] = field(default_factory=dict)  # email → password (clear)
    taken: set[str] = field(default_factory=set)
    refuse: list[str] = field(default_factory=list)  # codes for the next POSTs, in order
    faults: list[tuple[int, str, str]] = field(default_factory=list)  # (status, type, body) next answers
    sent: list[Sent] = field(default_factory=list)
    booked: list[dict[str, Any]] = field(default_factory=list)

    def install(self, page: Any) -> None:
        page.route("**/api/v1/**", self._answer)

    def posts(self, path_end: str) -> list[Sent]:
        return [s for s in self.sent if s.method == "POST" and s.path.endswith(path_end)]

    def _answer(self, route: Any, request: Any) -> None:
        url = urlsplit(request.url)
        path = url.path.split("/api/v1/", 1)[1]
        raw = request.post_data or ""
        content_type = request.headers.get("content-type", "")
        body: Any = parse_qs(raw) if "urlencoded" in content_type else (json.loads(raw) if raw else None)
        self.sent.append(Sent(request.method, path, parse_qs(url.query, keep_blank_values=True), request.headers, body))
        if self.faults:
            status, kind, text = self.faults.pop(0)
            if status == 0:
                return route.abort()
            return route.fulfill(status=status, content_type=kind, body=text)
        status, payload, headers = self._handle(request.method, path, body)
        route.fulfill(status=status, content_type="application/json", body=json.dumps(payload), headers=headers)

    def _handle(self, method: str, path: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        if path.endswith("availabletimeslots"):
            return 200, self._slots(self.sent[-1].query), {}
        if path == "sessions/login":
            email = body.get("account[email]", [""])[0]
            password = body.get("account[password]", [""])[0]
            known = self.accounts.get(email)
            if known is None or hashlib.sha1(known.encode()).hexdigest() != password:
                return 401, {"error": {"code": None, "message": "wrong email or password"}}, {}
            return 200, {"account": {"email": email}, "error": None}, {"Set-Cookie": "_session_id=s1; Path=/; HttpOnly"}
        if self.refuse:
            code = self.refuse.pop(0)
            return 400, {"error": {"code": code, "message": code}}, {}
        if path == "accounts":
            account = body["account"]
            return 201, {"id": 900 + len(self.booked), "email": account["email"], "group_id": account["group_id"]}, {}
        appointment = body["appointment"]
        if appointment["date"] in self.taken:
            return 400, {"error": {"code": "NotAvailable", "number": 10, "message": "taken"}}, {}
        self.taken.add(appointment["date"])
        self.booked.append(appointment)
        record = {"id": 700 + len(self.booked), "start": appointment["date"], **appointment}
        return 201, record, {}

    def _free(self, start: date, end: date) -> list[str]:
        first = max(self.first_free or self.today, self.today, start)
        days = (first + timedelta(days=n) for n in range((end - first).days + 1))
        return [f"{d} {h}" for d in days for h in self.hours if f"{d} {h}" not in self.taken]

    def _slots(self, query: dict[str, list[str]]) -> dict[str, Any]:
        start = datetime.strptime(query["start"][0], "%Y-%m-%d %H:%M:%S").date()
        end = datetime.strptime(query["end"][0], "%Y-%m-%d %H:%M:%S").date()
        later = self._free(start, start + timedelta(days=90))
        return {
            "group_id": 1,
            "firstSlot": later[0] if later else None,
            "intervention_ids": [int(i) for i in query["intervention_ids[]"]],
            "calendar_id": query["calendar_id"][0],
            "calendar_ids": [10, 11],
            "availabletimeslots": [{"start": s, "capacity": 1, "calendar_ids": [10]} for s in self._free(start, end)],
        }
