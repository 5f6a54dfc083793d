"""Issue 13, must-show 2: renaming a key with a `moved:` block keeps the object (every kind).

The quickstart is applied, then its motor asset, its agent and one iTwin sensor get new keys with
`moved:` blocks: the plan shows each as moved (an update that rewrites the owner marker, no
delete, no create), apply keeps every server id, the next plan has no changes, and the blocks stay
in the configuration as no-ops. Without the blocks the same rename is deletes and creates.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import apply_project, copy_example, plan_of

from provisioner.config import Project, load_project
from provisioner.errors import ConfigError
from provisioner.model import Action
from provisioner.pipeline import ApplyOptions, apply_plan
from provisioner.render import render_text
from provisioner.sandbox import Sandbox
from provisioner.session import make_plan, open_session, read_live

HUB = "insights_hub"
SENSORS = "itwin_iot.connections.north.devices.logger-2.sensors"
MOVES = {f"{HUB}.assets.acme-motor": f"{HUB}.assets.motor-1",
         f"{HUB}.agents.acme-motor-agent": f"{HUB}.agents.motor-1-agent",
         f"{SENSORS}.tilt-1": f"{SENSORS}.tilt-left"}
MOVED_BLOCK = "moved:\n" + "".join(f"  - {{from: {a}, to: {b}}}\n" for a, b in MOVES.items())


def renamed(tmp_path: Path, *, with_blocks: bool) -> Path:
    project = copy_example("quickstart", tmp_path / ("moved" if with_blocks else "renamed"))
    hub, itwin = project / "insights-hub.yaml", project / "itwin-iot.yaml"
    text = hub.read_text().replace("    acme-motor:\n", "    motor-1:\n")
    text = text.replace("asset: acme-motor", "asset: motor-1")
    text = text.replace("    acme-motor-agent:\n", "    motor-1-agent:\n")
    if with_blocks:  # and a new parent: the vendor's move operation, same asset
        engine = "      type: Engine\n"
        text = text.replace(f"{engine}      parent: plant\n", f"{engine}      parent: root\n")
    hub.write_text(text)
    itwin.write_text(itwin.read_text().replace("            tilt-1:\n", "            tilt-left:\n"))
    if with_blocks:
        (project / "moved.yaml").write_text(MOVED_BLOCK)
    return project


async def apply(project: Project, sandbox: Sandbox) -> None:
    await apply_project(project, sandbox, ApplyOptions())


async def server_ids(project: Project, sandbox: Sandbox) -> dict[str, str]:
    async with open_session(project.config, transport=sandbox.transport()) as session:
        live = await read_live(session)
    return {a: r.server_id for state in live.values() for a, r in state.managed.items()}


async def test_moved_keys_keep_their_server_ids(tmp_path: Path, quickstart: Project,
                                                sandbox: Sandbox) -> None:
    async with open_session(quickstart.config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        assert (await apply_plan(session, plan, ApplyOptions(), live=live)).ok
    before = await server_ids(quickstart, sandbox)
    motor_id = before[f"{HUB}.assets.acme-motor"]  # its stored history, as an agent's upload leaves it
    sandbox.ctx.telemetry.write(motor_id, "environment", "2026-12-01T00:00:00.000Z", {"Temperature": 21.5})

    without = await plan_of(load_project(renamed(tmp_path, with_blocks=False)), sandbox)
    assert {c.address for c in without.changes if c.action is Action.DELETE} >= set(MOVES)

    project = load_project(renamed(tmp_path, with_blocks=True))
    plan = await plan_of(project, sandbox)
    by_address = {c.address: c for c in plan.changes}
    assert set(by_address) == set(MOVES.values())
    for old, new in MOVES.items():
        change = by_address[new]
        assert (change.action, change.moved_from, change.server_id) == (Action.UPDATE, old, before[old])
        assert not change.data_destructive
    assert [f.path for f in by_address[f"{HUB}.assets.motor-1"].fields] == ["parent"]
    text = render_text(plan)
    assert f"~ {HUB}.assets.motor-1 ({HUB}.asset) [MOVED from {HUB}.assets.acme-motor]" in text

    async with open_session(project.config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        assert (await apply_plan(session, plan, ApplyOptions(), live=live)).ok
    after = await server_ids(project, sandbox)
    moves = sandbox.counts()["endpoints"]
    assert any("move" in endpoint and n == 1 for endpoint, n in moves.items()), moves
    for old, new in MOVES.items():
        assert after[new] == before[old]
    # the agent's mappings and data source configuration followed it, under the same ids
    agent_children = {a: i for a, i in before.items() if a.startswith(f"{HUB}.agents.acme-motor-agent.")}
    assert agent_children and sorted(agent_children.values()) == sorted(
        i for a, i in after.items() if a.startswith(f"{HUB}.agents.motor-1-agent."))
    again = await plan_of(project, sandbox)
    assert not again.has_changes, [c.address for c in again.changes]  # the blocks stay: no-ops
    # the time series hang on the asset id, which the move kept: read back at the new address
    records = sandbox.ctx.telemetry.records(after[f"{HUB}.assets.motor-1"], "environment")
    assert records == [{"_time": "2026-12-01T00:00:00.000Z", "Temperature": 21.5}]


def test_a_moved_block_from_an_address_still_declared_is_an_error(tmp_path: Path) -> None:
    project = copy_example("quickstart", tmp_path)
    (project / "moved.yaml").write_text(
        f"moved:\n  - {{from: {HUB}.assets.acme-motor, to: {HUB}.assets.plant}}\n"
        f"  - {{from: {HUB}.aspect_types.Environment, to: {HUB}.aspect_types.Climate}}\n")
    with pytest.raises(ConfigError) as error:
        load_project(project)
    message = str(error.value)
    assert f"{HUB}.assets.acme-motor is still declared" in message and "moved.yaml:2:" in message
    # Environment stays declared: its move to the undeclared Climate is refused too
    assert f"{HUB}.aspect_types.Environment is still declared" in message
    assert f"{HUB}.aspect_types.Climate is not declared" in message


async def test_a_moved_connection_keeps_its_node_and_everything_under_it(
        tmp_path: Path, quickstart: Project, sandbox: Sandbox) -> None:
    async with open_session(quickstart.config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        assert (await apply_plan(session, plan, ApplyOptions(), live=live)).ok
    before = await server_ids(quickstart, sandbox)
    project_dir = copy_example("quickstart", tmp_path / "north-sector")
    itwin = project_dir / "itwin-iot.yaml"
    itwin.write_text(itwin.read_text().replace("    north:\n", "    north-sector:\n"))
    (project_dir / "moved.yaml").write_text(
        "moved:\n  - {from: itwin_iot.connections.north, to: itwin_iot.connections.north-sector}\n")
    project = load_project(project_dir)
    plan = await plan_of(project, sandbox)
    old = {a: i for a, i in before.items() if a.startswith("itwin_iot.connections.north.")
           or a == "itwin_iot.connections.north"}
    assert {c.action for c in plan.changes} == {Action.UPDATE}
    assert {c.moved_from for c in plan.changes} == set(old)
    async with open_session(project.config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        assert (await apply_plan(session, plan, ApplyOptions(), live=live)).ok
    after = await server_ids(project, sandbox)
    assert sorted(i for a, i in after.items() if a.startswith("itwin_iot.")) == sorted(old.values())
    again = await plan_of(project, sandbox)
    assert not again.has_changes, [c.address for c in again.changes]


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
        f"  - {{from: {HUB}.aspect_types.Vibration, to: {HUB}.aspect_types.ShaftVibration}}\n"
        f"  - {{from: {HUB}.asset_types.Engine, to: {HUB}.asset_types.Motor}}\n")
    project = load_project(project_dir)
    plan = await plan_of(project, sandbox)
    assert {(c.address, c.action, c.moved_from, c.server_id) for c in plan.changes} == {
        (f"{HUB}.aspect_types.ShaftVibration", Action.UPDATE, f"{HUB}.aspect_types.Vibration",
         "sandbox.Vibration"),
        (f"{HUB}.asset_types.Motor", Action.UPDATE, f"{HUB}.asset_types.Engine", "sandbox.Engine"),
    }  # no replace of the type, the asset or its mappings: the history stays
    await apply(project, sandbox)
    again = await plan_of(project, sandbox)
    assert not again.has_changes, [c.address for c in again.changes]
    types = {t["id"]: t for t in sandbox.snapshot()["insightsHub"]["assetTypes"]}
    assert types["sandbox.Engine"]["description"].endswith("[provision:quickstart/asset_types.Motor]")
    assets = [a for a in sandbox.snapshot()["insightsHub"]["assets"] if a["name"] == "AcmeMotor"]
    assert [a["typeId"] for a in assets] == ["sandbox.Engine"]
