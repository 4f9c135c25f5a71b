"""The preview server: incremental rebuilds, errors that keep the last good build, safe serving."""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from generator.preview.changes import NOTHING, RELOAD, PageChanges, PageIndex, stylesheets
from generator.preview.hosts import reachable_host
from generator.preview.rebuild import Preview
from generator.preview.server import allowed_hosts, is_loopback, printable
from generator.preview.watch import Watcher, ignored

from .servekit import running


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
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


def wait_for(condition, timeout: float = 30.0) -> None:
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


def brand_theme(site: Path, css: str = "body{margin:0}\n") -> Path:
    """A project theme ``brand`` (extends minimal) used by the shop group; its stylesheet."""
    theme = site / "themes" / "brand"
    (theme / "static").mkdir(parents=True)
    (theme / "theme.toml").write_text('name = "brand"\nextends = "minimal"\n', "utf-8")
    (theme / "static" / "theme.css").write_text(css, "utf-8")
    (site / "groups" / "shop" / "page.toml").write_text('theme = "brand"\n', "utf-8")
    return theme / "static" / "theme.css"


def test_a_theme_stylesheet_edit_is_a_stylesheet_swap_not_a_reload(minisite: Path, tmp_path: Path) -> None:
    css = brand_theme(minisite)
    preview = Preview(minisite, tmp_path / "out")
    preview.build_all()
    page = (tmp_path / "out" / "shop" / "fr" / "index.html").read_text("utf-8")
    css.write_text("body{margin:1px}\n", "utf-8")
    assert preview.rebuild({css}) is not None
    assert not preview.changes.reload
    [(old, new)] = preview.changes.stylesheets.items()
    assert old.startswith("/assets/brand.") and new.startswith("/assets/brand.") and old != new
    assert old.rsplit("/", 1)[1] in page and (tmp_path / "out" / new[1:]).read_text("utf-8").endswith("margin:1px}")


def test_a_palette_change_swaps_the_groups_stylesheet(minisite: Path, tmp_path: Path) -> None:
    preview = Preview(minisite, tmp_path / "out")
    preview.build_all()
    spa = minisite / "groups" / "spa" / "group.json"
    data = json.loads(spa.read_text("utf-8"))
    data["group"]["usercolors"] = data["group"]["usercolors"].replace("#7A4A12", "#123456")
    spa.write_text(json.dumps(data), "utf-8")
    assert preview.rebuild({spa}) is not None
    assert not preview.changes.reload
    [(old, new)] = preview.changes.stylesheets.items()
    assert old.startswith("/spa/theme.") and new.startswith("/spa/theme.") and old != new
    # The embed pages write the colour into their snippets: they reload, the others swap.
    assert preview.changes.pages == {"/spa/embed.html", "/spa/fr/embed.html", "/spa/en/embed.html"}


def test_a_text_edit_reloads_the_pages_it_changed_and_an_edit_that_changes_none_does_nothing(minisite: Path, tmp_path: Path) -> None:
    preview = Preview(minisite, tmp_path / "out")
    preview.build_all()
    spa = minisite / "groups" / "spa" / "group.json"
    edit_json(spa, name="Renamed Spa")
    assert preview.rebuild({spa}) is not None and not preview.changes.reload
    assert "/spa/fr/index.html" in preview.changes.pages and "/index.html" in preview.changes.pages
    assert not any(page.startswith("/shop/") for page in preview.changes.pages)
    spa.write_text(spa.read_text("utf-8") + "\n", "utf-8")  # same settings, other bytes
    assert preview.rebuild({spa}) is not None and preview.changes == NOTHING


