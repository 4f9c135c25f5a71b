"""``bookgen sandbox``: a faithful stand-in for ClicRDV API v1 on loopback.

It serves, over a loaded site project's groups, the documented paths, shapes,
statuses and codes of ``shared/clicrdv-api.md`` (see docs/booking-flow.md for how
to run it and docs/clicrdv-assumptions.md for what the docs leave open)::

    from generator.sandbox import create_app
    app = create_app(site)                       # a Starlette app
    app.state.sandbox.appointments(4102)         # what was booked, as API records
    app.state.sandbox.reload(site)               # new settings, same bookings

Modules: ``app`` (routes), ``store`` (state), ``auth`` (apikey, Basic, sessions),
``lists`` (envelope, paging), ``catalog`` (groups and lists), ``timeslots`` and
``availability`` (slots, DST), ``booking`` (appointments, accounts), ``errors``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from starlette.applications import Starlette

from ..load.loader import Site
from .app import MAX_BODY_BYTES, build_app
from .store import DEMO_ACCOUNT, Store

__all__ = ["DEFAULT_APIKEY", "DEFAULT_PRO", "DEMO_ACCOUNT", "MAX_BODY_BYTES", "Store", "create_app"]

DEFAULT_APIKEY = "sandbox"
#: The Pro login (email, password) of a sandbox unless told otherwise.
DEFAULT_PRO = ("pro@example.test", "sandbox")


def create_app(
    site: Site,
    *,
    apikey: str = DEFAULT_APIKEY,
    pro_email: str = DEFAULT_PRO[0],
    pro_password: str = DEFAULT_PRO[1],
    now: Callable[[], datetime] | None = None,
    hosts: Sequence[str] | None = None,
) -> Starlette:
    """A Starlette app serving ClicRDV v1 under ``/api/v1/`` for ``site``'s groups.

    ``apikey`` is the key every call must carry; ``pro_email``/``pro_password`` the
    Pro login (it sees every group); ``now`` returns the current instant (aware) for
    tests; ``hosts`` restricts the Host header. ``app.state.sandbox`` is the
    :class:`Store`.
    """
    store = Store(site, pro_email=pro_email, pro_password=pro_password, now=now)
    return build_app(store, apikey, hosts=hosts)
