"""Secrets: the initial access token, client secret and registration access token never appear in
stdout or stderr of any field command (successes and failures), in a plan, or in any file outside
the secrets folder; boarding files are 0600 in a 0700 folder; check exits 2 before devices onboard."""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path

from cli import provision
from harness import LiveSandbox, copy_example


def test_no_token_or_secret_in_any_output(tmp_path: Path, live_sandbox: LiveSandbox) -> None:
    project = copy_example("quickstart", tmp_path / "work", port=live_sandbox.port)
    outputs: list[subprocess.CompletedProcess[str]] = []

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        result = provision(*args)
        outputs.append(result)
        return result

    assert run("apply", str(project), "--env", "test", "--yes").returncode == 0
    before = run("check", str(project), "--env", "test")
    assert before.returncode == 2 and "not onboarded" in before.stdout, before.stdout + before.stderr
    secrets = tmp_path / "secrets"
    assert run("boarding", str(project), "--env", "test", "--out", str(secrets)).returncode == 0
    rotated = run("boarding", str(project), "--env", "test", "--out", str(secrets), "--rotate")
    assert rotated.returncode == 0, rotated.stderr
    board_file = secrets / "acme-motor-agent.json"
    assert stat.S_IMODE(board_file.stat().st_mode) == 0o600 and stat.S_IMODE(secrets.stat().st_mode) == 0o700
    iat = json.loads(board_file.read_text())["content"]["iat"]
    assert run("simulate", str(secrets), "--duration", "1s").returncode == 0
    registration_file = secrets / ".simulator" / "acme-motor-agent.registration.json"
    assert stat.S_IMODE(registration_file.stat().st_mode) == 0o600
    registration = json.loads(registration_file.read_text())["response"]
    registration_file.unlink()  # the device forgets its registration: the one-time IAT is refused now
    refused = run("simulate", str(secrets), "--duration", "0s")
    assert refused.returncode != 0 and "onboarding refused (401 invalid_token)" in refused.stderr
    assert "Traceback" not in refused.stderr
    run("plan", str(project), "--env", "test", "--format", "json")
    run("outputs", str(project), "--env", "test", "--format", "yaml")
    run("check", str(project), "--env", "test", "--format", "markdown")
    secret_values = [iat, registration["client_secret"], registration["registration_access_token"]]
    for result in outputs:
        for value in secret_values:
            assert value not in result.stdout and value not in result.stderr, result.args
    for path in tmp_path.rglob("*"):
        if path.is_file() and secrets not in path.parents:
            text = path.read_text(errors="replace")
            assert not any(value in text for value in secret_values), path