def test_a_stylesheet_some_page_still_links_is_not_swapped(tmp_path: Path) -> None:
    """Two pages linked one stylesheet and only one was rewritten with the new name: a swap
    on the other would show rules its HTML does not link, so it is a reload."""
    index = PageIndex(tmp_path)
    pages = {"a.html": '<link rel="stylesheet" href="x.1.css"><p>a', "b.html": '<link rel="stylesheet" href="x.1.css"><p>b'}
    for name, html in pages.items():
        (tmp_path / name).write_text(html, "utf-8")
    assert index.update({"a.html": "1", "b.html": "1"}).pages == {"/a.html", "/b.html"}  # new pages
    (tmp_path / "a.html").write_text(pages["a.html"].replace("x.1", "x.2"), "utf-8")
    assert index.update({"a.html": "2", "b.html": "1"}) == RELOAD
    (tmp_path / "b.html").write_text(pages["b.html"].replace("x.1", "x.2"), "utf-8")
    assert index.update({"a.html": "2", "b.html": "2"}) == PageChanges(stylesheets={"/x.1.css": "/x.2.css"})
    (tmp_path / "a.html").write_text(pages["a.html"].replace("x.1", "x.3"), "utf-8")
    (tmp_path / "b.html").write_text(pages["b.html"].replace("x.1", "x.3").replace("<p>b", "<p>B"), "utf-8")
    assert index.update({"a.html": "3", "b.html": "3"}) == PageChanges(
        pages=frozenset({"/b.html"}), stylesheets={"/x.2.css": "/x.3.css"}
    )
    assert index.update({"a.html": "3"}) == PageChanges(pages=frozenset({"/b.html"}))  # a page went away


def test_stylesheet_links_are_read_as_url_paths_from_the_page() -> None:
    html = b'<link rel="icon" href="data:,"><link rel="stylesheet" href="../../assets/a.1.css"><p>x</p>'
    links, rest = stylesheets("spa/fr/index.html", html)
    assert links == ("/assets/a.1.css",)
    assert stylesheets("spa/fr/index.html", html.replace(b"a.1", b"a.2"))[1] == rest
    assert stylesheets("spa/fr/index.html", html.replace(b"<p>x", b"<p>y"))[1] != rest


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


class Batches:
    """What a Watcher hands over, one set of paths per burst, collected across threads."""

    def __init__(self) -> None:
        self.batches: list[set[Path]] = []
        self.lock = threading.Lock()

    def __call__(self, paths: set[Path]) -> None:
        with self.lock:
            self.batches.append(paths)

    def seen(self) -> set[Path]:
        with self.lock:
            return set().union(*self.batches)


@contextmanager
def watching(*roots: Path) -> Iterator[Batches]:
    batches = Batches()
    watcher = Watcher(roots, batches)
    try:
        yield batches
    finally:
        watcher.stop()


