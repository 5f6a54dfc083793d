"""Secrets: no initial access token (before and after `--rotate`), client secret (before and after a
rotation), registration access token (before and after), agent access token (every `/oauth/token`
result), RSA_3072 private key or the project's own credentials (the tenant client secret and the
iTwin API key `simulate --project` and `check` use for observations and events) appears in stdout
or stderr of any field command (successes and failures), in a plan, or in any file outside the
secrets folders; boarding files are 0600 in a 0700 folder; check exits 2 before devices onboard."""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from cli import provision
from harness import DEMO_ENV, LiveSandbox, copy_example

from provisioner.field.boarding import write_secret_file

AGENT = "acme-motor-agent"


def test_no_token_or_secret_in_any_output(
    tmp_path: Path, live_sandbox: LiveSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    signer = live_sandbox.sandbox.ctx.signer
    signed: list[tuple[dict[str, Any], str]] = []
    original_sign = signer.sign

    def recording_sign(claims: dict[str, Any]) -> str:
        token = original_sign(claims)
        signed.append((claims, token))
        return token

    monkeypatch.setattr(signer, "sign", recording_sign)  # every token the sandbox issues
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
    board_file = secrets / f"{AGENT}.json"
    iat_before_rotation = json.loads(board_file.read_text())["content"]["iat"]
    rotated = run("boarding", str(project), "--env", "test", "--out", str(secrets), "--rotate")
    assert rotated.returncode == 0, rotated.stderr
    assert stat.S_IMODE(board_file.stat().st_mode) == 0o600 and stat.S_IMODE(secrets.stat().st_mode) == 0o700
    content = json.loads(board_file.read_text())["content"]
    iat = content["iat"]
    assert iat != iat_before_rotation
    fed = run("simulate", str(secrets), "--duration", "1s", "--project", str(project), "--env", "test")
    assert fed.returncode == 0 and "iTwin IoT: 2 sensors sent" in fed.stdout, fed.stdout + fed.stderr
    registration_file = secrets / ".simulator" / f"{AGENT}.registration.json"
    assert stat.S_IMODE(registration_file.stat().st_mode) == 0o600
    saved = json.loads(registration_file.read_text())
    first = saved["response"]
    # the device rotates its credentials (PUT /register/{client_id} with its registration access
    # token); the next simulate uses the rotated secret
    rotation = httpx.put(
        f"{live_sandbox.url}/api/agentmanagement/v3/register/{content['clientId']}",
        json={"client_id": content["clientId"]},
        headers={"Authorization": f"Bearer {first['registration_access_token']}"},
    )
    assert rotation.status_code == 200, rotation.text
    second = rotation.json()
    assert second["registration_access_token"] != first["registration_access_token"]
    write_secret_file(registration_file, {**saved, "response": second})
    reused = run("simulate", str(secrets), "--duration", "0s")
    assert reused.returncode == 0 and "reused its registration" in reused.stdout, reused.stderr
    registration_file.unlink()  # the device forgets its registration: the one-time IAT is refused now
    refused = run("simulate", str(secrets), "--duration", "0s")
    assert refused.returncode != 0 and "onboarding refused (401 invalid_token)" in refused.stderr
    assert "Traceback" not in refused.stderr
    run("plan", str(project), "--env", "test", "--format", "json")
    run("outputs", str(project), "--env", "test", "--format", "yaml")
    run("check", str(project), "--env", "test", "--format", "markdown")

    # an RSA_3072 agent: its private key (saved by the simulator) must not leak either
    hub_file = project / "insights-hub.yaml"
    hub_file.write_text(hub_file.read_text().replace("security_profile: SHARED_SECRET",
                                                     "security_profile: RSA_3072"))
    replaced = run("apply", str(project), "--env", "test", "--yes", "--force", "--allow-data-loss")
    assert replaced.returncode == 0, replaced.stdout + replaced.stderr
    rsa_secrets = tmp_path / "secrets-rsa"
    assert run("boarding", str(project), "--env", "test", "--out", str(rsa_secrets)).returncode == 0
    rsa_run = run("simulate", str(rsa_secrets), "--duration", "0s", "--project", str(project),
                  "--env", "test")
    assert rsa_run.returncode == 0, rsa_run.stderr
    run("check", str(project), "--env", "test", "--format", "json")
    key_pem = (rsa_secrets / ".simulator" / f"{AGENT}.key.pem").read_text()
    key_lines = [line for line in key_pem.splitlines() if line and not line.startswith("-----")]
    assert len(key_lines) > 30  # a 3072-bit PKCS#8 key body
    rsa_registration = json.loads((rsa_secrets / ".simulator" / f"{AGENT}.registration.json").read_text())
    rsa_iat = json.loads((rsa_secrets / f"{AGENT}.json").read_text())["content"]["iat"]

    agent_tokens = [token for claims, token in signed if claims.get("typ") == "agent"]
    assert len(agent_tokens) >= 3  # the /oauth/token results of the three simulate runs that uploaded
    secret_values = [
        iat_before_rotation, iat, rsa_iat,
        first["client_secret"], second["client_secret"],
        first["registration_access_token"], second["registration_access_token"],
        rsa_registration["response"]["registration_access_token"],
        *agent_tokens, *(token for _, token in signed), *key_lines,
        DEMO_ENV["MDSP_CLIENT_SECRET"], DEMO_ENV["ITWIN_IOT_API_KEY"],
    ]
    for result in outputs:
        for value in secret_values:
            assert value not in result.stdout and value not in result.stderr, result.args
    secret_folders = (secrets, rsa_secrets)
    for path in tmp_path.rglob("*"):
        if path.is_file() and not any(folder in path.parents for folder in secret_folders):
            text = path.read_text(errors="replace")
            assert not any(value in text for value in secret_values), path
