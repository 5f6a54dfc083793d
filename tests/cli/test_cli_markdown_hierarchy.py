"""The Markdown plan of the quickstart embeds a mermaid hierarchy of what changes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mermaid_grammar import validate_flowchart

from provisioner.config import load_project
from provisioner.model import Action, Change
from provisioner.plan import Plan
from provisioner.render import render_markdown
from provisioner.render.markdown import HIERARCHY_MAX
from provisioner.sandbox import Sandbox, SandboxSettings
from provisioner.session import make_plan, open_session

QUICKSTART = Path(__file__).resolve().parents[2] / "examples" / "quickstart"
DEMO_ENV = {"MDSP_CLIENT_ID": "sandbox-client", "MDSP_CLIENT_SECRET": "sandbox-secret",
            "ITWIN_IOT_API_KEY": "sandbox-key"}


async def test_quickstart_markdown_plan_embeds_its_hierarchy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in DEMO_ENV.items():
        monkeypatch.setenv(name, value)
    project = load_project(QUICKSTART)
    sandbox = Sandbox(SandboxSettings(boarding_delay_s=0.0))
    async with open_session(project.config, transport=sandbox.transport()) as session:
        plan, _ = await make_plan(session)
    md = render_markdown(plan)
    match = re.search(r"```mermaid\n(.*?)```", md, re.S)
    assert match is not None
    chart = match.group(1)
    # 17 creates less 3 types and 6 mappings: 2 assets, agent, data sources, connection, device, 2 sensors
    assert validate_flowchart(chart)["nodes"] == 8
    for label in ("assets.plant: Plant Hamburg", "devices.logger-2: North Sector Logger 2",
                  "sensors.tilt-1: North Sector Tilt 2-1"):
        assert f'["{label}"]' in chart
    assert "class " in chart and " create" in chart
    assert md.index("```mermaid") < md.index("<details>")  # right under the summary


def test_large_plans_have_no_picture() -> None:
    changes = tuple(Change(Action.CREATE, f"itwin_iot.connections.c{i}", "itwin_iot.connection", None,
                           {"name": f"c{i}"}) for i in range(HIERARCHY_MAX + 1))
    assert "```mermaid" not in render_markdown(Plan(changes=changes))
    assert "```mermaid" in render_markdown(Plan(changes=changes[:HIERARCHY_MAX]))
