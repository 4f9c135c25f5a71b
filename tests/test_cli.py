"""The command line: exit codes, clean errors without tracebacks, helpful commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import __version__
from generator.cli import main
from generator.errors import Problem, SiteError


def test_version_and_help(cli: CliRunner) -> None:
    assert cli.invoke(main, ["--version"]).output.strip() == f"bookgen, version {__version__}"
    result = cli.invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("build", "check", "schema", "new", "themes"):
        assert command in result.output


def test_build_succeeds_and_summarises(cli: CliRunner, minisite: Path, tmp_path: Path) -> None:
    result = cli.invoke(main, ["build", str(minisite), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "Built 8 pages for 2 groups in 2 locales" in result.output


def test_invalid_input_exits_1_with_every_problem_and_no_traceback(minisite: Path, tmp_path: Path) -> None:
    group = minisite / "groups" / "spa" / "group.json"
    data = json.loads(group.read_text("utf-8"))
    data["group"]["usercolors"] = {"main_bg": "red;}", "page_bg": "#GGGGGG"}
    group.write_text(json.dumps(data), "utf-8")
    out = tmp_path / "out"
    # A real process, so an escaping traceback would show on stderr.
    result = subprocess.run(
        [sys.executable, "-m", "generator", "build", str(minisite), "-o", str(out)],
        capture_output=True, text=True,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{group}: group.usercolors.main_bg: 'red;}}' is not a #RRGGBB colour" in result.stderr
    assert f"{group}: group.usercolors.page_bg: '#GGGGGG' is not a #RRGGBB colour" in result.stderr
    assert "2 problems found; nothing was written." in result.stderr
    assert not out.exists()


def test_usage_errors_exit_2(cli: CliRunner) -> None:
    assert cli.invoke(main, ["build", "--no-such-flag"]).exit_code == 2
    assert cli.invoke(main, ["frobnicate"]).exit_code == 2


def test_missing_site_folder_is_a_clean_error(cli: CliRunner, tmp_path: Path) -> None:
    result = cli.invoke(main, ["build", str(tmp_path / "nowhere"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "is not a folder (expected a site project)" in result.output


def test_check_validates_without_writing(cli: CliRunner, minisite: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli.invoke(main, ["check", str(minisite)])
    assert result.exit_code == 0, result.output
    assert "2 groups valid" in result.output
    assert list(tmp_path.iterdir()) == [minisite]


def test_schema_writes_one_schema_per_file_kind(cli: CliRunner, tmp_path: Path) -> None:
    result = cli.invoke(main, ["schema", "-o", str(tmp_path)])
    assert result.exit_code == 0
    names = sorted(p.name for p in tmp_path.glob("*.json"))
    assert names == ["calendars.schema.json", "group.schema.json", "interventions.schema.json",
                     "interventionsets.schema.json", "page.schema.json", "site.schema.json"]
    group = json.loads((tmp_path / "group.schema.json").read_text("utf-8"))
    properties = group["anyOf"][0]["properties"]
    assert properties["city"]["anyOf"][0]["maxLength"] == 64
    assert properties["smsreminder"]["anyOf"][1] == {"type": "integer", "minimum": 60, "maximum": 1440}


def test_schema_accepts_the_demo_files(tmp_path: Path) -> None:
    import jsonschema

    from generator.schemas import all_schemas

    schema = all_schemas()["group.schema.json"]
    for path in (Path(__file__).parent / "fixtures" / "minisite" / "groups").glob("*/group.json"):
        jsonschema.validate(json.loads(path.read_text("utf-8")), schema)


def test_new_creates_a_project_that_builds(cli: CliRunner, tmp_path: Path) -> None:
    project = tmp_path / "mysite"
    assert cli.invoke(main, ["new", str(project)]).exit_code == 0
    result = cli.invoke(main, ["build", str(project), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "my-business" / "en" / "index.html").is_file()


def test_new_refuses_a_non_empty_folder(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "x").write_text("", "utf-8")
    result = cli.invoke(main, ["new", str(tmp_path)])
    assert result.exit_code == 2
    assert "exists and is not empty" in result.output


def test_themes_lists_built_in_and_project_themes(cli: CliRunner, minisite: Path) -> None:
    custom = minisite / "themes" / "brand"
    custom.mkdir(parents=True)
    (custom / "theme.toml").write_text('name = "brand"\nextends = "minimal"\ndescription = "Ours"\n', "utf-8")
    result = cli.invoke(main, ["themes", "--site", str(minisite)])
    assert result.exit_code == 0
    lines = {line.split()[0]: line for line in result.output.splitlines()}
    assert set(lines) >= {"classic", "minimal", "contrast", "brand"}
    assert "project" in lines["brand"] and "built-in" in lines["classic"]


def test_themes_refuses_a_site_folder_that_does_not_exist(cli: CliRunner, tmp_path: Path) -> None:
    result = cli.invoke(main, ["themes", "--site", str(tmp_path / "missing")])
    assert result.exit_code == 2 and "is not a folder" in result.output


def test_themes_without_a_site_folder_lists_the_built_in_themes(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./site here: the default is allowed to be absent
    result = cli.invoke(main, ["themes"])
    assert result.exit_code == 0 and "built-in" in result.output and "project" not in result.output


def test_progress_bar_shows_on_a_terminal_after_a_second_only(monkeypatch, capsys) -> None:
    from generator.cli import app as cli_module

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    progress = cli_module._Progress()
    progress(1, 10)  # under a second: quiet
    assert capsys.readouterr().err == ""
    progress.started -= 2
    progress(5, 10)
    err = capsys.readouterr().err
    assert err.startswith("\r  [###############---------------] 5/10 groups")
    progress.close()
    assert capsys.readouterr().err.startswith("\r ")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    quiet = cli_module._Progress()
    quiet.started -= 2
    quiet(5, 10)
    assert capsys.readouterr().err == ""


def start_sandbox(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, list[str]]:
    """``bookgen sandbox`` in a real process; returns it and its banner (up to the emails line)."""
    import os

    process = subprocess.Popen([sys.executable, "-m", "generator", "sandbox", *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})  # fmt: skip
    banner: list[str] = []
    while not banner or not banner[-1].lstrip().startswith(("emails:", "error")):
        line = process.stdout.readline()
        if not line:
            break
        banner.append(line.rstrip("\n"))
    return process, banner


def stop(process: subprocess.Popen) -> tuple[int, str, str]:
    import signal

    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    return process.returncode, out, err


def test_sandbox_serves_with_a_key_file_and_a_password_from_the_environment(minisite: Path, tmp_path: Path) -> None:
    import base64
    import urllib.error
    import urllib.request

    key_file = tmp_path / "key"
    key_file.write_text("k-7d1f3a\n", "utf-8")
    process, banner = start_sandbox(str(minisite), "--port", "0", "--apikey-file", str(key_file),
                                    "--pro-email", "owner@example.test", env={"BOOKGEN_SANDBOX_PRO_PASSWORD": "pw-91c2"})  # fmt: skip
    try:
        url = banner[0].split(" on ")[1].split(" ")[0]
        assert url.startswith("http://127.0.0.1:") and url.endswith("/api/v1/")
        text = "\n".join(banner)
        assert "k-7d1f3a" not in text and "pw-91c2" not in text and "owner@example.test" in text
        assert "client@example.test / sandbox" in text and "groups:  2, 1" in text
        token = base64.b64encode(b"owner@example.test:pw-91c2").decode()
        request = urllib.request.Request(f"{url}groups/1.json?apikey=k-7d1f3a", headers={"Authorization": f"Basic {token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.loads(response.read())["name"] == "Test Spa"
        wrong = urllib.request.Request(f"{url}groups/1.json?apikey=sandbox", headers={"Authorization": f"Basic {token}"})
        try:
            urllib.request.urlopen(wrong, timeout=10)
            raise AssertionError("the default key was accepted")
        except urllib.error.HTTPError as error:
            assert error.code == 401
    finally:
        code, out, err = stop(process)
    assert code == 0 and "Stopped." in out and "Traceback" not in err


def test_sandbox_prints_an_ipv6_url_in_brackets(minisite: Path) -> None:
    process, banner = start_sandbox(str(minisite), "--host", "::1", "--port", "0")
    try:
        assert banner[0].split(" on ")[1].startswith("http://[::1]:"), banner
    finally:
        stop(process)


def test_sandbox_refuses_a_broken_site_in_one_line_each(minisite: Path, cli: CliRunner) -> None:
    page = minisite / "groups" / "spa" / "page.toml"
    page.write_text('[hours]\nfri = ["20:00-24:30"]\n', "utf-8")
    result = subprocess.run([sys.executable, "-m", "generator", "sandbox", str(minisite), "--port", "0"],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"error: {page}: hours.fri[0]: '24:30' is not a closing time" in result.stderr
    assert cli.invoke(main, ["sandbox", str(minisite / "nowhere")]).exit_code == 2
    assert cli.invoke(main, ["check", str(minisite)]).exit_code == 1


def test_sandbox_stops_cleanly_on_ctrl_c_right_after_its_banner(minisite: Path) -> None:
    import signal

    process = subprocess.Popen([sys.executable, "-m", "generator", "sandbox", str(minisite), "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert "sandbox for" in process.stdout.readline()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0 and "Stopped." in out and "Traceback" not in err


@pytest.mark.parametrize("strict", [False, True])
def test_check_strict_fails_on_a_warning_without_calling_the_site_valid(
    cli: CliRunner, minisite: Path, strict: bool
) -> None:
    group = minisite / "groups" / "spa" / "group.json"
    group.write_text(group.read_text("utf-8").replace("#333333", "#EEEEEE"), "utf-8")  # panel text on cream
    result = cli.invoke(main, ["check", str(minisite), *(["--strict"] if strict else [])])
    assert "warning: spa: panel text: content_text #eeeeee" in result.output
    assert result.exit_code == (1 if strict else 0)
    assert ("groups valid" in result.output) is not strict
    assert (f"error: {minisite}: 1 warning (listed above); --strict counts warnings as errors" in result.output) is strict


# -- long problem lists: the first 100, then one line counting the rest ---------------------------

MORE = "(fix these first, or run again as `bookgen --all-errors ...` to list them all)"


def _bad_services(site: Path, count: int) -> Path:
    """``count`` services whose length is not a number: ``count`` problems, in record order."""
    target = site / "groups" / "spa" / "interventions.json"
    records = [{"id": 200 + i, "name": f"s{i}", "length": "x"} for i in range(count)]
    target.write_text(json.dumps({"records": records}), "utf-8")
    return target


def _error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error: ")]


@pytest.mark.parametrize(("count", "shown"), [(100, 100), (101, 100)])
def test_a_build_lists_at_most_100_problems_in_reading_order_then_counts_the_rest(
    cli: CliRunner, minisite: Path, tmp_path: Path, count: int, shown: int
) -> None:
    target, out = _bad_services(minisite, count), tmp_path / "out"
    result = cli.invoke(main, ["build", str(minisite), "-o", str(out)])
    assert result.exit_code == 1 and not out.exists()
    lines = _error_lines(result.output)
    expected = [f"error: {target}: records[{i}].length: 'x' is not a whole number" for i in range(shown)]
    if count > shown:
        expected.append(f"error: {count - shown} more problem not shown {MORE}")
    assert lines == expected
    assert result.output.endswith(f"{count} problems found; nothing was written.\n")


def test_all_errors_lists_every_problem(cli: CliRunner, minisite: Path, tmp_path: Path) -> None:
    _bad_services(minisite, 101)
    result = cli.invoke(main, ["--all-errors", "check", str(minisite)])
    assert result.exit_code == 1
    lines = _error_lines(result.output)
    assert len(lines) == 101 and lines[-1].endswith("records[100].length: 'x' is not a whole number")


def _many(n: int) -> SiteError:
    return SiteError([Problem(f"groups/g{i:03}/group.json", "group.name", "is required") for i in range(n)])


def _raiser(count: int):  # type: ignore[no-untyped-def]
    def fail(*args: object, **kwargs: object) -> None:
        raise _many(count)

    return fail


# Each command that prints a problem list, with the function it gets its problems from.
PROBLEM_COMMANDS = {
    "build": ("generator.build.build", ["build", "{site}", "-o", "{tmp}/out"]),
    "check": ("generator.load.loader.load_site", ["check", "{site}"]),
    "merge": ("generator.merge.merge", ["merge", "{tmp}", "-o", "{tmp}/out", "--site", "{site}"]),
    "themes": ("generator.themes.available_themes", ["themes", "--site", "{site}"]),
    "snippet": ("generator.load.loader.load_site", ["snippet", "spa", "--site", "{site}"]),
    "pull": ("generator.cli.remote.open_api", ["pull", "{site}"]),
    "push": ("generator.remote.push.load_group", ["push", "spa", "--site", "{site}", "--yes"]),
    "sandbox": ("generator.sandbox.run.SandboxServer", ["sandbox", "{site}"]),
}


@pytest.mark.parametrize("count", [100, 101])
@pytest.mark.parametrize("command", sorted(PROBLEM_COMMANDS))
def test_every_command_lists_at_most_100_problems_then_counts_the_rest(
    cli: CliRunner, minisite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, count: int
) -> None:
    target, arguments = PROBLEM_COMMANDS[command]
    monkeypatch.setattr(target, _raiser(count))
    result = cli.invoke(main, [a.format(site=minisite, tmp=tmp_path) for a in arguments])
    assert result.exit_code == 1, result.output
    lines = _error_lines(result.output)
    listed = [f"error: groups/g{i:03}/group.json: group.name: is required" for i in range(min(count, 100))]
    assert lines[:100] == listed
    assert lines[100:] == ([f"error: 1 more problem not shown {MORE}"] if count > 100 else [])
    assert f"{count} problems found" in result.output


@pytest.mark.parametrize("count", [100, 101])
def test_the_gateway_lists_at_most_100_setting_problems(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    from generator.gateway.errors import ConfigError
    from generator.gateway.settings import Settings

    def refuse(env: object = None) -> Settings:
        raise ConfigError(*(f"BOOKGEN_X{i:03} is not set" for i in range(count)))

    monkeypatch.setattr(Settings, "from_env", staticmethod(refuse))
    result = cli.invoke(main, ["gateway", "--port", "0"])
    assert result.exit_code == 1
    lines = _error_lines(result.output)
    assert lines[:100] == [f"error: BOOKGEN_X{i:03} is not set" for i in range(min(count, 100))]
    assert lines[100:] == ([f"error: 1 more problem not shown {MORE}"] if count > 100 else [])


@pytest.mark.parametrize(("flags", "limit"), [([], 100), (["--all-errors"], None)])
def test_serve_hands_its_limit_to_the_preview(
    cli: CliRunner, minisite: Path, monkeypatch: pytest.MonkeyPatch, flags: list[str], limit: int | None
) -> None:
    import errno

    import generator.preview.serve as serving

    seen: dict[str, object] = {}

    def record(*args: object, **kwargs: object) -> None:
        seen.update(kwargs)
        raise OSError(errno.EADDRINUSE, "in use")  # stop there: the limit is what is looked at

    monkeypatch.setattr(serving, "preview_server", record)
    result = cli.invoke(main, [*flags, "serve", str(minisite), "--no-open"])
    assert result.exit_code == 1 and seen["max_errors"] == limit


# -- a project theme's templates: sandboxed and time-limited --------------------------------------

NESTED_LOOP = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
TOO_LONG = "template error: rendering took longer than 0.5 s"


def _contact_partial(site: Path, source: str, *, themed: str = "site.toml") -> Path:
    """A project theme ``mine`` (extends classic) whose contact partial is ``source``, used by
    the whole site (``themed="site.toml"``) or by one group (``themed="spa"``)."""
    partial = site / "themes" / "mine" / "templates" / "partials" / "contact.html"
    partial.parent.mkdir(parents=True, exist_ok=True)
    (site / "themes" / "mine" / "theme.toml").write_text('name = "mine"\nextends = "classic"\n', "utf-8")
    partial.write_text(source, "utf-8")
    if themed == "site.toml":
        toml = site / "site.toml"
        toml.write_text(toml.read_text("utf-8").replace('theme = "classic"', 'theme = "mine"'), "utf-8")
    else:
        (site / "groups" / themed / "page.toml").write_text('theme = "mine"\n', "utf-8")
    return partial


def _files(out: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}


def test_a_project_theme_template_builds_sandboxed_like_any_other(
    cli: CliRunner, minisite: Path, tmp_path: Path
) -> None:
    source = '<address class="mine">{{ group.name }} {{ _("Phone") }}</address>\n'
    _contact_partial(minisite, source, themed="spa")
    result = cli.invoke(main, ["build", str(minisite), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "out" / "spa" / "fr" / "index.html").read_text("utf-8")
    assert '<address class="mine">Test Spa Téléphone</address>' in page


def test_a_looping_theme_template_is_stopped_and_reported_where_it_loops(
    cli: CliRunner, minisite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import generator.untrusted as untrusted

    monkeypatch.setattr(untrusted, "RENDER_SECONDS", 0.5)
    out = tmp_path / "out"
    assert cli.invoke(main, ["build", str(minisite), "-o", str(out)]).exit_code == 0
    before = _files(out)
    partial = _contact_partial(minisite, "<address>\n{{ group.name }}\n" + NESTED_LOOP + "\n</address>\n")
    result = cli.invoke(main, ["build", str(minisite), "-o", str(out)])
    assert result.exit_code == 1
    assert _error_lines(result.output) == [f"error: {partial}:3: {TOO_LONG}"]
    assert _files(out) == before  # nothing written, the previous output intact
    fresh = cli.invoke(main, ["build", str(minisite), "-o", str(tmp_path / "fresh")])
    assert fresh.exit_code == 1 and not (tmp_path / "fresh").exists()


def test_a_looping_theme_template_is_stopped_in_the_forked_workers_too(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    import generator.untrusted as untrusted

    sys.path.insert(0, str(Path(__file__).parent.parent / "bench"))
    from synth import make_site

    monkeypatch.setattr(untrusted, "RENDER_SECONDS", 0.5)
    site = make_site(tmp_path / "site", groups=4, locales=1)  # 4 groups, 2 jobs: rendered in workers
    toml = site / "site.toml"
    toml.write_text(toml.read_text("utf-8").replace("[booking]", 'theme = "classic"\n[booking]'), "utf-8")
    partial = _contact_partial(site, NESTED_LOOP)
    result = cli.invoke(main, ["build", str(site), "-o", str(tmp_path / "out"), "-j", "2"])
    assert result.exit_code == 1 and not (tmp_path / "out").exists()
    assert _error_lines(result.output) == [f"error: {partial}:1: {TOO_LONG}"]


def test_a_theme_template_reaching_python_internals_is_a_located_error(
    cli: CliRunner, minisite: Path, tmp_path: Path
) -> None:
    partial = _contact_partial(minisite, "<address>\n{{ ''.__class__.__mro__ }}\n</address>\n")
    result = cli.invoke(main, ["build", str(minisite), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1 and not (tmp_path / "out").exists()
    assert _error_lines(result.output) == [
        f"error: {partial}:2: template error: access to attribute '__class__' of 'str' object is unsafe."
    ]


@pytest.mark.parametrize("count", [100, 101])
def test_warnings_are_capped_like_problems_with_one_line_counting_the_rest(
    count: int, capsys: pytest.CaptureFixture[str]
) -> None:
    from generator.cli.app import print_warnings

    print_warnings([f"groups/g{i}/group.json: usercolors: low contrast" for i in range(count)])
    lines = capsys.readouterr().err.splitlines()
    assert all(line.startswith("warning: ") for line in lines)
    assert len(lines) == min(count, 100) + (count > 100)
    if count > 100:
        assert lines[-1].startswith("warning: 1 more warning not shown (")