def test_the_watcher_reports_an_added_a_changed_and_a_removed_file(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("1", "utf-8")
    (tmp_path / "c.json").write_text("3", "utf-8")
    with watching(tmp_path) as batches:
        (tmp_path / "b.json").write_text("2", "utf-8")
        (tmp_path / "a.json").unlink()
        (tmp_path / "c.json").write_text("3, changed", "utf-8")
        wait_for(lambda: batches.seen() == {tmp_path / "a.json", tmp_path / "b.json", tmp_path / "c.json"})


def test_an_editors_burst_of_saves_is_handed_over_as_one_change(tmp_path: Path) -> None:
    """An atomic save (write a temporary file, rename it over the original) and a second file
    saved with it reach the server as one batch, so they cost one rebuild."""
    group = tmp_path / "group.json"
    group.write_text("{}", "utf-8")
    with watching(tmp_path) as batches:
        (tmp_path / "group.json.tmp").write_text('{"name": 1}', "utf-8")
        os.replace(tmp_path / "group.json.tmp", group)
        (tmp_path / "page.toml").write_text("", "utf-8")
        wait_for(lambda: batches.seen() == {group, tmp_path / "page.toml"})
        assert len(batches.batches) == 1


def test_the_watcher_ignores_editor_and_tool_files(tmp_path: Path) -> None:
    (tmp_path / "groups" / "spa").mkdir(parents=True)
    with watching(tmp_path) as batches:
        for name in (".group.json.swp", "group.json~", "#group.json#", "group.json.swx", "x.tmp"):
            (tmp_path / "groups" / "spa" / name).write_text("x", "utf-8")
        for folder in (".git", "__pycache__", "groups/.hidden"):
            (tmp_path / folder).mkdir()
            (tmp_path / folder / "file").write_text("x", "utf-8")
        (tmp_path / "groups" / "spa" / "group.json").write_text("{}", "utf-8")  # the last save
        wait_for(lambda: tmp_path / "groups" / "spa" / "group.json" in batches.seen())
    assert batches.seen() == {tmp_path / "groups" / "spa" / "group.json"}


def test_ignored_names_are_judged_below_the_watched_folder_only() -> None:
    assert ignored(".git/HEAD") and ignored("groups/spa/.group.json.swp") and ignored("themes/__pycache__/x")
    assert ignored("groups/spa/#about.md#") and ignored("site.toml~")
    assert not ignored("groups/spa/group.json") and not ignored("themes/brand/static/theme.css")


def test_the_watcher_sees_edits_in_folders_reached_through_links_and_survives_a_loop(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "about.md").write_text("# A", "utf-8")
    group = tmp_path / "groups" / "spa"
    group.mkdir(parents=True)
    (group / "pages").symlink_to(shared)  # issue 17, D7: a pages/ shared by a link
    (group / "loop").symlink_to(group)
    with watching(tmp_path / "groups") as batches:
        (shared / "about.md").write_text("# B, longer", "utf-8")
        wait_for(lambda: group / "pages" / "about.md" in batches.seen())


def test_a_name_that_is_not_utf8_is_reported_as_the_whole_folder_and_watching_goes_on(tmp_path: Path) -> None:
    """watchfiles stops for good at such a name; the watcher renews itself and says
    "anything may have changed" by handing over the watched folder (the server rebuilds all)."""
    with watching(tmp_path) as batches:
        Path(os.fsdecode(bytes(tmp_path) + b"/\xff.md")).write_text("x", "utf-8")
        wait_for(lambda: tmp_path in batches.seen())
        (tmp_path / "after.json").write_text("{}", "utf-8")
        wait_for(lambda: tmp_path / "after.json" in batches.seen())


def os_threads() -> set[str]:
    """The ids of this process's threads, Python's and native ones alike."""
    return set(os.listdir("/proc/self/task"))


def test_stopping_the_watcher_ends_its_threads_and_its_reports(tmp_path: Path) -> None:
    before, before_python = os_threads(), threading.active_count()
    batches = Batches()
    watcher = Watcher([tmp_path, tmp_path / "missing"], batches)  # a folder that is not there is skipped
    assert threading.active_count() == before_python + 1
    started = os_threads() - before  # the watcher's own: threads earlier tests left may end meanwhile
    assert started
    watcher.stop()
    watcher.stop()  # twice is harmless (close() after run()'s own stop)
    assert threading.active_count() == before_python
    wait_for(lambda: not started & os_threads())  # the kernel watch's own (Rust) thread too
    (tmp_path / "late.json").write_text("{}", "utf-8")
    assert batches.batches == []


def test_a_server_started_and_stopped_leaves_no_thread_behind(minisite: Path) -> None:
    before = threading.active_count()
    for _ in range(3):
        with running(minisite):
            pass
    assert threading.active_count() == before
    assert not [t for t in threading.enumerate() if t.name == "bookgen-watch"]


def test_server_serves_pages_api_and_refuses_traversal(minisite: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret", "utf-8")
    with running(minisite) as (server, _):
        base = f"http://127.0.0.1:{server.port}"
        status, body = get(f"{base}/spa/fr/")
        assert status == 200 and "Test Spa" in body
        assert f'<script defer src="/livereload.js?port={server.port}"></script>' in body
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
        with urllib.request.urlopen(request, timeout=30) as response:
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


def _raw_exchange(port: int, head: str, body: bytes = b"") -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        raw.sendall(head.encode() + body)
        return raw.recv(65536).decode("utf-8", "replace")


def test_an_api_body_over_the_sandboxs_bound_is_refused_before_it_is_read(minisite: Path) -> None:
    from generator.sandbox import MAX_BODY_BYTES

    with running(minisite) as (server, _):
        origin = f"127.0.0.1:{server.port}"
        head = ("POST /api/v1/groups/1/appointments HTTP/1.1\r\nHost: {o}\r\nOrigin: http://{o}\r\n"
                "Content-Type: application/json\r\nContent-Length: {n}\r\n\r\n")  # fmt: skip
        # 100 MB announced, nothing sent: an answer now proves nothing was waited for or buffered
        reply = _raw_exchange(server.port, head.format(o=origin, n=100_000_000))
        assert reply.split()[1] == "413" and '"body_too_large"' in reply
        reply = _raw_exchange(server.port, head.format(o=origin, n=MAX_BODY_BYTES + 1))
        assert reply.split()[1] == "413"
        # at the bound the body is read and handed on: the gateway answers it (its own, lower bound)
        reply = _raw_exchange(server.port, head.format(o=origin, n=MAX_BODY_BYTES), b" " * MAX_BODY_BYTES)
        assert reply.split()[1] == "413" and '"body_too_large"' in reply and "16384" in reply
        # a chunked body that runs past the bound ends the connection instead of growing memory
        chunk = b"%x\r\n%s\r\n" % (MAX_BODY_BYTES, b" " * MAX_BODY_BYTES)
        chunked = head.replace("Content-Length: {n}", "Transfer-Encoding: chunked").format(o=origin)
        reply = _raw_exchange(server.port, chunked, chunk * 2 + b"0\r\n\r\n")
        assert reply.split()[1:2] in ([], ["400"])
        status, _ = get(f"http://{origin}/api/v1/groups/1/availabletimeslots.json?intervention_ids[]=100")
        assert status == 200  # and the server goes on


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


@pytest.mark.parametrize("command", ["serve", "sandbox", "gateway"])
def test_a_busy_port_gets_one_line_naming_host_and_port_from_every_server(minisite: Path, command: str) -> None:
    arguments = {"serve": [str(minisite), "--no-open"], "sandbox": [str(minisite)],
                 "gateway": ["--upstream", "http://127.0.0.1:9"]}[command]  # fmt: skip
    secrets = {"BOOKGEN_APIKEY": "k", "BOOKGEN_SECRET": "s" * 32, "BOOKGEN_PRO_EMAIL": "pro@example.test",
               "BOOKGEN_PRO_PASSWORD": "p"}  # fmt: skip
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "generator", command, *arguments, "--port", str(port)],
            capture_output=True, text=True, timeout=60, env={**os.environ, **secrets},
        )
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: port {port} on 127.0.0.1 is in use; try --port {port + 1}"


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


