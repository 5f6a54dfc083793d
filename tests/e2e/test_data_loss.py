"""Issue 13, must-show 1: every edit that destroys stored data is data-destructive, listed first in
text, Markdown and JSON, refused without --allow-data-loss, and names what is lost, with the
affected assets counted from the live tenant (a hand-made asset of the type included).

The quickstart plus three more Engine assets is applied to the in-process sandbox, one Engine
asset is made by hand beside them; then each edit is planned and gated on its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from harness import copy_example, plan_of

from provisioner.config import load_project
from provisioner.pipeline import ApplyOptions, UnsafePlanError, apply_plan, gate
from provisioner.render import render_json, render_markdown, render_text
from provisioner.sandbox import Sandbox
from provisioner.session import make_plan, open_session

HUB = "insights_hub"
ENVIRONMENT = f"{HUB}.aspect_types.Environment"
ENGINE = f"{HUB}.asset_types.Engine"
AGENT = f"{HUB}.agents.acme-motor-agent"
EXTRA_ASSETS = "".join(
    f"    pump-{i}: {{name: Pump{i}, type: Engine, parent: plant}}\n" for i in range(1, 4))
MAPPING = "        - {{data_point: DP-{0}, asset: acme-motor, aspect: {1}, variable: {0}}}\n"
PROFILE = "      security_profile: SHARED_SECRET\n"
ENGINE_ASSETS = 5  # acme-motor, pump-1..3 and one made by hand


def edit(path: Path, *pairs: tuple[str, str]) -> None:
    text = path.read_text()
    for old, new in pairs:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path.write_text(text)


def base(tmp_path: Path, name: str) -> Path:
    project = copy_example("quickstart", tmp_path / name)
    edit(project / "insights-hub.yaml", ("  agents:\n", EXTRA_ASSETS + "\n  agents:\n"))
    return project


@pytest.fixture
async def applied(tmp_path: Path, sandbox: Sandbox) -> Sandbox:
    project = load_project(base(tmp_path, "base"))
    async with open_session(project.config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        report = await apply_plan(session, plan, ApplyOptions(force=True), live=live)
        assert report.ok
        assert session.hub is not None
        assets = await session.hub.list_assets()
        plant_id = next(a["assetId"] for a in assets if a["name"] == "Plant Hamburg")
        await session.hub.create_asset({"name": "HandMadeEngine", "typeId": "sandbox.Engine",
                                        "parentId": plant_id})
    return sandbox


Edit = Callable[[Path], None]


def remove_humidity(project: Path) -> None:
    edit(project / "insights-hub.yaml",
         ('        Humidity: {type: INT, unit: "%"}\n', ""),
         ('            DP-Humidity: {name: Humidity, type: INT, unit: "%"}\n', ""),
         (MAPPING.format("Humidity", "environment"), ""))


def rename_humidity(project: Path) -> None:
    edit(project / "insights-hub.yaml",
         ('        Humidity: {type: INT, unit: "%"}\n', '        RelHumidity: {type: INT, unit: "%"}\n'),
         ("variable: Humidity}", "variable: RelHumidity}"))


def pressure_in_bar(project: Path) -> None:
    edit(project / "insights-hub.yaml",
         ("        Pressure: {type: DOUBLE, unit: kPa}\n", "        Pressure: {type: DOUBLE, unit: bar}\n"),
         ("{name: Pressure, type: DOUBLE, unit: kPa}", "{name: Pressure, type: DOUBLE, unit: bar}"))


def drop_vibration_aspect(project: Path) -> None:
    edit(project / "insights-hub.yaml",
         ("        vibration: Vibration\n", ""),
         (MAPPING.format("Acceleration", "vibration"), ""),
         (MAPPING.format("Frequency", "vibration"), ""))


def drop_serial_variable(project: Path) -> None:
    edit(project / "insights-hub.yaml",
         ("      variables:\n        SerialNo: {type: STRING, length: 64}\n", ""),
         ("      variables: {SerialNo: SN-42}\n", ""))


def delete_asset(project: Path) -> None:
    edit(project / "insights-hub.yaml", ("    pump-3: {name: Pump3, type: Engine, parent: plant}\n", ""))


def delete_mapping(project: Path) -> None:
    """(Mappings carry no marker: only an agent that prunes deletes the ones not declared.)"""
    edit(project / "insights-hub.yaml",
         (PROFILE, PROFILE + "      prune_mappings: true\n"),
         (MAPPING.format("Pressure", "environment"), ""))


def delete_agent(project: Path) -> None:
    text = (project / "insights-hub.yaml").read_text()
    (project / "insights-hub.yaml").write_text(text[:text.index("  agents:\n")])


CASES: dict[str, tuple[Edit, str, str]] = {
    "variable removed": (remove_humidity, ENVIRONMENT,
                         f"history of variable Humidity on {ENGINE_ASSETS} assets of type Engine"),
    "variable renamed": (rename_humidity, ENVIRONMENT,
                         f"history of variable Humidity on {ENGINE_ASSETS} assets of type Engine"),
    "unit changed": (pressure_in_bar, ENVIRONMENT, f"history of variable Pressure on {ENGINE_ASSETS} "
                                                   "assets of type Engine: unit kPa -> bar"),
    "aspect removed": (drop_vibration_aspect, ENGINE,
                       f"history of aspect vibration on {ENGINE_ASSETS} assets of type Engine"),
    "asset-type variable removed": (drop_serial_variable, ENGINE,
                                    f"values of variable SerialNo on {ENGINE_ASSETS} assets of type Engine"),
    "asset deleted": (delete_asset, f"{HUB}.assets.pump-3", "time series of asset Pump3"),
    "mapping deleted": (delete_mapping, f"{AGENT}.mappings.DP-Pressure.acme-motor.environment.Pressure",
                        f"variable Pressure of aspect environment on {HUB}.assets.acme-motor receives"),
    "agent deleted": (delete_agent, AGENT, "agent AcmeMotorAgent"),
}


@pytest.mark.parametrize("case", sorted(CASES))
async def test_each_destructive_edit_is_flagged_named_and_refused(
        case: str, tmp_path: Path, applied: Sandbox) -> None:
    change_edit, address, loss = CASES[case]
    project = base(tmp_path, "edited")
    change_edit(project)
    plan = await plan_of(load_project(project), applied)
    by_address = {c.address: c for c in plan.changes}
    change = by_address[address]
    assert change.data_destructive, change
    assert any(loss in text for text in change.data_loss), change.data_loss

    text = render_text(plan)
    first_row = text.index("\n\n")  # the summary ends where the first change begins
    assert text.index("[DATA LOSS]") < first_row and text.index(loss) < first_row
    markdown = render_markdown(plan)
    assert markdown.index("**DATA LOSS**") < markdown.index("| Platform |") and loss in markdown
    document = json.loads(render_json(plan))
    listed = {entry["address"]: entry["losses"] for entry in document["summary"]["data_loss"]}
    assert any(loss in text for text in listed[address])
    assert any(loss in text for text in next(c for c in document["changes"]
                                              if c["address"] == address)["data_loss"])

    with pytest.raises(UnsafePlanError) as refused:
        gate(plan, ApplyOptions(force=True))
    [violation] = refused.value.violations
    assert violation.override == "--allow-data-loss" and address in violation.addresses
    assert loss in violation.message
    gate(plan, ApplyOptions(force=True, allow_data_loss=True))


async def test_edits_that_destroy_nothing_are_not_flagged(tmp_path: Path, applied: Sandbox) -> None:
    project = base(tmp_path, "edited")
    edit(project / "insights-hub.yaml",
         ("        Frequency: {type: DOUBLE, unit: Hz}\n",
          "        Frequency: {type: DOUBLE, unit: Hz}\n        Rpm: {type: DOUBLE, unit: Hz}\n"),
         ("      description: Ambient conditions\n", "      description: Ambient conditions, per shaft\n"))
    plan = await plan_of(load_project(project), applied)
    assert {c.address for c in plan.changes} == {ENVIRONMENT, f"{HUB}.aspect_types.Vibration"}
    assert not any(c.data_destructive or c.data_loss for c in plan.changes)
    assert "[DATA LOSS]" not in render_text(plan)
