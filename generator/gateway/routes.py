"""The public paths: ClicRDV v1's, under ``/api/v1``, without the key; nothing else.

Only what a booking flow needs (clicrdv-api.md §2, §5), ``.json`` suffix optional:

====================  ======  ==============================================  ======
name                  method  path                                            limit
====================  ======  ==============================================  ======
group                 GET     /api/v1/groups/:id                              read
interventionsets      GET     /api/v1/groups/:id/interventionsets             read
interventions         GET     /api/v1/groups/:id/interventions                read
calendars             GET     /api/v1/groups/:id/calendars                    read
availabletimeslots    GET     /api/v1/groups/:id/availabletimeslots           read
appointments          POST    /api/v1/groups/:id/appointments                 write
login                 POST    /api/v1/sessions/login                          write
logout                POST    /api/v1/sessions/logout                         write
accounts              POST    /api/v1/accounts                                write
====================  ======  ==============================================  ======

``HEAD`` on a GET path is answered as that GET without its body (RFC 9110 §9.3.2): same
status and headers, ``Content-Length`` included, counted as a read. It is relayed to
ClicRDV as a ``GET``: ClicRDV documents no ``HEAD``, GET is safe there too, and the
gateway's own answer (the group cut to its public fields) only exists once the GET's body
is read. ``HEAD`` on a POST path is a 405 like any other method, never a write.

Any other path → 404 ``not_found``; another method on a known path → 405 with ``Allow``.
Only the documented query parameters of each route are passed on (§3 paging and sorting, the
filters of §5); ``apikey`` and anything else the page sends are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..fields import MAX_ID
from .errors import GatewayError

__all__ = ["ROUTES", "Route", "match"]

LIST_PARAMS = frozenset({"results", "startIndex", "sort", "dir"})
SLOT_PARAMS = frozenset({
    "intervention_ids[]", "calendar_id", "calendar_ids[]", "calendarset_ids[]", "resource_id",
    "start", "end", "nDays", "cal_qty", "min_capacity",
})  # fmt: skip
MAX_PARAM_VALUES = 50
MAX_PARAM_LENGTH = 100


@dataclass(frozen=True)
class Route:
    """One public path: ``name``, its ``method``, its ``limit`` kind and allowed query params."""

    name: str
    method: str
    pattern: re.Pattern[str]
    limit: str
    params: frozenset[str] = frozenset()
    upstream: str = ""  # the ClicRDV path, with {group} where the id goes

    def upstream_path(self, group_id: int | None) -> str:
        return self.upstream.format(group=group_id)

    def query(self, items: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """The allowed query parameters of ``items``, in order; 400 if there are too many."""
        kept = [(k, v) for k, v in items if k in self.params]
        if len(kept) > MAX_PARAM_VALUES or any(len(v) > MAX_PARAM_LENGTH for _, v in kept):
            raise GatewayError(400, "bad_request", "too many or too long query parameters")
        return kept


def _route(name: str, method: str, path: str, limit: str, params: frozenset[str] = frozenset()) -> Route:
    regex = re.compile("/api/v1/" + path.replace("{group}", r"(?P<group>[1-9][0-9]{0,9})") + r"(?:\.json)?/?")
    return Route(name, method, regex, limit, params, path + ".json")


ROUTES: tuple[Route, ...] = (
    _route("group", "GET", "groups/{group}", "read"),
    _route("interventionsets", "GET", "groups/{group}/interventionsets", "read", LIST_PARAMS),
    _route("interventions", "GET", "groups/{group}/interventions", "read",
           LIST_PARAMS | {"interventionset_id", "calendar_ids[]"}),
    _route("calendars", "GET", "groups/{group}/calendars", "read",
           LIST_PARAMS | {"intervention_ids[]", "calendarset_ids[]"}),
    _route("availabletimeslots", "GET", "groups/{group}/availabletimeslots", "read", SLOT_PARAMS),
    _route("appointments", "POST", "groups/{group}/appointments", "write"),
    _route("login", "POST", "sessions/login", "write"),
    _route("logout", "POST", "sessions/logout", "write"),
    _route("accounts", "POST", "accounts", "write"),
)  # fmt: skip


def match(method: str, path: str) -> tuple[Route, int | None]:
    """The route for ``method path`` and its group id; 404 or 405 ``GatewayError`` otherwise.

    ``OPTIONS`` matches any route's path (the CORS preflight); ``HEAD`` matches a ``GET``
    route, which then runs as that GET. A 405 names the path's methods in ``Allow``.
    """
    found: Route | None = None
    for route in ROUTES:
        m = route.pattern.fullmatch(path)
        if m is None:
            continue
        group = m.groupdict().get("group")
        if group and int(group) > MAX_ID:  # no group has it: the loader and the bodies stop there too
            continue
        found = route
        if method in (route.method, "OPTIONS") or (method == "HEAD" and route.method == "GET"):
            return route, int(group) if group else None
    if found is not None:
        allow = "GET, HEAD, OPTIONS" if found.method == "GET" else f"{found.method}, OPTIONS"
        raise GatewayError(405, "method_not_allowed", f"{method} is not available here", {"Allow": allow})
    raise GatewayError(404, "not_found", "no such path on the booking gateway")
