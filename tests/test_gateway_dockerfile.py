"""The gateway's Dockerfile keeps the promises of docs/deploy.md "Container".

No Docker engine runs on CI (only the client), so the image is not built here: the file is
parsed instead, instruction by instruction (continuation lines joined, comments dropped).
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

DOCKERFILE = Path(__file__).parent.parent / "Dockerfile"
SECRET_WORDS = re.compile(r"KEY|SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL|EMAIL", re.IGNORECASE)


def instructions(text: str) -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` in order, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1].rstrip() + " "
            continue
        whole = pending + stripped
        pending = ""
        name, _, args = whole.partition(" ")
        out.append((name.upper(), args.strip()))
    return out


def final_stage(parsed: list[tuple[str, str]]) -> list[tuple[str, str]]:
    last_from = max(i for i, (name, _) in enumerate(parsed) if name == "FROM")
    return parsed[last_from:]


def env_names(args: str) -> list[str]:
    """Variable names of an ``ENV``/``ARG`` line (``A=1 B=2``, ``A 1`` or ``ARG A``)."""
    words = shlex.split(args)
    if words and "=" not in words[0]:
        return [words[0]]
    return [w.split("=", 1)[0] for w in words]


@pytest.fixture(scope="module")
def parsed() -> list[tuple[str, str]]:
    return instructions(DOCKERFILE.read_text("utf-8"))


def test_the_parser_joins_continuations_and_drops_comments() -> None:
    text = "# c\nFROM python:3.12-slim\nRUN a \\\n  b\n\nENV A=1 B=2\nARG TOKEN\n"
    assert instructions(text) == [("FROM", "python:3.12-slim"), ("RUN", "a b"), ("ENV", "A=1 B=2"), ("ARG", "TOKEN")]
    assert env_names("A=1 B=2") == ["A", "B"] and env_names("TOKEN") == ["TOKEN"] and env_names("A 1") == ["A"]


def test_every_stage_starts_from_a_slim_python_image(parsed: list[tuple[str, str]]) -> None:
    bases = [args.split()[0] for name, args in parsed if name == "FROM"]
    assert bases and all(re.fullmatch(r"python:3\.\d+-slim(-[a-z]+)?", base) for base in bases), bases


def test_the_image_runs_as_an_unprivileged_user(parsed: list[tuple[str, str]]) -> None:
    users = [args for name, args in final_stage(parsed) if name == "USER"]
    assert users, "the final stage sets no USER: it would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0") and (not user.isdigit() or int(user) >= 1000), user


def test_the_entry_point_is_the_gateway_on_its_documented_port(parsed: list[tuple[str, str]]) -> None:
    stage = final_stage(parsed)
    entry = json.loads(next(args for name, args in reversed(stage) if name == "ENTRYPOINT"))  # exec form
    assert entry[:2] == ["bookgen", "gateway"] and entry[entry.index("--port") + 1] == "8002"
    assert ("EXPOSE", "8002") in stage and ("STOPSIGNAL", "SIGTERM") in stage
    assert any(name == "HEALTHCHECK" and "/healthz" in args for name, args in stage)


def test_the_lock_file_is_installed_exactly(parsed: list[tuple[str, str]]) -> None:
    assert any(name == "RUN" and "uv sync" in args and "--locked" in args for name, args in parsed)


def test_no_secret_travels_in_env_or_arg(parsed: list[tuple[str, str]]) -> None:
    # Secrets come at run time, as files or variables (docs/deploy.md "Settings"), never baked in.
    names = [n for name, args in parsed if name in ("ENV", "ARG") for n in env_names(args)]
    assert names and not [n for n in names if SECRET_WORDS.search(n)], names


def test_the_secret_check_catches_a_baked_in_key() -> None:
    baked = instructions("FROM python:3.12-slim\nENV PATH=/x BOOKGEN_APIKEY=abc\n")
    names = [n for name, args in baked if name == "ENV" for n in env_names(args)]
    assert [n for n in names if SECRET_WORDS.search(n)] == ["BOOKGEN_APIKEY"]
