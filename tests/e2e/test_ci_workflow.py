"""Issue 15, must-show 7: the example CI workflow's plan and apply jobs, run as written, against a sandbox.

`workflow_runner.py` runs each job of `examples/ci/provision.yml` the way a GitHub-hosted runner
would: its `run:` commands exactly as the file has them (only `${{ ... }}` expressions and the
runner's environment substituted), so `pip install "$PROVISION_PACKAGE"` really installs provision
from the checked-out repository into a fresh Python. The repository is this source tree plus an
`infra/` project whose `env/prod.yaml` points at a sandbox on loopback.

- a pull request is planned (one sticky comment, the plan file as an artifact), merged and applied:
  the apply job downloads exactly that plan and applies it; the next pull request plans no changes;
- a reviewed plan whose objects changed by hand before the merge fails the apply job with the
  stale-plan exit code, writing nothing; so does one whose configuration moved on at merge.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from harness import DEMO_ENV, EXAMPLES, REPO, LiveSandbox
from workflow_runner import Event, GitHub, JobRun, Runner

from provisioner.cli import exit_codes
from provisioner.config import load_project
from provisioner.session import make_plan, open_session

WORKFLOW = REPO / "examples" / "ci" / "provision.yml"
SKIP = shutil.ignore_patterns(".git", ".venv", "venv", "*cache*", "__pycache__", ".hypothesis", "build",
                              "*.egg-info", ".provision", "node_modules")
ASSET = "insights_hub.assets.acme-motor"
SHA = {name: (name * 40)[:40] for name in ("a", "b", "c", "d", "e", "f")}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def runner_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The runner's Python (setup-python's): a fresh venv with pip and nothing of provision in it."""
    venv = tmp_path_factory.mktemp("toolcache") / "python"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    return venv / "bin"


def repository(tmp_path: Path, sandbox: LiveSandbox) -> Path:
    """The repository the workflow lives in: this source tree and the `infra/` project on the sandbox."""
    repo = tmp_path / "origin"
    shutil.copytree(REPO, repo, ignore=SKIP)
    infra = repo / "infra"
    shutil.copytree(EXAMPLES / "quickstart", infra)
    (infra / "env" / "prod.yaml").write_text(
        "# the production tenant of this test: a sandbox on loopback\n"
        "platforms:\n"
        f"  insights_hub: {{gateway: 'http://127.0.0.1:{sandbox.port}'}}\n"
        f"  itwin_iot: {{url: 'http://127.0.0.1:{sandbox.port}'}}\n"
    )
    return repo


def make_runner(tmp_path: Path, repo: Path, python_bin: Path, github: GitHub) -> Runner:
    secrets = {"MDSP_CLIENT_ID": DEMO_ENV["MDSP_CLIENT_ID"],
               "MDSP_CLIENT_SECRET": DEMO_ENV["MDSP_CLIENT_SECRET"],
               "ITWIN_IOT_API_KEY": DEMO_ENV["ITWIN_IOT_API_KEY"]}
    return Runner(WORKFLOW, repository=repo, python_bin=python_bin, secrets=secrets, github=github,
                  scratch=tmp_path / "runners")


def passed(job: JobRun) -> JobRun:
    failed = job.failed
    assert failed is None, f"step {failed.name!r} exited {failed.code}:\n{failed.stdout}\n{failed.stderr}"
    return job


def planned_changes(github: GitHub, head_sha: str) -> list[dict[str, Any]]:
    [artifact] = [a for a in github.artifacts if a.name == f"plan-{head_sha}"]
    changes: list[dict[str, Any]] = json.loads(artifact.files["plan.json"])["plan"]["changes"]
    return changes


def writes(live: LiveSandbox) -> dict[str, int]:
    return {endpoint: n for endpoint, n in live.sandbox.counts()["endpoints"].items()
            if endpoint.split()[0] in ("POST", "PUT", "PATCH", "DELETE") and "token" not in endpoint}


