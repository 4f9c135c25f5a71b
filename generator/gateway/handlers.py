"""What each public route does between the page and ClicRDV (routes in :mod:`.routes`).

Every handler gets a :class:`Call` (the request, its group id, the client's session and a
deadline) and returns a :class:`Reply`: status, JSON body bytes and, when the session
changes, the new session (``None`` clears the cookie). ClicRDV's answers pass through
unchanged except the group's settings, cut to the public fields.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from .bodies import AccountBody, AppointmentBody, LoginForm, parse_json, validate
from .errors import GatewayError
from .idempotency import IdempotencyStore, Stored, check_key, scoped_key
from .routes import Route
from .rules import GroupRules, public_group
from .session import Session
from .upstream import Answer, Upstream

__all__ = ["HANDLERS", "Call", "Reply", "Services"]

KEEP = object()  # Reply.session default: leave the cookie as it is


@dataclass
class Services:
    """The per-process pieces handlers use."""

    upstream: Upstream
    rules: GroupRules
    idempotency: IdempotencyStore


@dataclass
class Call:
    request: Request
    route: Route
    group_id: int | None
    session: Session
    body: bytes
    deadline: float
    services: Services

    def session_for_group(self) -> str | None:
        """The client's upstream session id (ClicRDV decides which groups it sees), else None:
        the call then goes with the gateway's Pro identity."""
        return self.session.sid or None


@dataclass
class Reply:
    status: int
    body: bytes
    session: Any = field(default=KEEP)  # Session, None (clear) or KEEP

    @classmethod
    def of(cls, answer: Answer | Stored, session: Any = KEEP) -> Reply:
        return cls(answer.status, answer.body, session)


def _ints(values: list[str], name: str) -> list[int]:
    out = []
    for value in values:
        for part in value.split(","):
            if part.strip() in ("", "0") and name == "calendar_id":
                continue  # empty calendar_id = "No preference" (§5 availabletimeslots)
            if not part.strip().isdigit():
                raise GatewayError(400, "bad_request", f"{name}: {part[:20]!r} is not an id")
            out.append(int(part))
    return out


async def group(call: Call) -> Reply:
    call.services.rules.check_served(call.group_id or 0)
    answer = await call.services.upstream.call("GET", call.route.upstream_path(call.group_id), deadline=call.deadline)
    if answer.status != 200:
        return Reply.of(answer)
    return Reply(200, json.dumps(public_group(answer.data), ensure_ascii=False).encode())


async def catalog(call: Call) -> Reply:
    """interventionsets, interventions, calendars: public lists, with the Pro identity."""
    call.services.rules.check_served(call.group_id or 0)
    params = call.route.query(call.request.query_params.multi_items())
    answer = await call.services.upstream.call(
        "GET", call.route.upstream_path(call.group_id), params=params, deadline=call.deadline
    )
    return Reply.of(answer)


async def slots(call: Call) -> Reply:
    params = call.route.query(call.request.query_params.multi_items())
    facts = await call.services.rules.facts(call.group_id or 0, call.deadline)
    own = Session(call.session_for_group())
    calendars = _ints([v for k, v in params if k in ("calendar_id", "calendar_ids[]")], "calendar_id")
    facts.check_slots(own, _ints([v for k, v in params if k == "intervention_ids[]"], "intervention_ids[]"), calendars)
    answer = await _group_call(call, "GET", params=params, session_id=own.sid)
    return Reply.of(answer)


async def _group_call(call: Call, method: str, **options: Any) -> Answer:
    """A slots or booking call for the group; an error forgets the group's cached rules."""
    try:
        answer = await call.services.upstream.call(method, call.route.upstream_path(call.group_id),
                                                   deadline=call.deadline, **options)  # fmt: skip
    except GatewayError:
        call.services.rules.forget(call.group_id or 0)
        raise
    if answer.status >= 400:
        call.services.rules.forget(call.group_id or 0)
    return answer


