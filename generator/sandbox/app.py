"""The sandbox's ASGI app: ClicRDV v1 paths on Starlette (clicrdv-api.md §1-§5).

Every path may end in ``.json`` or not (``.xml`` is refused: the sandbox speaks JSON
only). Bodies of POST/PUT are JSON (``Content-Type: application/json``), at most
``MAX_BODY_BYTES`` (larger → 413) and ``MAX_DEPTH`` levels deep (deeper → 400);
``sessions/login`` also takes form fields or query parameters. Answers are JSON,
never an HTML error page: an unexpected fault is a 500 in the one error shape.

``HEAD`` is answered as the path's ``GET`` without the body (RFC 9110 §9.3.2), except
where that GET changes state (``sessions/logout``, ``/sandbox/confirm/...``): a HEAD never
does, so it gets the 405. Every 405 names the path's methods in ``Allow``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..errors import BookgenError
from ..headbody import HeadWithoutBody
from . import catalog
from .auth import SESSION_COOKIE, check_apikey, identify, login
from .booking import confirm_account, create_account, create_appointment
from .errors import ApiError, bad, error_body
from .lists import page
from .store import Identity, Store
from .timeslots import available

__all__ = ["MAX_BODY_BYTES", "MAX_DEPTH", "build_app"]

MAX_BODY_BYTES = 64 * 1024
MAX_DEPTH = 32
_GROUP_PATH = re.compile(r"groups/([0-9]{1,10})(?:/([a-z]+)(?:/([0-9]{1,10}))?)?")
_LISTS = {
    "calendars": catalog.list_calendars,
    "interventions": catalog.list_interventions,
    "interventionsets": catalog.list_interventionsets,
    "fiches": catalog.list_fiches,
    "pros": catalog.list_pros,
}
log = logging.getLogger("bookgen.sandbox")


class _Call:
    """One request, read and bounded."""

    def __init__(self, request: Request, body: bytes) -> None:
        self.request = request
        self.method = request.method
        self.query = request.query_params
        self.body = body

    def json(self) -> Any:
        kind = self.request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            raise bad("send the body as JSON with Content-Type: application/json")
        try:
            data = json.loads(self.body.decode("utf-8"), object_pairs_hook=_unique, parse_constant=_no_constant)
        except RecursionError:
            raise bad(f"the JSON body is nested more than {MAX_DEPTH} levels deep") from None
        except _Duplicate as duplicate:
            raise bad(f"the JSON body has the key {str(duplicate)[:40]!r} twice") from None
        except (UnicodeDecodeError, ValueError):
            raise bad("the body is not valid JSON") from None
        if _depth(data) > MAX_DEPTH:
            raise bad(f"the JSON body is nested more than {MAX_DEPTH} levels deep")
        return data

    def form(self) -> dict[str, str]:
        """Login parameters: the query, then a form or JSON body ({"pro": {...}} too)."""
        params = dict(self.query)
        kind = self.request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind == "application/x-www-form-urlencoded":
            params.update(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))
        elif kind == "application/json" and self.body:
            data = self.json()
            if isinstance(data, dict):
                for profile, fields in data.items():
                    if isinstance(fields, dict):
                        params.update({f"{profile}[{k}]": str(v) for k, v in fields.items()})
        return params


class _Duplicate(BookgenError, ValueError):
    pass


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Duplicate(key)
            seen.add(key)
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _depth(data: Any) -> int:
    deepest, stack = 0, [(data, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        if isinstance(node, dict):
            stack += [(v, level + 1) for v in node.values()]
        elif isinstance(node, list):
            stack += [(v, level + 1) for v in node]
    return deepest


async def _read(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ApiError(413, f"the body is over {MAX_BODY_BYTES // 1024} KB")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ApiError(413, f"the body is over {MAX_BODY_BYTES // 1024} KB")
        chunks.append(chunk)
    return b"".join(chunks)


def _json(payload: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(payload, status_code=status, headers={"Cache-Control": "no-store"})


def _allowed(call: _Call, *methods: str, head: bool = True) -> None:
    """405 unless ``call`` uses one of ``methods``; ``HEAD`` passes where ``GET`` does and
    then runs as that GET, unless ``head`` is False (this path's GET changes state)."""
    if head and "GET" in methods:
        methods = (*methods, "HEAD")
    if call.method not in methods:
        allow = ", ".join(methods)
        raise ApiError(405, f"{call.method} is not available here (use {allow})", headers={"Allow": allow})


class _Api:
    """Routing of ``/api/v1/...`` and the sandbox-only ``/sandbox/...`` paths."""

    def __init__(self, store: Store, apikey: str, hosts: Sequence[str] | None) -> None:
        self.store, self.apikey, self.hosts = store, apikey, hosts

    async def handle(self, request: Request) -> Response:
        try:
            if self.hosts is not None and request.headers.get("host", "").lower() not in self.hosts:
                raise bad("unexpected Host header")
            call = _Call(request, await _read(request) if request.method in ("POST", "PUT", "PATCH") else b"")
            return await self.route(call, request.url.path)
        except ApiError as error:
            answer = _json(error.body(), error.status)
            answer.headers.update(error.headers)
            return answer
        except Exception:
            log.exception("sandbox fault on %s %s", request.method, request.url.path)
            return _json(error_body("the sandbox failed on this request"), 500)

    async def route(self, call: _Call, path: str) -> Response:
        if path.startswith("/sandbox/"):
            return self.sandbox_route(call, path[len("/sandbox/") :])
        if not path.startswith("/api/v1/"):
            raise ApiError(404, "not an API path (they start with /api/v1/)")
        rest = path[len("/api/v1/") :]
        if rest.endswith(".xml"):
            raise bad("the sandbox answers JSON only: use .json or no suffix")
        rest = rest.removesuffix(".json").rstrip("/")
        if call.query.get("format", "json") != "json":
            raise bad("the sandbox answers JSON only: format=json or none", "format")
        check_apikey(call.query, self.apikey)
        if rest == "accounts":
            _allowed(call, "POST")
            return _json(create_account(self.store, call.json()), 201)
        if rest == "sessions/login":
            _allowed(call, "POST")
            identity, kind = login(self.store, call.form())
            return self.logged_in(identity, kind)
        if rest == "sessions/logout":
            _allowed(call, "POST", "GET", "DELETE", head=False)
            token = call.request.cookies.get(SESSION_COOKIE)
            if token:
                self.store.close_session(token)
            response = _json({"error": None})
            response.delete_cookie(SESSION_COOKIE, path="/")
            return response
        identity = identify(self.store, call.request.headers.get("authorization"),
                            call.request.cookies.get(SESSION_COOKIE))  # fmt: skip
        if rest == "groups":
            if call.method == "POST":
                raise ApiError(405, "creating a group is not available", headers={"Allow": "GET, HEAD"})
            _allowed(call, "GET")
            return _json(catalog.list_groups(self.store, identity, call.query))
        match = _GROUP_PATH.fullmatch(rest)
        if not match:
            raise ApiError(404, "no such resource")
        return self.group_route(call, identity, int(match.group(1)), match.group(2), match.group(3))

    def group_route(
        self, call: _Call, identity: Identity, group_id: int, kind: str | None, rid: str | None
    ) -> Response:
        store = self.store
        if kind is None:
            _allowed(call, "GET", "PUT")
            if call.method == "PUT":
                return _json(catalog.put_group(store, identity, group_id, call.json()))
            return _json(catalog.get_group(store, identity, group_id))
        if kind == "availabletimeslots" and rid is None:
            _allowed(call, "GET")
            return _json(available(store, identity, group_id, call.query))
        if kind == "appointments":
            if rid is None and call.method == "POST":
                return _json(create_appointment(store, identity, group_id, call.json()), 201)
            _allowed(call, "GET", "POST")
            catalog.visible_group(store, identity, group_id)
            if identity.kind != "pro":
                raise ApiError(403, "only the Pro profile may list a group's appointments")
            records = store.appointments(group_id)
            if rid is not None:
                return _json(catalog.one(records, int(rid), "appointment"))
            return _json(page(records, call.query))
        if kind not in _LISTS:
            raise ApiError(404, f"no resource {kind!r} in a group")
        _allowed(call, "GET")
        records = _LISTS[kind](store, identity, group_id, call.query)
        if rid is not None:
            return _json(catalog.one(records, int(rid), kind[:-1]))
        return _json(page(records, call.query))

    def logged_in(self, identity: Identity, kind: str) -> Response:
        store = self.store
        if kind == "pro":
            groups = store.group_ids()
            profile = {**catalog.pro_profile(store), "group_id": groups[0] if groups else None}
        else:
            first = min(identity.account_ids)
            profile = store.accounts[first].profile()
        response = _json({kind: profile, "error": None})
        response.set_cookie(
            SESSION_COOKIE, store.open_session(identity), httponly=True, samesite="lax", path="/"
        )
        return response

    def sandbox_route(self, call: _Call, rest: str) -> Response:
        if rest.startswith("confirm/"):
            _allowed(call, "GET", "POST", head=False)
            password = None
            if call.method == "POST" and call.body:
                password = dict(parse_qsl(call.body.decode("utf-8", "replace"))).get("password") or None
            return _json(confirm_account(self.store, rest[len("confirm/") :], password))
        if rest == "outbox":
            _allowed(call, "GET")
            check_apikey(call.query, self.apikey)
            return _json(page(self.store.outbox(call.query.get("email")), {"results": "all"}))
        raise ApiError(404, "no such sandbox path")


def build_app(store: Store, apikey: str, *, hosts: Sequence[str] | None = None) -> Starlette:
    """The Starlette app over ``store``; ``hosts`` (lowercase ``host[:port]`` values)
    restricts the Host header when given (DNS rebinding)."""
    endpoint: Callable[[Request], Awaitable[Response]] = _Api(store, apikey, hosts).handle
    methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
    app = Starlette(routes=[Route("/{path:path}", endpoint, methods=methods)])
    app.add_middleware(HeadWithoutBody)
    app.state.sandbox = store
    return app
