"""A variable's data type cannot change in place: the plan replaces the aspect type and shows
every dependent it forces (asset type, asset, mappings), marked data-destructive in every format;
applying it (with allow_data_loss) converges.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from harness import copy_example, plan_of

from provisioner.config import Project, load_project
from provisioner.model import Action
from provisioner.pipeline import ApplyOptions, UnsafePlanError, apply_plan
from provisioner.render import render_json, render_markdown, render_text
from provisioner.sandbox import Sandbox, SandboxSettings
from provisioner.session import make_plan, open_session

HUB = "insights_hub"
ASPECT = f"{HUB}.aspect_types.Environment"
AGENT = f"{HUB}.agents.acme-motor-agent"
FORCED = {f"{HUB}.asset_types.Engine", f"{HUB}.assets.acme-motor"}


async def apply(project: Project, sandbox: Sandbox, *, allow_data_loss: bool = True) -> None:
    """Apply with --force (a replace of most of a small tenant crosses the safety threshold)."""
    options = ApplyOptions(allow_data_loss=allow_data_loss, force=True)
    async with open_session(project.config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        report = await apply_plan(session, plan, options, live=live)
    assert report.ok, (report.failed, report.skipped)


def humidity_as_double(tmp_path: Path) -> Project:
    """The quickstart with Humidity (aspect variable and its data point) INT -> DOUBLE."""
    path = copy_example("quickstart", tmp_path / "changed") / "insights-hub.yaml"
    text = path.read_text()
    for old, new in (('Humidity: {type: INT, unit: "%"}', 'Humidity: {type: DOUBLE, unit: "%"}'),
                     ('{name: Humidity, type: INT, unit: "%"}', '{name: Humidity, type: DOUBLE, unit: "%"}')):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path.write_text(text)
    return load_project(path.parent)


async def test_data_type_change_replaces_the_aspect_type_and_its_dependents(
        tmp_path: Path, quickstart: Project, sandbox: Sandbox) -> None:
    await apply(quickstart, sandbox)
    changed = humidity_as_double(tmp_path)
    plan = await plan_of(changed, sandbox)
    by_address = {c.address: c for c in plan.changes}

    aspect = by_address[ASPECT]
    assert aspect.action is Action.REPLACE
    assert [(f.path, f.before, f.after) for f in aspect.fields] == [
        ("variables.Humidity.type", "INT", "DOUBLE")]
    reasons = aspect.reasons
    assert any("dataType changed (variables.Humidity.type) forces replacement" in r for r in reasons), reasons

    mappings = {a for a, c in by_address.items() if c.kind == f"{HUB}.data_point_mapping"}
    event_mappings = {a for a, c in by_address.items() if c.kind == f"{HUB}.event_mapping"}
    assert len(mappings) == 5 and len(event_mappings) == 1
    replaced = {a for a, c in by_address.items() if c.action is Action.REPLACE}
    assert replaced == {ASPECT, *FORCED, *mappings, *event_mappings}
    for address in replaced - {ASPECT}:
        assert any(r.startswith("replaced because") for r in by_address[address].reasons), address
    assert "replaced because insights_hub.aspect_types.Environment is replaced" in " ".join(
        by_address[f"{HUB}.asset_types.Engine"].reasons)
    # the data point's type is an in-place update of the data source configuration
    dsc = by_address[f"{AGENT}.data_sources"]
    assert dsc.action is Action.UPDATE
    assert [f.path for f in dsc.fields] == ["data_sources.Environment.data_points.DP-Humidity.type"]
    # untouched: the other aspect type, the plant, the agent and all of iTwin
    assert f"{HUB}.aspect_types.Vibration" not in by_address and AGENT not in by_address
    assert not any(a.startswith("itwin_iot.") for a in by_address)

    destructive = {c.address for c in plan.changes if c.data_destructive}
    assert {ASPECT, f"{HUB}.assets.acme-motor"} <= destructive
    assert destructive <= replaced

    # text: the cause (path and both types) and every data-destructive step
    text = render_text(plan)
    lines = text.splitlines()
    assert lines[0] == "Plan: 0 to create, 1 to update, 9 to replace, 0 to delete, 7 unchanged."
    assert f"-+ {ASPECT} ({HUB}.aspect_type) [DATA LOSS]" in lines
    assert '    variables.Humidity.type: "INT" → "DOUBLE"' in lines
    assert any(line.startswith("    # ") and "variables.Humidity.type" in line for line in lines)
    data_loss = lines.index(next(line for line in lines if line.startswith("[DATA LOSS]")))
    block = []
    for line in lines[data_loss + 1:]:
        if not line.startswith("  "):
            break
        block.append(line)
    listed = {line.strip() for line in block if not line.lstrip().startswith("- ")}
    assert listed == destructive
    assert "    - history of every variable of aspect type Environment on 1 asset of type Engine" in block
    for address in destructive:
        assert any(line.startswith(f"-+ {address} (") and line.endswith("[DATA LOSS]") for line in lines)

    # markdown: a caution block naming each data-destructive address
    markdown = render_markdown(plan)
    caution = markdown.split("> [!CAUTION]", 1)[1].split("\n\n", 1)[0]
    assert "DATA LOSS" in caution
    assert all(f"`{address}`" in caution for address in destructive)
    assert 'variables.Humidity.type: "INT" → "DOUBLE"' in markdown

    # json: flags per change and the summary list
    doc = json.loads(render_json(plan))
    assert set(doc["summary"]["data_destructive"]) == destructive
    flags = {c["address"]: c["data_destructive"] for c in doc["changes"]}
    assert {a for a, on in flags.items() if on} == destructive
    (row,) = [c for c in doc["changes"] if c["address"] == ASPECT]
    assert row["action"] == "replace"
    assert row["fields"] == [{"path": "variables.Humidity.type", "before": "INT", "after": "DOUBLE"}]


async def test_replace_is_refused_without_allow_data_loss_and_converges_with_it(
        tmp_path: Path, quickstart: Project) -> None:
    sandbox = Sandbox(SandboxSettings(boarding_delay_s=0.0))
    await apply(quickstart, sandbox)
    changed = humidity_as_double(tmp_path)
    before = sandbox.snapshot()
    with pytest.raises(UnsafePlanError, match="allow-data-loss"):
        await apply(changed, sandbox, allow_data_loss=False)
    assert sandbox.snapshot() == before  # nothing was written

    await apply(changed, sandbox)
    again = await plan_of(changed, sandbox)
    assert again.changes == ()
    assert again.unchanged == 17

    async with open_session(changed.config, transport=sandbox.transport()) as session:
        assert session.hub is not None
        live = await session.hub.get_aspect_type("sandbox.Environment")
    assert {v["name"]: v["dataType"] for v in live["variables"]}["Humidity"] == "DOUBLE"