async def appointments(call: Call) -> Reply:
    """Rules, then the booking; a known ``Idempotency-Key`` replays its first answer before
    any rule is checked again (the first booking itself counts towards ``max_multirdvs``)."""
    body = validate(AppointmentBody, parse_json(call.body))
    key = check_key(call.request.headers.get("idempotency-key"))
    sid = call.session_for_group()
    payload = body.upstream()
    if key is None:
        await _check_rules(call, body, sid)
        return await _book(call, payload, sid)
    store = call.services.idempotency
    name = scoped_key(str(call.group_id), key)
    fingerprint = hashlib.sha256(json.dumps([payload, sid], sort_keys=True).encode()).hexdigest()
    claim = await store.begin(name, fingerprint, call.deadline)
    if isinstance(claim, Stored):
        return Reply.of(claim)
    try:
        await _check_rules(call, body, sid)
        reply = await _book(call, payload, sid)
    except BaseException:
        await store.abandon(name, claim)
        raise
    await store.finish(name, claim, fingerprint, Stored(reply.status, reply.body))
    return reply


async def _check_rules(call: Call, body: AppointmentBody, sid: str | None) -> None:
    facts = await call.services.rules.facts(call.group_id or 0, call.deadline)
    checked = Session(sid, call.session.group_id, call.session.account_id, call.session.booked)
    wanted = body.appointment
    facts.check_appointment(checked, wanted.intervention_ids, [wanted.calendar_id] if wanted.calendar_id else [])


async def _book(call: Call, payload: dict[str, Any], sid: str | None) -> Reply:
    answer = await _group_call(call, "POST", json_body=payload, session_id=sid)
    if 200 <= answer.status < 300:
        return Reply.of(answer, call.session.after_booking())
    if answer.status == 401 and sid:
        return Reply.of(answer, None)  # the Account session ended upstream: drop the cookie
    return Reply.of(answer)


async def login(call: Call) -> Reply:
    form = dict(parse_qsl(call.body.decode("utf-8", "replace"), keep_blank_values=True))
    credentials = validate(LoginForm, {"email": form.get("account[email]"), "password": form.get("account[password]")},
                           "account")  # fmt: skip
    fields = [("account[email]", credentials.email), ("account[password]", credentials.password)]
    answer = await call.services.upstream.call(
        "POST", call.route.upstream_path(None), form=fields, anonymous=True, deadline=call.deadline
    )
    if answer.status != 200 or not answer.session_id:
        return Reply.of(answer)
    account = answer.data.get("account") if isinstance(answer.data, dict) else None
    account = account if isinstance(account, dict) else {}
    group_id, account_id = account.get("group_id"), account.get("id")
    session = Session(
        answer.session_id,
        group_id if isinstance(group_id, int) else None,
        account_id if isinstance(account_id, int) else None,
    )
    return Reply.of(answer, session)


async def logout(call: Call) -> Reply:
    if not call.session.sid:
        return Reply(200, b"{}", None)
    answer = await call.services.upstream.call(
        "POST", call.route.upstream_path(None), session_id=call.session.sid, deadline=call.deadline
    )
    return Reply.of(answer, None)


async def accounts(call: Call) -> Reply:
    body = validate(AccountBody, parse_json(call.body))
    facts = await call.services.rules.facts(body.account.group_id, call.deadline)
    facts.check_signup()
    pending = body.account.pending()
    ids = pending.get("intervention_ids") or []
    calendar = pending.get("calendar_id")
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids) or not isinstance(calendar, int | None):
        raise GatewayError(400, "bad_request", "account.pendingRdv: intervention_ids and calendar_id must be ids")
    facts.check_own(ids, [calendar] if calendar else [])
    answer = await call.services.upstream.call(
        "POST", call.route.upstream_path(None), json_body=body.upstream(), anonymous=True, deadline=call.deadline
    )
    return Reply.of(answer)


HANDLERS = {
    "group": group,
    "interventionsets": catalog,
    "interventions": catalog,
    "calendars": catalog,
    "availabletimeslots": slots,
    "appointments": appointments,
    "login": login,
    "logout": logout,
    "accounts": accounts,
}
