"""Settings come from the environment or files; a missing secret stops the gateway with one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.gateway import ConfigError, Settings
from generator.gateway.settings import origin_of

BASE = {
    "BOOKGEN_UPSTREAM": "https://www.clicrdv.com/",
    "BOOKGEN_APIKEY": "live-key-1234",
    "BOOKGEN_SECRET": "x" * 32,
    "BOOKGEN_PRO_EMAIL": "pro@example.test",
    "BOOKGEN_PRO_PASSWORD": "pro-pass",
}


def test_defaults_are_the_documented_ones() -> None:
    settings = Settings.from_env(BASE)
    assert settings.upstream == "https://www.clicrdv.com"
    assert (settings.rate_read, settings.rate_write, settings.storage) == ("120/minute", "10/minute", "memory://")
    assert settings.allow_origins == frozenset() and settings.groups is None


@pytest.mark.parametrize("missing", sorted(BASE))
def test_each_required_setting_missing_refuses_to_start_with_one_line(missing: str) -> None:
    env = {k: v for k, v in BASE.items() if k != missing}
    with pytest.raises(ConfigError) as error:
        Settings.from_env(env)
    assert missing in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize(("length", "ok"), [(31, False), (32, True)])
def test_secrets_need_32_characters(length: int, ok: bool) -> None:
    env = {**BASE, "BOOKGEN_SECRET": "s" * length}
    if ok:
        assert Settings.from_env(env).secrets == ("s" * length,)
    else:
        with pytest.raises(ConfigError, match="at least 32"):
            Settings.from_env(env)


def test_secrets_are_read_from_files_and_never_shown(tmp_path: Path) -> None:
    env = {k: v for k, v in BASE.items() if k not in ("BOOKGEN_APIKEY", "BOOKGEN_SECRET")}
    (tmp_path / "key").write_text("file-key-5678\n")
    (tmp_path / "secret").write_text("a" * 40 + "\n" + "b" * 40 + "\n")
    settings = Settings.from_env({**env, "BOOKGEN_APIKEY_FILE": str(tmp_path / "key"),
                                  "BOOKGEN_SECRET_FILE": str(tmp_path / "secret")})  # fmt: skip
    assert settings.apikey == "file-key-5678" and settings.secrets == ("a" * 40, "b" * 40)
    assert "file-key-5678" not in repr(settings) and "aaaa" not in repr(settings) and "pro-pass" not in repr(settings)


def test_a_secret_both_set_and_in_a_file_is_ambiguous(tmp_path: Path) -> None:
    (tmp_path / "key").write_text("k")
    with pytest.raises(ConfigError, match="both set"):
        Settings.from_env({**BASE, "BOOKGEN_APIKEY_FILE": str(tmp_path / "key")})


def test_an_unreadable_secret_file_is_one_line_without_a_traceback(tmp_path: Path) -> None:
    env = {k: v for k, v in BASE.items() if k != "BOOKGEN_SECRET"}
    with pytest.raises(ConfigError, match=r"BOOKGEN_SECRET_FILE: .*missing: cannot be read \(No such file or directory\)"):
        Settings.from_env({**env, "BOOKGEN_SECRET_FILE": str(tmp_path / "missing")})


@pytest.mark.parametrize(("name", "value"), [
    ("BOOKGEN_UPSTREAM", "ftp://x"), ("BOOKGEN_UPSTREAM", "https://x/?apikey=1"),
    ("BOOKGEN_ALLOW_ORIGINS", "https://ok.example https://bad.example/path"),
    ("BOOKGEN_RATE_READ", "lots"), ("BOOKGEN_STORAGE", "mongodb://x"), ("BOOKGEN_MAX_BODY", "255"),
    ("BOOKGEN_CALL_TIMEOUT", "0"), ("BOOKGEN_GROUPS", "12 abc"), ("BOOKGEN_COOKIE_SAMESITE", "maybe"),
])  # fmt: skip
def test_bad_values_are_refused_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env({**BASE, name: value})
    assert name.replace("BOOKGEN_", "") in str(error.value) or value.split()[-1] in str(error.value)


def test_lists_and_limits_parse() -> None:
    settings = Settings.from_env({**BASE, "BOOKGEN_ALLOW_ORIGINS": "https://a.example, http://127.0.0.2:8000",
                                  "BOOKGEN_GROUPS": "8501,5230", "BOOKGEN_MAX_BODY": "256",
                                  "BOOKGEN_STORAGE": "redis://127.0.0.1:6379/0"})  # fmt: skip
    assert settings.allow_origins == {"https://a.example", "http://127.0.0.2:8000"}
    assert settings.groups == {8501, 5230} and settings.max_body == 256
    assert settings.redis_url == "redis://127.0.0.1:6379/0"


@pytest.mark.parametrize(("url", "origin"), [
    ("https://Book.Example.com:443/x", "https://book.example.com"), ("http://127.0.0.1:8000/", "http://127.0.0.1:8000"),
    ("http://[::1]:80", "http://[::1]"), ("null", None), ("javascript:alert(1)", None), ("https://", None),
])  # fmt: skip
def test_origins_are_normalised(url: str, origin: str | None) -> None:
    assert origin_of(url) == origin


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
@pytest.mark.parametrize("server", ["gateway", "sandbox"])
def test_the_listening_socket_gives_connections_tcp_nodelay(server: str, loop: str) -> None:
    """Without it every keep-alive answer written as headers + body waited for a delayed ACK;
    both servers of the booking path, on both event loops uvicorn may pick."""
    import asyncio
    import socket
    from pathlib import Path

    from generator.gateway.server import listening_socket
    from generator.sandbox.run import SandboxServer

    def make() -> socket.socket:
        if server == "gateway":
            return listening_socket("127.0.0.1", 0)
        sandbox = SandboxServer(Path(__file__).parent.parent / "site", host="127.0.0.1", port=0)
        sandbox.socket.close()  # it listens at once; a fresh one of the same kind is accepted from
        made = socket.socket(sandbox.socket.family, sandbox.socket.type, sandbox.socket.proto)
        made.bind(("127.0.0.1", 0))
        return made

    async def check() -> int:
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        async def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            seen.set_result(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        sock = make()
        listening = await asyncio.start_server(accepted, sock=sock)
        async with listening:
            _, writer = await asyncio.open_connection("127.0.0.1", sock.getsockname()[1])
            result = await asyncio.wait_for(seen, 10)
            writer.close()
        return result

    if loop == "uvloop":
        uvloop = pytest.importorskip("uvloop")  # not on Windows (pyproject.toml)
        assert uvloop.run(check()) == 1
    else:
        assert asyncio.run(check()) == 1


def test_the_env_configured_asgi_app_serves_and_refuses_to_start_without_a_secret(monkeypatch, capsys) -> None:
    import asyncio

    import httpx

    from generator.gateway import asgi

    for name, value in BASE.items():
        monkeypatch.setenv(name, value)

    async def health() -> int:
        app = asgi._FromEnvironment()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as client:
            return (await client.get("/healthz")).status_code

    assert asyncio.run(health()) == 200
    monkeypatch.delenv("BOOKGEN_SECRET")
    with pytest.raises(SystemExit) as stop:
        asgi.create()
    assert stop.value.code == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        "error: BOOKGEN_SECRET is not set (or BOOKGEN_SECRET_FILE): the gateway refuses to start"
    ]


def test_every_missing_setting_is_its_own_line_at_once() -> None:
    # Before: only the first missing secret was named, so a fresh deployment took four restarts.
    with pytest.raises(ConfigError) as error:
        Settings.from_env({})
    assert [problem.message for problem in error.value.problems] == [
        "BOOKGEN_UPSTREAM is not set (ClicRDV's root, e.g. https://www.clicrdv.com)",
        "BOOKGEN_APIKEY is not set (or BOOKGEN_APIKEY_FILE)",
        "BOOKGEN_PRO_EMAIL is not set (or BOOKGEN_PRO_EMAIL_FILE)",
        "BOOKGEN_PRO_PASSWORD is not set (or BOOKGEN_PRO_PASSWORD_FILE)",
        "BOOKGEN_SECRET is not set (or BOOKGEN_SECRET_FILE): the gateway refuses to start",
    ]


def test_a_secret_file_that_cannot_be_read_is_named_once_not_also_as_not_set(tmp_path: Path) -> None:
    env = {k: v for k, v in BASE.items() if k != "BOOKGEN_APIKEY"}
    with pytest.raises(ConfigError) as error:
        Settings.from_env({**env, "BOOKGEN_APIKEY_FILE": str(tmp_path / "missing"), "BOOKGEN_RETRIES": "x"})
    lines = str(error.value).splitlines()
    assert len(lines) == 2 and lines[0].startswith("BOOKGEN_APIKEY_FILE: ") and lines[1].startswith("BOOKGEN_RETRIES: ")


@pytest.mark.parametrize("upstream", ["http://www.clicrdv.com", "http://10.0.0.5:8001", "http://sandbox.clicrdv.com/"])
def test_plain_http_to_another_machine_is_refused_because_the_key_would_travel_in_clear(upstream: str) -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env({**BASE, "BOOKGEN_UPSTREAM": upstream})
    assert str(error.value).startswith(f"BOOKGEN_UPSTREAM: {upstream.rstrip('/')!r} is plain http://")
    assert "live-key-1234" not in str(error.value) and "pro-pass" not in str(error.value)


@pytest.mark.parametrize("upstream", ["http://127.0.0.1:8001", "http://localhost:8001", "http://[::1]:8001",
                                      "https://sandbox.clicrdv.com"])  # fmt: skip
def test_plain_http_on_loopback_and_https_anywhere_are_accepted(upstream: str) -> None:
    assert Settings.from_env({**BASE, "BOOKGEN_UPSTREAM": upstream}).upstream == upstream


LIMITS = [("BOOKGEN_MAX_BODY", 256, 1024 * 1024), ("BOOKGEN_SESSION_TTL", 60, 30 * 86400),
          ("BOOKGEN_IDEMPOTENCY_TTL", 1, 7 * 86400), ("BOOKGEN_RETRIES", 0, 10), ("BOOKGEN_GROUPS", 1, 2**31 - 1)]


@pytest.mark.parametrize(("name", "low", "high"), LIMITS)
def test_whole_number_settings_are_accepted_at_both_bounds(name: str, low: int, high: int) -> None:
    for value in (low, high):
        Settings.from_env({**BASE, name: str(value)})


@pytest.mark.parametrize(("name", "low", "high"), LIMITS)
def test_whole_number_settings_one_past_either_bound_are_refused(name: str, low: int, high: int) -> None:
    # Before: BOOKGEN_SESSION_TTL=99999999999999999999999 started, and every sign-in cookie lasted forever.
    with pytest.raises(ConfigError, match=f"^{name}: {low - 1} is below the minimum {low}$"):
        Settings.from_env({**BASE, name: str(low - 1)})
    with pytest.raises(ConfigError, match=f"^{name}: {high + 1} is above the maximum {high}$"):
        Settings.from_env({**BASE, name: str(high + 1)})


@pytest.mark.parametrize("value", ["1e3", "1_000", "+5", "٣", "9" * 5000, "nan"])
def test_whole_number_settings_are_plain_digits(value: str) -> None:
    with pytest.raises(ConfigError, match=r"^BOOKGEN_RETRIES: .* is not a whole number$"):
        Settings.from_env({**BASE, "BOOKGEN_RETRIES": value})
