"""Client sessions live only in an encrypted cookie that any instance with the secret reads."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.gateway.session import COOKIE_NAME, Session, SessionCodec

from .gatewaykit import SECRET, SESSION_ID, FakeClicRDV, appointment, gateway_client, login_form

pytestmark = pytest.mark.anyio
BODY = appointment(intervention_ids=[41], calendar_id=45)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _cookie(response) -> str:  # type: ignore[no-untyped-def]
    return next(v for k, v in response.headers.multi_items() if k == "set-cookie")


async def test_login_keeps_the_clicrdv_session_only_inside_an_encrypted_httponly_cookie() -> None:
    async with gateway_client(FakeClicRDV()) as client:
        response = await client.post("/api/v1/sessions/login", data=login_form())
    assert response.status_code == 200 and response.json()["account"]["id"] == 7
    header = _cookie(response)
    assert header.startswith(f"{COOKIE_NAME}=")
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Path=/" in header
    assert "Secure" not in header  # plain HTTP on loopback: the preview
    assert SESSION_ID not in header and "_session_id" not in header
    assert all(k != "set-cookie" or v.startswith(COOKIE_NAME) for k, v in response.headers.multi_items())


async def test_cookies_are_secure_off_loopback() -> None:
    async with gateway_client(FakeClicRDV(), base_url="https://book.example.com") as client:
        response = await client.post("/api/v1/sessions/login", data=login_form())
    assert "; Secure" in _cookie(response)


async def test_samesite_none_cookies_are_secure_even_on_loopback() -> None:
    # Browsers drop a SameSite=None cookie that is not Secure: the embed-on-other-sites setting.
    async with gateway_client(FakeClicRDV(), cookie_samesite="none") as client:
        response = await client.post("/api/v1/sessions/login", data=login_form())
    header = _cookie(response)
    assert "SameSite=None" in header and "; Secure" in header


async def test_a_wrong_password_passes_clicrdvs_401_through_and_sets_no_cookie() -> None:
    async with gateway_client(FakeClicRDV()) as client:
        response = await client.post("/api/v1/sessions/login", data=login_form("0" * 40))
    assert response.status_code == 401 and response.json()["error"] == "wrong login or password"
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize("password", ["0" * 39, "0" * 41, "g" * 40, ""])
async def test_login_passwords_must_be_sha1_hex(password: str) -> None:
    fake = FakeClicRDV()
    async with gateway_client(fake) as client:
        response = await client.post("/api/v1/sessions/login", data=login_form(password))
    assert response.status_code == 400 and fake.seen == []


async def test_a_pro_login_cannot_go_through_the_gateway() -> None:
    fake = FakeClicRDV()
    async with gateway_client(fake) as client:
        response = await client.post("/api/v1/sessions/login", data={"pro[email]": "a@b.c", "pro[password]": "0" * 40})
    assert response.status_code == 400 and fake.seen == []


async def test_a_session_made_by_one_instance_works_on_another_with_the_same_secret_only() -> None:
    fake = FakeClicRDV()
    async with gateway_client(fake) as first:
        cookie = (await first.post("/api/v1/sessions/login", data=login_form())).cookies[COOKIE_NAME]
    async with gateway_client(fake) as same_secret:
        same_secret.cookies.set(COOKIE_NAME, cookie)
        accepted = await same_secret.post("/api/v1/groups/3/appointments", json=BODY)
    async with gateway_client(fake, secrets=("another-secret-of-at-least-32-characters!",)) as other:
        other.cookies.set(COOKIE_NAME, cookie)
        refused = await other.post("/api/v1/groups/3/appointments", json=appointment("2026-12-02 09:00:00",
                                                                                     intervention_ids=[41], calendar_id=45))  # fmt: skip
    assert accepted.status_code == 201
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "signin_required"


async def test_a_rotated_secret_still_reads_old_cookies() -> None:
    fake = FakeClicRDV()
    async with gateway_client(fake) as first:
        cookie = (await first.post("/api/v1/sessions/login", data=login_form())).cookies[COOKIE_NAME]
    async with gateway_client(fake, secrets=("the-new-secret-with-32-characters-or-more", SECRET)) as rotated:
        rotated.cookies.set(COOKIE_NAME, cookie)
        assert (await rotated.post("/api/v1/groups/3/appointments", json=BODY)).status_code == 201


async def test_logout_ends_the_clicrdv_session_and_clears_the_cookie() -> None:
    fake = FakeClicRDV()
    async with gateway_client(fake) as client:
        await client.post("/api/v1/sessions/login", data=login_form())
        out = await client.post("/api/v1/sessions/logout")
        after = await client.post("/api/v1/groups/3/appointments", json=BODY)
    assert out.status_code == 200 and "Max-Age=0" in _cookie(out)
    assert fake.seen[-1]["path"] == "sessions/logout" or any(s["path"] == "sessions/logout" for s in fake.seen)
    assert after.status_code == 401


def test_expired_cookies_read_as_no_session() -> None:
    codec = SessionCodec((SECRET,), ttl=60)
    token = codec.fernet.encrypt_at_time(b'{"sid":"x","gid":1,"aid":2,"n":0}', current_time=1_000)
    assert codec.decode(token.decode()) is None
    assert codec.decode(codec.encode(Session("x", 1, 2))) == Session("x", 1, 2)


@given(st.text(max_size=2000))
def test_any_forged_cookie_reads_as_no_session(value: str) -> None:
    assert SessionCodec((SECRET,), ttl=60).decode(value) is None
