"""Two stacks in one tenant: one owns a type, the other uses it (`external: true`). Both plan clean
again and again (no takeover, no flip-flop); a second owner is a plan error naming the first; a used
type that is missing or lacks what the user relies on is an error; `take_over: true` hands it over."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import copy_example

from provisioner.config import Project, load_project
from provisioner.errors import ProvisionError
from provisioner.model import Action
from provisioner.pipeline import ApplyOptions, apply_plan
from provisioner.plan import Plan
from provisioner.sandbox import Sandbox
from provisioner.session import make_plan, open_session

USED = """\
    Environment:
      external: true              # owned by the quickstart stack
      category: dynamic
      variables:
        Temperature: {type: DOUBLE, unit: C, quality_code: true}
"""
LINE_2 = """\
insights_hub:
  aspect_types:
{types}
  asset_types:
    Pump:
      aspects: {{environment: Environment}}
  assets:
    pump-1: {{name: Pump 1, type: Pump}}
"""


def line_2(tmp_path: Path, types: str = USED) -> Project:
    """A second stack (`line-2`) in the quickstart's tenant, with its own asset type and asset."""
    project = copy_example("quickstart", tmp_path / "line-2")
    for name in ("insights-hub.yaml", "itwin-iot.yaml"):
        (project / name).unlink()
    provision = project / "provision.yaml"
    provision.write_text(provision.read_text().replace("stack: quickstart", "stack: line-2"))
    (project / "line-2.yaml").write_text(LINE_2.format(types=types.rstrip("\n")))
    return load_project(project)


async def plan_of(project: Project, sandbox: Sandbox) -> Plan:
    async with open_session(project.config, transport=sandbox.transport()) as session:
        plan, _ = await make_plan(session)
    return plan


async def apply(project: Project, sandbox: Sandbox) -> None:
    async with open_session(project.config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        report = await apply_plan(session, plan, ApplyOptions(), live=live)
    assert report.ok, (report.failed, report.skipped)


def environment(sandbox: Sandbox) -> dict[str, object]:
    found = [t for t in sandbox.snapshot()["insightsHub"]["aspectTypes"] if t["id"] == "sandbox.Environment"]
    assert len(found) == 1
    return found[0]


async def test_one_stack_owns_a_type_the_other_uses_and_both_plan_clean_repeatedly(
        tmp_path: Path, quickstart: Project, sandbox: Sandbox) -> None:
    await apply(quickstart, sandbox)
    owned = environment(sandbox)
    user = line_2(tmp_path)
    first = await plan_of(user, sandbox)
    assert {(c.address, c.action) for c in first.changes} == {
        ("insights_hub.asset_types.Pump", Action.CREATE), ("insights_hub.assets.pump-1", Action.CREATE)}
    assert first.changes[0].after is not None and first.changes[0].depends_on == ()  # the used type: no node
    await apply(user, sandbox)
    for _ in range(3):
        assert not (await plan_of(quickstart, sandbox)).changes
        assert not (await plan_of(user, sandbox)).changes
    assert environment(sandbox) == owned  # never written by the user
    pump = next(t for t in sandbox.snapshot()["insightsHub"]["assetTypes"] if t["id"] == "sandbox.Pump")
    assert [a["aspectTypeId"] for a in pump["aspects"]] == ["sandbox.Environment"]


async def test_a_second_owner_is_a_plan_error_naming_the_first_and_take_over_hands_it_over(
        tmp_path: Path, quickstart: Project, sandbox: Sandbox) -> None:
    await apply(quickstart, sandbox)
    owning = USED.replace("      external: true              # owned by the quickstart stack\n", "")
    with pytest.raises(ProvisionError) as caught:
        await plan_of(line_2(tmp_path / "a", owning), sandbox)
    text = str(caught.value)
    assert ("insights_hub.aspect_types.Environment: type sandbox.Environment belongs to stack "
            "'quickstart'") in text
    assert "external: true" in text and "take_over: true" in text
    assert environment(sandbox)["description"].endswith("[provision:quickstart/aspect_types.Environment]")

    taking = owning.replace("      category: dynamic\n", "      take_over: true\n      category: dynamic\n")
    plan = await plan_of(line_2(tmp_path / "b", taking), sandbox)
    taken = next(c for c in plan.changes if c.address == "insights_hub.aspect_types.Environment")
    assert taken.action is Action.UPDATE and taken.adopt and taken.server_id == "sandbox.Environment"


async def test_a_used_type_that_is_missing_or_lacks_a_declared_variable_is_an_error(
        tmp_path: Path, quickstart: Project, sandbox: Sandbox) -> None:
    with pytest.raises(ProvisionError) as caught:
        await plan_of(line_2(tmp_path / "a"), sandbox)
    assert ("insights_hub.aspect_types.Environment: external type sandbox.Environment does not exist in "
            "the tenant") in str(caught.value)
    await apply(quickstart, sandbox)
    relied = USED + "        Salinity: {type: DOUBLE, unit: ppt}\n"
    with pytest.raises(ProvisionError) as caught:
        await plan_of(line_2(tmp_path / "b", relied), sandbox)
    assert "is not what this stack relies on: variables.Salinity is missing" in str(caught.value)
    wrong_unit = USED.replace("unit: C,", "unit: K,")
    with pytest.raises(ProvisionError) as caught:
        await plan_of(line_2(tmp_path / "c", wrong_unit), sandbox)
    assert "variables.Temperature.unit is 'C', not 'K'" in str(caught.value)
