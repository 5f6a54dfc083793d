"""Fixtures for the field tests: demo credentials, a fresh sandbox, the quickstart, a live sandbox.
Helpers come from the e2e harness (tests/e2e/harness.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "e2e"))

from harness import DEMO_ENV, LiveSandbox, copy_example, free_port

from provisioner.config import Project, load_project
from provisioner.sandbox import Sandbox, SandboxSettings


@pytest.fixture(autouse=True)
def demo_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in DEMO_ENV.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(SandboxSettings(boarding_delay_s=0.0))


@pytest.fixture
def quickstart(tmp_path: Path) -> Project:
    return load_project(copy_example("quickstart", tmp_path))


@pytest.fixture
def live_sandbox() -> Iterator[LiveSandbox]:
    with LiveSandbox(SandboxSettings(port=free_port(), boarding_delay_s=0.0)) as live:
        yield live
