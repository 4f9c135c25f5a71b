"""Shared fixtures: small site projects copied into a temp dir, and a CLI runner."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, settings

from .fakeapi import FakeGroupAPI, sample_groups
from .sandboxapi import Sandbox, running_sandbox

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent


@pytest.fixture
def minisite(tmp_path: Path) -> Path:
    """A copy of tests/fixtures/minisite (2 groups, fr+en) that a test may edit."""
    target = tmp_path / "site"
    shutil.copytree(FIXTURES / "minisite", target)
    return target


@pytest.fixture
def demo_site(tmp_path: Path) -> Path:
    """A copy of the bundled demo site/ that a test may edit."""
    target = tmp_path / "demo"
    shutil.copytree(REPO / "site", target)
    return target


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()


@pytest.fixture
def fake_api() -> Iterator[FakeGroupAPI]:
    """A fake Group API on a loopback port, holding the sample groups (tests/fakeapi.py)."""
    with FakeGroupAPI() as fake:
        sample_groups(fake)
        yield fake


@pytest.fixture
def sandbox(demo_site: Path) -> Iterator[Sandbox]:
    """The faithful ClicRDV v1 sandbox over the demo's five groups, on a loopback uvicorn,
    with fakeapi's key and Pro login (tests/sandboxapi.py)."""
    with running_sandbox(demo_site) as running:
        yield running


# No test may depend on the machine's speed: hypothesis's per-example deadline and its
# "too slow" health check both measure wall-clock time, which a busy CI machine stretches.
settings.register_profile(
    "bookgen", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("bookgen")


@pytest.fixture(autouse=True)
def _hide_playwrights_event_loop(request: pytest.FixtureRequest) -> Iterator[None]:
    """Playwright's sync API leaves its event loop marked as running in the main thread
    between calls, so a test that runs a loop of its own (anyio, asyncio.run) after a
    browser test in the same xdist worker cannot start it ("Cannot run the event loop
    while another loop is running"). The mark is hidden for every test outside
    tests/browser/ and put back after it."""
    if "browser" in request.node.path.parts:  # Playwright's own tests keep its loop
        yield
        return
    running = asyncio.events._get_running_loop()
    asyncio.events._set_running_loop(None)
    try:
        yield
    finally:
        asyncio.events._set_running_loop(running)
