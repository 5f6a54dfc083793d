"""An update that committed but whose answer was lost (then 412 on the retry) is reported as applied."""

from __future__ import annotations

from pathlib import Path

from harness import copy_example

from provisioner.config import load_project
from provisioner.model import Action
from provisioner.pipeline import ApplyOptions, apply_plan
from provisioner.sandbox import Sandbox
from provisioner.session import make_plan, open_session


async def _apply(project_dir: Path, sandbox: Sandbox) -> tuple[list[Action], int]:
    config = load_project(project_dir).config
    async with open_session(config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        report = await apply_plan(session, plan, ApplyOptions(), live=live)
        return [c.action for c in plan.changes], report.exit_code()


async def test_committed_then_failed_asset_update_is_not_a_failure(tmp_path: Path, sandbox: Sandbox) -> None:
    project = copy_example("quickstart", tmp_path)
    assert (await _apply(project, sandbox))[1] == 0
    hub = project / "insights-hub.yaml"
    hub.write_text(hub.read_text().replace("name: AcmeMotor\n", "name: AcmeMotor II\n"))

    # every asset write commits, then the answer is lost (5xx or a dropped connection)
    sandbox.faults.set_spec("commit-fail=100%@/api/assetmanagement/v3/assets/*")
    actions, code = await _apply(project, sandbox)
    assert actions == [Action.UPDATE]
    assert code == 0

    sandbox.faults.set_spec("")
    assert await _apply(project, sandbox) == ([], 0)
    names = [a["name"] for a in sandbox.snapshot()["insightsHub"]["assets"]]
    assert names.count("AcmeMotor II") == 1 and "AcmeMotor" not in names