# -- preview edges (review D15, D17; bug-hunt #8) --------------------------------------------------


def raw_request(port: int, target: str, *, method: str = "GET", host: str | None = None) -> tuple[int, dict, bytes]:
    """One HTTP/1.0 request as written (no client-side normalisation): status, headers, body."""
    host = f"127.0.0.1:{port}" if host is None else host
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall(f"{method} {target} HTTP/1.0\r\nHost: {host}\r\n\r\n".encode("latin-1"))
        reply = b""
        while chunk := raw.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def test_head_is_answered_like_get_without_a_body(minisite: Path) -> None:
    with running(minisite) as (server, _):
        for target in ("/spa/fr/", "/livereload.js", "/__bookgen__/status", "/__bookgen__/overlay.css", "/sitemap.xml"):
            get_status, get_headers, get_body = raw_request(server.port, target)
            status, headers, body = raw_request(server.port, target, method="HEAD")
            assert (status, body) == (200, b""), target
            assert get_status == 200 and headers["content-type"] == get_headers["content-type"]
            assert int(headers["content-length"]) == len(get_body) > 0
        assert raw_request(server.port, "/nothing/here", method="HEAD")[:3:2] == (404, b"")



def test_head_on_the_booking_api_answers_as_get_without_a_body_and_changes_nothing(minisite: Path) -> None:
    with running(minisite) as (server, _):
        for target in ("/api/v1/groups/1", "/api/v1/groups/1/calendars.json",
                       "/api/v1/groups/1/availabletimeslots?intervention_ids[]=100", "/api/v1/groups/999"):  # fmt: skip
            get_status, get_headers, get_body = raw_request(server.port, target)
            status, headers, body = raw_request(server.port, target, method="HEAD")
            assert (status, body) == (get_status, b""), target
            assert {k: v for k, v in headers.items() if k not in ("date", "x-request-id")} == {
                k: v for k, v in get_headers.items() if k not in ("date", "x-request-id")
            }, target
            assert int(headers["content-length"]) == len(get_body) > 0 and "etag" not in headers
        status, headers, body = raw_request(server.port, "/api/v1/groups/1/appointments", method="HEAD")
        assert (status, headers["allow"], body) == (405, "POST, OPTIONS", b"")
        # A confirmation link's GET confirms: a HEAD (a mail scanner) is refused and confirms nothing.
        link = server.sandbox.send_confirmation(server.sandbox.add_account(1, "ana@example.test"))["link"]
        status, headers, body = raw_request(server.port, link, method="HEAD")
        assert (status, headers["allow"], body) == (405, "GET, POST", b"")
        assert not server.sandbox.accounts_for("ana@example.test")[0].validated
        assert raw_request(server.port, link)[0] == 200

