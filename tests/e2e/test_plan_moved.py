"""Key renames with `moved:` blocks keep the live objects: the plan shows moves (updates that keep
the server ids), the apply rewrites the owner markers only, the time series stay with the assets, a
parent change goes through the vendor's move operation, and the blocks are no-ops afterwards."""

from __future__ import annotations

import json
from pathlib import Path

from harness import copy_example

from provisioner.config import Project, load_project
from provisioner.errors import ConfigError
from provisioner.model import Action, LiveState
from provisioner.pipeline import ApplyOptions, apply_plan
from provisioner.plan import Plan
from provisioner.render import render_json, render_text
from provisioner.sandbox import Sandbox
from provisioner.session import make_plan, open_session

HUB, ITWIN = "insights_hub", "itwin_iot"
RENAMES = {  # old address -> new address, as the moved: blocks say
    f"{HUB}.assets.plant": f"{HUB}.assets.plant-hamburg",
    f"{HUB}.assets.acme-motor": f"{HUB}.assets.motor-01",
    f"{HUB}.agents.acme-motor-agent": f"{HUB}.agents.motor-01-agent",
    f"{ITWIN}.connections.north": f"{ITWIN}.connections.north-sector",
    f"{ITWIN}.connections.north.devices.logger-2": f"{ITWIN}.connections.north-sector.devices.logger-02",
    f"{ITWIN}.connections.north.devices.logger-2.sensors.tilt-1":
        f"{ITWIN}.connections.north-sector.devices.logger-02.sensors.tilt-01",
}
# moved with its device, without a block of its own
FOLLOWER = (f"{ITWIN}.connections.north.devices.logger-2.sensors.tilt-2",
            f"{ITWIN}.connections.north-sector.devices.logger-02.sensors.tilt-2")
MOVED_BLOCKS = "moved:\n" + "".join(f"  - {{from: {a}, to: {b}}}\n" for a, b in RENAMES.items())


async def plan_of(project: Project, sandbox: Sandbox) -> tuple[Plan, dict[str, LiveState]]:
    async with open_session(project.config, transport=sandbox.transport()) as session:
        return await make_plan(session)


