"""Issue 13, must-show 4: two stacks in one tenant, one owning and one using a type.

The quickstart stack owns the aspect types and the Engine asset type. A second stack declares
them `external: true` and has an Engine asset of its own: both stacks plan clean, again and
again (no takeover, no flip-flop). A third stack that declares the type as its own gets a plan
error naming the owner; `take_over_from` hands it over explicitly.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from harness import apply_project as apply
from harness import copy_example, plan_of

from provisioner.config import Project, load_project
from provisioner.errors import ProvisionError
from provisioner.model import Action
from provisioner.sandbox import Sandbox

HUB = "insights_hub"
TYPES = """insights_hub:
  aspect_types:
    Environment:
      {marker}
      category: dynamic
      variables:
        Temperature: {{type: DOUBLE, unit: C, quality_code: true}}
  asset_types:
    Engine:
      {marker}
      aspects: {{environment: Environment}}
  assets:
    pump-b: {{name: PumpB, type: Engine, parent: root}}
"""


def stack(tmp_path: Path, name: str, marker: str) -> Project:
    """A project of stack `name` on the quickstart's platforms, declaring the two types with `marker`."""
    project = copy_example("quickstart", tmp_path / name)
    for extra in ("insights-hub.yaml", "itwin-iot.yaml"):
        (project / extra).unlink()
    settings = project / "provision.yaml"
    settings.write_text(settings.read_text().replace("stack: quickstart", f"stack: {name}"))
    (project / "types.yaml").write_text(TYPES.format(marker=marker))
    shutil.rmtree(project / "env", ignore_errors=True)
    return load_project(project)


async def test_one_stack_owns_a_type_another_uses_it_both_plan_clean(
        tmp_path: Path, quickstart: Project, sandbox: Sandbox) -> None:
    await apply(quickstart, sandbox)
    user = stack(tmp_path, "plant-b", "external: true")
    applied = await apply(user, sandbox)
    assert [(c.address, c.action) for c in applied.changes] == [(f"{HUB}.assets.pump-b", Action.CREATE)]
    for _ in range(3):
        for project in (quickstart, user):
            plan = await plan_of(project, sandbox)
            assert not plan.has_changes, (project.config.stack, [c.address for c in plan.changes])


async def test_an_external_type_must_hold_what_is_declared(tmp_path: Path, quickstart: Project,
                                                           sandbox: Sandbox) -> None:
    await apply(quickstart, sandbox)
    project = copy_example("quickstart", tmp_path / "plant-d")
    for extra in ("insights-hub.yaml", "itwin-iot.yaml"):
        (project / extra).unlink()
    settings = project / "provision.yaml"
    settings.write_text(settings.read_text().replace("stack: quickstart", "stack: plant-d"))
    (project / "types.yaml").write_text(TYPES.format(marker="external: true").replace(
        "unit: C, quality_code: true", "unit: K, quality_code: true"))
    with pytest.raises(ProvisionError) as error:
        await plan_of(load_project(project), sandbox)
    assert (f"{HUB}.aspect_types.Environment (external): variable Temperature has unit 'C' live, 'K' declared"
            in str(error.value))


async def test_a_second_owner_is_a_plan_error_naming_the_first(
        tmp_path: Path, quickstart: Project, sandbox: Sandbox) -> None:
    await apply(quickstart, sandbox)
    rival = stack(tmp_path, "plant-c", "description: mine now")
    with pytest.raises(ProvisionError) as error:
        await plan_of(rival, sandbox)
    message = str(error.value)
    assert "the type sandbox.Environment belongs to stack 'quickstart'" in message
    assert "`external: true`" in message and "take_over_from: quickstart" in message
    assert "sandbox.Engine belongs to stack 'quickstart'" in message

    heir = stack(tmp_path, "plant-e", "take_over_from: quickstart")
    plan = await plan_of(heir, sandbox)
    by_address = {c.address: c for c in plan.changes}
    assert by_address[f"{HUB}.aspect_types.Environment"].adopt
    assert by_address[f"{HUB}.asset_types.Engine"].adopt
