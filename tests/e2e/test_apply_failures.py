"""Issue 5, must-show 3: one permanently failing create skips its dependents, the rest is applied.

The sandbox refuses, every time, an asset whose time zone has a 15/45-minute offset (as the vendor
does); the configuration validator accepts the zone, so only apply can find out. One pump of a
3-site fleet gets such a zone: its mappings and event mapping are skipped, the other sites and
every independent object of the same site are applied, and `provision apply` exits 3 with a
report that names the failure and each skipped change. Without the bad zone the next apply
finishes the job and the plan after it is empty.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from fleetgen import drift, duplicates, make_fleet
from harness import LiveSandbox

from provisioner.config import load_project
from provisioner.pipeline import ApplyOptions, apply_plan
from provisioner.session import make_plan, open_session

PUMP = "insights_hub.assets.site-0002-pump"
AGENT = "insights_hub.agents.site-0002-agent"
TEMPLATE_LINE = "      external_id: {{ site.pump_serial }}\n"
BAD_ZONE = TEMPLATE_LINE + '{% if site.key == "site-0002" %}      timezone: Asia/Kathmandu\n{% endif %}'


def provision(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provisioner", *args], capture_output=True, text=True,
                          timeout=120)


async def test_failed_create_skips_dependents_and_the_next_apply_finishes(
        tmp_path: Path, live_sandbox: LiveSandbox) -> None:
    project = make_fleet(tmp_path / "fleet", 3, port=live_sandbox.port)
    template = project / "fleet.yaml.j2"
    good = template.read_text()
    assert good.count(TEMPLATE_LINE) == 1
    template.write_text(good.replace(TEMPLATE_LINE, BAD_ZONE))
    assert provision("validate", str(project), "--env", "test").returncode == 0

    first = provision("apply", str(project), "--env", "test", "--yes", "--format", "json")

    assert first.returncode == 3, first.stdout + first.stderr
    report = json.loads(first.stdout)
    assert report["exit_code"] == 3
    assert list(report["failed"]) == [PUMP]
    assert "HTTP 400" in report["failed"][PUMP] and "Asia/Kathmandu" in report["failed"][PUMP]
    dependents = {a for a in report["skipped"]}
    assert dependents == {
        *(f"{AGENT}.mappings.{dp}.site-0002-pump.{aspect}.{var}" for dp, aspect, var in (
            ("DP-Flow", "status", "FlowRate"), ("DP-Inlet", "status", "InletPressure"),
            ("DP-Running", "status", "Running"), ("DP-Current", "health", "Current"),
            ("DP-Vib", "health", "Vibration"), ("DP-Temp", "health", "Temperature"))),
        f"{AGENT}.event_mappings.site-0002-pump.sandbox.connectivity.event.type.PumpAlarm.source=PX-10002",
    }
    assert set(report["skipped"].values()) == {PUMP}
    applied = {op["address"] for op in report["applied"]}
    # the failing site's independent objects went on: its site asset, agent, DSC and iTwin half
    assert {"insights_hub.assets.site-0002", AGENT, f"{AGENT}.data_sources",
            "itwin_iot.connections.site-0002"} <= applied
    assert len(applied) + 1 + len(dependents) == report["planned"]
    text = provision("plan", str(project), "--env", "test")
    assert "8 to create, 0 to update" in text.stdout.replace("Plan: ", ""), text.stdout

    template.write_text(good)
    second = provision("apply", str(project), "--env", "test", "--yes", "--format", "json")
    assert second.returncode == 0, second.stdout + second.stderr
    assert sorted(op["address"] for op in json.loads(second.stdout)["applied"]) == sorted(
        [PUMP, *dependents])

    async with open_session(load_project(project, env="test").config) as session:
        plan, live = await make_plan(session)
        assert not plan.has_changes, [c.address for c in plan.changes]
        assert await drift(session) == []
        assert (await apply_plan(session, plan, ApplyOptions(), live=live)).applied == []
    assert duplicates(live_sandbox.sandbox.snapshot()) == {}


async def test_every_first_write_failing_exits_1(tmp_path: Path, live_sandbox: LiveSandbox) -> None:
    """Nothing applied at all is exit 1 (an error before any write), not a partial apply."""
    project = make_fleet(tmp_path / "fleet", 1, port=live_sandbox.port)
    (project / "fleet.yaml.j2").write_text(
        "insights_hub:\n  assets:\n    lonely:\n      name: Lonely\n      type: core.basicsite\n"
        "      parent: root\n      timezone: Asia/Kathmandu\n")
    (project / "types.yaml").unlink()
    failed = provision("apply", str(project), "--env", "test", "--yes")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "insights_hub.assets.lonely" in failed.stdout and "Traceback" not in failed.stderr
