"""``bookgen serve`` books through the production gateway in front of the sandbox, on loopback."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from generator.sandbox import DEFAULT_APIKEY

from .servekit import running

BODY = {"appointment": {"date": "", "intervention_ids": [100], "from_web": 1,
                        "fiche": {"firstname": "Ada", "lastname": "Lovelace", "email": "client@example.test"}}}  # fmt: skip


def test_the_preview_books_through_the_gateway_with_its_checks(minisite: Path) -> None:
    with running(minisite, livereload=False) as (server, _):
        base = f"http://127.0.0.1:{server.port}"
        with httpx.Client(base_url=base, headers={"Origin": base}) as client:
            week = client.get("/api/v1/groups/1/availabletimeslots.json", params={"intervention_ids[]": 100}).json()
            body = json.loads(json.dumps(BODY))
            body["appointment"]["date"] = week["firstSlot"] or week["availabletimeslots"][0]["start"]
            key = {"Idempotency-Key": "preview-1"}
            booked = client.post("/api/v1/groups/1/appointments", json=body, headers=key)
            again = client.post("/api/v1/groups/1/appointments", json=body, headers=key)
            forged = client.post("/api/v1/groups/1/appointments", json=body, headers={"Origin": "http://127.0.0.2:9"})
            private = client.get("/api/v1/groups/1/fiches")
        assert booked.status_code == again.status_code == 201, booked.text
        assert booked.content == again.content
        assert len(server.sandbox.appointments(1)) == 1
        assert forged.status_code == 403 and private.status_code == 404
        assert booked.headers["x-request-id"] and "access-control-allow-origin" not in booked.headers
        for answer in (booked, again, forged, private):
            assert DEFAULT_APIKEY not in answer.text + str(answer.headers)


def test_preview_sessions_are_gateway_cookies_without_secure_on_loopback(minisite: Path) -> None:
    import hashlib

    with running(minisite, livereload=False) as (server, _):
        base = f"http://127.0.0.1:{server.port}"
        form = {"account[email]": "client@example.test", "account[password]": hashlib.sha1(b"sandbox").hexdigest()}
        login = httpx.post(base + "/api/v1/sessions/login", data=form, headers={"Origin": base})
    assert login.status_code == 200, login.text
    cookie = login.headers["set-cookie"]
    assert cookie.startswith("bookgen_session=") and "HttpOnly" in cookie and "Secure" not in cookie
    assert "_session_id" not in cookie
