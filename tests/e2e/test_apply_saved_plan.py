"""Issue 5, must-show 2: a saved plan applies exactly its changes, and a stale one writes nothing.

`provision plan --out` then `provision apply PLANFILE` run as the CLI against a sandbox served on
loopback; the objects are changed behind the plan's back through the vendor APIs directly.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness import LiveSandbox, copy_example

from provisioner.config import load_project
from provisioner.pipeline import ApplyOptions, apply_plan
from provisioner.session import make_plan, open_session

ASSET = "insights_hub.assets.acme-motor"
SENSOR = "itwin_iot.connections.north.devices.logger-2.sensors.tilt-1"


def provision(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provisioner", *args], capture_output=True, text=True,
                          timeout=120)


def state(live: LiveSandbox) -> dict[str, Any]:
    """Everything the sandbox holds except issued iTwin tokens (a token request is not a write)."""
    snapshot = live.sandbox.snapshot()
    snapshot["itwin"].pop("tokens")
    return snapshot


def writes(live: LiveSandbox) -> dict[str, int]:
    """Write requests per endpoint class so far, token requests excluded."""
    return {endpoint: n for endpoint, n in live.sandbox.counts()["endpoints"].items()
            if endpoint.split()[0] in ("POST", "PUT", "PATCH", "DELETE") and "token" not in endpoint}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


async def converge(project: Path) -> list[str]:
    """Apply the project in-process (over loopback HTTP), check it applied completely; the addresses."""
    async with open_session(load_project(project, env="test").config) as session:
        plan, live = await make_plan(session)
        report = await apply_plan(session, plan, ApplyOptions(), live=live)
        assert report.exit_code() == 0, report.failed
        return sorted(c.address for c in plan.changes)


@pytest.fixture
async def converged(tmp_path: Path, live_sandbox: LiveSandbox) -> Path:
    """The quickstart applied to the loopback sandbox, then edited: one asset and one sensor change."""
    project = copy_example("quickstart", tmp_path, port=live_sandbox.port)
    await converge(project)
    edit(project / "insights-hub.yaml", "external_id: M-001", "external_id: M-002")
    edit(project / "itwin-iot.yaml", "name: North Sector Tilt 2-1", "name: North Sector Tilt 2-1 (moved)")
    return project


def save_plan(project: Path, planfile: Path) -> list[str]:
    saved = provision("plan", str(project), "--env", "test", "--out", str(planfile))
    assert saved.returncode == 0, saved.stderr
    doc = json.loads(planfile.read_text())
    return sorted(c["address"] for c in doc["plan"]["changes"])


def apply_saved(project: Path, planfile: Path) -> subprocess.CompletedProcess[str]:
    return provision("apply", str(planfile), "--project", str(project), "--env", "test", "--yes",
                     "--format", "json")


async def tamper(project: Path, address: str, live: LiveSandbox) -> None:
    """Change the live object behind `address` through the vendor API, as another tool would."""
    config = load_project(project, env="test").config
    async with open_session(config) as session:
        plan, read = await make_plan(session)
        assert address in {c.address for c in plan.changes}
        if address.startswith("insights_hub."):
            assert session.hub is not None
            asset_id = read["insights_hub"].managed[address].server_id
            asset = await session.hub.get_asset(asset_id)
            body = {"name": asset["name"], "description": asset["description"], "externalId": "BY-HAND"}
            await session.hub.put_asset(asset_id, body, asset["etag"])
            return
        node = read["itwin_iot"].managed["itwin_iot.connections.north"].server_id
        sensor = {"changeState": "update", "refId": "iac:quickstart/north/logger-2/tilt-1",
                  "props": {"NOTES": "changed by hand"}}
        body = {"integration": {"nodeId": node, "devices": [
            {"refId": "iac:quickstart/north/logger-2", "sensors": [sensor]}]}}
        headers = {"Authorization": "ApiKey sandbox-key"}
        async with httpx.AsyncClient(base_url=live.url, headers=headers) as client:
            answer = await client.post("/api/integrations/integrate",
                                       params={"projectIds": "sandbox-project"}, json=body)
            assert answer.status_code < 300, answer.text


async def test_saved_plan_applies_exactly_its_changes(converged: Path, live_sandbox: LiveSandbox,
                                                      tmp_path: Path) -> None:
    planfile = tmp_path / "plan.json"
    planned = save_plan(converged, planfile)
    assert planned == [ASSET, SENSOR]
    # the configuration moves on after the plan was saved: the plan file must not pick that up
    edit(converged / "insights-hub.yaml", "name: Plant Hamburg", "name: Plant Hamburg-Altona")

    applied = apply_saved(converged, planfile)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    report = json.loads(applied.stdout)
    assert sorted(op["address"] for op in report["applied"]) == planned

    after = provision("plan", str(converged), "--env", "test", "--out", str(tmp_path / "next.json"))
    assert after.returncode == 0, after.stderr
    remaining = json.loads((tmp_path / "next.json").read_text())["plan"]["changes"]
    assert [(c["address"], c["action"]) for c in remaining] == [("insights_hub.assets.plant", "update")]


@pytest.mark.parametrize("touched", [ASSET, SENSOR])
async def test_stale_saved_plan_is_refused_and_writes_nothing(converged: Path, live_sandbox: LiveSandbox,
                                                              tmp_path: Path, touched: str) -> None:
    planfile = tmp_path / "plan.json"
    save_plan(converged, planfile)
    await tamper(converged, touched, live_sandbox)
    before, writes_before = state(live_sandbox), writes(live_sandbox)

    refused = apply_saved(converged, planfile)

    assert refused.returncode == 4, refused.stdout + refused.stderr  # stale plan
    assert "stale" in refused.stderr and touched in refused.stderr, refused.stderr
    untouched = ASSET if touched == SENSOR else SENSOR
    assert untouched not in refused.stderr
    assert "Traceback" not in refused.stderr
    assert state(live_sandbox) == before
    assert writes(live_sandbox) == writes_before


async def test_unrelated_change_does_not_make_a_saved_plan_stale(converged: Path, live_sandbox: LiveSandbox,
                                                                 tmp_path: Path) -> None:
    planfile = tmp_path / "plan.json"
    planned = save_plan(converged, planfile)
    # another object of the same project, and of the same node, changes: neither is in the plan.
    # (Changed by another copy of the project: the plan is applied with the configuration it was
    # made from, which apply plans again to check the file against.)
    other = tmp_path / "other"
    shutil.copytree(converged, other)
    edit(other / "insights-hub.yaml", "external_id: M-002", "external_id: M-001")
    edit(other / "itwin-iot.yaml", "name: North Sector Tilt 2-1 (moved)", "name: North Sector Tilt 2-1")
    edit(other / "insights-hub.yaml", "name: Plant Hamburg", "name: Plant Hamburg-Altona")
    edit(other / "itwin-iot.yaml", "name: North Sector Tilt 2-2", "name: North Sector Tilt 2-2 (moved)")
    assert await converge(other) == [
        "insights_hub.assets.plant", "itwin_iot.connections.north.devices.logger-2.sensors.tilt-2"]

    applied = apply_saved(converged, planfile)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert sorted(op["address"] for op in json.loads(applied.stdout)["applied"]) == planned
