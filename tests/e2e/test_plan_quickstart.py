"""`provision plan` on the quickstart, in-process against the sandbox through the real providers.

On an empty tenant every resource is a create, listed and executed in dependency order; after
apply nothing is left to do; one changed field in the configuration is one UPDATE naming it.
"""

from __future__ import annotations

from pathlib import Path

from harness import copy_example, plan_of

from provisioner.apply.events import ApplyEvent, EventKind
from provisioner.config import Project, load_project
from provisioner.model import Action
from provisioner.pipeline import ApplyOptions, apply_plan
from provisioner.render import render_json, render_markdown, render_text
from provisioner.sandbox import Sandbox
from provisioner.session import make_plan, open_session

# The order in which each platform's kinds must be created (kinds on one step are unordered).
HUB_ORDER = ("aspect_type", "asset_type", "asset", "agent", "data_source_configuration",
             "data_point_mapping|event_mapping")
ITWIN_ORDER = ("connection", "device", "sensor")


def step(kind: str) -> tuple[str, int]:
    """(platform, position in the creation order) of a kind."""
    platform, name = kind.split(".", 1)
    order = HUB_ORDER if platform == "insights_hub" else ITWIN_ORDER
    return platform, next(i for i, names in enumerate(order) if name in names.split("|"))


async def apply(project: Project, sandbox: Sandbox, events: list[ApplyEvent] | None = None) -> None:
    async with open_session(project.config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        report = await apply_plan(session, plan, ApplyOptions(allow_data_loss=True), live=live,
                                  on_event=events.append if events is not None else None)
    assert report.ok, (report.failed, report.skipped)


def edited(tmp_path: Path, name: str, *replacements: tuple[str, str]) -> Project:
    """The quickstart with text replacements in one file (each must match exactly once)."""
    path = copy_example("quickstart", tmp_path / "edited") / name
    text = path.read_text()
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path.write_text(text)
    return load_project(path.parent)


async def test_empty_tenant_plans_every_resource_as_a_create_in_dependency_order(
        quickstart: Project, sandbox: Sandbox) -> None:
    plan = await plan_of(quickstart, sandbox)
    assert len(plan.changes) == 17
    assert {c.action for c in plan.changes} == {Action.CREATE}
    assert plan.unchanged == 0

    position = {c.address: i for i, c in enumerate(plan.changes)}
    for change in plan.changes:
        assert all(position[dep] < position[change.address] for dep in change.depends_on), change
    for earlier, later in ((a, b) for i, a in enumerate(plan.changes) for b in plan.changes[i + 1:]):
        (p1, s1), (p2, s2) = step(earlier.kind), step(later.kind)
        assert p1 != p2 or s1 <= s2, f"{earlier.address} is listed before {later.address}"

    # the dependencies are the real ones, not an accident of sorting
    deps = {c.address: set(c.depends_on) for c in plan.changes}
    hub = "insights_hub"
    assert deps[f"{hub}.asset_types.Engine"] == {f"{hub}.aspect_types.Environment",
                                                 f"{hub}.aspect_types.Vibration"}
    assert deps[f"{hub}.assets.acme-motor"] == {f"{hub}.asset_types.Engine", f"{hub}.assets.plant"}
    assert deps[f"{hub}.agents.acme-motor-agent"] == {f"{hub}.assets.plant"}
    mappings = [c for c in plan.changes if c.kind == f"{hub}.data_point_mapping"]
    assert len(mappings) == 5
    assert all(deps[m.address] == {f"{hub}.agents.acme-motor-agent.data_sources", f"{hub}.assets.acme-motor"}
               for m in mappings)
    conn = "itwin_iot.connections.north"
    assert deps[f"{conn}.devices.logger-2"] == {conn}
    assert deps[f"{conn}.devices.logger-2.sensors.tilt-1"] == {f"{conn}.devices.logger-2"}


async def test_apply_runs_in_dependency_order_and_then_the_plan_is_empty(
        quickstart: Project, sandbox: Sandbox) -> None:
    plan = await plan_of(quickstart, sandbox)
    events: list[ApplyEvent] = []
    await apply(quickstart, sandbox, events)
    finished = [e.node.address for e in events if e.kind is EventKind.FINISHED]
    started = {e.node.address: i for i, e in enumerate(events) if e.kind is EventKind.STARTED}
    done_at = {e.node.address: i for i, e in enumerate(events) if e.kind is EventKind.FINISHED}
    assert sorted(finished) == sorted(c.address for c in plan.changes)
    for change in plan.changes:
        assert all(done_at[dep] < started[change.address] for dep in change.depends_on), change.address

    again = await plan_of(quickstart, sandbox)
    assert again.changes == ()
    assert again.unchanged == 17
    assert render_text(again).startswith("No changes.")


async def test_text_plan_of_a_create_shows_only_the_fields_it_sets(
        quickstart: Project, sandbox: Sandbox) -> None:
    text = render_text(await plan_of(quickstart, sandbox))
    assert "(none) → (none)" not in text
    assert "null" not in text  # unset nested values (a variable's length, default) are left out too
    block = text.split("+ insights_hub.assets.plant (insights_hub.asset)\n", 1)[1].split("\n\n", 1)[0]
    assert block.splitlines() == [
        '    name = "Plant Hamburg"',
        '    parent = "root"',
        '    twin_type = "performance"',
        '    type = "core.basicsite"',
    ]
    assert "→" not in text  # a create shows what it sets, not a before → after


async def test_one_changed_variable_field_is_one_update_naming_that_field(
        tmp_path: Path, sandbox: Sandbox, quickstart: Project) -> None:
    await apply(quickstart, sandbox)
    # (an aspect variable's unit must move with its data point's: the config validator refuses one alone)
    changed = edited(tmp_path, "insights-hub.yaml",
                     ("SerialNo: {type: STRING, length: 64}", "SerialNo: {type: STRING, length: 128}"))
    plan = await plan_of(changed, sandbox)
    (change,) = plan.changes
    assert (change.action, change.address) == (Action.UPDATE, "insights_hub.asset_types.Engine")
    assert [(f.path, f.before, f.after) for f in change.fields] == [("variables.SerialNo.length", 64, 128)]
    assert plan.unchanged == 16
    assert "    variables.SerialNo.length: 64 → 128" in render_text(plan).splitlines()
    assert "variables.SerialNo.length: 64 → 128" in render_markdown(plan)
    assert '"path": "variables.SerialNo.length"' in render_json(plan)

    await apply(changed, sandbox)
    assert (await plan_of(changed, sandbox)).changes == ()


async def test_one_changed_unit_moves_the_aspect_variable_and_its_data_point_together(
        tmp_path: Path, sandbox: Sandbox, quickstart: Project) -> None:
    await apply(quickstart, sandbox)
    changed = edited(tmp_path, "insights-hub.yaml",
                     ("Pressure: {type: DOUBLE, unit: kPa}", "Pressure: {type: DOUBLE, unit: hPa}"),
                     ("{name: Pressure, type: DOUBLE, unit: kPa}",
                      "{name: Pressure, type: DOUBLE, unit: hPa}"))
    plan = await plan_of(changed, sandbox)
    fields = {c.address: [(f.path, f.before, f.after) for f in c.fields] for c in plan.changes}
    assert {c.action for c in plan.changes} == {Action.UPDATE}
    assert fields == {
        "insights_hub.aspect_types.Environment": [("variables.Pressure.unit", "kPa", "hPa")],
        "insights_hub.agents.acme-motor-agent.data_sources": [
            ("data_sources.Environment.data_points.DP-Pressure.unit", "kPa", "hPa")],
    }
    await apply(changed, sandbox)
    assert (await plan_of(changed, sandbox)).changes == ()


async def test_one_renamed_asset_is_one_update_naming_that_field(tmp_path: Path, sandbox: Sandbox,
                                                                 quickstart: Project) -> None:
    await apply(quickstart, sandbox)
    changed = edited(tmp_path, "insights-hub.yaml", ("name: AcmeMotor\n", "name: AcmeMotor II\n"))
    (change,) = (await plan_of(changed, sandbox)).changes
    assert (change.action, change.address) == (Action.UPDATE, "insights_hub.assets.acme-motor")
    assert [(f.path, f.before, f.after) for f in change.fields] == [("name", "AcmeMotor", "AcmeMotor II")]

    await apply(changed, sandbox)
    assert (await plan_of(changed, sandbox)).changes == ()


async def test_one_changed_sensor_name_is_one_update_naming_that_field(tmp_path: Path, sandbox: Sandbox,
                                                                       quickstart: Project) -> None:
    await apply(quickstart, sandbox)
    changed = edited(tmp_path, "itwin-iot.yaml", ("name: North Sector Tilt 2-2", "name: Tilt East"))
    (change,) = (await plan_of(changed, sandbox)).changes
    assert (change.action, change.address) == (
        Action.UPDATE, "itwin_iot.connections.north.devices.logger-2.sensors.tilt-2")
    assert [(f.path, f.before, f.after) for f in change.fields] == [("name", "North Sector Tilt 2-2",
                                                                     "Tilt East")]
    await apply(changed, sandbox)
    assert (await plan_of(changed, sandbox)).changes == ()
