"""Issue 13, must-show 7 (first half): provision never deletes what it did not create.

A device made by hand under a managed iTwin connection and a mapping made by hand on a managed
agent survive every apply: the device is listed as unmanaged, a delete of its connection (which
the service cascades) is refused naming it unless --delete-unmanaged-children (then it is data
loss too); the mapping is unmanaged unless the agent opts in with `prune_mappings: true`.
A forged plan file (safety fields edited, checksum recomputed) is refused with nothing written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from harness import apply_project as apply
from harness import copy_example, plan_of

from provisioner.config import Project, load_project
from provisioner.model import Action
from provisioner.pipeline import ApplyOptions, UnsafePlanError, apply_plan
from provisioner.plan import read_plan, write_plan
from provisioner.plan.planfile import checksum
from provisioner.sandbox import Sandbox
from provisioner.session import make_plan, open_session

HUB = "insights_hub"
NORTH = "itwin_iot.connections.north"
AGENT = f"{HUB}.agents.acme-motor-agent"
PROFILE = "      security_profile: SHARED_SECRET\n"


async def hand_made_device(project: Project, sandbox: Sandbox) -> str:
    """A device created in the iTwin app under the managed connection north: its id."""
    async with open_session(project.config, transport=sandbox.transport()) as session:
        _, live = await make_plan(session)
        assert session.itwin is not None and project.config.platforms.itwin_iot is not None
        node = live["itwin_iot"].managed[NORTH].server_id
        device = {"changeState": "new", "refId": "made-in-the-app-1",
                  "props": {"INTEGRATION_ID": "IMPORT_DEVICE_SDE", "NAME": "Hand logger"}}
        await session.itwin.integrate(project.config.platforms.itwin_iot.project,
                                      {"integration": {"nodeId": node, "devices": [device]}})
        devices = await session.itwin.list_devices(project.config.platforms.itwin_iot.project)
    return str(next(d["id"] for d in devices if (d.get("props") or {}).get("NAME") == "Hand logger"))


async def device_names(project: Project, sandbox: Sandbox) -> set[str]:
    async with open_session(project.config, transport=sandbox.transport()) as session:
        assert session.itwin is not None and project.config.platforms.itwin_iot is not None
        devices = await session.itwin.list_devices(project.config.platforms.itwin_iot.project)
    return {str((d.get("props") or {}).get("NAME")) for d in devices}


async def test_a_hand_made_device_survives_and_blocks_the_cascading_delete(
        tmp_path: Path, quickstart: Project, sandbox: Sandbox) -> None:
    await apply(quickstart, sandbox)
    device_id = await hand_made_device(quickstart, sandbox)
    plan = await plan_of(quickstart, sandbox)
    assert not plan.has_changes
    assert device_id in {o.server_id for o in plan.unmanaged["itwin_iot"]}

    renamed = copy_example("quickstart", tmp_path / "renamed")
    itwin = renamed / "itwin-iot.yaml"
    itwin.write_text(itwin.read_text().replace("name: North Sector Logger 2", "name: North Logger 2"))
    await apply(load_project(renamed), sandbox)
    assert "Hand logger" in await device_names(quickstart, sandbox)

    gone = copy_example("quickstart", tmp_path / "gone")
    (gone / "itwin-iot.yaml").write_text("itwin_iot:\n  connections: {}\n")
    project = load_project(gone)
    plan = await plan_of(project, sandbox)
    north = next(c for c in plan.changes if c.address == NORTH)
    assert north.action is Action.DELETE and any(device_id in child for child in north.unmanaged_children)
    assert any("Hand logger" in loss and "not made by this stack" in loss for loss in north.data_loss)
    async with open_session(project.config, transport=sandbox.transport()) as session:
        with pytest.raises(UnsafePlanError) as refused:
            await apply_plan(session, plan, ApplyOptions(force=True, allow_data_loss=True))
    [violation] = [v for v in refused.value.violations if v.rule == "unmanaged-children"]
    assert violation.override == "--delete-unmanaged-children" and "Hand logger" in violation.message
    assert "Hand logger" in await device_names(quickstart, sandbox)  # nothing written

    lifted = ApplyOptions(force=True, allow_data_loss=True, delete_unmanaged_children=True)
    await apply(project, sandbox, lifted)
    assert "Hand logger" not in await device_names(quickstart, sandbox)


async def hand_made_mapping(project: Project, sandbox: Sandbox) -> str:
    """An Engine asset and a mapping of the managed agent's DP-Temperature to it, made by hand."""
    async with open_session(project.config, transport=sandbox.transport()) as session:
        _, live = await make_plan(session)
        assert session.hub is not None
        plant = live[HUB].managed[f"{HUB}.assets.plant"].server_id
        asset = await session.hub.create_asset({"name": "HandEngine", "typeId": "sandbox.Engine",
                                                "parentId": plant})
        agent = live[HUB].managed[AGENT].server_id
        mapping = await session.hub.create_mapping({
            "agentId": agent, "dataPointId": "DP-Temperature", "entityId": asset["assetId"],
            "propertySetName": "environment", "propertyName": "Temperature", "keepMapping": True})
    return str(mapping["id"])


