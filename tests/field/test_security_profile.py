"""`security_profile` in YAML: a change cannot be made in place (the device needs new boarding
material), so the plan shows the agent as a replace, with the data sources and mappings it forces."""

from __future__ import annotations

from pathlib import Path

from harness import copy_example

from provisioner.config import Project, load_project
from provisioner.model import Action
from provisioner.pipeline import ApplyOptions, apply_plan
from provisioner.render import render_text
from provisioner.sandbox import Sandbox
from provisioner.session import make_plan, open_session

AGENT = "insights_hub.agents.acme-motor-agent"


async def test_a_security_profile_change_is_planned_as_a_replace(
    tmp_path: Path, quickstart: Project, sandbox: Sandbox
) -> None:
    async with open_session(quickstart.config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        assert (await apply_plan(session, plan, ApplyOptions(), live=live)).ok
    path = copy_example("quickstart", tmp_path / "rsa") / "insights-hub.yaml"
    text = path.read_text()
    assert text.count("security_profile: SHARED_SECRET") == 1
    path.write_text(text.replace("security_profile: SHARED_SECRET", "security_profile: RSA_3072"))
    changed = load_project(path.parent)
    async with open_session(changed.config, transport=sandbox.transport()) as session:
        plan, _ = await make_plan(session)
    by_address = {c.address: c for c in plan.changes}
    assert by_address[AGENT].action is Action.REPLACE
    reasons = by_address[AGENT].reasons
    assert any("security_profile" in reason for reason in reasons), reasons
    assert by_address[f"{AGENT}.data_sources"].action is Action.REPLACE
    assert "security_profile" in render_text(plan)
