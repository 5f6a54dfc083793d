"""`moved:` blocks are validated before any API call: each wrong block is a clear error at its line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from provisioner.config import load_project
from provisioner.config.validate_moves import resolved_moves
from provisioner.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
A, C = "insights_hub.assets", "itwin_iot.connections.north"


def project_with(tmp_path: Path, *blocks: str) -> Path:
    project = tmp_path / "quickstart"
    shutil.copytree(REPO / "examples" / "quickstart", project)
    (project / "moved.yaml").write_text("moved:\n" + "".join(f"  - {b}\n" for b in blocks))
    return project


def error_of(project: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_project(project)
    return str(caught.value)


@pytest.mark.parametrize(("block", "expected"), [
    (f"{{from: {A}.old, to: {A}.gone}}", f"{A}.gone is not declared in the configuration"),
    (f"{{from: {A}.old, to: insights_hub.agents.acme-motor-agent}}", "moves an asset to an agent"),
    ("{from: insights_hub.aspect_types.Env, to: insights_hub.asset_types.Engine}",
     "moves an aspect type to an asset type"),
    (f"{{from: {A}.old.x, to: {A}.plant}}", f"{A}.old.x is not the address of an aspect type"),
    (f"{{from: {A}.plant, to: {A}.acme-motor}}", f"{A}.plant is still declared"),
    (f"{{from: {A}.plant, to: {A}.plant}}", "moves an address to itself"),
    (f"{{from: itwin_iot.connections.south.devices.logger-2, to: {C}.devices.logger-2}}",
     "no operation that moves a device to another connection"),
])
def test_a_wrong_block_is_an_error_at_its_line(tmp_path: Path, block: str, expected: str) -> None:
    text = error_of(project_with(tmp_path, block))
    assert expected in text, text
    assert "moved.yaml:2:" in text and "moved[0]" in text


def test_a_source_moved_twice_is_an_error(tmp_path: Path) -> None:
    text = error_of(project_with(tmp_path, f"{{from: {A}.old, to: {A}.plant}}",
                                 f"{{from: {A}.old, to: {A}.acme-motor}}"))
    assert f"{A}.old is moved more than once" in text and "moved.yaml:3:" in text


def test_moves_chain_and_a_valid_block_loads(tmp_path: Path) -> None:
    project = load_project(project_with(tmp_path, f"{{from: {A}.first, to: {A}.second}}",
                                        f"{{from: {A}.second, to: {A}.plant}}"))
    assert resolved_moves(project.config) == {f"{A}.first": f"{A}.plant", f"{A}.second": f"{A}.plant"}
