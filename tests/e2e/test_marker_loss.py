"""Issue 13, must-show 5: when an object's owner marker is lost (its description edited by hand), the
create of a twin with the same name and parent is refused with the object's id and the fix (`id:`
pin or `provision import`), unless --allow-duplicate-names; with the pin the plan adopts it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import copy_example, plan_of

from provisioner.config import Project, load_project
from provisioner.model import Action
from provisioner.pipeline import ApplyOptions, UnsafePlanError, apply_plan
from provisioner.render import render_text
from provisioner.sandbox import Sandbox
from provisioner.session import make_plan, open_session

HUB = "insights_hub"
MOTOR = f"{HUB}.assets.acme-motor"
AGENT = f"{HUB}.agents.acme-motor-agent"


async def lose_markers(project: Project, sandbox: Sandbox,
                       names: tuple[str, ...] = ("AcmeMotor", "AcmeMotorAgent")) -> dict[str, str]:
    """Overwrite the descriptions of these assets (AcmeMotor and the agent's asset), as someone in
    Asset Manager would; their ids by name."""
    ids = {}
    async with open_session(project.config, transport=sandbox.transport()) as session:
        assert session.hub is not None
        for asset in await session.hub.list_assets():
            if asset["name"] in names:
                await session.hub.patch_asset(asset["assetId"], {"description": "edited by hand"},
                                              asset["etag"])
                ids[asset["name"]] = asset["assetId"]
    return ids


async def test_a_twin_of_an_object_whose_marker_was_lost_is_refused(
        tmp_path: Path, quickstart: Project, sandbox: Sandbox) -> None:
    async with open_session(quickstart.config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        assert (await apply_plan(session, plan, ApplyOptions(force=True), live=live)).ok
    ids = await lose_markers(quickstart, sandbox)

    plan = await plan_of(quickstart, sandbox)
    by_address = {c.address: c for c in plan.changes}
    for address, name in ((MOTOR, "AcmeMotor"), (AGENT, "AcmeMotorAgent")):
        assert by_address[address].action is Action.CREATE and by_address[address].duplicate_of == ids[name]
    assert f"pin it with `id: {ids['AcmeMotor']}` or run `provision import`" in render_text(plan)

    async with open_session(quickstart.config, transport=sandbox.transport()) as session:
        assert session.hub is not None
        before = len(await session.hub.list_assets())
        with pytest.raises(UnsafePlanError) as refused:
            await apply_plan(session, plan, ApplyOptions(force=True, allow_data_loss=True))
        assert len(await session.hub.list_assets()) == before  # nothing written
    [violation] = [v for v in refused.value.violations if v.rule == "duplicate-name"]
    assert violation.override == "--allow-duplicate-names"
    assert set(violation.addresses) == {MOTOR, AGENT}
    assert f"{MOTOR}: existing object {ids['AcmeMotor']} (add `id: {ids['AcmeMotor']}`)" in violation.message

    # the fix the message names: pin the ids, and the plan adopts them instead of creating twins
    project = copy_example("quickstart", tmp_path / "pinned")
    hub = project / "insights-hub.yaml"
    text = hub.read_text()
    pins = (("      external_id: M-001\n", "AcmeMotor"), ("      name: AcmeMotorAgent\n", "AcmeMotorAgent"))
    for line, name in pins:
        text = text.replace(line, f"{line}      id: {ids[name]}\n")
    hub.write_text(text)
    pinned = load_project(project)
    plan = await plan_of(pinned, sandbox)
    assert not any(c.action is Action.CREATE or c.duplicate_of for c in plan.changes)
    assert {c.address for c in plan.changes if c.adopt} >= {MOTOR, AGENT}


async def test_allow_duplicate_names_creates_the_second_object(quickstart: Project, sandbox: Sandbox) -> None:
    """(An agent of the same name the service refuses itself: agent names are unique.)"""
    async with open_session(quickstart.config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        assert (await apply_plan(session, plan, ApplyOptions(force=True), live=live)).ok
    ids = await lose_markers(quickstart, sandbox, ("AcmeMotor",))
    async with open_session(quickstart.config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        options = ApplyOptions(force=True, allow_duplicate_names=True, allow_data_loss=True)
        report = await apply_plan(session, plan, options,
                                  live=live)
        assert report.ok, (report.failed, report.skipped)
        assert session.hub is not None
        motors = [a for a in await session.hub.list_assets() if a["name"] == "AcmeMotor"]
    assert len(motors) == 2 and ids["AcmeMotor"] in {m["assetId"] for m in motors}
    assert not (await plan_of(quickstart, sandbox)).has_changes
