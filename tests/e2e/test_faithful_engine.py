"""Issue 11, the engine half: hand-made twins are reported, merge-patch updates keep hand-set
fields, soft-deleted assets are not live, and each apply takes and gives back the stack's lease.

The quickstart is applied to a fresh in-process sandbox; then someone edits the tenant "by hand"
through the same vendor API (the session's own client), and the next plan/apply is checked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from provisioner.config import Project, load_project
from provisioner.model import Action
from provisioner.pipeline import ApplyOptions, apply_plan
from provisioner.providers.insights_hub.client import InsightsHubClient
from provisioner.providers.insights_hub.lease import lease_type_id, parse_lease
from provisioner.render import render_json, render_markdown, render_text
from provisioner.sandbox import Sandbox
from provisioner.session import make_plan, open_session

JSONDict = dict[str, Any]
MOTOR = "insights_hub.assets.acme-motor"
PLANT = "insights_hub.assets.plant"


async def apply(project: Project, sandbox: Sandbox, *, allow_data_loss: bool = False) -> None:
    async with open_session(project.config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        report = await apply_plan(session, plan, ApplyOptions(allow_data_loss=allow_data_loss), live=live)
        assert report.ok, (report.failed, report.skipped)


async def by_hand(project: Project, sandbox: Sandbox) -> tuple[InsightsHubClient, dict[str, str]]:
    """A session's client (the vendor API, as a user's script would use it) and the live ids."""
    session = open_session(project.config, transport=sandbox.transport())
    plan, live = await make_plan(session)
    assert not plan.has_changes
    assert session.hub is not None
    return session.hub, {a: r.server_id for a, r in live["insights_hub"].managed.items()}


@pytest.fixture
async def applied(quickstart: Project, sandbox: Sandbox) -> Project:
    await apply(quickstart, sandbox)
    return quickstart


async def test_twins_made_by_hand_are_reported_and_the_unreferenced_one_is_removed(
        applied: Project, sandbox: Sandbox) -> None:
    hub, ids = await by_hand(applied, sandbox)
    motor = await hub.get_asset(ids[MOTOR])
    twin = await hub.create_asset({k: motor[k] for k in ("name", "description", "typeId", "parentId")})
    twin_id = str(twin["assetId"])
    await hub.aclose()

    async with open_session(applied.config, transport=sandbox.transport()) as session:
        plan, _ = await make_plan(session)
    # the motor has mappings and the event mapping: it is kept, its unreferenced twin removed
    [removal] = plan.changes
    assert (removal.action, removal.address, removal.server_id) == (Action.DELETE, f"{MOTOR}.twin-{twin_id}",
                                                                    twin_id)
    [warning] = plan.warnings
    assert MOTOR in warning and ids[MOTOR] in warning and twin_id in warning
    for text in (render_text(plan), render_markdown(plan)):
        assert warning in text and f"{MOTOR}.twin-{twin_id}" in text
    assert warning in json.loads(render_json(plan))["warnings"]

    await apply(applied, sandbox, allow_data_loss=True)  # assets bear data: their deletes are gated
    names = [a["assetId"] for a in sandbox.snapshot()["insightsHub"]["assets"]
             if a["name"] == "AcmeMotor" and not a.get("deleted")]  # a soft-deleted one is gone
    assert names == [ids[MOTOR]]
    async with open_session(applied.config, transport=sandbox.transport()) as session:
        plan, _ = await make_plan(session)
    assert not plan.has_changes and plan.warnings == ()


async def test_twins_that_are_both_referenced_are_reported_and_neither_removed(
        applied: Project, sandbox: Sandbox) -> None:
    hub, ids = await by_hand(applied, sandbox)
    plant = await hub.get_asset(ids[PLANT])
    twin = await hub.create_asset({k: plant[k] for k in ("name", "description", "typeId", "parentId")})
    # a child of the twin references it
    await hub.create_asset({"name": "Shed", "typeId": "core.basicarea", "parentId": twin["assetId"]})
    await hub.aclose()

    async with open_session(applied.config, transport=sandbox.transport()) as session:
        plan, _ = await make_plan(session)
    assert not [c for c in plan.changes if c.action is Action.DELETE]
    [warning] = plan.warnings
    assert PLANT in warning and ids[PLANT] in warning and str(twin["assetId"]) in warning
    assert "neither is removed" in warning


async def test_hand_set_location_and_external_id_survive_an_update(applied: Project, sandbox: Sandbox,
                                                                   tmp_path: Path) -> None:
    hub, ids = await by_hand(applied, sandbox)
    location = {"country": "Germany", "locality": "Hamburg", "latitude": 53.55, "longitude": 9.99}
    motor = await hub.get_asset(ids[MOTOR])
    await hub.patch_asset(ids[MOTOR], {"location": location}, motor["etag"])
    plant = await hub.get_asset(ids[PLANT])
    await hub.patch_asset(ids[PLANT], {"externalId": "SAP-4711", "location": location}, plant["etag"])
    agent = "insights_hub.agents.acme-motor-agent"
    agent_asset = await hub.get_asset(ids[agent])
    await hub.patch_asset(ids[agent], {"externalId": "GW-1"}, agent_asset["etag"])
    await hub.aclose()

    # the configuration sets neither field on these assets: the plan does not want them wiped
    root = Path(applied.root)
    path = root / "insights-hub.yaml"
    text = path.read_text()
    text = text.replace("name: Plant Hamburg\n", "name: Plant Hamburg\n      description: Main plant\n", 1)
    text = text.replace("name: AcmeMotor\n", "name: AcmeMotor\n      description: Drive motor\n", 1)
    text = text.replace("name: AcmeMotorAgent\n", "name: AcmeMotorGateway\n", 1)
    path.write_text(text)
    edited = load_project(root)
    async with open_session(edited.config, transport=sandbox.transport()) as session:
        plan, _ = await make_plan(session)
    assert sorted(c.address for c in plan.changes) == sorted([MOTOR, agent, PLANT])
    await apply(edited, sandbox)

    after = {a["assetId"]: a for a in sandbox.snapshot()["insightsHub"]["assets"]}
    assert after[ids[MOTOR]]["location"] == location and after[ids[MOTOR]]["externalId"] == "M-001"
    assert after[ids[MOTOR]]["description"].startswith("Drive motor")
    assert after[ids[PLANT]]["location"] == location and after[ids[PLANT]]["externalId"] == "SAP-4711"
    assert after[ids[agent]]["externalId"] == "GW-1" and after[ids[agent]]["name"] == "AcmeMotorGateway"
    async with open_session(edited.config, transport=sandbox.transport()) as session:
        plan, _ = await make_plan(session)
    assert not plan.has_changes, [c.address for c in plan.changes]


async def test_a_soft_deleted_asset_is_not_live(applied: Project, sandbox: Sandbox) -> None:
    hub, ids = await by_hand(applied, sandbox)
    await hub.aclose()
    # a soft-deleted asset stays listed (to admins) with a `deleted` timestamp: mark the plant's
    # twin that way, as the vendor does (mindconnect-nodejs asset-management.ts DeleteAsset)
    state = sandbox.snapshot()
    plant = next(a for a in state["insightsHub"]["assets"] if a["assetId"] == ids[PLANT])
    ghost = {**plant, "assetId": "d" * 32, "deleted": "2026-01-01T00:00:00Z"}
    state["insightsHub"]["assets"].append(ghost)
    sandbox.load(state)

    async with open_session(applied.config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
    assert not plan.has_changes and plan.warnings == ()
    assert live["insights_hub"].managed[PLANT].server_id == ids[PLANT]
    assert "d" * 32 not in {o.server_id for o in live["insights_hub"].unmanaged}


async def test_each_apply_takes_the_stack_lease_and_gives_it_back(applied: Project, sandbox: Sandbox) -> None:
    lease_id = lease_type_id(applied.config.platforms.insights_hub.tenant,  # type: ignore[union-attr]
                             applied.config.stack)
    [lease] = [t for t in sandbox.snapshot()["insightsHub"]["aspectTypes"] if t["id"] == lease_id]
    assert parse_lease(lease).holder == "free"
    # the lease is provision's bookkeeping: neither managed nor counted as unmanaged by the read
    async with open_session(applied.config, transport=sandbox.transport()) as session:
        _, live = await make_plan(session)
    assert lease_id not in {o.server_id for o in live["insights_hub"].unmanaged}
    assert lease_id not in {r.server_id for r in live["insights_hub"].managed.values()}
