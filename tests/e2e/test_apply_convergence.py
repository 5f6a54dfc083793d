"""Issue 5, must-show 1: apply converges — the plan after it is empty and a fresh read equals the config.

Every example is applied to a fresh sandbox and planned again. A hypothesis test then draws
sequences of configurations (aspect types and their variables, an asset type, assets, agents with
data points, mappings and event mappings, iTwin connections, devices and sensors: added, changed
and removed from one step to the next) and applies each step against one sandbox.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fleetgen import drift, duplicates, make_fleet
from harness import copy_example
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from provisioner.config import ProjectConfig, load_project
from provisioner.pipeline import ApplyOptions, apply_plan
from provisioner.sandbox import Sandbox, SandboxSettings
from provisioner.session import make_plan, open_session

Config = dict[str, Any]


async def apply_and_check(config: ProjectConfig, sandbox: Sandbox) -> int:
    """Apply `config`; then the plan must be empty and a fresh read equal it. The changes applied."""
    async with open_session(config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        report = await apply_plan(session, plan, ApplyOptions(allow_data_loss=True, force=True), live=live)
        assert report.ok, (report.failed, report.skipped)
        assert len(report.applied) == len(plan.graph())
    async with open_session(config, transport=sandbox.transport()) as session:
        again, _ = await make_plan(session)
        assert not again.has_changes, [(c.address, c.action.value, c.fields) for c in again.changes]
        assert await drift(session) == []
    assert duplicates(sandbox.snapshot()) == {}
    return len(plan.changes)


def sandbox_for(config: ProjectConfig) -> Sandbox:
    """A fresh sandbox whose tenant and iTwin project are the configuration's."""
    hub, itwin = config.platforms.insights_hub, config.platforms.itwin_iot
    assert hub is not None and itwin is not None
    return Sandbox(SandboxSettings(boarding_delay_s=0.0, tenant=hub.tenant, itwin_project=itwin.project))


@pytest.mark.parametrize(("example", "env", "changes"), [
    ("quickstart", None, 17),
    ("environments", None, 14),
    ("environments", "staging", 17),  # the staging tenant and iTwin project, emulated
])
async def test_example_converges(tmp_path: Path, example: str, env: str | None, changes: int) -> None:
    config = load_project(copy_example(example, tmp_path), env=env).config
    assert await apply_and_check(config, sandbox_for(config)) == changes


async def test_fleet_example_converges(tmp_path: Path) -> None:
    config = load_project(copy_example("fleet", tmp_path)).config
    sites = len((tmp_path / "fleet" / "vars" / "sites.csv").read_text().splitlines()) - 1
    assert await apply_and_check(config, sandbox_for(config)) == sites * 15 + 4
    resized = load_project(make_fleet(tmp_path / "fleet", 2)).config  # most sites removed
    assert await apply_and_check(resized, sandbox_for(config)) == 2 * 15 + 4


# -- generated configurations ------------------------------------------------------------------

VARIABLES = {"Temp": ("DOUBLE", ["C", "K"]), "Count": ("INT", ["pcs", ""]), "On": ("BOOLEAN", [""])}
ASPECT_TYPES = ("Env", "Health")
ASSETS = ("a1", "a2", "a3")
PLATFORMS = {
    "insights_hub": {"tenant": "sandbox", "gateway": "http://127.0.0.1:8700", "rate_limits": "none",
                     "auth": {"client_id": "${env:MDSP_CLIENT_ID}",
                              "client_secret": "${env:MDSP_CLIENT_SECRET}"}},
    "itwin_iot": {"url": "http://127.0.0.1:8700", "project": "sandbox-project", "rate_limits": "none",
                  "auth": {"api_key": "${env:ITWIN_IOT_API_KEY}"}},
}
words = st.sampled_from(["Alpha", "Beta"])


def _variable(name: str, unit: str) -> Config:
    return {"type": VARIABLES[name][0], **({"unit": unit} if unit else {})}


