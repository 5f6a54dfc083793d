"""The shipped examples validate and render; env overlays and variables apply."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from provisioner.config import load_project

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
Cli = Callable[..., tuple[int, str, str]]


@pytest.mark.parametrize(
    ("example", "env"),
    [
        ("quickstart", None),
        ("quickstart", "prod"),
        ("fleet", None),
        ("fleet", "prod"),
        ("environments", None),
        ("environments", "staging"),
        ("environments", "prod"),
    ],
)
def test_examples_validate(run_cli: Cli, example: str, env: str | None) -> None:
    args = ["validate", str(EXAMPLES / example)] + (["--env", env] if env else [])
    code, out, err = run_cli(*args)
    assert (code, err) == (0, "")
    assert out.startswith("OK: stack ")
    assert len(out.strip().splitlines()) == 1


def test_quickstart_summary_counts(run_cli: Cli) -> None:
    code, out, _ = run_cli("validate", str(EXAMPLES / "quickstart"))
    assert code == 0
    assert (
        "2 aspect types, 1 asset type, 2 assets, 1 agent, 5 data points, 5 mappings, 1 event mapping" in out
    )
    assert "1 connection, 1 device, 2 sensors" in out


def test_fleet_render_has_every_site(run_cli: Cli) -> None:
    with (EXAMPLES / "fleet" / "vars" / "sites.csv").open() as fh:
        sites = [row["key"] for row in csv.DictReader(fh)]
    assert len(sites) >= 20
    code, out, _ = run_cli("render", str(EXAMPLES / "fleet"))
    assert code == 0
    doc = YAML(typ="safe", pure=True).load(out)
    for key in sites:
        assert doc["insights_hub"]["assets"][key]["type"] == "core.basicsite"
        assert doc["insights_hub"]["assets"][f"{key}-pump"]["parent"] == key
        agent = doc["insights_hub"]["agents"][f"{key}-agent"]
        assert len(agent["mappings"]) == 6
        assert agent["event_mappings"][0]["asset"] == f"{key}-pump"
        assert len(doc["itwin_iot"]["connections"][key]["devices"]["logger-1"]["sensors"]) == 2
    assert doc["platforms"]["insights_hub"]["auth"]["client_secret"] == "${env:MDSP_CLIENT_SECRET}"


def test_render_output_loads_back_to_the_same_project() -> None:
    project = load_project(EXAMPLES / "fleet")
    assert YAML(typ="safe", pure=True).load(project.render_yaml()) == project.document


def test_env_overlay_changes_platforms() -> None:
    sandbox = load_project(EXAMPLES / "quickstart")
    prod = load_project(EXAMPLES / "quickstart", env="prod")
    ih_sandbox, ih_prod = sandbox.config.platforms.insights_hub, prod.config.platforms.insights_hub
    assert ih_sandbox is not None and ih_prod is not None
    assert (ih_sandbox.tenant, ih_sandbox.base_url, ih_sandbox.rate_limits) == (
        "sandbox",
        "http://127.0.0.1:8700",
        "none",
    )
    assert (ih_prod.tenant, ih_prod.base_url, ih_prod.rate_limits) == (
        "acme",
        "https://gateway.eu1.mindsphere.io",
        "vendor",
    )
    itwin = prod.config.platforms.itwin_iot
    assert itwin is not None and itwin.base_url == "https://iiot.bentley.com"
    assert prod.config.insights_hub == sandbox.config.insights_hub


def test_env_overlay_vars_and_null_removes_keys() -> None:
    staging = load_project(EXAMPLES / "environments", env="staging")
    assert set(staging.config.insights_hub.assets) == {"boiler-room", "boiler-1", "boiler-2", "boiler-3"}
    assert staging.config.insights_hub.assets["boiler-room"].name == "Boiler Room (staging)"
    prod = load_project(EXAMPLES / "environments", env="prod")
    itwin = prod.config.platforms.itwin_iot
    assert itwin is not None
    assert type(itwin.auth).__name__ == "ImsCredentials"
    assert prod.location("insights_hub.assets.boiler-2") is not None


def test_variable_precedence(tmp_path: Path) -> None:
    var_file = tmp_path / "more.yaml"
    var_file.write_text("boilers: 4\nsite_name: From File\n")
    project = load_project(
        EXAMPLES / "environments", env="staging", var_files=[var_file], variables={"site_name": "From Option"}
    )
    assets = project.config.insights_hub.assets
    assert len([k for k in assets if k.startswith("boiler-") and k != "boiler-room"]) == 4  # file beats env
    assert assets["boiler-room"].name == "From Option"  # --var beats everything


def test_locations_point_at_definitions() -> None:
    project = load_project(EXAMPLES / "quickstart")
    loc = project.locations["insights_hub.assets.acme-motor"]
    lines = Path(loc.file).read_text().splitlines()
    assert lines[loc.line - 1][loc.column - 1 :].startswith("acme-motor:")
    mapping = (
        "insights_hub.agents.acme-motor-agent.mappings.DP-Temperature.acme-motor.environment.Temperature"
    )
    assert mapping in project.locations
    assert "itwin_iot.connections.north.devices.logger-2.sensors.tilt-1" in project.locations
    assert "insights_hub.agents.acme-motor-agent.data_sources" in project.locations
    assert any(
        a.startswith("insights_hub.agents.acme-motor-agent.event_mappings.acme-motor.")
        for a in project.locations
    )


def test_fleet_template_locations_point_at_template_lines() -> None:
    project = load_project(EXAMPLES / "fleet")
    template = EXAMPLES / "fleet" / "fleet.yaml.j2"
    lines = template.read_text().splitlines()
    loc = project.locations["insights_hub.assets.site-exton-pump"]
    assert loc.file == str(template)
    assert lines[loc.line - 1].strip() == "{{ site.key }}-pump:"
    sensor = project.locations["itwin_iot.connections.site-oslo.devices.logger-1.sensors.tilt-1"]
    assert lines[sensor.line - 1].strip() == "tilt-1:"
