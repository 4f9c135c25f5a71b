"""The command line under hostile and careless use (issue 17): every failure of the
reliability review's tables is one line, ``error: file: field.path: message`` or
``error: message``, exit 1 (2 for usage), never a traceback; signals stop the workers."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from generator.cli import main

PYTHON = [sys.executable, "-m", "generator"]


def unprivileged() -> list[str]:
    """A prefix that runs a command without the power to ignore file modes (as a normal user)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("root without setpriv cannot test permission failures")
    return ["setpriv", "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--"]


def run_cli(args: list[str], *, prefix: list[str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*(prefix or []), *PYTHON, *args], capture_output=True, text=True, timeout=300, cwd=cwd)


def assert_one_line_errors(done: subprocess.CompletedProcess, code: int = 1) -> None:
    assert done.returncode == code, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    lines = [line for line in done.stderr.splitlines() if line]
    assert lines and lines[0].startswith("error: "), done.stderr
    for line in lines:
        assert line.startswith("error: ") or line.endswith("found; nothing was written."), line


def group_json(site: Path, slug: str = "spa") -> Path:
    return site / "groups" / slug / "group.json"


def _set_id(site: Path, value: str) -> None:
    path = group_json(site)
    data = json.loads(path.read_text("utf-8"))
    data["group"]["id"] = "ID"
    path.write_text(json.dumps(data).replace('"ID"', value), "utf-8")


def _folder_link_out(site: Path, tmp: Path) -> None:
    (tmp / "notes").mkdir()
    (tmp / "notes" / "passwd.md").write_text("# root:x:0:0\n", "utf-8")
    shutil.rmtree(site / "groups" / "spa" / "pages")
    (site / "groups" / "spa" / "pages").symlink_to(tmp / "notes")


def _group_link_out(site: Path, tmp: Path) -> None:
    (site / "groups" / "shop").rename(tmp / "elsewhere")
    (site / "groups" / "shop").symlink_to(tmp / "elsewhere")


def _socket(site: Path, tmp: Path) -> None:
    holder = socket.socket(socket.AF_UNIX)
    holder.bind(str(site / "groups" / "spa" / "sock"))
    holder.close()


def _foreign(site: Path, tmp: Path) -> None:
    (tmp / "docs").mkdir()
    (tmp / "docs" / "notes.txt").write_text("mine", "utf-8")


# (review row, setup, OUT relative to tmp_path ("{site}" = the project), expected text)
FAILURES: list[tuple[str, Callable[[Path, Path], None] | None, str, str]] = [
    ("6 parent of OUT is a file", lambda s, t: (t / "pf").write_text("x", "utf-8"), "pf/out", "is not a folder"),
    ("8 OUT inside groups/", None, "{site}/groups", "inside the site project's groups/"),
    ("9 OUT inside a group", None, "{site}/groups/spa/out", "inside the site project's groups/"),
    ("10 OUT is SITE", None, "{site}", "is the site project itself"),
    ("11 OUT holds someone's files", _foreign, "docs", "--force"),
    ("12 OUT is .", None, ".", "contains the site project"),
    ("20 OUT is a mount point", None, "/dev/shm", "mount point"),
    ("25 pages/ linked outside", _folder_link_out, "out", "leads outside the site project"),
    ("26 group folder linked outside", _group_link_out, "out", "is a link to a folder outside"),
    ("31 a FIFO in a group", lambda s, t: os.mkfifo(s / "groups" / "spa" / "x"), "out", "FIFO"),
    ("32 a socket in a group", _socket, "out", "socket"),
    ("57 a group named assets", lambda s, t: shutil.copytree(s / "groups" / "shop", s / "groups" / "assets"),
     "out", "is reserved"),
    ("84 group id 1e400", lambda s, t: _set_id(s, "1e400"), "out", "group.id: inf is not a group id"),
    ("85 a 5000-digit number", lambda s, t: _set_id(s, "9" * 5000), "out", "over 4300 digits"),
]


@pytest.mark.parametrize(("row", "setup", "out", "expected"), FAILURES, ids=[f[0] for f in FAILURES])
def test_each_failure_of_the_review_is_one_line_and_exit_1(
    minisite: Path, tmp_path: Path, row: str, setup: Callable[[Path, Path], None] | None, out: str, expected: str
) -> None:
    if out == "/dev/shm" and not os.path.ismount("/dev/shm"):
        pytest.skip("no unprivileged mount point here")
    if setup:
        setup(minisite, tmp_path)
    target = out.replace("{site}", str(minisite))
    done = run_cli(["build", str(minisite), "-o", target], cwd=tmp_path)
    assert_one_line_errors(done)
    assert expected in done.stderr


