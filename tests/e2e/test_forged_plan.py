"""Issue 13, must-show 7: a forged plan file (safety fields edited, checksum recomputed) is refused
by `provision apply FILE` with exit code 5 and nothing written: apply plans again and compares;
with PROVISION_PLAN_KEY set, a file without a valid HMAC is refused before it is read.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from harness import LiveSandbox, copy_example

from provisioner.cli import exit_codes
from provisioner.plan.planfile import checksum

AGENT = "insights_hub.agents.acme-motor-agent"
KEY = {"PROVISION_PLAN_KEY": "a key only the pipeline knows"}


def provision(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provisioner", *args], capture_output=True, text=True,
                          timeout=180, env={**os.environ, **env})


def writes(live: LiveSandbox) -> dict[str, int]:
    return {endpoint: n for endpoint, n in live.sandbox.counts()["endpoints"].items()
            if endpoint.split()[0] in ("POST", "PUT", "PATCH", "DELETE") and "token" not in endpoint}


def unflag(path: Path) -> None:
    """Switch off every safety field of every change and recompute the checksum."""
    doc: dict[str, Any] = json.loads(path.read_text())
    doc.pop("checksum")
    for change in doc["plan"]["changes"]:
        change.update({"data_destructive": False, "data_loss": [], "precondition": None, "protected": False})
    doc["checksum"] = checksum(doc)
    path.write_text(json.dumps(doc))


def test_forged_plan_files_are_refused_with_exit_code_5(tmp_path: Path, live_sandbox: LiveSandbox) -> None:
    project = copy_example("quickstart", tmp_path, port=live_sandbox.port)
    env = ("--env", "test")
    assert provision("apply", str(project), *env, "--yes").returncode == exit_codes.OK
    hub = project / "insights-hub.yaml"
    text = hub.read_text()
    hub.write_text(text[:text.index("  agents:\n")])  # the agent goes: data loss
    planfile = tmp_path / "plan.json"
    assert provision("plan", str(project), *env, "--out", str(planfile)).returncode == exit_codes.OK
    unflag(planfile)
    before = writes(live_sandbox)

    forged = provision("apply", str(planfile), "--project", str(project), *env, "--yes", "--force")
    assert forged.returncode == exit_codes.UNSAFE_PLAN, forged.stderr
    assert f"{AGENT}: data_destructive is False in the file, True when planned again" in forged.stderr
    assert "Traceback" not in forged.stderr
    assert writes(live_sandbox) == before

    # with a key: the signed file applies, an edited one is refused before it is read
    signed = tmp_path / "signed.json"
    made = provision("plan", str(project), *env, "--out", str(signed), **KEY)
    assert made.returncode == exit_codes.OK and (tmp_path / "signed.json.sig").is_file()
    assert KEY["PROVISION_PLAN_KEY"] not in made.stdout + made.stderr
    copy = tmp_path / "edited.json"
    copy.write_bytes(signed.read_bytes())
    (tmp_path / "edited.json.sig").write_bytes((tmp_path / "signed.json.sig").read_bytes())
    unflag(copy)
    refused = provision("apply", str(copy), "--project", str(project), *env, "--yes", "--force",
                        "--allow-data-loss", **KEY)
    assert refused.returncode == exit_codes.UNSAFE_PLAN, refused.stderr
    assert "is not signed by the key in PROVISION_PLAN_KEY" in refused.stderr
    assert KEY["PROVISION_PLAN_KEY"] not in refused.stdout + refused.stderr
    unsigned = provision("apply", str(planfile), "--project", str(project), *env, "--yes", **KEY)
    assert unsigned.returncode == exit_codes.UNSAFE_PLAN and "plan.json.sig is missing" in unsigned.stderr
    assert writes(live_sandbox) == before

    applied = provision("apply", str(signed), "--project", str(project), *env, "--yes", "--force",
                        "--allow-data-loss", **KEY)
    assert applied.returncode == exit_codes.OK, applied.stderr
