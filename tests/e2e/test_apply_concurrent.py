"""Issue 5, must-show 6: two applies of one configuration at once leave one copy of everything.

Two sessions with their own clients plan against the same empty sandbox (both plans create
everything), then apply at the same time; latency makes their requests interleave. The stack's
apply lease lets one write at a time; the other waits, sees that the lease moved since its read,
and takes over what the first made (found by its lookup before each create, or a conflict on a
type), so neither fails, nothing exists twice, nothing is lost, and the next plan is empty.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fleetgen import drift, duplicates, make_fleet

from provisioner.apply.report import Report
from provisioner.config import ProjectConfig, load_project
from provisioner.pipeline import ApplyOptions, apply_plan
from provisioner.sandbox import Sandbox, SandboxSettings
from provisioner.session import make_plan, open_session

SITES = 3


async def racer(config: ProjectConfig, sandbox: Sandbox, planned: asyncio.Barrier, stagger: float) -> Report:
    async with open_session(config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        assert len(plan.changes) == SITES * 15 + 4  # both see an empty sandbox: create everything
        await planned.wait()
        await asyncio.sleep(stagger)
        return await apply_plan(session, plan, ApplyOptions(), live=live)


@pytest.mark.parametrize("stagger", [0.0, 0.013, 0.05])
async def test_two_applies_at_once_leave_one_copy_of_everything(tmp_path: Path, stagger: float) -> None:
    config = load_project(make_fleet(tmp_path / "fleet", SITES)).config
    sandbox = Sandbox(SandboxSettings(boarding_delay_s=0.0, latency_ms=5.0))
    planned = asyncio.Barrier(2)

    first, second = await asyncio.gather(racer(config, sandbox, planned, 0.0),
                                         racer(config, sandbox, planned, stagger))

    for report in (first, second):
        assert report.ok, (report.failed, report.skipped)
    snapshot = sandbox.snapshot()
    assert duplicates(snapshot) == {}
    hub = snapshot["insightsHub"]
    # 2 assets per site, plus each agent's core.mclib asset, plus the tenant root
    assert len(hub["assets"]) == 3 * SITES + 1
    assert len(hub["dataPointMappings"]) == 6 * SITES
    assert len(snapshot["itwin"]["entities"]) == 5 * SITES  # 4 per site and each connection's marker
    async with open_session(config, transport=sandbox.transport()) as session:
        plan, _ = await make_plan(session)
        assert not plan.has_changes, [c.address for c in plan.changes]
        assert await drift(session) == []