def state(live: LiveSandbox) -> dict[str, Any]:
    snapshot = live.sandbox.snapshot()
    snapshot["itwin"].pop("tokens")
    return snapshot


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def test_the_workflow_plans_a_pull_request_and_applies_that_plan_on_merge(
        tmp_path: Path, live_sandbox: LiveSandbox, runner_python: Path) -> None:
    github = GitHub()
    repo = repository(tmp_path, live_sandbox)
    runner = make_runner(tmp_path, repo, runner_python, github)

    assert not (runner_python / "provision").exists()
    plan = passed(runner.run_job("plan", Event("pull_request", sha=SHA["a"], head_sha=SHA["b"])))
    assert (runner_python / "provision").is_file()  # the Install step put it there, from the checkout
    changes = planned_changes(github, SHA["b"])
    assert len(changes) > 10 and {c["action"] for c in changes} == {"create"}
    assert github.comments == {"provision-plan": (plan.workspace / "plan.md").read_text()}
    assert "create" in github.comments["provision-plan"]
    assert writes(live_sandbox) == {}  # planning writes nothing

    apply = passed(runner.run_job("apply", Event("push", sha=SHA["a"], head_sha=SHA["b"])))
    report = json.loads((apply.workspace / "apply-report.json").read_text())
    assert sorted(op["address"] for op in report["applied"]) == sorted(c["address"] for c in changes)
    assert [a.name for a in github.artifacts] == [f"plan-{SHA['b']}", "apply-report"]

    # the next pull request: the Plan step's --detailed-exitcode says "no changes" (0), and the one
    # sticky comment now says so
    again = passed(runner.run_job("plan", Event("pull_request", sha=SHA["c"], head_sha=SHA["d"])))
    assert planned_changes(github, SHA["d"]) == []
    assert list(github.comments) == ["provision-plan"]
    comment = github.comments["provision-plan"]
    assert comment == (again.workspace / "plan.md").read_text() != (plan.workspace / "plan.md").read_text()


def converge(project: Path) -> None:
    """Apply the project with this checkout's provision (the state a merged earlier pull request left)."""
    provision = str(Path(sys.executable).parent / "provision")
    done = subprocess.run([provision, "apply", str(project), "--env", "prod", "--yes"], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


async def change_asset_by_hand(project: Path) -> None:
    """Another tool edits the managed asset through the vendor API after the plan was reviewed."""
    async with open_session(load_project(project, env="prod").config) as session:
        _, read = await make_plan(session)
        assert session.hub is not None
        asset_id = read["insights_hub"].managed[ASSET].server_id
        asset = await session.hub.get_asset(asset_id)
        body = {"name": asset["name"], "description": asset["description"], "externalId": "BY-HAND"}
        await session.hub.put_asset(asset_id, body, asset["etag"])


async def test_a_stale_reviewed_plan_fails_the_apply_job_with_the_stale_code(
        tmp_path: Path, live_sandbox: LiveSandbox, runner_python: Path) -> None:
    github = GitHub()
    repo = repository(tmp_path, live_sandbox)
    converge(repo / "infra")
    runner = make_runner(tmp_path, repo, runner_python, github)
    hub = repo / "infra" / "insights-hub.yaml"

    # a pull request changes the motor's external id; it is planned and reviewed
    edit(hub, "external_id: M-001", "external_id: M-002")
    passed(runner.run_job("plan", Event("pull_request", sha=SHA["a"], head_sha=SHA["b"])))
    assert [c["action"] for c in planned_changes(github, SHA["b"])] == ["update"]
    # ... then someone edits that asset by hand before the merge: the reviewed plan is stale
    await change_asset_by_hand(repo / "infra")
    before = (state(live_sandbox), writes(live_sandbox))

    stale = runner.run_job("apply", Event("push", sha=SHA["a"], head_sha=SHA["b"]))

    failed = stale.failed
    assert failed is not None and failed.name == "Apply exactly the reviewed plan"
    assert failed.code == exit_codes.STALE_PLAN, failed.stderr
    assert "stale" in failed.stderr and ASSET in failed.stderr
    assert (state(live_sandbox), writes(live_sandbox)) == before  # nothing written
    assert "apply-report" in [a.name for a in github.artifacts]  # uploaded even so (if: always())

    # re-planned and reviewed again, but main moves on before the merge lands: the configuration
    # the apply job checks out is not the one reviewed, so it is stale too
    passed(runner.run_job("plan", Event("pull_request", sha=SHA["c"], head_sha=SHA["d"])))
    edit(hub, "name: Plant Hamburg", "name: Plant Hamburg-Altona")
    before = (state(live_sandbox), writes(live_sandbox))

    moved = runner.run_job("apply", Event("push", sha=SHA["c"], head_sha=SHA["d"]))

    failed = moved.failed
    assert failed is not None and failed.code == exit_codes.STALE_PLAN, failed and failed.stderr
    assert "configuration in infra changed" in failed.stderr, failed.stderr
    assert (state(live_sandbox), writes(live_sandbox)) == before

    # a push that merged no pull request has no reviewed plan: the job stops before applying
    direct = runner.run_job("apply", Event("push", sha=SHA["e"]))
    failed = direct.failed
    assert failed is not None and failed.name == "Find the plan reviewed on the merged pull request"
    assert "no reviewed plan to apply" in failed.stderr
    assert "Apply exactly the reviewed plan" not in [s.name for s in direct.steps]
