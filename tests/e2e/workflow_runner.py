"""A small stand-in for a GitHub-hosted runner: runs one job of a workflow file against this machine.

`run:` steps run exactly as written in the file, with the shell GitHub uses for `shell: bash`
(`bash --noprofile --norc -eo pipefail`) and the environment a runner gives: the workflow's, job's
and step's `env:` with their `${{ ... }}` expressions evaluated (secrets from the test), plus
`CI`, `GITHUB_WORKSPACE` and the like. `uses:` steps are the actions the workflow names, each
replaced by what it does on GitHub: checkout copies the repository, setup-python puts a Python on
PATH, upload/download-artifact copy files to and from an artifact store, the sticky comment keeps one
comment per header, and github-script runs its script with Node against a stub of the REST calls it
makes. An action without a stand-in here fails the run, so the file cannot outgrow this runner.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")
JOB_IF = re.compile(r"^github\.event_name == '(\w+)'$")
BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]  # GitHub's `shell: bash`


def load_workflow(path: Path) -> dict[str, Any]:
    data = YAML(typ="safe").load(path.read_text())
    assert isinstance(data, dict)
    return data


def evaluate(text: str, context: dict[str, Any]) -> str:
    """Substitute every `${{ a.b.c }}` (a property path: all the file uses) from `context`."""

    def lookup(match: re.Match[str]) -> str:
        value: Any = context
        for part in match.group(1).split("."):
            assert isinstance(value, dict) and part in value, f"no {match.group(1)!r} on this runner"
            value = value[part]
        return str(value)

    return EXPRESSION.sub(lookup, text)


@dataclass
class Artifact:
    name: str
    run_id: int
    files: dict[str, bytes]


@dataclass
class GitHub:
    """What outlives one job: artifacts, pull-request comments, run ids."""

    artifacts: list[Artifact] = field(default_factory=list)
    comments: dict[str, str] = field(default_factory=dict)  # header -> body (sticky: one per header)
    runs: int = 0


@dataclass
class StepRun:
    name: str
    code: int
    stdout: str = ""
    stderr: str = ""


@dataclass
class JobRun:
    steps: list[StepRun]
    workspace: Path

    @property
    def failed(self) -> StepRun | None:
        return next((s for s in self.steps if s.code != 0), None)

    def step(self, name: str) -> StepRun:
        return next(s for s in self.steps if s.name == name)


@dataclass
class Event:
    """The event a job runs for: its name, the commit, and the pull request it concerns."""

    name: str
    sha: str
    head_sha: str | None = None  # pull_request: the head commit; push: the merged pull request's head


class Runner:
    """Runs the jobs of one workflow file; `repository` is the checked-out content at the event's commit."""

    def __init__(self, workflow: Path, *, repository: Path, python_bin: Path, secrets: dict[str, str],
                 github: GitHub, scratch: Path) -> None:
        self.workflow = load_workflow(workflow)
        self.repository = repository
        self.python_bin = python_bin
        self.secrets = secrets
        self.github = github
        self.scratch = scratch

    def run_job(self, job_name: str, event: Event) -> JobRun:
        job = self.workflow["jobs"][job_name]
        wanted = JOB_IF.match(job["if"])
        assert wanted is not None and wanted.group(1) == event.name, (job["if"], event.name)
        self.github.runs += 1
        run_id = self.github.runs
        home = self.scratch / f"run-{run_id}"
        workspace, temp = home / "work", home / "temp"
        temp.mkdir(parents=True)
        steps_ctx: dict[str, Any] = {}
        context: dict[str, Any] = {
            "secrets": self.secrets, "steps": steps_ctx,
            "github": {"event_name": event.name, "sha": event.sha, "token": "ghs_runner-token",
                       "event": {"pull_request": {"head": {"sha": event.head_sha}}}},
        }
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "CI": "true",
               "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(workspace), "GITHUB_SHA": event.sha,
               "GITHUB_EVENT_NAME": event.name, "RUNNER_TEMP": str(temp), "LANG": "C.UTF-8"}
        for level in (self.workflow.get("env", {}), job.get("env", {})):
            env.update({k: evaluate(str(v), context) for k, v in level.items()})
        shell = self.workflow.get("defaults", {}).get("run", {}).get("shell")
        assert shell == "bash", "this runner knows GitHub's `shell: bash` only"
        runs: list[StepRun] = []
        failed = False
        for index, step in enumerate(job["steps"]):
            name = step.get("name") or step.get("run") or step["uses"]
            condition = step.get("if")
            assert condition in (None, "always()"), condition
            if failed and condition != "always()":
                continue
            step_env = {**env, **{k: evaluate(str(v), context) for k, v in step.get("env", {}).items()}}
            if "run" in step:
                script = temp / f"step-{index}.sh"
                script.write_text(evaluate(step["run"], context))
                done = subprocess.run([*BASH, str(script)], cwd=workspace, env=step_env, capture_output=True,
                                      text=True, timeout=600)
                result = StepRun(name, done.returncode, done.stdout, done.stderr)
            else:
                with_ = {k: evaluate(str(v), context) for k, v in step.get("with", {}).items()}
                result, outputs = self._action(step["uses"], with_, name, workspace, env, run_id, event)
                if "id" in step:
                    steps_ctx[step["id"]] = {"outputs": outputs}
                if step["uses"].startswith("actions/setup-python@"):
                    env["PATH"] = f"{self.python_bin}{os.pathsep}{env['PATH']}"
            runs.append(result)
            failed = failed or result.code != 0
        return JobRun(runs, workspace)

    def _action(self, uses: str, with_: dict[str, str], name: str, workspace: Path, env: dict[str, str],
                run_id: int, event: Event) -> tuple[StepRun, dict[str, str]]:
        action = uses.split("@")[0]
        if action == "actions/checkout":
            shutil.copytree(self.repository, workspace)
        elif action == "actions/setup-python":
            pass  # PATH is extended by the caller: a Python with pip, like the tool cache's
        elif action == "marocchino/sticky-pull-request-comment":
            self.github.comments[with_["header"]] = (workspace / with_["path"]).read_text()
        elif action == "actions/upload-artifact":
            path = workspace / with_["path"]
            if not path.is_file():
                return StepRun(name, 1 if with_.get("if-no-files-found") == "error" else 0), {}
            self.github.artifacts.append(Artifact(with_["name"], run_id, {path.name: path.read_bytes()}))
        elif action == "actions/download-artifact":
            found = [a for a in self.github.artifacts
                     if a.name == with_["name"] and str(a.run_id) == with_["run-id"]]
            if not found:
                return StepRun(name, 1, stderr=f"no artifact {with_['name']} in run {with_['run-id']}"), {}
            for filename, data in found[-1].files.items():
                (workspace / with_.get("path", ".") / filename).write_bytes(data)
        elif action == "actions/github-script":
            return self._github_script(with_["script"], name, event)
        else:
            raise AssertionError(f"the workflow uses {uses}, which this runner has no stand-in for")
        return StepRun(name, 0), {}

    def _github_script(self, script: str, name: str, event: Event) -> tuple[StepRun, dict[str, str]]:
        """Run the script with Node, as github-script does (an async function of github, context, core),
        against a stub of the two REST calls the example makes."""
        node = shutil.which("node")
        assert node is not None, "github-script steps need Node.js on PATH"
        pulls = ([{"number": 7, "merged_at": "2026-12-03T10:00:00Z", "merge_commit_sha": event.sha,
                   "head": {"sha": event.head_sha}}] if event.head_sha else [])
        artifacts = [{"name": a.name, "expired": False, "workflow_run": {"id": a.run_id}}
                     for a in reversed(self.github.artifacts)]  # newest first, as the API lists them
        stub = json.dumps({"sha": event.sha, "pulls": pulls, "artifacts": artifacts})
        done = subprocess.run([node, "-e", _NODE_HARNESS], capture_output=True, text=True, timeout=60,
                              env={**os.environ, "STUB": stub, "SCRIPT": script})
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout.strip().splitlines()[-1])
        failed = result["failed"]
        return StepRun(name, 1 if failed else 0, stderr=failed or ""), result["outputs"]


_NODE_HARNESS = r"""
const data = JSON.parse(process.env.STUB);
const outputs = {};
let failed = null;
const core = {setOutput: (k, v) => { outputs[k] = String(v); }, setFailed: (m) => { failed = String(m); }};
const context = {sha: data.sha, repo: {owner: "acme", repo: "plant"}};
const github = {rest: {
  repos: {listPullRequestsAssociatedWithCommit: async (a) =>
    ({data: a.owner === "acme" && a.repo === "plant" && a.commit_sha === data.sha ? data.pulls : []})},
  actions: {listArtifactsForRepo: async (a) =>
    ({data: {artifacts: data.artifacts.filter((x) => a.owner === "acme" && x.name === a.name)}})},
}};
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
new AsyncFunction("github", "context", "core", process.env.SCRIPT)(github, context, core)
  .then(() => console.log(JSON.stringify({outputs, failed})))
  .catch((e) => { console.error(e); process.exit(1); });
"""
