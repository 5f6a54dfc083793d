"""Issue 13, must-show 6: a saved plan is bound to the target it was made for.

Two sandboxes on loopback stand for two tenants: the project's base configuration points at one,
`env/prod.yaml` at the other. A plan made with `--env prod` and applied without it is refused
naming both sides, and neither sandbox sees a write. The hint `plan --out` prints is run exactly as
printed (split like a shell would) from a directory that is not the project — a directory whose own
YAML would not load — and applies; the next plan has no changes.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import LiveSandbox, copy_example, free_port

from provisioner.cli import exit_codes
from provisioner.sandbox import SandboxSettings

BIN = Path(sys.executable).parent  # the `provision` entry point installed next to this Python
HINT = re.compile(r"apply it with: (.+)$", re.MULTILINE)


def provision(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run([str(BIN / "provision"), *args], cwd=cwd)


def run(argv: list[str], *, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=cwd, env=env)


def writes(live: LiveSandbox) -> dict[str, int]:
    """Write requests per endpoint class so far (token requests are not writes)."""
    return {endpoint: n for endpoint, n in live.sandbox.counts()["endpoints"].items()
            if endpoint.split()[0] in ("POST", "PUT", "PATCH", "DELETE") and "token" not in endpoint}


def state(live: LiveSandbox) -> dict[str, Any]:
    snapshot = live.sandbox.snapshot()
    snapshot["itwin"].pop("tokens")
    return snapshot


@pytest.fixture
def prod_sandbox() -> Iterator[LiveSandbox]:
    """The second tenant: what `--env prod` points at."""
    with LiveSandbox(SandboxSettings(port=free_port(), boarding_delay_s=0.0)) as live:
        yield live


def two_target_project(tmp_path: Path, base: LiveSandbox, prod: LiveSandbox) -> Path:
    """The quickstart with its base configuration on `base` and env/prod.yaml on `prod`."""
    project = copy_example("quickstart", tmp_path / "repo", port=base.port)
    text = (project / "provision.yaml").read_text().replace("127.0.0.1:8700", f"127.0.0.1:{base.port}")
    (project / "provision.yaml").write_text(text)
    (project / "env" / "prod.yaml").write_text(
        "platforms:\n"
        f"  insights_hub: {{gateway: 'http://127.0.0.1:{prod.port}'}}\n"
        f"  itwin_iot: {{url: 'http://127.0.0.1:{prod.port}'}}\n"
    )
    return project


def a_directory_that_is_not_the_project(tmp_path: Path) -> Path:
    """The working directory: its own YAML (a GitHub workflow) would fail to load as a project."""
    work = tmp_path / "work"
    (work / ".github" / "workflows").mkdir(parents=True)
    (work / "ci.yaml").write_text("name: ci\non: [push]\njobs: {}\n")
    return work


def test_a_prod_plan_is_refused_against_the_base_configuration(tmp_path: Path, live_sandbox: LiveSandbox,
                                                               prod_sandbox: LiveSandbox) -> None:
    project = two_target_project(tmp_path, live_sandbox, prod_sandbox)
    planfile = str(tmp_path / "prod.json")
    made = provision("plan", str(project), "--env", "prod", "--out", planfile, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert json.loads((tmp_path / "prod.json").read_text())["target"]["env"] == "prod"
    base_requests = live_sandbox.sandbox.counts()["total"]
    assert base_requests == 0  # the prod plan read the prod tenant only
    before = (state(live_sandbox), writes(live_sandbox), state(prod_sandbox), writes(prod_sandbox))

    refused = provision("apply", str(tmp_path / "prod.json"), "--yes", cwd=tmp_path)

    assert refused.returncode == exit_codes.ERROR, refused.stdout + refused.stderr
    err = refused.stderr
    assert "was planned for another target" in err and "nothing was written" in err, err
    assert "plan: --env prod  |  this apply: the base configuration (no --env)" in err, err
    assert (f"plan: http://127.0.0.1:{prod_sandbox.port}  |  this apply: http://127.0.0.1:{live_sandbox.port}"
            in err), err
    assert f"apply it as planned with: provision apply {tmp_path / 'prod.json'} --env prod" in err, err
    assert "Traceback" not in err
    # refused before any client was opened: no request at all to either tenant
    assert live_sandbox.sandbox.counts()["total"] == base_requests
    assert (state(live_sandbox), writes(live_sandbox), state(prod_sandbox), writes(prod_sandbox)) == before
    assert writes(live_sandbox) == {} and writes(prod_sandbox) == {}


def test_a_plan_for_another_tenant_of_the_same_env_is_refused(tmp_path: Path, live_sandbox: LiveSandbox,
                                                              prod_sandbox: LiveSandbox) -> None:
    """The env name matches, but env/prod.yaml now points at another iTwin project: refused, named."""
    project = two_target_project(tmp_path, live_sandbox, prod_sandbox)
    planfile = tmp_path / "prod.json"
    made = provision("plan", str(project), "--env", "prod", "--out", str(planfile), cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    overlay = project / "env" / "prod.yaml"
    overlay.write_text(overlay.read_text().replace(
        f"itwin_iot: {{url: 'http://127.0.0.1:{prod_sandbox.port}'}}",
        f"itwin_iot: {{url: 'http://127.0.0.1:{prod_sandbox.port}', project: other-project}}"))
    before = (state(prod_sandbox), writes(prod_sandbox))

    refused = provision("apply", str(planfile), "--env", "prod", "--yes", cwd=tmp_path)

    assert refused.returncode == exit_codes.ERROR, refused.stdout + refused.stderr
    assert "itwin_iot project" in refused.stderr and "plan: sandbox-project  |  this apply: other-project" \
        in refused.stderr, refused.stderr
    assert (state(prod_sandbox), writes(prod_sandbox)) == before


def test_the_printed_hint_applies_from_another_directory(tmp_path: Path, live_sandbox: LiveSandbox,
                                                         prod_sandbox: LiveSandbox) -> None:
    project = two_target_project(tmp_path, live_sandbox, prod_sandbox)
    work = a_directory_that_is_not_the_project(tmp_path)
    # what `apply PLAN` used to load: the working directory
    assert provision("validate", ".", cwd=work).returncode == exit_codes.ERROR

    relative = os.path.relpath(project, work)
    made = provision("plan", relative, "--env", "prod", "--out", "plans/prod.json", cwd=work)
    assert made.returncode == 0, made.stderr
    [hint] = HINT.findall(made.stderr)
    assert hint == "provision apply plans/prod.json --env prod", made.stderr

    applied = run(shlex.split(hint), cwd=work)  # exactly as printed (a saved plan asks no question)

    assert applied.returncode == exit_codes.OK, applied.stdout + applied.stderr
    assert writes(prod_sandbox) and not writes(live_sandbox)  # the prod tenant, as planned
    again = provision("plan", relative, "--env", "prod", "--detailed-exitcode", cwd=work)
    assert again.returncode == exit_codes.OK, again.stdout + again.stderr  # converged: no changes
    # the journal sits in the project the plan named, not in the working directory
    assert (project / ".provision" / "journal.jsonl").is_file()
    assert not (work / ".provision").exists()


def test_a_plan_file_moved_away_from_its_project_asks_for_project(tmp_path: Path, live_sandbox: LiveSandbox,
                                                                   prod_sandbox: LiveSandbox) -> None:
    project = two_target_project(tmp_path, live_sandbox, prod_sandbox)
    made = provision("plan", str(project), "--env", "prod", "--out", "prod.json", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    elsewhere = tmp_path / "downloads" / "run-7"
    elsewhere.mkdir(parents=True)
    (tmp_path / "prod.json").rename(elsewhere / "prod.json")

    lost = provision("apply", "prod.json", "--env", "prod", cwd=elsewhere)
    assert lost.returncode == exit_codes.ERROR, lost.stdout + lost.stderr
    assert "was made for the project 'repo/quickstart' next to it" in lost.stderr
    assert "pass --project DIR" in lost.stderr and "Traceback" not in lost.stderr
    assert writes(prod_sandbox) == {}

    found = provision("apply", "prod.json", "--project", str(project), "--env", "prod", cwd=elsewhere)
    assert found.returncode == exit_codes.OK, found.stdout + found.stderr
    assert writes(prod_sandbox) and not writes(live_sandbox)
