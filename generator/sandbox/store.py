"""The sandbox's in-memory state, seeded from a loaded site project.

Groups, calendars, interventions and interventionsets come from the site's files
(their API ids; a group's id is ``id`` in its ``group.json``; groups without one are
not served). Accounts, sessions, fiches and appointments are created through the
API and survive :meth:`Store.reload` (the preview reloads after every rebuild);
group settings changed by ``PUT`` are replaced by the files' on reload.

Everything kept is bounded (reliability review D16): request bodies are never
stored, only valid records, and each kind has a cap (``LIMITS``); over it, the API
answers 403 rather than grow.
"""

from __future__ import annotations

import hashlib
import random
import secrets
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from ..load.loader import GroupSource, Site
from ..models import Group
from ..timezones import zone_for
from .errors import ApiError

__all__ = ["DEMO_ACCOUNT", "LIMITS", "Account", "Appointment", "Identity", "Store", "sha1_hex"]

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
#: Caps per group (accounts, fiches, appointments) and overall (sessions, outbox).
LIMITS = {"accounts": 1000, "fiches": 5000, "appointments": 5000, "sessions": 1000, "outbox": 200}
#: The registered client seeded in every group (email, password), for open/openData false.
DEMO_ACCOUNT = ("client@example.test", "sandbox")


def sha1_hex(text: str) -> str:
    """The SHA-1 hex digest ClicRDV's ``sessions/login`` expects as the password (§2)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


@dataclass
class Account:
    """An end client's login for one group (clicrdv-api.md §2, Account profile)."""

    id: int
    group_id: int
    email: str
    password_sha1: str | None = None  # set when the email is confirmed
    validated: bool = False
    details: dict[str, Any] = field(default_factory=dict)  # firstname, lastname, firstphone
    pending: dict[str, Any] | None = None  # the parsed pendingRdv

    def profile(self) -> dict[str, Any]:
        return {"id": self.id, "email": self.email, "group_id": self.group_id, **self.details}


@dataclass
class Appointment:
    """A booked appointment; ``start``/``end`` are UTC instants (elapsed-time length)."""

    id: int
    group_id: int
    calendar_id: int
    intervention_ids: list[int]
    fiche_id: int
    email: str
    start: datetime
    end: datetime
    created_at: datetime
    comments: str | None = None
    websource: str | None = None
    from_web: int = 1

    def record(self, zone: tzinfo) -> dict[str, Any]:
        """The API record: times in the group's wall clock, ``date`` = ``start``."""

        def wall(instant: datetime) -> str:
            return instant.astimezone(zone).strftime(TIME_FORMAT)

        return {
            "id": self.id,
            "group_id": self.group_id,
            "calendar_id": self.calendar_id,
            "intervention_ids": list(self.intervention_ids),
            "fiche_id": self.fiche_id,
            "date": wall(self.start),
            "start": wall(self.start),
            "end": wall(self.end),
            "comments": self.comments,
            "websource": self.websource,
            "from_web": self.from_web,
            "created_at": wall(self.created_at),
            "updated_at": wall(self.created_at),
        }


@dataclass(frozen=True)
class Identity:
    """Who a request acts as: the Pro (every group) or an Account holder's accounts."""

    kind: str  # "pro" | "account"
    email: str
    account_ids: frozenset[int] = frozenset()
    group_ids: frozenset[int] | None = None  # None: every group

    def sees(self, group_id: int) -> bool:
        return self.group_ids is None or group_id in self.group_ids


