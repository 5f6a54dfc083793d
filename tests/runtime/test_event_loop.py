"""The commands' event loop: uvloop when installed, asyncio's when turned off by the environment."""

from __future__ import annotations

import asyncio
import importlib.util
import sys

import pytest

from provisioner import event_loop


async def _loop_module() -> str:
    await asyncio.sleep(0)
    return type(asyncio.get_running_loop()).__module__


def test_uvloop_runs_the_commands_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(event_loop.ENV, raising=False)
    installed = importlib.util.find_spec("uvloop") is not None
    assert installed or sys.platform == "win32"  # a dependency everywhere but Windows
    assert event_loop.name() == ("uvloop" if installed else "asyncio")
    assert event_loop.run(_loop_module()).startswith("uvloop" if installed else "asyncio")


def test_the_environment_selects_asyncios_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(event_loop.ENV, "asyncio")
    assert event_loop.name() == "asyncio"
    assert event_loop.run(_loop_module()).startswith("asyncio")


def test_errors_reach_the_caller() -> None:
    async def fail() -> None:
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        event_loop.run(fail())