@st.composite
def hub_configs(draw: st.DrawFn) -> Config:
    aspect_types: Config = {}
    for name in ASPECT_TYPES:
        if draw(st.booleans()):
            names = sorted(draw(st.sets(st.sampled_from(sorted(VARIABLES)), min_size=1)))
            variables = {v: _variable(v, draw(st.sampled_from(VARIABLES[v][1]))) for v in names}
            aspect_types[name] = {"category": "dynamic", "description": f"{draw(words)} {name}",
                                  "variables": variables}
    asset_types: Config = {}
    if draw(st.booleans()) and aspect_types:
        asset_types["Machine"] = {"description": draw(words),
                                  "aspects": {name.lower(): name for name in aspect_types}}
    assets: Config = {}
    for key in ASSETS:
        if draw(st.booleans()):
            typed = "Machine" if draw(st.booleans()) and asset_types else "core.basicasset"
            parent = draw(st.sampled_from(["root", *assets]))
            assets[key] = {"name": f"{draw(words)} {key}", "type": typed, "parent": parent}
            if draw(st.booleans()):
                assets[key]["external_id"] = f"{key}-{draw(words)}"
    agents: Config = {}
    if draw(st.booleans()):
        points: Config = {}
        mappings = []
        for key, asset in assets.items():
            if asset["type"] != "Machine":
                continue
            for name, aspect in aspect_types.items():
                for var, spec in aspect["variables"].items():
                    if draw(st.booleans()):
                        point = f"DP-{key}-{name}-{var}"
                        points[point] = {"name": f"{key} {var}", "type": spec["type"],
                                         "unit": spec.get("unit", "")}
                        mappings.append({"data_point": point, "asset": key, "aspect": name.lower(),
                                         "variable": var})
        agent: Config = {"name": f"Agent {draw(words)}", "parent": draw(st.sampled_from(["root", *assets]))}
        if draw(st.booleans()) or points:
            spare = {"DP-spare": {"name": "spare", "type": "INT"}}
            agent["data_sources"] = {"Plc": {"description": draw(words), "data_points": points or spare}}
        agent["mappings"] = mappings
        agent["event_mappings"] = [
            {"asset": key, "event_type": "sandbox.connectivity.event.type.Alarm", "event_type_name": "Alarm",
             "field": "source", "value": draw(words)}
            for key in assets if draw(st.booleans())]
        agents["g1"] = agent
    return {"aspect_types": aspect_types, "asset_types": asset_types, "assets": assets, "agents": agents}


@st.composite
def itwin_configs(draw: st.DrawFn) -> Config:
    metrics = st.sampled_from([[{"metric": "Level", "unit": "meter"}],
                               [{"metric": "Tilt_X", "unit": "degree"},
                                {"metric": "Tilt_Y", "unit": "degree"}]])
    connections: Config = {}
    for c in ("c1", "c2"):
        if not draw(st.booleans()):
            continue
        devices: Config = {}
        for d in ("d1", "d2"):
            if draw(st.booleans()):
                sensors = {s: {"name": f"{draw(words)} {s}", "template": "GENERIC_SENSOR_SDE",
                               "metrics": draw(metrics)} for s in ("s1", "s2") if draw(st.booleans())}
                devices[d] = {"name": f"{draw(words)} {d}", "template": "IMPORT_DEVICE_SDE",
                              "sensors": sensors}
                if draw(st.booleans()):
                    devices[d]["notes"] = draw(words)
        connections[c] = {"name": f"{draw(words)} {c}", "devices": devices}
    return {"connections": connections}


def write_project(directory: Path, hub: Config, itwin: Config) -> ProjectConfig:
    """A project directory from generated sections (JSON is YAML); returns its loaded configuration."""
    directory.mkdir(parents=True, exist_ok=True)
    document = {"stack": "generated", "platforms": PLATFORMS, "insights_hub": hub, "itwin_iot": itwin}
    (directory / "provision.yaml").write_text(json.dumps(document, indent=1))
    return load_project(directory).config


@settings(max_examples=12, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(steps=st.lists(st.tuples(hub_configs(), itwin_configs()), min_size=2, max_size=3))
async def test_generated_edits_converge(tmp_path: Path, steps: list[tuple[Config, Config]]) -> None:
    sandbox = Sandbox(SandboxSettings(boarding_delay_s=0.0))
    for n, (hub, itwin) in enumerate(steps):
        await apply_and_check(write_project(tmp_path / f"step-{id(steps)}-{n}", hub, itwin), sandbox)
    # and everything goes away again
    await apply_and_check(write_project(tmp_path / f"empty-{id(steps)}", {}, {}), sandbox)
    snapshot = sandbox.snapshot()
    assert [a["name"] for a in snapshot["insightsHub"]["agents"]] == []
    assert [e["id"] for e in snapshot["itwin"]["entities"]] == []
