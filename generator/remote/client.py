"""A client for ClicRDV API v1's Group resources: read groups and their lists, update a group.

Every call follows ``clicrdv-api.md``: the path ends in ``.json`` (§1); the API key is
``?apikey=`` in the query, never in a body (§2); a Pro identity goes with it, as HTTP
Basic on every request or as the ``_session_id`` cookie of one ``sessions/login``
(§2); lists are read page by page with ``results``/``startIndex`` from the
documented envelope (§3); statuses are read as §4 lists them. Limits, retries and
redaction are :mod:`.transport`'s.

    creds = read_credentials()                      # $BOOKGEN_APIKEY, $BOOKGEN_PRO_EMAIL, ...
    with GroupAPI("https://www.clicrdv.com/api/v1", creds) as api:
        group = api.get_group(42)                   # dict
        calendars = api.list_records(42, "calendars")
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

import httpx

from .credentials import Credentials, redact, sha1_hex
from .transport import ApiError, BoundedClient, Limits, RetryPolicy

__all__ = ["LIST_KINDS", "PRODUCTION_API", "GroupAPI", "check_api_url"]

PRODUCTION_API = "https://www.clicrdv.com/api/v1"
#: The kinds of list a group has, as named in the API's paths (§5).
LIST_KINDS = ("calendars", "interventions", "interventionsets")
#: The keys of every collection answer (§3).
ENVELOPE = ("records", "sort", "dir", "totalRecords", "startIndex", "recordsReturned", "pageSize")
_USERINFO = re.compile(r"//[^/@]*@")
_URL_SHAPE = re.compile(r"(https?)://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?(/[^\s?#]*)?")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_api_url(url: str, source: str = "--api-url") -> str:
    """``url`` without a trailing slash if it can be the API's base, else :class:`ApiError`
    in one line naming ``source``: an absolute ``https://`` URL without user, query or
    fragment (plain ``http://`` only on loopback: the key and password would travel
    unencrypted)."""
    shown = repr(_USERINFO.sub("//***@", redact(url[:80])) + ("..." if len(url) > 80 else ""))
    match = _URL_SHAPE.fullmatch(url)
    if not match:
        raise ApiError(
            f"{shown} is not an absolute http(s) URL of the form https://host[:port]/path", where=source
        )
    try:
        parsed = httpx.URL(url)
        host = parsed.host
    except (httpx.InvalidURL, ValueError, UnicodeError):  # UnicodeError: IDNA rejects the host
        raise ApiError(
            f"{shown} is not a valid URL (its host name or port cannot be used)", where=source
        ) from None
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise ApiError(f"{shown} is not a valid URL (port out of range)", where=source)
    if match.group(1) == "http" and not _is_loopback(host):
        raise ApiError(
            f"{shown} would send the API key and the Pro password unencrypted; use https:// "
            "(plain http:// is accepted for loopback only)",
            where=source,
        )
    return url.rstrip("/")


class GroupAPI:
    """The Group API at ``base_url`` (e.g. ``https://www.clicrdv.com/api/v1``) as ``credentials``.

    ``page_size`` is the ``results`` asked per page (or ``"all"``); ``transport`` lets
    tests mount an in-process transport; ``url_source`` names where the URL came from
    in errors (``--api-url`` or ``site.toml``).
    """

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        retry: RetryPolicy | None = None,
        limits: Limits | None = None,
        page_size: int | str = 100,
        transport: httpx.BaseTransport | None = None,
        url_source: str = "--api-url",
    ) -> None:
        self.base_url = check_api_url(base_url, url_source)
        self.page_size = page_size
        self.credentials = credentials
        basic = credentials.auth == "basic"
        client = httpx.Client(
            base_url=self.base_url + "/",
            params={"apikey": credentials.apikey},
            auth=httpx.BasicAuth(credentials.email, credentials.password) if basic else None,
            headers={"Accept": "application/json", "User-Agent": "bookgen"},
            follow_redirects=False,
            transport=transport,
        )
        self._http = BoundedClient(
            client, secrets=credentials.secrets(), retry=retry or RetryPolicy(), limits=limits or Limits()
        )
        self._logged_in = False

    def __enter__(self) -> GroupAPI:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"GroupAPI({self.base_url!r})"

    def close(self) -> None:
        self._http.client.close()

    def redact(self, text: str) -> str:
        """``text`` with every secret of this client (key, password, session id) masked."""
        return self._http.redact(text)

    def secrets(self) -> tuple[str, ...]:
        """The secrets this client masks, including a session id learnt by logging in."""
        return self._http.secrets

    # Endpoints

    def login(self) -> None:
        """``POST sessions/login.json`` with ``pro[email]`` and ``pro[password]`` (SHA-1 hex);
        the answer's ``_session_id`` cookie is kept for the following calls (§2)."""
        where = "Pro login"
        form = {"pro[email]": self.credentials.email, "pro[password]": sha1_hex(self.credentials.password)}
        _, body = self._http.request("POST", "sessions/login.json", where=where, form=form)
        session = self._http.client.cookies.get("_session_id")
        if session:
            self._http.add_secret(session)
        refused = isinstance(body, dict) and body.get("error") not in (None, "", False)
        if refused or not isinstance(body, dict) or not isinstance(body.get("pro"), dict):
            raise ApiError(
                "POST /sessions/login.json: the Pro login was refused; check BOOKGEN_PRO_EMAIL and "
                "BOOKGEN_PRO_PASSWORD (or their --*-file options)",
                where=where,
            )
        if not session:
            raise ApiError("POST /sessions/login.json: the answer set no _session_id cookie", where=where)
        self._logged_in = True

    def list_groups(self) -> list[dict[str, Any]]:
        """``GET groups.json``: every group the Pro login may access, all pages (§5 groups)."""
        return self._paged("groups.json", {}, where="the group list")

    def get_group(self, group_id: int) -> dict[str, Any]:
        """``GET groups/:id.json``, unwrapped from ``{"group": {...}}`` if the API wraps it."""
        where = f"group {group_id}"
        _, body = self._call("GET", f"groups/{group_id}.json", where=where)
        if isinstance(body, dict) and set(body) == {"group"}:
            body = body["group"]
        if not isinstance(body, dict):
            raise ApiError(f"GET /groups/{group_id}.json did not answer with a group object", where=where)
        return body

    def list_records(
        self, group_id: int, kind: str, filters: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """``GET groups/:id/<kind>.json`` (calendars, interventions, interventionsets), all pages.

        ``filters`` adds query parameters, e.g. ``{"intervention_ids[]": 21}`` (§5).
        """
        if kind not in LIST_KINDS:
            raise ValueError(f"unknown list {kind!r}")
        return self._paged(f"groups/{group_id}/{kind}.json", dict(filters or {}), where=f"group {group_id}")

    def update_group(self, group_id: int, fields: Mapping[str, Any]) -> Any:
        """``PUT groups/:id.json`` with ``{"group": fields}``; returns the API's answer (§5 groups)."""
        return self._call(
            "PUT", f"groups/{group_id}.json", where=f"group {group_id}", json_body={"group": fields}
        )[1]

    # Plumbing

    def _call(self, method: str, path: str, *, where: str, **kwargs: Any) -> tuple[int, Any]:
        """One request as the Pro login; a session is opened first, and once more if it expired."""
        if self.credentials.auth == "session" and not self._logged_in:
            self.login()
        try:
            return self._http.request(method, path, where=where, **kwargs)
        except ApiError as error:
            if error.status != 401 or self.credentials.auth != "session":
                raise
        self._logged_in = False
        self._http.client.cookies.clear()
        self.login()
        return self._http.request(method, path, where=where, **kwargs)

    def _paged(self, path: str, params: dict[str, Any], *, where: str) -> list[dict[str, Any]]:
        """Follow ``startIndex`` until ``totalRecords`` is reached (§3's envelope)."""
        records: list[dict[str, Any]] = []
        seen: set[Any] = set()
        shown = f"GET /{path}"
        while True:
            query = {**params, "results": self.page_size, "startIndex": len(records)}
            if self.page_size == "all":
                del query["startIndex"]
            _, body = self._call("GET", path, where=where, params=query)
            if not (isinstance(body, dict) and isinstance(body.get("records"), list)):
                raise ApiError(
                    f'{shown} did not answer with the list envelope {{"records": [...], ...}}', where=where
                )
            page, total, start = (
                body["records"],
                body.get("totalRecords"),
                body.get("startIndex", len(records)),
            )
            if isinstance(total, bool) or not isinstance(total, int) or total < 0:
                raise ApiError(f"{shown}: the list envelope has no totalRecords count", where=where)
            if "startIndex" in query and start != len(records):
                raise ApiError(f"{shown} answered from startIndex {start!r}, not {len(records)}", where=where)
            if not all(isinstance(item, dict) for item in page):
                raise ApiError(f"{shown} answered with a record that is not an object", where=where)
            ids = {item.get("id", object()) for item in page}
            if page and ids <= seen:
                raise ApiError(f"{shown} repeated a page (the API ignored startIndex)", where=where)
            seen |= ids
            records.extend(page)
            if self.page_size == "all" or not page or len(records) >= total:
                return records