@pytest.mark.parametrize("where", ["site", "parent"])
def test_a_read_only_folder_for_out_is_one_line(minisite: Path, tmp_path: Path, where: str) -> None:
    # rows 4 and 14: the parent of OUT, or the site holding OUT, is read-only
    prefix = unprivileged()
    folder = minisite if where == "site" else tmp_path / "ro"
    folder.mkdir(exist_ok=True)
    folder.chmod(0o555)
    try:
        done = run_cli(["build", str(minisite), "-o", str(folder / "out")], prefix=prefix)
    finally:
        folder.chmod(0o755)
    assert_one_line_errors(done)
    assert "Permission denied" in done.stderr
    assert not (folder / "out").exists()


def test_unreadable_inputs_are_one_line_in_fresh_and_incremental_builds(minisite: Path, tmp_path: Path) -> None:
    # rows 33 and 34: unreadable group.json, unreadable pages/ (exit 0 with the pages silently gone)
    prefix = unprivileged()
    out = str(tmp_path / "out")
    assert run_cli(["build", str(minisite), "-o", out], prefix=prefix).returncode == 0
    for victim in (group_json(minisite), minisite / "groups" / "spa" / "pages"):
        victim.chmod(0)
        try:
            for extra in ([], ["--full"]):
                done = run_cli(["build", str(minisite), "-o", out, *extra], prefix=prefix)
                assert_one_line_errors(done)
                assert f"{victim}: cannot be read (Permission denied)" in done.stderr
        finally:
            victim.chmod(0o755 if victim.is_dir() else 0o644)


def test_an_editors_dangling_lock_link_is_ignored(minisite: Path, tmp_path: Path) -> None:
    # row 30: Emacs's .#group.json while a buffer has unsaved changes
    out = str(tmp_path / "out")
    assert run_cli(["build", str(minisite), "-o", out]).returncode == 0
    (minisite / "groups" / "spa" / ".#group.json").symlink_to("user@host.123:456")
    group = group_json(minisite)
    group.write_text(group.read_text("utf-8").replace("Test Spa", "Edited Spa"), "utf-8")
    done = run_cli(["build", str(minisite), "-o", out])
    assert done.returncode == 0, done.stderr
    assert "Edited Spa" in (tmp_path / "out" / "spa" / "fr" / "index.html").read_text("utf-8")
    assert run_cli(["check", str(minisite)]).returncode == 0


def _build_failing_at_write(cli: CliRunner, minisite: Path, out: Path, monkeypatch: pytest.MonkeyPatch,
                            error: OSError, *, only: str = "") -> tuple[Result, dict[Path, bytes]]:  # fmt: skip
    """Build, then build a change again with ``error`` raised by every write of a path
    ending in ``only`` (every write when empty): the second result and OUT as the first left it."""
    from generator.publish.output import Output

    assert cli.invoke(main, ["build", str(minisite), "-o", str(out)]).exit_code == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    real = Output.write

    def failing(self: Output, path: str, data: bytes | str, *, atomic: bool = False) -> None:
        if path.endswith(only):
            raise error
        real(self, path, data, atomic=atomic)

    monkeypatch.setattr(Output, "write", failing)
    group = group_json(minisite)
    group.write_text(group.read_text("utf-8").replace("Test Spa", "Full Disk"), "utf-8")
    return cli.invoke(main, ["build", str(minisite), "-o", str(out), "-j", "1"]), before


@pytest.mark.parametrize(("code", "text"), [(errno.ENOSPC, "No space left on device"),
                                            (errno.EROFS, "Read-only file system"),
                                            (errno.EBUSY, "Device or resource busy"),
                                            (errno.EEXIST, "File exists"),
                                            (errno.EACCES, "Permission denied")])  # fmt: skip
def test_filesystem_failures_while_writing_are_one_line_and_out_is_untouched(
    cli: CliRunner, minisite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, text: str
) -> None:
    out = tmp_path / "out"
    error = OSError(code, text, str(out / "spa" / "fr" / "widget.html"))
    result, before = _build_failing_at_write(cli, minisite, out, monkeypatch, error, only="widget.html")
    assert result.exit_code == 1
    assert result.output.startswith("error: ") and result.output.rstrip().endswith(text)
    assert len(result.output.strip().splitlines()) == 1
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize(("code", "text"), [(errno.ENOSPC, "No space left on device"),
                                            (errno.EDQUOT, "Disk quota exceeded"), (errno.EIO, "Input/output error")])