async def mapping_ids(project: Project, sandbox: Sandbox) -> set[str]:
    async with open_session(project.config, transport=sandbox.transport()) as session:
        assert session.hub is not None
        return {str(m["id"]) for m in await session.hub.list_mappings()}


async def test_a_hand_made_mapping_is_left_alone_unless_the_agent_prunes(
        tmp_path: Path, quickstart: Project, sandbox: Sandbox) -> None:
    await apply(quickstart, sandbox)
    mapping_id = await hand_made_mapping(quickstart, sandbox)
    plan = await plan_of(quickstart, sandbox)
    assert not plan.has_changes
    assert mapping_id in {o.server_id for o in plan.unmanaged[HUB]}
    assert any(f"{AGENT}: 1 mapping(s) not in the configuration are left alone" in w for w in plan.warnings)

    edited = copy_example("quickstart", tmp_path / "edited")
    hub = edited / "insights-hub.yaml"
    hub.write_text(hub.read_text().replace("Temperature, pressure and humidity", "T, p and rH"))
    applied = await apply(load_project(edited), sandbox)
    assert [c.address for c in applied.changes] == [f"{AGENT}.data_sources"]
    assert mapping_id in await mapping_ids(quickstart, sandbox)

    hub.write_text(hub.read_text().replace(PROFILE, PROFILE + "      prune_mappings: true\n"))
    pruning = load_project(edited)
    plan = await plan_of(pruning, sandbox)
    [delete] = plan.changes
    assert delete.action is Action.DELETE and delete.server_id == mapping_id and delete.data_destructive
    async with open_session(pruning.config, transport=sandbox.transport()) as session:
        with pytest.raises(UnsafePlanError):
            await apply_plan(session, plan, ApplyOptions())
    await apply(pruning, sandbox, ApplyOptions(allow_data_loss=True))
    assert mapping_id not in await mapping_ids(quickstart, sandbox)


def forge(path: Path, change: dict[str, Any]) -> None:
    """Add `change` to a plan file and recompute the checksum, as an attacker would."""
    doc = json.loads(path.read_text())
    doc.pop("checksum")
    doc["plan"]["changes"].append(change)
    doc["checksum"] = checksum(doc)
    path.write_text(json.dumps(doc))


async def saved_apply(project: Project, sandbox: Sandbox, path: Path, options: ApplyOptions) -> None:
    async with open_session(project.config, transport=sandbox.transport()) as session:
        kinds = {k for p in session.providers.values() for k in p.kinds}
        saved = read_plan(path, platforms=set(session.providers), kinds=kinds)
        await apply_plan(session, saved.plan, options, saved=True)


