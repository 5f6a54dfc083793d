"""`boarding` on the sandbox's default settings: the boarding configuration is generated
asynchronously (`boarding_delay_s` 0.2 s), so the first read has no content and `boarding` polls
until it has, then writes a usable file."""

from __future__ import annotations

import json
from pathlib import Path

from provisioner.config import Project
from provisioner.field.boarding import write_boarding_files
from provisioner.field.inventory import read_inventory
from provisioner.pipeline import ApplyOptions, apply_plan
from provisioner.providers.insights_hub.field_client import FieldClient
from provisioner.sandbox import Sandbox, SandboxSettings
from provisioner.session import make_plan, open_session


async def test_boarding_polls_until_the_configuration_is_generated(
    tmp_path: Path, quickstart: Project
) -> None:
    settings = SandboxSettings()
    assert settings.boarding_delay_s > 0
    sandbox = Sandbox(settings)
    async with open_session(quickstart.config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        assert (await apply_plan(session, plan, ApplyOptions(), live=live)).ok
        assert session.hub is not None
        inventory = await read_inventory(session)
        (agent,) = inventory.agents
        # boarding right after the agent was created, however long apply took on a loaded machine
        doc = sandbox.ctx.state.agents[agent.agent_id]
        sandbox.ctx.state.put_agent({**doc, "createdAt": sandbox.ctx.now()})
        before = session.hub.stats.calls["agm.boarding.configuration"]
        (written,) = await write_boarding_files(FieldClient(session.hub), inventory.agents,
                                                tmp_path / "secrets", rotate=False)
        reads = session.hub.stats.calls["agm.boarding.configuration"] - before
    assert reads >= 2, reads  # one empty answer, then the generated configuration
    content = json.loads(written.path.read_text())["content"]
    assert content["clientId"] == agent.agent_id and content["iat"]