async def apply(project: Project, sandbox: Sandbox) -> None:
    async with open_session(project.config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        report = await apply_plan(session, plan, ApplyOptions(), live=live)
    assert report.ok, (report.failed, report.skipped)


def server_ids(live: dict[str, LiveState]) -> dict[str, str]:
    return {a: r.server_id for state in live.values() for a, r in state.managed.items()}


def renamed(tmp_path: Path, *, blocks: str = MOVED_BLOCKS,
            hub_edits: tuple[tuple[str, str], ...] = ()) -> Path:
    """The quickstart with the keys of RENAMES renamed (references too) and `blocks` added."""
    project = copy_example("quickstart", tmp_path / "renamed")
    hub = project / "insights-hub.yaml"
    text = hub.read_text()
    for old, new in (("    plant:", "    plant-hamburg:"), ("parent: plant\n", "parent: plant-hamburg\n"),
                     ("parent: plant ", "parent: plant-hamburg "),
                     ("    acme-motor:", "    motor-01:"), ("asset: acme-motor", "asset: motor-01"),
                     ("    acme-motor-agent:", "    motor-01-agent:"), *hub_edits):
        assert old in text, old
        text = text.replace(old, new)
    hub.write_text(text)
    itwin = project / "itwin-iot.yaml"
    text = itwin.read_text()
    for old, new in (("    north:", "    north-sector:"), ("        logger-2:", "        logger-02:"),
                     ("            tilt-1:", "            tilt-01:")):
        assert old in text, old
        text = text.replace(old, new)
    itwin.write_text(text)
    (project / "moved.yaml").write_text(blocks)
    return project


async def test_renamed_keys_with_moved_blocks_keep_every_server_id_and_the_time_series(
        tmp_path: Path, quickstart: Project, sandbox: Sandbox) -> None:
    await apply(quickstart, sandbox)
    _, live = await plan_of(quickstart, sandbox)
    before = server_ids(live)
    motor_id = before[f"{HUB}.assets.acme-motor"]
    sandbox.ctx.telemetry.write(motor_id, "environment", "2026-12-01T00:00:00.000Z", {"Temperature": 21.5})

    project = load_project(renamed(tmp_path))
    plan, _ = await plan_of(project, sandbox)
    moves = {**RENAMES, FOLLOWER[0]: FOLLOWER[1]}
    assert {c.address: c.moved_from for c in plan.changes} == {new: old for old, new in moves.items()}
    assert all(c.action is Action.UPDATE and not c.fields for c in plan.changes)
    assert all(c.server_id == before[c.moved_from or ""] for c in plan.changes)
    assert not plan.count(Action.CREATE) and not plan.count(Action.DELETE)
    text = render_text(plan)
    assert "(7 of them moved: same server ids)" in text
    assert f"moved from {HUB}.assets.acme-motor: keeps server id {motor_id}" in text
    rows = {r["address"]: r for r in json.loads(render_json(plan))["changes"]}
    assert rows[f"{HUB}.assets.motor-01"]["moved_from"] == f"{HUB}.assets.acme-motor"

    sandbox.counts(reset=True)
    await apply(project, sandbox)
    writes = {e: n for e, n in sandbox.counts()["endpoints"].items() if not e.startswith("GET")}
    assert not any(e.startswith("POST") and e.endswith(("/assets", "/agents")) for e in writes), writes

    again, live = await plan_of(project, sandbox)
    assert not again.changes, [c.address for c in again.changes]  # the blocks stay: no-ops now
    after = server_ids(live)
    assert {new: after[new] for new in moves.values()} == {new: before[old] for old, new in moves.items()}
    assert len(after) == len(before) and not any(again.unmanaged.values())
    # the history hangs on the asset id, which the move kept
    records = sandbox.ctx.telemetry.records(after[f"{HUB}.assets.motor-01"], "environment")
    assert records == [{"_time": "2026-12-01T00:00:00.000Z", "Temperature": 21.5}]


async def test_a_moved_asset_that_changes_parent_uses_the_move_operation(
        tmp_path: Path, quickstart: Project, sandbox: Sandbox) -> None:
    await apply(quickstart, sandbox)
    _, live = await plan_of(quickstart, sandbox)
    motor_id = server_ids(live)[f"{HUB}.assets.acme-motor"]
    hall = ("  agents:\n", "    hall:\n      name: Hall 1\n      type: core.basicarea\n"
                           "      parent: plant-hamburg\n  agents:\n")
    project_dir = renamed(tmp_path, hub_edits=(hall, ("      type: Engine\n      parent: plant-hamburg\n",
                                                      "      type: Engine\n      parent: hall\n")))
    plan, _ = await plan_of(load_project(project_dir), sandbox)
    motor = next(c for c in plan.changes if c.address == f"{HUB}.assets.motor-01")
    assert motor.action is Action.UPDATE and motor.server_id == motor_id
    assert [(f.path, f.after) for f in motor.fields] == [("parent", f"{HUB}.assets.hall")]
    sandbox.counts(reset=True)
    await apply(load_project(project_dir), sandbox)
    assert sandbox.counts()["endpoints"].get("POST /api/assetmanagement/v3/assets/{id}/move") == 1
    again, live = await plan_of(load_project(project_dir), sandbox)
    assert not again.changes
    assert server_ids(live)[f"{HUB}.assets.motor-01"] == motor_id


def test_a_moved_from_that_is_still_declared_is_an_error_naming_the_block(tmp_path: Path) -> None:
    blocks = "moved:\n  - {from: insights_hub.assets.plant-hamburg, to: insights_hub.assets.motor-01}\n"
    try:
        load_project(renamed(tmp_path, blocks=blocks))
    except ConfigError as exc:
        text = str(exc)
    else:
        raise AssertionError("a from that is still declared must be refused")
    assert "moved.yaml:2:" in text and "moved[0]" in text
    assert "insights_hub.assets.plant-hamburg is still declared" in text


async def test_renamed_type_keys_keep_the_type_ids_so_nothing_is_replaced(
        tmp_path: Path, quickstart: Project, sandbox: Sandbox) -> None:
    await apply(quickstart, sandbox)
    project_dir = copy_example("quickstart", tmp_path / "types")
    hub = project_dir / "insights-hub.yaml"
    text = hub.read_text()
    for old, new in (("\n    Vibration:\n", "\n    ShaftVibration:\n"),
                     ("vibration: Vibration", "vibration: ShaftVibration"),
                     ("\n    Engine:\n", "\n    Motor:\n"), ("type: Engine", "type: Motor")):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    hub.write_text(text)
    (project_dir / "moved.yaml").write_text(
        "moved:\n"
        "  - {from: insights_hub.aspect_types.Vibration, to: insights_hub.aspect_types.ShaftVibration}\n"
        "  - {from: insights_hub.asset_types.Engine, to: insights_hub.asset_types.Motor}\n")
    project = load_project(project_dir)
    plan, _ = await plan_of(project, sandbox)
    assert {(c.address, c.action, c.moved_from, c.server_id) for c in plan.changes} == {
        (f"{HUB}.aspect_types.ShaftVibration", Action.UPDATE, f"{HUB}.aspect_types.Vibration",
         "sandbox.Vibration"),
        (f"{HUB}.asset_types.Motor", Action.UPDATE, f"{HUB}.asset_types.Engine", "sandbox.Engine"),
    }
    await apply(project, sandbox)
    again, live = await plan_of(project, sandbox)
    assert not again.changes, [c.address for c in again.changes]
    ids = server_ids(live)
    assert ids[f"{HUB}.asset_types.Motor"] == "sandbox.Engine"
    assert live[HUB].managed[f"{HUB}.assets.acme-motor"].attrs["type"] == "sandbox.Engine"