class Store:
    """State of one sandbox; safe to use from several threads (one lock)."""

    def __init__(
        self,
        site: Site,
        *,
        pro_email: str = "pro@example.test",
        pro_password: str = "sandbox",
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.now = now or (lambda: datetime.now(UTC))
        self.pro_email = pro_email
        self.pro_password_sha1 = sha1_hex(pro_password)
        self.random = random.Random(0)  # "a free calendar at random", reproducibly
        self.accounts: dict[int, Account] = {}
        self.fiches: dict[int, list[dict[str, Any]]] = {}
        self.booked: dict[int, list[Appointment]] = {}
        self.sessions: OrderedDict[str, Identity] = OrderedDict()
        self.confirmations: dict[str, int] = {}
        self.outbox_messages: deque[dict[str, Any]] = deque(maxlen=LIMITS["outbox"])
        self._next_id = 1
        self.sources: dict[int, GroupSource] = {}
        self.records: dict[int, dict[str, Any]] = {}
        self.models: dict[int, Group] = {}
        self.reload(site)

    # -- site data -----------------------------------------------------------------------------

    def reload(self, site: Site) -> None:
        """Take the site's (new) settings and catalog; keep accounts, fiches, appointments."""
        with self.lock:
            self.site = site
            self.sources, self.records, self.models = {}, {}, {}
            for source in site.groups:
                group_id = source.group.id
                if group_id is None or group_id in self.sources:
                    continue
                self.sources[group_id] = source
                self.records[group_id] = source.group.to_api()
                self.models[group_id] = source.group
                self.booked.setdefault(group_id, [])
                self.fiches.setdefault(group_id, [])
                if not any(
                    a.group_id == group_id and a.email == DEMO_ACCOUNT[0] for a in self.accounts.values()
                ):
                    self.add_account(group_id, DEMO_ACCOUNT[0], validated=True, password=DEMO_ACCOUNT[1],
                                     details={"firstname": "Claude", "lastname": "Client"})  # fmt: skip

    def group_ids(self) -> list[int]:
        return list(self.sources)

    def source(self, group_id: int) -> GroupSource:
        if group_id not in self.sources:
            raise ApiError(404, f"group {group_id} not found")
        return self.sources[group_id]

    def group(self, group_id: int) -> Group:
        self.source(group_id)
        return self.models[group_id]

    def zone(self, group_id: int) -> tzinfo:
        return zone_for(self.group(group_id).timezone)

    def set_group(self, group_id: int, model: Group) -> None:
        with self.lock:
            self.models[group_id] = model
            self.records[group_id] = model.to_api()

    def new_id(self) -> int:
        with self.lock:
            value, self._next_id = self._next_id, self._next_id + 1
            return value

    # -- accounts and sessions -----------------------------------------------------------------

    def add_account(
        self,
        group_id: int,
        email: str,
        *,
        validated: bool = False,
        password: str | None = None,
        details: dict[str, Any] | None = None,
        pending: dict[str, Any] | None = None,
    ) -> Account:
        with self.lock:
            if sum(1 for a in self.accounts.values() if a.group_id == group_id) >= LIMITS["accounts"]:
                raise ApiError(403, "the sandbox holds its maximum of accounts for this group")
            account = Account(self.new_id(), group_id, email, sha1_hex(password) if password else None,
                              validated, dict(details or {}), pending)  # fmt: skip
            self.accounts[account.id] = account
            return account

    def accounts_for(self, email: str) -> list[Account]:
        lowered = email.strip().lower()
        return [a for a in self.accounts.values() if a.email.lower() == lowered]

    def open_session(self, identity: Identity) -> str:
        with self.lock:
            token = secrets.token_hex(16)
            self.sessions[token] = identity
            while len(self.sessions) > LIMITS["sessions"]:
                self.sessions.popitem(last=False)
            return token

    def session(self, token: str) -> Identity | None:
        with self.lock:
            identity = self.sessions.get(token)
            if identity is not None:
                self.sessions.move_to_end(token)
            return identity

    def close_session(self, token: str) -> None:
        with self.lock:
            self.sessions.pop(token, None)

    def send_confirmation(self, account: Account) -> dict[str, Any]:
        """ "Email" the confirmation link of ``account`` (kept in the outbox)."""
        with self.lock:
            token = secrets.token_urlsafe(16)
            self.confirmations[token] = account.id
            message = {"to": account.email, "group_id": account.group_id,
                       "subject": "Confirm your email address", "link": f"/sandbox/confirm/{token}"}  # fmt: skip
            if len(self.outbox_messages) == self.outbox_messages.maxlen:
                old = self.outbox_messages[0]["link"].rsplit("/", 1)[-1]
                self.confirmations.pop(old, None)
            self.outbox_messages.append(message)
            return message

    def outbox(self, email: str | None = None) -> list[dict[str, Any]]:
        """The confirmation emails "sent", oldest first (all, or to ``email``)."""
        with self.lock:
            return [
                dict(m) for m in self.outbox_messages if email is None or m["to"].lower() == email.lower()
            ]

    # -- bookings --------------------------------------------------------------------------------

    def appointments(self, group_id: int) -> list[dict[str, Any]]:
        """The appointments booked in a group, as API records (for tests and GET)."""
        with self.lock:
            zone = self.zone(group_id)
            return [a.record(zone) for a in self.booked.get(group_id, [])]

    def add_fiche(self, group_id: int, fiche: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            if len(self.fiches[group_id]) >= LIMITS["fiches"]:
                raise ApiError(403, "the sandbox holds its maximum of fiches for this group")
            record = {"id": self.new_id(), "group_id": group_id, **fiche}
            self.fiches[group_id].append(record)
            return record

    def add_appointment(self, appointment: Appointment) -> None:
        with self.lock:
            if len(self.booked[appointment.group_id]) >= LIMITS["appointments"]:
                raise ApiError(403, "the sandbox holds its maximum of appointments for this group")
            self.booked[appointment.group_id].append(appointment)

    def object_count(self) -> int:
        """How many objects the sandbox keeps (accounts, sessions, fiches, appointments,
        outbox): what must not grow under refused or repeated requests."""
        with self.lock:
            return (len(self.accounts) + len(self.sessions) + len(self.confirmations) + len(self.outbox_messages)
                    + sum(map(len, self.fiches.values())) + sum(map(len, self.booked.values())))  # fmt: skip
