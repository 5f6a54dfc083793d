"""The quickstart through the CLI against a sandbox on loopback: plan -> apply -> plan is empty."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from harness import LiveSandbox, copy_example


def provision(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provisioner", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def test_plan_apply_plan_converges(tmp_path: Path, live_sandbox: LiveSandbox) -> None:
    project = copy_example("quickstart", tmp_path, port=live_sandbox.port)
    first = provision("plan", str(project), "--env", "test", "--format", "json", "--detailed-exitcode")
    assert first.returncode == 2, first.stderr
    doc = json.loads(first.stdout)
    actions = {c["action"] for c in doc["changes"]}
    assert actions == {"create"}
    planfile = tmp_path / "plan.json"
    saved = provision("plan", str(project), "--env", "test", "--out", str(planfile))
    assert saved.returncode == 0, saved.stderr
    applied = provision("apply", str(planfile), "--project", str(project), "--env", "test", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    again = provision("plan", str(project), "--env", "test", "--detailed-exitcode")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes" in again.stdout
    assert "Traceback" not in again.stderr + applied.stderr
