"""`bookgen push`: only changed, owned fields are sent, in the API's form, after validation and consent.

Run against the faithful sandbox (generator.sandbox on a loopback uvicorn) with every request
the client sends recorded; a fake only for what the sandbox never does (an invalid stored
value, an error echoing the key).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from generator.cli import main
from generator.remote import GroupAPI
from generator.remote import push as pushing
from generator.remote.pull import pull_site

from .fakeapi import APIKEY, ENV, PRO_PASSWORD, FakeGroupAPI, credentials
from .sandboxapi import Sandbox

FIXTURES = Path(__file__).parent / "fixtures"
SPA, BARBERS = "eden-spa-paris", "kings-cross-barbers"


def project(root: Path, url: str, group_ids: list[int]) -> Path:
    """A project whose site.toml points at ``url``, with ``group_ids`` pulled."""
    root.mkdir()
    config = (FIXTURES / "minisite" / "site.toml").read_text()
    (root / "site.toml").write_text(config.replace('"/api/v1"', json.dumps(url)))
    with GroupAPI(url, credentials()) as api:
        pull_site(root, api, group_ids)
    return root


@pytest.fixture
def site(tmp_path: Path, sandbox: Sandbox) -> Path:
    """Groups 4102 (eden-spa-paris) and 6311 (kings-cross-barbers) pulled from the sandbox."""
    return project(tmp_path / "site", sandbox.url, [4102, 6311])


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[httpx.Request]:
    """Every request any httpx client of this process sends from now on, body read."""
    requests: list[httpx.Request] = []
    real = httpx.HTTPTransport.handle_request

    def record(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        request.read()
        requests.append(request)
        return real(self, request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", record)
    return requests


def puts(sent: list[httpx.Request]) -> list[Any]:
    return [json.loads(r.content) for r in sent if r.method == "PUT"]


def server_group(sandbox: Sandbox, group_id: int) -> dict[str, Any]:
    with GroupAPI(sandbox.url, credentials()) as api:
        return api.get_group(group_id)


def edit_group(site: Path, slug: str, **changes: Any) -> None:
    path = site / "groups" / slug / "group.json"
    data = json.loads(path.read_text())
    for name, value in changes.items():
        if value is None:
            data["group"].pop(name, None)
        else:
            data["group"][name] = value
    path.write_text(json.dumps(data))


def push_cli(site: Path, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, ["push", *args, "--site", str(site)], input=input, env=ENV)


SERVER_COLOURS = {
    "content_bg": "#FDF7E8",
    "content_text": "#333333",
    "content_links": "#6B4A1F",
    "main_bg": "#7A4A12",
    "main_text": "#FFFFFF",
    "page_bg": "#322A1D",
    "page_text": "#FFFCF7",
}
NEW_COLOURS = {**SERVER_COLOURS, "main_bg": "#1F4E79"}
del NEW_COLOURS["page_text"]


def test_push_sends_only_the_changed_fields(site: Path, sandbox: Sandbox, sent: list[httpx.Request]) -> None:
    assert json.loads(server_group(sandbox, 4102)["usercolors"]) == SERVER_COLOURS
    sent.clear()
    edit_group(site, SPA, usercolors=NEW_COLOURS, calendarChoice=1, display_intervention_price=False)
    result = push_cli(site, SPA, "--yes")
    assert result.exit_code == 0, result.output
    (body,) = puts(sent)
    fields = body["group"]
    assert set(body) == {"group"}
    assert set(fields) == {"calendarChoice", "usercolors", "display_intervention_price"}
    assert fields["calendarChoice"] == 1
    assert fields["display_intervention_price"] is False
    assert isinstance(fields["usercolors"], str)  # the API's string form, not an object
    assert len(fields["usercolors"]) <= 255
    assert fields["usercolors"] == json.dumps(NEW_COLOURS, separators=(",", ":"))
    put = next(r for r in sent if r.method == "PUT")
    assert put.url.params["apikey"] == APIKEY and APIKEY.encode() not in put.content
    assert "Pushed 3 fields to group 4102 (eden-spa-paris)" in result.stdout
    server = server_group(sandbox, 4102)
    assert (server["calendarChoice"], server["display_intervention_price"]) == (1, False)
    assert json.loads(server["usercolors"]) == NEW_COLOURS


def test_the_server_is_read_first_and_only_differences_are_sent(
    site: Path, sandbox: Sandbox, sent: list[httpx.Request]
) -> None:
    with GroupAPI(sandbox.url, credentials()) as api:
        api.update_group(4102, {"calendarChoice": 0})  # changed in ClicRDV Pro since the pull
    sent.clear()
    edit_group(site, SPA, calendarChoice=0, max_multirdvs=2)
    assert push_cli(site, SPA, "--yes").exit_code == 0
    assert [r.method for r in sent] == ["GET", "PUT"]
    assert puts(sent) == [{"group": {"max_multirdvs": 2}}]


def test_api_spellings_of_the_same_value_are_not_changes(
    site: Path, sandbox: Sandbox, sent: list[httpx.Request]
) -> None:
    edit_group(site, SPA, anyCalendar="1", calendarChoice="2", display_intervention_length=1)
    result = push_cli(site, SPA, "--yes")
    assert result.exit_code == 0
    assert "group 4102 (eden-spa-paris) is up to date; nothing to push" in result.stdout
    assert puts(sent) == []


def test_dry_run_shows_the_diff_and_sends_nothing(
    site: Path, sandbox: Sandbox, sent: list[httpx.Request]
) -> None:
    edit_group(site, SPA, usercolors=NEW_COLOURS, currency_code="CHF")
    result = push_cli(site, SPA, "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "group 4102 (eden-spa-paris), server → local:",
        "  usercolors.main_bg: #7A4A12 → #1F4E79",
        "  usercolors.page_text: #FFFCF7 → (theme default)",
        '  currency_code: "EUR" → "CHF"',
        "dry run: 2 fields would be sent; nothing was sent",
    ]
    assert puts(sent) == []
    assert server_group(sandbox, 4102)["currency_code"] == "EUR"


def test_without_a_terminal_push_refuses_unless_told_yes(site: Path, sent: list[httpx.Request]) -> None:
    edit_group(site, SPA, calendarChoice=1)
    result = push_cli(site, SPA)
    assert result.exit_code == 2
    assert "cannot ask for confirmation without a terminal; pass --yes (or --dry-run)" in result.stderr
    assert sent == []


@pytest.mark.parametrize(("answer", "code", "count"), [("y\n", 0, 1), ("n\n", 1, 0)])
def test_push_asks_before_sending(
    site: Path, sent: list[httpx.Request], monkeypatch: pytest.MonkeyPatch, answer: str, code: int, count: int
) -> None:
    monkeypatch.setattr(pushing, "stdin_is_interactive", lambda: True)
    edit_group(site, SPA, calendarChoice=1)
    result = push_cli(site, SPA, input=answer)
    assert result.exit_code == code
    assert "Push 1 field to group 4102? [y/N]" in result.stdout
    assert len(puts(sent)) == count


def test_local_edits_to_fields_bookgen_does_not_own_are_reported_not_sent(
    site: Path, sandbox: Sandbox, sent: list[httpx.Request]
) -> None:
    edit_group(site, SPA, phone="01 99 99 99 99", open=False, calendarChoice=1)
    result = push_cli(site, SPA, "--yes")
    assert result.exit_code == 0
    assert "changed locally but not pushed (owned by ClicRDV Pro): phone, open" in result.stderr
    assert puts(sent) == [{"group": {"calendarChoice": 1}}]
    assert server_group(sandbox, 4102)["phone"] == "01 83 62 04 04"


def test_removing_usercolors_locally_resets_them_on_the_server(
    site: Path, sandbox: Sandbox, sent: list[httpx.Request]
) -> None:
    edit_group(site, SPA, usercolors=None)
    assert push_cli(site, SPA, "--yes").exit_code == 0
    assert puts(sent) == [{"group": {"usercolors": None}}]
    assert server_group(sandbox, 4102)["usercolors"] is None


def test_an_unreadable_server_value_is_replaced_and_shown_whole(
    tmp_path: Path, fake_api: FakeGroupAPI
) -> None:
    """The sandbox validates what it stores; a fake holds what ClicRDV might still have."""
    fake_site = project(tmp_path / "faked", fake_api.url, [42])
    fake_api.groups[42]["usercolors"] = "not json"
    result = push_cli(fake_site, "eden-spa", "--dry-run")
    colours = json.loads((fake_site / "groups" / "eden-spa" / "group.json").read_text())["group"][
        "usercolors"
    ]
    assert f'  usercolors: "not json" → {json.dumps(colours)}' in result.stdout


def test_a_group_without_an_id_cannot_be_created(site: Path, sent: list[httpx.Request]) -> None:
    edit_group(site, SPA, id=None)
    result = push_cli(site, SPA, "--yes")
    assert result.exit_code == 1
    assert (
        f"{site / 'groups' / SPA / 'group.json'}: group.id: is missing: creating a group is not "
        "available in the Group API" in result.stderr
    )
    assert sent == []


def test_an_invalid_local_group_is_not_sent(site: Path, sent: list[httpx.Request]) -> None:
    edit_group(site, SPA, usercolors={"main_bg": "red"}, max_multirdvs=0)
    result = push_cli(site, SPA, "--yes")
    assert result.exit_code == 1
    group_file = site / "groups" / SPA / "group.json"
    assert f"{group_file}: group.max_multirdvs: 0 must be between 1 and 2147483647" in result.stderr
    assert f"{group_file}: group.usercolors.main_bg: 'red' is not a #RRGGBB colour" in result.stderr
    assert sent == []


def test_an_unknown_slug_is_a_clear_error(site: Path) -> None:
    result = push_cli(site, "nope", "--yes")
    assert result.exit_code == 1
    assert f"{site / 'groups' / 'nope'}: is not a group folder of the site (no group.json)" in result.stderr


def test_a_group_the_server_does_not_show_is_named(site: Path, sent: list[httpx.Request]) -> None:
    edit_group(site, SPA, id=999)
    result = push_cli(site, SPA, "--yes")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "error: group 999: GET /groups/999.json: group 999 was not found or is not visible to this "
        "Pro login (404 Not Found)"
    )
    assert puts(sent) == []


def test_a_rejected_update_is_reported_without_the_key(tmp_path: Path, fake_api: FakeGroupAPI) -> None:
    fake_site = project(tmp_path / "faked", fake_api.url, [7])
    edit_group(fake_site, BARBERS, calendarChoice=0)
    echo = json.dumps({"error": f"invalid calendarChoice for /groups/7?apikey={APIKEY}"}).encode()
    fake_api.misbehave("/groups/7", ("body", 400, echo), method="PUT")
    result = push_cli(fake_site, BARBERS, "--yes")
    assert result.exit_code == 1
    assert "group 7: PUT /groups/7.json: HTTP 400 Bad Request:" in result.stderr
    assert "apikey=***" in result.stderr
    assert APIKEY not in result.output
    assert len(fake_api.seen("PUT")) == 1  # a 4xx is not retried


def test_push_output_and_files_never_hold_the_secrets(site: Path) -> None:
    edit_group(site, SPA, usercolors=NEW_COLOURS)
    outputs = "".join(push_cli(site, SPA, flag).output for flag in ("--dry-run", "--yes", "--yes"))
    files = "".join(p.read_text() for p in site.rglob("*") if p.is_file())
    for secret in (APIKEY, PRO_PASSWORD, *credentials().secrets()):
        assert secret not in outputs + files


def test_plan_lists_changes_in_a_stable_order(site: Path, sandbox: Sandbox) -> None:
    edit_group(site, SPA, currency_code="USD", usercolors=NEW_COLOURS, calendarChoice=1)
    server = server_group(sandbox, 4102)
    plan = pushing.plan_push(pushing.load_group(site, SPA), server)
    assert [c.field for c in plan.changes] == ["calendarChoice", "usercolors", "currency_code"]
    assert plan.group_id == 4102 and plan.not_pushed == ()
    shutil.rmtree(site / "groups" / BARBERS)  # unrelated groups do not matter
    assert pushing.plan_push(pushing.load_group(site, SPA), server) == plan


# Against the faithful sandbox: the pull → edit → push → pull round trip


def dump(data: Any) -> str:
    """A file as `bookgen pull` writes it."""
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def remote_cli(command: str, *args: str) -> Result:
    return CliRunner().invoke(main, [command, *args], env=ENV)


@pytest.mark.parametrize("auth", ["basic", "session"])
def test_pull_edit_push_pull_round_trip_is_byte_stable(tmp_path: Path, sandbox: Sandbox, auth: str) -> None:
    site = tmp_path / "project"
    site.mkdir()
    (site / "site.toml").write_text((FIXTURES / "minisite" / "site.toml").read_text())
    remote = ["--api-url", sandbox.url, "--auth", auth]
    pulled = remote_cli("pull", str(site), "--all", *remote)
    assert pulled.exit_code == 0, pulled.output
    before = snapshot(site)

    group_file = site / "groups" / "eden-spa-paris" / "group.json"
    data = json.loads(group_file.read_text())
    colours = json.loads(data["group"]["usercolors"])
    colours["main_bg"] = "#1F4E79"
    data["group"].update(
        calendarChoice=1,
        display_intervention_price=False,
        usercolors=json.dumps(colours, separators=(",", ":")),
    )
    edited = dump(data)
    group_file.write_text(edited)

    pushed = remote_cli("push", "eden-spa-paris", "--site", str(site), "--yes", *remote)
    assert pushed.exit_code == 0, pushed.output
    assert "Pushed 3 fields to group 4102 (eden-spa-paris)" in pushed.stdout

    again = remote_cli("pull", str(site), *remote)  # refresh the groups the project holds
    assert again.exit_code == 0, again.output
    assert again.stdout.rstrip().endswith("Pulled 5 groups: 0 created, 0 updated, 5 unchanged")
    after = snapshot(site)
    assert group_file.read_text() == edited  # the server now holds exactly the edit
    assert {k: v for k, v in after.items() if v != before[k]} == {
        "groups/eden-spa-paris/group.json": edited.encode()
    }

    nothing = remote_cli("push", "eden-spa-paris", "--site", str(site), "--yes", *remote)
    assert "group 4102 (eden-spa-paris) is up to date; nothing to push" in nothing.stdout
    assert remote_cli("pull", str(site), *remote).exit_code == 0
    assert snapshot(site) == after
    assert APIKEY not in "".join(r.output for r in (pulled, pushed, again, nothing))


def test_push_to_the_sandbox_changes_only_the_owned_fields(tmp_path: Path, sandbox: Sandbox) -> None:
    site = tmp_path / "project"
    site.mkdir()
    (site / "site.toml").write_text((FIXTURES / "minisite" / "site.toml").read_text())
    assert remote_cli("pull", str(site), "--group", "6311", "--api-url", sandbox.url).exit_code == 0
    with GroupAPI(sandbox.url, credentials()) as api:
        server_before = api.get_group(6311)
    edit_group(site, "kings-cross-barbers", max_multirdvs=2, phone="020 0000 0000", anyCalendar=False)
    result = push_cli(site, "kings-cross-barbers", "--yes", "--api-url", sandbox.url)
    assert result.exit_code == 0, result.output
    assert "changed locally but not pushed (owned by ClicRDV Pro): phone" in result.stderr
    with GroupAPI(sandbox.url, credentials()) as api:
        server_after = api.get_group(6311)
    changed = {k for k in server_after if server_after[k] != server_before.get(k)}
    assert changed <= {"max_multirdvs", "anyCalendar", "updated_at"}
    assert (server_after["max_multirdvs"], server_after["anyCalendar"]) == (2, False)
