"""Issue 11: iTwin connection identity does not depend on node refId/props at creation.

On the default (faithful) sandbox, integrate ignores node-level refId and props and names the
node itself, as the seed's own example shows. Quickstart and fleet converge there (the plan after
apply is empty), a second apply creates no connection, device or sensor, and a server that caps
list pages silently below the requested size truncates nothing. The engine also survives the old
inference (`itwin_node_props_at_creation`).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from fleetgen import drift, duplicates, make_fleet
from harness import copy_example

from provisioner.config import Project, load_project
from provisioner.pipeline import ApplyOptions, apply_plan
from provisioner.sandbox import Sandbox, SandboxSettings
from provisioner.session import make_plan, open_session


def itwin_counts(sandbox: Sandbox) -> Counter[str]:
    """iTwin entities in the sandbox by kind."""
    return Counter(e["kind"] for e in sandbox.snapshot()["itwin"]["entities"])


async def apply(project: Project, sandbox: Sandbox) -> int:
    """Plan and apply; returns the number of planned changes."""
    async with open_session(project.config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        report = await apply_plan(session, plan, ApplyOptions(), live=live)
    assert report.ok, (report.failed, report.skipped)
    return len(plan.changes)


async def assert_converged(project: Project, sandbox: Sandbox) -> None:
    async with open_session(project.config, transport=sandbox.transport()) as session:
        plan, _ = await make_plan(session)
        assert not plan.has_changes, [(c.action.value, c.address) for c in plan.changes]
        assert await drift(session) == []


@pytest.mark.parametrize("node_props", [False, True], ids=["faithful", "node-props-inference"])
async def test_quickstart_converges_and_a_second_apply_creates_nothing(
        tmp_path: Path, node_props: bool) -> None:
    project = load_project(copy_example("quickstart", tmp_path))
    sandbox = Sandbox(SandboxSettings(boarding_delay_s=0.0, itwin_node_props_at_creation=node_props))
    assert sandbox.itwin.settings.node_props_at_creation is node_props
    assert await apply(project, sandbox) > 0
    # connection, its marker device, the configured device and its two sensors
    created = itwin_counts(sandbox)
    assert created == {"node": 1, "device": 2, "sensor": 2}
    await assert_converged(project, sandbox)

    assert await apply(project, sandbox) == 0
    assert itwin_counts(sandbox) == created
    (node,) = [e for e in sandbox.snapshot()["itwin"]["entities"] if e["kind"] == "node"]
    segment = node["id"].split("/")[2]
    assert node["props"]["SERIAL_NO"] == segment  # named by the service, never by the client
    assert node["props"]["NAME"] == "North Sector"  # the configured name, set by a node update


async def test_fleet_converges_and_a_second_apply_creates_nothing(tmp_path: Path) -> None:
    sites = 4
    project = load_project(make_fleet(tmp_path / "fleet", sites))
    sandbox = Sandbox(SandboxSettings(boarding_delay_s=0.0))
    await apply(project, sandbox)
    created = itwin_counts(sandbox)
    assert created == {"node": sites, "device": 2 * sites, "sensor": 2 * sites}
    await assert_converged(project, sandbox)
    assert await apply(project, sandbox) == 0
    assert itwin_counts(sandbox) == created
    assert duplicates(sandbox.snapshot()) == {}


async def test_a_silent_page_cap_truncates_no_read(tmp_path: Path) -> None:
    """Pages of 3 whatever pageSize (100) asks: a client stopping on a short page would see 3
    of each kind and plan the rest as creates."""
    sites = 5
    project = load_project(make_fleet(tmp_path / "fleet", sites))
    sandbox = Sandbox(SandboxSettings(boarding_delay_s=0.0))
    sandbox.itwin.settings.silent_page_cap = 3
    await apply(project, sandbox)
    created = itwin_counts(sandbox)
    assert created == {"node": sites, "device": 2 * sites, "sensor": 2 * sites}
    await assert_converged(project, sandbox)
    assert await apply(project, sandbox) == 0
    assert itwin_counts(sandbox) == created


async def test_a_service_refusing_node_updates_gets_no_second_connection(tmp_path: Path) -> None:
    """The stricter alternative to the node-update inference: the apply says what failed and why,
    the connection and its subtree exist once, and a re-apply creates nothing more."""
    project = load_project(copy_example("quickstart", tmp_path))
    sandbox = Sandbox(SandboxSettings(boarding_delay_s=0.0, itwin_node_updates=False))
    for _ in range(2):
        async with open_session(project.config, transport=sandbox.transport()) as session:
            plan, live = await make_plan(session)
            report = await apply_plan(session, plan, ApplyOptions(), live=live)
        assert list(report.failed) == ["itwin_iot.connections.north"], report.failed
        assert "refused to set the name" in report.failed["itwin_iot.connections.north"]
        assert itwin_counts(sandbox) == {"node": 1, "device": 2, "sensor": 2}