@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:{port}", "127.0.0.1.evil.example:{port}", "localhost.evil.example",
             "127.0.0.1:{other}", "", "127.0.0.2:{port}"],
)  # fmt: skip
def test_a_foreign_host_header_is_refused_everywhere(minisite: Path, host: str) -> None:
    """DNS rebinding: a page on evil.example whose name now points at 127.0.0.1 must not
    read the preview's pages, status or sandbox API."""
    with running(minisite) as (server, _):
        header = host.format(port=server.port, other=server.port + 1)
        for target in ("/spa/fr/", "/", "/__bookgen__/status", "/livereload.js", "/livereload",
                       "/api/v1/groups/1/availabletimeslots?intervention_ids[]=100", "/%2e%2e/etc"):
            for method in ("GET", "HEAD", "POST"):
                status, _, body = raw_request(server.port, target, method=method, host=header)
                assert status == 403, (target, method)
                assert b"Test Spa" not in body and b"records" not in body


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}", "[::1]:{port}", "127.0.0.1"])
def test_the_preview_answers_under_its_own_loopback_names(minisite: Path, host: str) -> None:
    with running(minisite) as (server, _):
        status, _, body = raw_request(server.port, "/spa/fr/", host=host.format(port=server.port))
        assert status == 200 and b"Test Spa" in body


def test_allowed_hosts_follow_the_bound_address() -> None:
    assert allowed_hosts("192.168.1.5", 8000) == {"192.168.1.5", "192.168.1.5:8000"}
    assert allowed_hosts("::1", 8000) >= {"[::1]:8000", "localhost:8000", "127.0.0.1:8000"}
    assert "[::1]" in allowed_hosts("127.0.0.1", 80)
    assert allowed_hosts("0.0.0.0", 8000) is None and allowed_hosts("::", 8000) is None


def test_snippets_name_an_address_the_preview_answers_at() -> None:
    """review D16: a wildcard bind cannot be browsed as 0.0.0.0 everywhere; loopback can."""
    assert reachable_host("0.0.0.0") == "127.0.0.1" and reachable_host("::") == "::1"
    assert reachable_host("127.0.0.1") == "127.0.0.1" and reachable_host("192.168.1.5") == "192.168.1.5"
    assert reachable_host("localhost") == "localhost"


def test_the_served_embed_page_names_the_preview_s_own_port(minisite: Path) -> None:
    with running(minisite) as (server, _):
        status, _, body = raw_request(server.port, "/spa/en/embed.html")
    assert status == 200
    assert f"http://127.0.0.1:{server.port}/spa/en/widget.html".encode() in body
    assert b"https://book.test/spa/" not in body


def test_folders_outside_the_root_cannot_be_probed_by_redirects(minisite: Path) -> None:
    with running(minisite) as (server, _):
        ups = "/%2e%2e" * 8
        existing = raw_request(server.port, f"{ups}/etc")
        missing = raw_request(server.port, f"{ups}/no-such-folder-anywhere")
        assert existing[0] == missing[0] == 404
        assert existing[2] == missing[2]
        assert raw_request(server.port, "/spa")[:2][0] == 302  # a real folder of the preview still redirects


