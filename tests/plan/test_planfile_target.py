"""The target a plan file is bound to: written and read back, shape-checked, compared field by field."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from engine_fakes import FakeStore
from test_planfile import sample_plan

from provisioner.apply.preconditions import StalePlanError
from provisioner.cli import exit_codes
from provisioner.errors import ProvisionError
from provisioner.plan import read_plan, write_plan
from provisioner.plan.planfile import checksum
from provisioner.plan.planfile_binding import ConfigChangedError, PlanTargetError, check_target
from provisioner.plan.planfile_target import PlanTarget, apply_command, project_of, relative_project

PROD = PlanTarget(env="prod", project="../infra", hub_tenant="acme",
                  hub_gateway="https://gateway.eu1.mindsphere.io", itwin_url="https://iiot.bentley.com",
                  itwin_project="6ee68656")


def test_the_target_round_trips_and_names_the_project_relative_to_the_file(tmp_path: Path,
                                                                             store: FakeStore) -> None:
    (tmp_path / "infra").mkdir()
    plans = tmp_path / "plans"
    target = replace(PROD, project=relative_project(tmp_path / "infra", plans / "p.json"))
    assert target.project == "../infra"
    write_plan(sample_plan(store), plans / "p.json", config_digest="d", stack="s", target=target)
    saved = read_plan(plans / "p.json")
    assert saved.target == target
    assert project_of(plans / "p.json", target).resolve() == (tmp_path / "infra").resolve()
    assert json.loads((plans / "p.json").read_text())["target"]["insights_hub"] == {
        "tenant": "acme", "gateway": "https://gateway.eu1.mindsphere.io"}


@pytest.mark.parametrize(("path", "value", "message"), [
    (("env",), 3, "target.env: expected a string or null"),
    (("project",), None, "target.project: expected a string"),
    (("insights_hub",), "acme", "target.insights_hub: expected an object"),
    (("itwin_iot", "project"), [], "target.itwin_iot.project: expected a string"),
])
def test_a_forged_target_of_the_wrong_shape_is_refused(tmp_path: Path, store: FakeStore,
                                                       path: tuple[str, ...], value: object,
                                                       message: str) -> None:
    file = tmp_path / "p.json"
    write_plan(sample_plan(store), file, config_digest="d", stack="s", target=PROD)
    data = json.loads(file.read_text())
    data.pop("checksum")
    holder = data["target"]
    for key in path[:-1]:
        holder = holder[key]
    holder[path[-1]] = value
    data["checksum"] = checksum(data)
    file.write_text(json.dumps(data))
    with pytest.raises(ProvisionError, match=message):
        read_plan(file)


def test_every_differing_field_is_named_with_both_sides() -> None:
    here = PlanTarget(env="staging", project="infra", hub_tenant="acmetest", hub_gateway=PROD.hub_gateway,
                      itwin_url=PROD.itwin_url, itwin_project="other")
    with pytest.raises(PlanTargetError) as caught:
        check_target("p.json", PROD, "d", here, "d", directory="infra")
    text = caught.value.message
    assert "plan: --env prod  |  this apply: --env staging" in text
    assert "plan: acme  |  this apply: acmetest" in text and "plan: 6ee68656  |  this apply: other" in text
    assert "gateway" not in text and "itwin_iot url" not in text  # equal fields are not listed
    assert text.endswith("apply it as planned with: provision apply p.json --env prod")
    assert exit_codes.code_for(caught.value, caught.value.exit_code) == exit_codes.ERROR


def test_a_changed_configuration_is_a_stale_plan() -> None:
    same = replace(PROD, project="elsewhere")  # the project may have moved
    check_target("p.json", PROD, "sha256:1", same, "sha256:1", directory="infra")
    with pytest.raises(ConfigChangedError) as caught:
        check_target("p.json", PROD, "sha256:1", same, "sha256:2", directory="infra")
    assert isinstance(caught.value, StalePlanError)
    assert exit_codes.code_for(caught.value, caught.value.exit_code) == exit_codes.STALE_PLAN


def test_a_plan_without_a_target_cannot_be_checked() -> None:
    with pytest.raises(PlanTargetError, match="records no target"):
        check_target("p.json", None, "d", PROD, "d", directory="infra")


def test_the_hint_is_shell_quoted_and_carries_every_option() -> None:
    assert apply_command("my plans/p.json", "prod", ["site=Hamburg Nord"], ["vars/prod.yaml"]) == (
        "provision apply 'my plans/p.json' --env prod --var-file vars/prod.yaml --var 'site=Hamburg Nord'")
    assert apply_command("p.json", None, []) == "provision apply p.json"