def test_a_failing_write_that_names_no_file_is_located_at_out(
    cli: CliRunner, minisite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, text: str
) -> None:
    # A real full disk fails in a worker's write(), whose OSError carries no file name: the
    # line was "error: No space left on device", naming nothing.
    out = tmp_path / "out"
    result, before = _build_failing_at_write(cli, minisite, out, monkeypatch, OSError(code, text))
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"error: {out}: cannot be built ({text}); the output folder is as it was",
        "1 problem found; nothing was written.",
    ]
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_a_lock_held_too_long_is_one_line(cli: CliRunner, minisite: Path, tmp_path: Path, monkeypatch) -> None:
    import generator.publish.atomic as publish

    monkeypatch.setattr(publish.locked.__wrapped__, "__kwdefaults__", {"wait": 0.2})
    out = tmp_path / "out"
    with open(tmp_path / ".out.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # what `flock -x .out.lock sleep 63` does
        result = cli.invoke(main, ["build", str(minisite), "-o", str(out)])
    assert result.exit_code == 1
    assert result.output.startswith(f"error: {out}: another build is writing this folder")
    assert not out.exists()


def test_an_unexpected_error_is_one_line_and_debug_shows_the_traceback(
    cli: CliRunner, minisite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import generator.build as build_module

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(build_module, "build", broken)
    result = cli.invoke(main, ["build", str(minisite), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.output.startswith("error: RuntimeError: boom") and len(result.output.splitlines()) == 1
    debug = cli.invoke(main, ["--debug", "build", str(minisite), "-o", str(tmp_path / "out")])
    assert isinstance(debug.exception, RuntimeError)  # re-raised: python prints the traceback


def _slow_site(tmp_path: Path) -> Path:
    sys.path.insert(0, str(Path(__file__).parent.parent / "bench"))
    from synth import make_site

    return make_site(tmp_path / "big", groups=120, locales=3)


def _wait_for(condition: Callable[[], bool], what: str, limit: float = 120.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.01)


def _staged(root: Path) -> int:
    return sum(1 for staging in root.glob(".out.staging-*") for p in staging.rglob("*") if p.is_file())


def _processes_writing(out: Path) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if str(out).encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _ctrl_c_as_on_a_terminal() -> None:
    """SIGINT back to its default in the child, as a command run from a terminal has it: a
    test run started in the background by a shell without job control (CI scripts, `cmd &`
    in a script) inherits SIGINT ignored, and Python then installs no KeyboardInterrupt, so
    Ctrl-C would never reach the build (the POSIX rule for background jobs, not bookgen's)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _rendering(root: Path) -> bool:
    return any(p.is_dir() for staging in root.glob(".out.staging-*") for p in staging.glob("business-*"))


def _build_caught_rendering(site: Path, out: Path, attempts: int = 5) -> subprocess.Popen[str]:
    """A build stopped (SIGSTOP, its whole process group) while its workers render: group
    folders are in the staging tree and OUT is not published. A fast build can finish
    between the poll that sees rendering begin and the stop (seen on a loaded CI machine):
    that attempt is thrown away and the build started again, so the signal the test sends
    next always lands mid-build, whatever the machine's speed."""
    root = out.parent
    for _ in range(attempts):
        process = subprocess.Popen([*PYTHON, "build", str(site), "-o", str(out), "-j", "2"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   start_new_session=True, preexec_fn=_ctrl_c_as_on_a_terminal)  # fmt: skip
        # Rendering has begun in the workers: group folders appear in the staging tree.
        _wait_for(lambda build=process: build.poll() is not None or _rendering(root), "the workers to render")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGSTOP)
        if process.poll() is None and not out.exists():
            return process
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGCONT)
        process.communicate(timeout=120)
        shutil.rmtree(out, ignore_errors=True)  # the build won the race: its output is ours to remove
        for leftover in root.glob(".out.*"):
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
    raise AssertionError(f"every one of {attempts} builds finished before it could be stopped mid-render")


@pytest.mark.parametrize("how", ["SIGINT to the process group", "SIGTERM", "SIGKILL"])
def test_a_signal_stops_the_workers_at_once_releases_the_lock_and_prints_no_worker_traceback(
    tmp_path: Path, how: str
) -> None:
    site = _slow_site(tmp_path)
    out = tmp_path / "out"
    process = _build_caught_rendering(site, out)
    if how == "SIGINT to the process group":
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C on a terminal
    else:
        process.send_signal(getattr(signal, how))
    with contextlib.suppress(ProcessLookupError):  # a SIGKILLed group may be gone already
        os.killpg(process.pid, signal.SIGCONT)  # the signal is pending: it lands as they resume
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == {"SIGTERM": 143, "SIGKILL": -signal.SIGKILL}.get(how, 1)
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    # The workers end with the build: a SIGKILLed parent takes them along, so nothing more
    # is rendered once it is gone (the review saw them render for ten more seconds).
    written = _staged(tmp_path)
    _wait_for(lambda: not _processes_writing(out), "the workers to end")
    assert _staged(tmp_path) == written
    with open(tmp_path / ".out.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free: raises BlockingIOError if held
    assert not out.exists()
    if how != "SIGKILL":  # a killed build cannot clean up; the next build does (test_publish)
        assert not list(tmp_path.glob(".out.staging-*"))