@pytest.mark.parametrize("length", [254, 255, 256, 300, 5000])
def test_long_path_segments_are_not_found_not_server_errors(minisite: Path, length: int) -> None:
    with running(minisite) as (server, _):
        assert raw_request(server.port, "/" + "a" * length)[0] == 404
        assert raw_request(server.port, "/spa/" + "%C3%A9" * (length // 2) + "/")[0] == 404  # 2 bytes each


def test_very_deep_paths_are_not_found_not_server_errors(minisite: Path) -> None:
    with running(minisite) as (server, _):
        assert raw_request(server.port, "/" + "a/" * 5000)[0] == 404
        assert raw_request(server.port, "/spa/" + "fr/" * 2000)[0] == 404


def test_a_deleted_or_renamed_group_is_no_longer_served(minisite: Path) -> None:
    groups = minisite / "groups"
    with running(minisite) as (server, _):
        url = f"http://127.0.0.1:{server.port}"
        assert get(f"{url}/shop/fr/")[0] == 200 and get(f"{url}/spa/fr/")[0] == 200
        shutil.rmtree(groups / "shop")
        wait_for(lambda: get(f"{url}/shop/fr/")[0] == 404)
        assert not (server.out / "shop").exists()
        assert get(f"{url}/spa/fr/")[0] == 200 and "shop" not in get(f"{url}/")[1]
        (groups / "spa").rename(groups / "spa-renamed")
        wait_for(lambda: get(f"{url}/spa-renamed/fr/")[0] == 200)
        assert get(f"{url}/spa/fr/")[0] == 404 and get(f"{url}/spa/fr/embed.html")[0] == 404
        assert get(f"{url}/manifest.json")[0] == 200


@pytest.mark.parametrize(
    ("raw_name", "shown"),
    [(b"groups/spa/pages/\xff\xfe.md", "\\xff\\xfe.md"), (b"groups/caf\xe9", "caf\\xe9")],
    ids=["page-file", "group-folder"],
)
def test_a_name_that_is_not_utf8_is_reported_and_every_page_still_served(
    minisite: Path, raw_name: bytes, shown: str
) -> None:
    bad = Path(os.fsdecode(bytes(minisite) + b"/" + raw_name))
    with running(minisite) as (server, lines):
        url = f"http://127.0.0.1:{server.port}"
        if bad.suffix == ".md":
            bad.write_text("# Broken name\n", "utf-8")
        else:
            shutil.copytree(minisite / "groups" / "shop", bad)
        wait_for(lambda: json.loads(get(f"{url}/__bookgen__/status")[1])["problems"])
        [problem] = json.loads(get(f"{url}/__bookgen__/status")[1])["problems"]
        assert shown in problem
        for page in ("/spa/fr/", "/shop/en/", "/"):
            status, body = get(url + page)
            assert status == 200 and 'id="bookgen-error"' in body and shown in body
        assert any(shown in line for line in lines)
        if bad.is_dir():
            shutil.rmtree(bad)
        else:
            bad.unlink()
        wait_for(lambda: json.loads(get(f"{url}/__bookgen__/status")[1])["problems"] == [])
        assert 'id="bookgen-error"' not in get(f"{url}/spa/fr/")[1]


def test_printable_shows_undecodable_bytes_escaped() -> None:
    assert printable(os.fsdecode(b"pages/\xff.md")) == "pages/\\xff.md"
    assert printable("pages/é.md") == "pages/é.md"


def test_an_ipv6_preview_prints_and_opens_a_bracketed_url(minisite: Path, monkeypatch) -> None:
    """bug-hunt #8: the URL printed and opened for --host ::1 is http://[::1]:N/."""
    from click.testing import CliRunner

    from generator.cli import main
    from generator.preview import server as serve_module

    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", opened.append)
    monkeypatch.setattr(serve_module.PreviewServer, "run", lambda self: wait_for(lambda: opened))
    result = CliRunner().invoke(main, ["serve", str(minisite), "--host", "::1", "--port", "0", "--open"])
    assert result.exit_code == 0, result.output
    [url] = opened
    assert url.startswith("http://[::1]:") and url.endswith("/")
    assert f"on {url} (Ctrl-C to stop)" in result.output


def test_an_ipv6_preview_serves_at_its_bracketed_url(minisite: Path) -> None:
    with running(minisite, host="::1") as (server, _):
        assert server.url == f"http://[::1]:{server.port}/"
        status, body = get(server.url + "spa/fr/")
        assert status == 200 and "Test Spa" in body
    with running(minisite, host="[::1]") as (server, _):  # as written in a URL
        assert server.host == "::1"


def write_later(path: Path, text: str) -> None:
    """Write ``text`` with an mtime later than any before (the watcher compares mtimes)."""
    path.write_text(text, "utf-8")
    later = max(time.time(), path.stat().st_mtime) + 1
    os.utime(path, (later, later))


def status_of(server) -> dict:
    return json.loads(get(f"http://127.0.0.1:{server.port}/__bookgen__/status")[1])


def test_a_pathological_markdown_page_is_an_error_not_a_stalled_server(minisite: Path) -> None:
    """review D20: 10 KB of '[' used to hold the server's only thread for half a minute."""
    about = minisite / "groups" / "spa" / "pages" / "about.md"
    with running(minisite) as (server, _):
        for text in ("# T\n" + "[" * 10_000, "".join("  " * i + "- x\n" for i in range(500)), "<a" * 512_000):
            write_later(about, text)
            wait_for(lambda: any("markdown: " in p for p in status_of(server)["problems"]))
            [problem] = status_of(server)["problems"]
            assert problem.startswith(f"{about}:") and "markdown: " in problem
            status, body = get(f"http://127.0.0.1:{server.port}/spa/fr/")
            assert status == 200 and 'id="bookgen-error"' in body and "Test Spa" in body
            write_later(about, "# About\n\nFixed.\n")
            wait_for(lambda: status_of(server)["problems"] == [])


def test_a_template_failing_while_rendering_is_listed_and_reloads(minisite: Path) -> None:
    """bug-hunt #12 in serve: the problem is listed (status, overlay) and browsers told to reload."""
    partials = minisite / "themes" / "mine" / "templates" / "partials"
    partials.mkdir(parents=True)
    (partials.parent.parent / "theme.toml").write_text('name = "mine"\nextends = "classic"\n', "utf-8")
    (minisite / "groups" / "spa" / "page.toml").write_text('theme = "mine"\n', "utf-8")
    with running(minisite) as (server, lines):
        before = status_of(server)["generation"]
        write_later(partials / "contact.html", "<p>{{ group.name + 1 }}</p>\n")
        wait_for(lambda: status_of(server)["problems"])
        assert status_of(server)["problems"] == [
            f'{partials / "contact.html"}:1: template error: can only concatenate str (not "int") to str'
        ]
        assert status_of(server)["generation"] > before  # the reload that shows the overlay
        assert any("template error" in line for line in lines)
        assert 'id="bookgen-error"' in get(f"http://127.0.0.1:{server.port}/shop/fr/")[1]
        write_later(partials / "contact.html", "<p>{{ group.name }} fixed</p>\n")
        wait_for(lambda: "fixed" in get(f"http://127.0.0.1:{server.port}/spa/fr/")[1])
        assert status_of(server)["problems"] == []



def test_a_looping_theme_template_is_stopped_in_the_servers_thread_and_listed(
    minisite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The preview renders on its event loop's thread (here not the main one): the time limit
    stops the render there, the last good build keeps being served."""
    import generator.untrusted as untrusted

    monkeypatch.setattr(untrusted, "RENDER_SECONDS", 0.5)
    partials = minisite / "themes" / "mine" / "templates" / "partials"
    partials.mkdir(parents=True)
    (partials.parent.parent / "theme.toml").write_text('name = "mine"\nextends = "classic"\n', "utf-8")
    (partials / "contact.html").write_text("<p>{{ group.name }} mine</p>\n", "utf-8")
    (minisite / "groups" / "spa" / "page.toml").write_text('theme = "mine"\n', "utf-8")
    with running(minisite) as (server, _):
        assert "Test Spa mine" in get(f"http://127.0.0.1:{server.port}/spa/fr/")[1]
        loop = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
        write_later(partials / "contact.html", "<p>\n" + loop + "</p>\n")
        wait_for(lambda: status_of(server)["problems"])
        assert status_of(server)["problems"] == [
            f"{partials / 'contact.html'}:2: template error: rendering took longer than 0.5 s"
        ]
        assert "Test Spa mine" in get(f"http://127.0.0.1:{server.port}/spa/fr/")[1]

def test_what_held_still_holds_symlinks_and_other_methods(minisite: Path, tmp_path: Path) -> None:
    """Review rows 59 and 63: a planted link out of the preview folder is 404, one inside is
    served; methods other than GET and HEAD on a page are 405."""
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret", "utf-8")
    with running(minisite) as (server, _):
        (server.out / "out-link.txt").symlink_to(secret)
        (server.out / "in-link.html").symlink_to(server.out / "spa" / "fr" / "index.html")
        status, _, body = raw_request(server.port, "/out-link.txt")
        assert status == 404 and b"top secret" not in body
        assert raw_request(server.port, "/in-link.html")[0] == 200
        for method in ("OPTIONS", "PUT", "DELETE", "POST", "PATCH", "TRACE", "PROPFIND"):
            assert raw_request(server.port, "/spa/fr/", method=method)[0] == 405, method


class _FakePreview:
    """A build side that is not bookgen's: the server only drives what it is handed."""

    def __init__(self, out: Path, url: str) -> None:
        self.out, self.url, self.site, self.problems, self.rebuilt = out, url, None, [], []

    def build_all(self) -> object:
        from generator.errors import Problem, SiteError

        raise SiteError([Problem("groups/spa/group.json", "group.name", "<b>is required</b>")])

    def rebuild(self, changed: set[Path]) -> object | None:
        self.rebuilt.append(changed)
        return None


def test_the_server_drives_the_build_side_it_is_handed_and_escapes_its_problems(tmp_path: Path) -> None:
    import threading

    from generator.preview.server import PreviewServer

    made: list[_FakePreview] = []

    def make(out: Path, url: str) -> _FakePreview:
        made.append(_FakePreview(out, url))
        return made[-1]

    server = PreviewServer(make, [tmp_path], port=0, log=lambda line: None)
    server.first_build()
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        [preview] = made
        assert preview.out == server.out and preview.url.endswith(f":{server.port}/")
        status, body = get(server.url)
        assert status == 200 and "The site could not be built" in body
        assert "&lt;b&gt;is required&lt;/b&gt;" in body and "<b>is required" not in body
        (tmp_path / "group.json").write_text("{}")
        wait_for(lambda: preview.rebuilt)
        assert preview.rebuilt[0] == {tmp_path / "group.json"}
    finally:
        server.stop()
        thread.join(5)
        server.close()


def test_content_hashed_files_may_be_kept_by_the_browser_and_pages_may_not(minisite: Path) -> None:
    """A reload then fetches the page alone: a hashed name never changes content."""
    with running(minisite) as (server, _):
        _, headers, body = raw_request(server.port, "/spa/fr/")
        assert headers["cache-control"] == "no-store"
        stylesheet = re.search(rb'href="\.\./\.\./(assets/[^"]+\.css)"', body).group(1).decode()
        assert raw_request(server.port, f"/{stylesheet}")[1]["cache-control"] == "public, max-age=31536000, immutable"
        assert raw_request(server.port, "/sitemap.xml")[1]["cache-control"] == "no-store"
        for client in ("/livereload.js", "/__bookgen__/preview.js"):
            assert raw_request(server.port, client)[1]["cache-control"] == "no-cache", client  # ETag → 304
        assert f'data-generation="{server.generation}"'.encode() in body


def test_the_reload_commands_are_sent_without_waiting_for_acks(minisite: Path) -> None:
    """Each command of a rebuild leaves at once (TCP_NODELAY): with Nagle's algorithm, every
    command after the first waited for the browser's delayed ACK, 40 ms on Linux, so a page
    whose reload was not first in the list reloaded 40 ms late."""
    import asyncio

    from livereload.handlers import LiveReloadHandler
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    async def nodelay_of_the_servers_end(port: int) -> int:
        url, origin = f"ws://127.0.0.1:{port}/livereload", f"http://127.0.0.1:{port}"
        before = set(LiveReloadHandler.waiters)  # another test's pages, if any
        client = await websocket_connect(HTTPRequest(url, headers={"Origin": origin}))
        hello = {"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"]}
        await client.write_message(json.dumps(hello))
        assert json.loads(await client.read_message())["command"] == "hello"
        await client.write_message(json.dumps({"command": "info", "url": origin + "/spa/fr/"}))
        while not LiveReloadHandler.waiters - before:  # the server's thread adds it
            await asyncio.sleep(0.01)
        [waiter] = LiveReloadHandler.waiters - before
        nodelay = waiter.ws_connection.stream.socket.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        client.close()
        return int(nodelay)

    with running(minisite) as (server, _):
        assert asyncio.run(nodelay_of_the_servers_end(server.port))


class _BrokenPreview(_FakePreview):
    """A build side whose every build fails with ``count`` problems."""

    def __init__(self, out: Path, url: str, count: int) -> None:
        super().__init__(out, url)
        self.count = count

    def build_all(self) -> object:
        from generator.errors import Problem, SiteError

        where = [f"groups/g{i:03}/group.json" for i in range(self.count)]
        raise SiteError([Problem(file, "group.name", "is required") for file in where])


@pytest.mark.parametrize(("count", "limit", "shown"), [(100, 100, 100), (101, 100, 100), (101, None, 101)])
def test_the_preview_prints_at_most_its_limit_of_problems_then_counts_the_rest(
    tmp_path: Path, count: int, limit: int | None, shown: int
) -> None:
    from generator.preview.server import PreviewServer

    lines: list[str] = []
    make = functools.partial(_BrokenPreview, count=count)
    server = PreviewServer(make, [tmp_path], port=0, log=lines.append, max_errors=limit)
    try:
        server.first_build()
    finally:
        server.close()
    expected = [f"error: groups/g{i:03}/group.json: group.name: is required" for i in range(shown)]
    if count > shown:
        more = "(fix these first, or run again as `bookgen --all-errors ...` to list them all)"
        expected.append(f"error: {count - shown} more problem not shown {more}")
    assert lines == [*expected, f"{count} problems; serving the last good build"]
    assert len(server.preview.problems) == count  # the overlay and the status page keep them all
