"""The gateway in front of the sandbox (ClicRDV v1 as documented): every demo flow books through it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from generator.gateway import Settings, create_app
from generator.load.loader import load_site
from generator.sandbox import DEFAULT_PRO, DEMO_ACCOUNT
from generator.sandbox import create_app as create_sandbox

pytestmark = pytest.mark.anyio
REPO = Path(__file__).parent.parent
KEY = "sandbox-key-never-shown-7c1d"
ORIGIN = "http://127.0.0.1:8000"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def sandbox() -> Any:
    return create_sandbox(load_site(REPO / "site"), apikey=KEY)


@pytest.fixture
async def client(sandbox: Any) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(upstream="http://sandbox.local", apikey=KEY, secrets=("t" * 40,), pro_email=DEFAULT_PRO[0],
                        pro_password=DEFAULT_PRO[1], rate_write="100/minute")  # fmt: skip
    app = create_app(settings, transport=httpx.ASGITransport(app=sandbox))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ORIGIN,
                                 headers={"Origin": ORIGIN}) as http:  # fmt: skip
        yield http


async def _first_slot(client: httpx.AsyncClient, group: int, service: int, calendar: int | str = "") -> str:
    answer = await client.get(f"/api/v1/groups/{group}/availabletimeslots",
                              params={"intervention_ids[]": service, "calendar_id": calendar})  # fmt: skip
    assert answer.status_code == 200, answer.text
    week = answer.json()
    if not week["availabletimeslots"]:
        answer = await client.get(f"/api/v1/groups/{group}/availabletimeslots",
                                  params={"intervention_ids[]": service, "calendar_id": calendar,
                                          "start": week["firstSlot"]})  # fmt: skip
        week = answer.json()
    return week["availabletimeslots"][0]["start"]


async def _service(client: httpx.AsyncClient, group: int) -> int:
    records = (await client.get(f"/api/v1/groups/{group}/interventions.json")).json()["records"]
    return next(r["id"] for r in records if not r.get("deleted"))


def _fiche(email: str = DEMO_ACCOUNT[0]) -> dict[str, Any]:
    return {"firstname": "Claude", "lastname": "Client", "email": email, "firstphone": "+33 6 12 34 56 78",
            "rappel_sms": 0}  # fmt: skip


async def _login(client: httpx.AsyncClient) -> httpx.Response:
    password = hashlib.sha1(DEMO_ACCOUNT[1].encode()).hexdigest()
    return await client.post("/api/v1/sessions/login", data={"account[email]": DEMO_ACCOUNT[0],
                                                              "account[password]": password})  # fmt: skip


async def test_an_open_group_books_with_the_pro_identity_once_per_idempotency_key(client: httpx.AsyncClient,
                                                                                  sandbox: Any) -> None:  # fmt: skip
    group = 7420  # salon-lagon: open, validateEmail (the demo Account's email is confirmed)
    settings = (await client.get(f"/api/v1/groups/{group}")).json()
    assert settings["id"] == group and "sms_sender_name" not in settings
    service = await _service(client, group)
    date = await _first_slot(client, group, service)
    body = {"appointment": {"date": date, "intervention_ids": [service], "from_web": 1, "fiche": _fiche()}}
    answers = [await client.post(f"/api/v1/groups/{group}/appointments", json=body,
                                 headers={"Idempotency-Key": "one-click"}) for _ in range(2)]  # fmt: skip
    assert [a.status_code for a in answers] == [201, 201] and answers[0].content == answers[1].content
    assert answers[0].json()["date"] == date
    assert len(sandbox.state.sandbox.appointments(group)) == 1
    assert all(KEY not in a.text + str(a.headers) for a in answers)


async def test_a_closed_group_books_after_the_account_signs_in(client: httpx.AsyncClient, sandbox: Any) -> None:
    group = 5230  # clinique-du-lac: open false
    service = await _service(client, group)
    calendars = (await client.get(f"/api/v1/groups/{group}/calendars", params={"intervention_ids[]": service})).json()
    calendar = calendars["records"][0]["id"]
    date = await _first_slot(client, group, service, calendar)
    body = {"appointment": {"date": date, "intervention_ids": [service], "calendar_id": calendar, "fiche": _fiche()}}
    refused = await client.post(f"/api/v1/groups/{group}/appointments", json=body)
    login = await _login(client)
    booked = await client.post(f"/api/v1/groups/{group}/appointments", json=body)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "signin_required"
    assert login.status_code == 200 and login.json()["error"] is None
    assert "_session_id" not in login.headers.get("set-cookie", "")
    assert booked.status_code == 201, booked.text
    assert [a["date"] for a in sandbox.state.sandbox.appointments(group)] == [date]


async def test_opendata_false_shows_slots_only_to_signed_in_clients(client: httpx.AsyncClient, sandbox: Any) -> None:
    group = 6311  # kings-cross-barbers: openData false, validateEmail false
    service = await _service(client, group)
    hidden = await client.get(f"/api/v1/groups/{group}/availabletimeslots", params={"intervention_ids[]": service})
    await _login(client)
    date = await _first_slot(client, group, service)
    booked = await client.post(f"/api/v1/groups/{group}/appointments",
                               json={"appointment": {"date": date, "intervention_ids": [service], "fiche": _fiche()}})  # fmt: skip
    logout = await client.post("/api/v1/sessions/logout")
    hidden_again = await client.get(f"/api/v1/groups/{group}/availabletimeslots", params={"intervention_ids[]": service})
    assert hidden.status_code == hidden_again.status_code == 401
    assert booked.status_code == 201 and logout.status_code == 200
    assert len(sandbox.state.sandbox.appointments(group)) == 1


async def test_validate_email_parks_the_booking_in_an_account_until_the_link_is_opened(
    client: httpx.AsyncClient, sandbox: Any
) -> None:
    group = 4102  # eden-spa: validateEmail
    service = await _service(client, group)
    date = await _first_slot(client, group, service)
    pending = {"intervention_ids": [service], "names": ["x"], "calendar_id": 0, "calendar_name": "", "date": date,
               "fiche": {"firstname": "New", "lastname": "Client", "firstphone": "+33 6 00 00 00 00"}}  # fmt: skip
    account = {"account": {"email": "new@example.test", "group_id": group, "pendingRdv": json.dumps(pending)}}
    created = await client.post("/api/v1/accounts", json=account)
    assert created.status_code == 201, created.text
    assert sandbox.state.sandbox.appointments(group) == []
    (mail,) = sandbox.state.sandbox.outbox("new@example.test")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox), base_url="http://sandbox.local") as raw:
        confirmed = await raw.get(mail["link"].split("sandbox.local", 1)[-1] if "://" in mail["link"] else mail["link"])
    assert confirmed.status_code == 200, confirmed.text
    assert [a["date"] for a in sandbox.state.sandbox.appointments(group)] == [date]


async def test_an_inactive_group_is_refused_and_clicrdvs_codes_pass_through(client: httpx.AsyncClient) -> None:
    inactive = await client.post("/api/v1/groups/8501/appointments",
                                 json={"appointment": {"date": "2030-01-07 10:00:00", "intervention_ids": [1]}})  # fmt: skip
    assert inactive.status_code == 403 and inactive.json()["error"]["code"] == "inactive"
    group = 7420
    service = await _service(client, group)
    body = {"appointment": {"date": "2030-01-06 03:00:00", "intervention_ids": [service], "fiche": _fiche()}}
    refused = await client.post(f"/api/v1/groups/{group}/appointments", json=body)
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] in ("NotAvailable", "MaxRdvPeriod")


async def test_readyz_checks_the_key_and_pro_login_against_the_sandbox(client: httpx.AsyncClient) -> None:
    assert (await client.get("/readyz")).status_code == 200
