"""Issue 13, must-show 3: `lifecycle.ignore_changes` keeps an operator's edit through apply, and
`lifecycle.prevent_destroy` lives in the owner marker, so a delete is still refused (exit code 5,
"unsafe") after the block is removed from the configuration; `--allow-destroy ADDRESS`, or an
apply of the object without the flag, lifts it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from harness import LiveSandbox, copy_example, plan_of
from harness import apply_project as apply

from provisioner.cli import exit_codes
from provisioner.config import load_project
from provisioner.errors import ConfigError
from provisioner.model import Action
from provisioner.pipeline import ApplyOptions, UnsafePlanError, apply_plan
from provisioner.providers.marker import split_description
from provisioner.sandbox import Sandbox
from provisioner.session import open_session

HUB = "insights_hub"
MOTOR = f"{HUB}.assets.acme-motor"
SPARE = f"{HUB}.assets.spare"
TILT = "itwin_iot.connections.north.devices.logger-2.sensors.tilt-2"
MOTOR_LINE = "      external_id: M-001\n"
SPARE_BLOCK = ("    spare:\n      name: Spare\n      type: core.basicasset\n      parent: plant\n"
               "      lifecycle: {prevent_destroy: true}\n")
TILT_LINE = "              location: {lon: -53.900861, lat: 30.602073}\n"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


async def test_ignore_changes_keeps_an_operators_edit_through_apply(tmp_path: Path, sandbox: Sandbox) -> None:
    project = copy_example("quickstart", tmp_path)
    hub = project / "insights-hub.yaml"
    edit(hub, MOTOR_LINE, MOTOR_LINE + "      description: Set by provision\n"
                                       "      lifecycle: {ignore_changes: [description, location]}\n")
    await apply(load_project(project), sandbox)
    async with open_session(load_project(project).config, transport=sandbox.transport()) as session:
        assert session.hub is not None
        assets = await session.hub.list_assets()
        motor = next(a for a in assets if a["name"] == "AcmeMotor")
        _, stack, key = split_description(motor["description"])
        operator = f"Bearing replaced 2026-11-30 [provision:{stack}/{key}]"  # edited in Asset Manager
        where = {"country": "DE", "locality": "Hamburg"}
        await session.hub.patch_asset(motor["assetId"], {"description": operator, "location": where},
                                      motor["etag"])
    assert not (await plan_of(load_project(project), sandbox)).has_changes

    edit(hub, "      name: AcmeMotor\n", "      name: AcmeMotor2\n")  # a real change beside the edit
    plan = await apply(load_project(project), sandbox)
    [change] = [c for c in plan.changes if c.address == MOTOR]
    assert [f.path for f in change.fields] == ["name"]
    async with open_session(load_project(project).config, transport=sandbox.transport()) as session:
        assert session.hub is not None
        after = await session.hub.get_asset(motor["assetId"])
    assert after["name"] == "AcmeMotor2" and after["description"] == operator
    assert after["location"]["locality"] == "Hamburg"
    assert not (await plan_of(load_project(project), sandbox)).has_changes


async def test_prevent_destroy_survives_removing_the_block(tmp_path: Path, sandbox: Sandbox) -> None:
    project = copy_example("quickstart", tmp_path)
    hub, itwin = project / "insights-hub.yaml", project / "itwin-iot.yaml"
    edit(hub, "  agents:\n", SPARE_BLOCK + "\n  agents:\n")
    edit(itwin, TILT_LINE, TILT_LINE + "              lifecycle: {prevent_destroy: true}\n")
    north = "      name: North Sector\n"
    edit(itwin, north, north + "      lifecycle: {prevent_destroy: true}\n")
    await apply(load_project(project), sandbox)
    assert not (await plan_of(load_project(project), sandbox)).has_changes  # the flags are in the markers

    # the block goes: the live markers still say prevent_destroy
    edit(hub, SPARE_BLOCK, "")
    text = itwin.read_text()
    itwin.write_text(text[:text.index("            tilt-2:\n")])
    plan = await plan_of(load_project(project), sandbox)
    by_address = {c.address: c for c in plan.changes}
    assert by_address[SPARE].action is Action.DELETE and by_address[SPARE].prevent_destroy
    assert by_address[TILT].action is Action.DELETE and by_address[TILT].prevent_destroy
    async with open_session(load_project(project).config, transport=sandbox.transport()) as session:
        with pytest.raises(UnsafePlanError) as refused:
            await apply_plan(session, plan, ApplyOptions(force=True, allow_data_loss=True))
    rules = {v.rule: v for v in refused.value.violations}
    assert set(rules["prevent-destroy"].addresses) == {SPARE, TILT}
    assert f"--allow-destroy {SPARE}" in rules["prevent-destroy"].message
    assert (await plan_of(load_project(project), sandbox)).changes == plan.changes  # nothing written

    # naming one address lifts only that one
    async with open_session(load_project(project).config, transport=sandbox.transport()) as session:
        with pytest.raises(UnsafePlanError) as still:
            await apply_plan(session, plan, ApplyOptions(force=True, allow_data_loss=True,
                                                         allow_destroy=(SPARE,)))
    [violation] = [v for v in still.value.violations if v.rule == "prevent-destroy"]
    assert violation.addresses == (TILT,)
    await apply(load_project(project), sandbox,
                ApplyOptions(force=True, allow_data_loss=True, allow_destroy=(SPARE, TILT)))
    assert not (await plan_of(load_project(project), sandbox)).has_changes


async def test_an_apply_without_the_flag_lifts_it(tmp_path: Path, sandbox: Sandbox) -> None:
    project = copy_example("quickstart", tmp_path)
    hub = project / "insights-hub.yaml"
    edit(hub, "  agents:\n", SPARE_BLOCK + "\n  agents:\n")
    await apply(load_project(project), sandbox)
    edit(hub, "      lifecycle: {prevent_destroy: true}\n", "")
    plan = await apply(load_project(project), sandbox)
    [change] = plan.changes
    assert (change.address, change.action, [f.path for f in change.fields]) == (
        SPARE, Action.UPDATE, ["prevent_destroy"])
    edit(hub, SPARE_BLOCK.replace("      lifecycle: {prevent_destroy: true}\n", ""), "")
    plan = await apply(load_project(project), sandbox, ApplyOptions(force=True, allow_data_loss=True))
    assert [(c.address, c.action) for c in plan.changes] == [(SPARE, Action.DELETE)]


def test_an_ignored_path_must_name_an_attribute(tmp_path: Path) -> None:
    project = copy_example("quickstart", tmp_path)
    typo = "      lifecycle: {ignore_changes: [descripton]}\n"
    edit(project / "insights-hub.yaml", MOTOR_LINE, MOTOR_LINE + typo)
    with pytest.raises(ConfigError) as error:
        load_project(project)
    message = str(error.value)
    assert "'descripton' is not an attribute" in message and "did you mean 'description'" in message
    assert "insights-hub.yaml:" in str(error.value) and MOTOR in str(error.value)


def provision(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provisioner", *args], capture_output=True, text=True,
                          timeout=180)


def test_cli_refuses_with_the_unsafe_exit_code(tmp_path: Path, live_sandbox: LiveSandbox) -> None:
    project = copy_example("quickstart", tmp_path, port=live_sandbox.port)
    hub = project / "insights-hub.yaml"
    edit(hub, "  agents:\n", SPARE_BLOCK + "\n  agents:\n")
    first = provision("apply", str(project), "--env", "test", "--yes", "--force")
    assert first.returncode == exit_codes.OK, first.stderr
    edit(hub, SPARE_BLOCK, "")
    refused = provision("apply", str(project), "--env", "test", "--yes", "--allow-data-loss")
    assert refused.returncode == exit_codes.UNSAFE_PLAN, refused.stderr
    assert "prevent_destroy" in refused.stderr and f"--allow-destroy {SPARE}" in refused.stderr
    assert "Traceback" not in refused.stderr
    lifted = provision("apply", str(project), "--env", "test", "--yes", "--allow-data-loss",
                       "--allow-destroy", SPARE)
    assert lifted.returncode == exit_codes.OK, lifted.stderr
