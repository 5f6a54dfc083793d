"""Issue 12, must-show 4: under persistent 503s one change makes at most the documented number of
attempts (`model.attempts.FAILED_ATTEMPTS_PER_CHANGE`), counted on the sandbox.

Before the HTTP layer owned retries alone, the create below made 30 requests (the POST and the
session's 5 attempts of the lookup, times the executor's 5 runs of the change).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import copy_example

from provisioner.config import load_project
from provisioner.model import Action
from provisioner.model.attempts import FAILED_ATTEMPTS_PER_CHANGE
from provisioner.pipeline import ApplyOptions, apply_plan
from provisioner.providers.http import RetryPolicy
from provisioner.sandbox import Sandbox
from provisioner.session import make_plan, open_session

PLANT = "insights_hub.assets.plant"
ASSETS = "/api/assetmanagement/v3/assets"


async def _no_wait(seconds: float) -> None:
    return None


NO_WAITS = RetryPolicy(sleep=_no_wait)


def asset_requests(sandbox: Sandbox) -> int:
    endpoints = sandbox.counts()["endpoints"]
    return sum(n for endpoint, n in endpoints.items() if endpoint.split(" ", 1)[1].startswith(ASSETS))


@pytest.mark.parametrize("action", [Action.CREATE, Action.UPDATE])
async def test_one_change_makes_at_most_the_budgeted_attempts_under_persistent_503(
    tmp_path: Path, sandbox: Sandbox, action: Action
) -> None:
    project_dir = copy_example("quickstart", tmp_path)
    if action is Action.UPDATE:  # the plant exists: its change is a conditional, repeatable PATCH
        config = load_project(project_dir).config
        async with open_session(config, transport=sandbox.transport(), retry=NO_WAITS) as session:
            plan, live = await make_plan(session, targets=[PLANT])
            assert (await apply_plan(session, plan, ApplyOptions(), live=live)).ok
        hub = project_dir / "insights-hub.yaml"
        hub.write_text(hub.read_text().replace("name: Plant Hamburg", "name: Plant Hamburg II"))
    config = load_project(project_dir).config
    async with open_session(config, transport=sandbox.transport(), retry=NO_WAITS) as session:
        plan, live = await make_plan(session, targets=[PLANT])
        assert [(c.action, c.address) for c in plan.changes] == [(action, PLANT)]
        sandbox.counts(reset=True)
        sandbox.faults.set_spec(f"503=100%@{ASSETS}*")
        report = await apply_plan(session, plan, ApplyOptions(), live=live)
    assert list(report.failed) == [PLANT]
    sent = asset_requests(sandbox)
    assert 1 < sent <= FAILED_ATTEMPTS_PER_CHANGE, sandbox.counts()["endpoints"]
