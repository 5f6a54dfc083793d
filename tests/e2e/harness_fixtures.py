"""The fixtures the end-to-end and field tests share: demo credentials, a fresh in-process sandbox,
the quickstart project and a sandbox on loopback. Each conftest imports them by name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import DEMO_ENV, LiveSandbox, copy_example, free_port

from provisioner.config import Project, load_project
from provisioner.sandbox import Sandbox, SandboxSettings


@pytest.fixture(autouse=True)
def demo_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in DEMO_ENV.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def sandbox() -> Sandbox:
    """A fresh in-process sandbox (boarding configuration appears at once)."""
    return Sandbox(SandboxSettings(boarding_delay_s=0.0))


@pytest.fixture
def quickstart(tmp_path: Path) -> Project:
    return load_project(copy_example("quickstart", tmp_path))


@pytest.fixture
def live_sandbox() -> Iterator[LiveSandbox]:
    """The sandbox on a free loopback port, for tests that run the `provision` CLI."""
    with LiveSandbox(SandboxSettings(port=free_port(), boarding_delay_s=0.0)) as live:
        yield live
