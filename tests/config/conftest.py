"""Helpers for the configuration tests: run the CLI in-process and find text in fixtures."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from provisioner.cli.main import main

RunCli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> RunCli:
    """Run `provision ARGS...` through the real entry point; return (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


@pytest.fixture
def where() -> Callable[..., str]:
    """`where(path, needle, offset)`: the place of a text in a fixture file."""
    return _where


def _where(path: Path, needle: str, offset: int = 0) -> str:
    """`path:line:column` of the first occurrence of `needle` in the file, `offset` characters in."""
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        index = line.find(needle)
        if index >= 0:
            return f"{path}:{number}:{index + 1 + offset}"
    raise AssertionError(f"{needle!r} not in {path}")