async def test_a_forged_plan_file_is_refused_with_nothing_written(
        tmp_path: Path, quickstart: Project, sandbox: Sandbox) -> None:
    await apply(quickstart, sandbox)
    async with open_session(quickstart.config, transport=sandbox.transport()) as session:
        assert session.hub is not None
        assets = await session.hub.list_assets()
        plant = next(a["assetId"] for a in assets if a["name"] == "Plant Hamburg")
        hand = await session.hub.create_asset({"name": "HandMade", "typeId": "core.basicasset",
                                               "parentId": plant})
    renamed = copy_example("quickstart", tmp_path / "renamed")
    hub = renamed / "insights-hub.yaml"
    hub.write_text(hub.read_text().replace("name: AcmeMotor\n", "name: AcmeMotor 2\n"))
    project = load_project(renamed)
    plan = await plan_of(project, sandbox)
    assert [c.address for c in plan.changes] == [f"{HUB}.assets.acme-motor"]

    # 1. a delete of the hand-made asset smuggled in, precondition null, not data-destructive
    smuggled = tmp_path / "smuggled.json"
    write_plan(plan, smuggled, config_digest="sha256:x", stack=project.config.stack)
    forge(smuggled, {"address": f"{HUB}.assets.plant.hand", "action": "delete", "kind": "insights_hub.asset",
                     "before": {"name": "HandMade"}, "after": None, "fields": [],
                     "server_id": hand["assetId"], "precondition": None, "depends_on": [], "reasons": [],
                     "side_effects": [], "data_destructive": False, "data_loss": [], "adopt": False,
                     "protected": False, "prevent_destroy": False, "duplicate_of": None,
                     "unmanaged_children": []})
    before = sandbox.snapshot()
    with pytest.raises(UnsafePlanError) as refused:
        await saved_apply(project, sandbox, smuggled, ApplyOptions(force=True))
    assert "call for no such change" in str(refused.value) and "assets.plant.hand" in str(refused.value)
    assert sandbox.snapshot() == before

    # 2. a real data-destructive delete whose flag was switched off
    gone = copy_example("quickstart", tmp_path / "gone")
    hub = gone / "insights-hub.yaml"
    text = hub.read_text()
    hub.write_text(text[:text.index("  agents:\n")])
    project = load_project(gone)
    plan = await plan_of(project, sandbox)
    agent_delete = next(c for c in plan.changes if c.address == AGENT)
    assert agent_delete.data_destructive
    unflagged = tmp_path / "unflagged.json"
    write_plan(plan, unflagged, config_digest="sha256:x", stack=project.config.stack)
    doc = json.loads(unflagged.read_text())
    doc.pop("checksum")
    for change in doc["plan"]["changes"]:
        change.update({"data_destructive": False, "data_loss": [], "precondition": None})
    doc["checksum"] = checksum(doc)
    unflagged.write_text(json.dumps(doc))
    with pytest.raises(UnsafePlanError) as refused:
        await saved_apply(project, sandbox, unflagged, ApplyOptions(force=True))
    message = str(refused.value)
    assert f"{AGENT}: precondition is None in the file" in message
    assert f"{AGENT}: data_destructive is False in the file, True when planned again" in message
    assert sandbox.snapshot() == before

    # the file as written (not forged) is accepted with the flag it needs
    honest = tmp_path / "honest.json"
    write_plan(plan, honest, config_digest="sha256:x", stack=project.config.stack)
    await saved_apply(project, sandbox, honest, ApplyOptions(force=True, allow_data_loss=True))


async def test_an_asset_with_a_hand_made_child_is_not_planned_for_a_plain_delete(
        tmp_path: Path, sandbox: Sandbox) -> None:
    project_dir = copy_example("quickstart", tmp_path / "spare")
    hub = project_dir / "insights-hub.yaml"
    spare = "    spare: {name: Spare, type: core.basicasset, parent: plant}\n"
    hub.write_text(hub.read_text().replace("  agents:\n", spare + "\n  agents:\n"))
    await apply(load_project(project_dir), sandbox)
    async with open_session(load_project(project_dir).config, transport=sandbox.transport()) as session:
        _, live = await make_plan(session)
        assert session.hub is not None
        parent = live[HUB].managed[f"{HUB}.assets.spare"].server_id
        shelf = {"name": "Shelf", "typeId": "core.basicasset", "parentId": parent}
        child = await session.hub.create_asset(shelf)
    hub.write_text(hub.read_text().replace(spare, ""))
    plan = await plan_of(load_project(project_dir), sandbox)
    [delete] = plan.changes
    assert delete.address == f"{HUB}.assets.spare" and delete.action is Action.DELETE
    assert [f"asset 'Shelf' ({child['assetId']})" in c for c in delete.unmanaged_children] == [True]
    async with open_session(load_project(project_dir).config, transport=sandbox.transport()) as session:
        with pytest.raises(UnsafePlanError) as refused:
            await apply_plan(session, plan, ApplyOptions(allow_data_loss=True))
    assert "the service will not delete with its parent" in str(refused.value)
