"""Issue 15, must-show 7 (lint): the CI example passes actionlint, and the linter `make lint` runs is live:
it finds an injected untrusted expression and a shell quoting mistake in a copy of the workflow."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from harness import REPO

BIN = Path(sys.executable).parent  # actionlint and shellcheck come with the dev extra
WORKFLOW = REPO / "examples" / "ci" / "provision.yml"


def actionlint(path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run([str(BIN / "actionlint"), "-no-color", str(path)], capture_output=True, text=True,
                          timeout=120, env=env)


def test_the_example_workflow_passes_actionlint() -> None:
    done = actionlint(WORKFLOW)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_and_its_shellcheck_catch_mistakes_in_a_copy(tmp_path: Path) -> None:
    text = WORKFLOW.read_text()
    broken = text.replace('run: pip install "$PROVISION_PACKAGE"',
                          "run: pip install $PROVISION_PACKAGE ${{ github.event.pull_request.title }}", 1)
    assert broken != text
    copy = tmp_path / "provision.yml"
    copy.write_text(broken)
    done = actionlint(copy)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "potentially untrusted" in done.stdout and "SC2086" in done.stdout, done.stdout
