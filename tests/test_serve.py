"""The preview server: incremental rebuilds, errors that keep the last good build, safe serving."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from generator.preview import Preview, Watcher
from generator.serve import is_loopback

from .servekit import running


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


def edit_json(path: Path, **changes) -> None:
    data = json.loads(path.read_text("utf-8"))
    target = data.get("group", data)
    target.update(changes)
    path.write_text(json.dumps(data), "utf-8")
    future = time.time() + 1  # a distinct mtime even on coarse clocks
    os.utime(path, (future, future))


def wait_for(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def test_a_group_edit_rebuilds_only_that_group(minisite: Path, tmp_path: Path) -> None:
    preview = Preview(minisite, tmp_path / "out")
    preview.build_all()
    spa = minisite / "groups" / "spa" / "group.json"
    edit_json(spa, name="Renamed Spa")
    result = preview.rebuild({spa})
    assert result is not None and result.what == "spa" and result.pages == 4
    assert "Renamed Spa" in (tmp_path / "out" / "spa" / "fr" / "index.html").read_text("utf-8")
    assert "rebuilt spa (4 pages) in" in str(result)


def test_site_toml_or_a_template_rebuilds_everything(minisite: Path, tmp_path: Path) -> None:
    preview = Preview(minisite, tmp_path / "out")
    preview.build_all()
    result = preview.rebuild({minisite / "site.toml"})
    assert result is not None and result.what == "everything" and result.pages == 8


def test_a_project_theme_edit_rebuilds_the_groups_using_it(minisite: Path, tmp_path: Path) -> None:
    theme = minisite / "themes" / "brand"
    (theme / "static").mkdir(parents=True)
    (theme / "theme.toml").write_text('name = "brand"\nextends = "minimal"\n', "utf-8")
    (theme / "static" / "theme.css").write_text("body{margin:0}\n", "utf-8")
    (minisite / "groups" / "shop" / "page.toml").write_text('theme = "brand"\n', "utf-8")
    preview = Preview(minisite, tmp_path / "out")
    preview.build_all()
    (theme / "static" / "theme.css").write_text("body{margin:1px}\n", "utf-8")
    result = preview.rebuild({theme / "static" / "theme.css"})
    assert result is not None and result.what == "shop"


def test_invalid_input_keeps_the_last_good_build_and_recovers(minisite: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    preview = Preview(minisite, out)
    preview.build_all()
    page = out / "spa" / "fr" / "index.html"
    before = page.read_bytes()
    spa = minisite / "groups" / "spa" / "group.json"
    original = spa.read_text("utf-8")
    edit_json(spa, usercolors={"main_bg": "red;}"})
    assert preview.rebuild({spa}) is None
    assert [str(p) for p in preview.problems] == [f"{spa}: group.usercolors.main_bg: 'red;}}' is not a #RRGGBB colour"]
    assert page.read_bytes() == before
    spa.write_text(original, "utf-8")
    assert preview.rebuild({spa}) is not None
    assert preview.problems == []


def test_the_watcher_sees_changes_additions_and_removals_but_not_editor_files(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("1", "utf-8")
    watcher = Watcher([tmp_path])
    assert watcher.changes() == set()
    (tmp_path / "b.json").write_text("2", "utf-8")
    (tmp_path / ".a.json.swp").write_text("x", "utf-8")
    (tmp_path / "a.json").unlink()
    assert watcher.changes() == {tmp_path / "b.json", tmp_path / "a.json"}


def test_server_serves_pages_api_and_refuses_traversal(minisite: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret", "utf-8")
    with running(minisite) as (server, _):
        base = f"http://127.0.0.1:{server.port}"
        status, body = get(f"{base}/spa/fr/")
        assert status == 200 and "Test Spa" in body
        assert f'<script src="/livereload.js?port={server.port}"></script>' in body
        for attempt in ("/../secret.txt", "/%2e%2e/secret.txt", "/spa/..%2f..%2fsecret.txt",
                        "/%252e%252e/secret.txt", "/..%5csecret.txt", "/spa/%00", f"/{server.out}/index.html"):
            with socket.create_connection(("127.0.0.1", server.port)) as raw:  # no client-side normalisation
                raw.sendall(f"GET {attempt} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
                reply = raw.recv(65536).decode("utf-8", "replace")
            assert reply.split()[1] in ("400", "404"), attempt
            assert "top secret" not in reply
        status, body = get(f"{base}/api/v1/groups/1/availabletimeslots.json?intervention_ids[]=100")
        assert status == 200 and "availabletimeslots" in json.loads(body)


def call(url: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, dict, list[str]]:
    request = urllib.request.Request(url, data=data, headers=headers or {}, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read()), response.headers.get_all("Set-Cookie") or []
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), []


def test_the_api_goes_through_the_gateway_which_adds_the_key_and_the_pro_identity_until_the_browser_signs_in(
    minisite: Path,
) -> None:
    import hashlib

    with running(minisite) as (server, _):
        origin = f"http://127.0.0.1:{server.port}"
        api = f"{origin}/api/v1"
        status, body, _ = call(f"{api}/groups/1?apikey=wrong")  # no key, no login; a page's key is dropped
        assert status == 200 and body["id"] == 1
        status, body, _ = call(f"{api}/groups.json")  # not part of the booking flow: the gateway hides it
        assert status == 404
        login = b"account[email]=client%40example.test&account[password]=" + hashlib.sha1(b"sandbox").hexdigest().encode()
        status, body, cookies = call(f"{api}/sessions/login", login, {"Origin": origin})
        assert status == 200 and body["account"]["email"] == "client@example.test"
        session = cookies[0].split(";")[0]
        assert session.startswith("bookgen_session=")  # ClicRDV's _session_id stays inside, encrypted
        _, slots, _ = call(f"{api}/groups/1/availabletimeslots?intervention_ids[]=100", headers={"Cookie": session})
        appointment = {"appointment": {"date": slots["firstSlot"], "intervention_ids": [100]}}
        headers = {"Content-Type": "application/json", "Cookie": session}
        status, body, _ = call(f"{api}/groups/1/appointments", json.dumps(appointment).encode(), headers)
        assert status == 403 and body["error"]["code"] == "forbidden_origin"  # no Origin: refused
        status, body, _ = call(f"{api}/groups/1/appointments", json.dumps(appointment).encode(),
                               {**headers, "Origin": origin})  # fmt: skip
        assert status == 201 and server.sandbox.appointments(1) == [body]
        status, body, _ = call(f"{api}/groups/1/availabletimeslots?intervention_ids[]=999")
        assert status == 400 and body["error"]["code"] == "unknown_intervention"


def test_serving_never_writes_the_users_build_folder(minisite: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with running(minisite) as (server, _):
        assert not server.out.is_relative_to(tmp_path)
    assert not (tmp_path / "build").exists()
    assert not server.out.exists()  # the preview folder is removed on exit


def test_edits_are_picked_up_by_the_running_server(minisite: Path) -> None:
    with running(minisite) as (server, lines):
        edit_json(minisite / "groups" / "spa" / "group.json", name="Live Spa")
        wait_for(lambda: "Live Spa" in get(f"http://127.0.0.1:{server.port}/spa/en/")[1])
        wait_for(lambda: any(line.startswith("rebuilt spa") for line in lines))


def test_errors_show_over_the_last_good_page(minisite: Path) -> None:
    with running(minisite) as (server, lines):
        edit_json(minisite / "groups" / "spa" / "group.json", timezone="Europe/Paris<script>")
        url = f"http://127.0.0.1:{server.port}/spa/fr/"
        wait_for(lambda: 'id="bookgen-error"' in get(url)[1])
        body = get(url)[1]
        assert "group.timezone" in body and "Test Spa" in body
        assert "Europe/Paris&lt;script&gt;" in body and "Paris<script>" not in body
        assert any("serving the last good build" in line for line in lines)


def test_loopback_detection() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("127.0.0.2") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")


def test_a_busy_port_gets_a_clear_message(minisite: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "generator", "serve", str(minisite), "--port", str(port), "--no-open"],
            capture_output=True, text=True, timeout=30,
        )
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is in use; try --port {port + 1}" in result.stderr
    assert "Traceback" not in result.stderr


def test_exposed_host_gets_a_warning_and_ctrl_c_exits_cleanly(minisite: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "generator", "serve", str(minisite), "--host", "0.0.0.0", "--port", "0", "--no-open"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 20
        first = ""
        while "Serving" not in first and time.monotonic() < deadline:
            first += process.stdout.readline()
        assert "Serving" in first
    finally:
        process.send_signal(2)  # SIGINT, as Ctrl-C
        _, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "anyone on your network can see this preview" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("host", ["127.0.0.1"])
def test_binds_loopback_by_default(minisite: Path, host: str) -> None:
    with running(minisite) as (server, _):
        assert server.sockets[0].getsockname()[0] == host
