"""Issue 15, must-show 2: an apply stopped by its deadline, then resumed, converges with 0 repeated writes.

The first test runs the pipeline against an in-process sandbox with a clock that counts the
sandbox's writes instead of seconds, so where the deadline falls depends on the apply's
progress, not on how loaded the machine is. The writes of the stopped apply plus those of the
resumed one equal, by method and API, those of one uninterrupted apply on a fresh sandbox
(the stack lease's own requests aside). The second test runs `provision apply --max-duration`
through the CLI against a sandbox whose every answer takes 300 ms, with a deadline shorter than
any complete apply can take: it exits 8 naming what remains, and the next apply finishes the job
without writing any object again.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import httpx
from fleetgen import drift, duplicates, make_fleet
from harness import LiveSandbox, free_port

from provisioner.apply import EXIT_DEADLINE, Deadline, Journal
from provisioner.cli import exit_codes
from provisioner.config import ProjectConfig, load_project
from provisioner.pipeline import ApplyOptions, apply_plan
from provisioner.sandbox import Sandbox, SandboxSettings
from provisioner.session import make_plan, open_session

LEASE = "provisionlease_"
WRITES = ("POST", "PUT", "PATCH", "DELETE")


class WriteLog(httpx.AsyncBaseTransport):
    """The sandbox's transport, counting the object writes it serves by method and API (token and
    stack-lease requests aside)."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox, self.inner = sandbox, sandbox.transport()
        self.writes: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method in WRITES and LEASE not in path and "token" not in path:
            self.writes[f"{request.method} {'/'.join(path.split('/')[:4])}"] += 1
        return await self.inner.handle_async_request(request)

    def total(self) -> float:
        return float(sum(self.writes.values()))


def fresh_sandbox(config: ProjectConfig) -> Sandbox:
    hub, itwin = config.platforms.insights_hub, config.platforms.itwin_iot
    assert hub is not None and itwin is not None
    return Sandbox(SandboxSettings(boarding_delay_s=0.0, tenant=hub.tenant, itwin_project=itwin.project))


async def test_deadline_stop_then_resume_repeats_no_write(tmp_path: Path) -> None:
    project = make_fleet(tmp_path / "fleet", 4)
    config = load_project(project).config

    clean = WriteLog(fresh_sandbox(config))
    async with open_session(config, transport=clean) as session:
        plan, live = await make_plan(session)
        assert (await apply_plan(session, plan, ApplyOptions(), live=live)).ok
    assert clean.total() > 40

    log = WriteLog(fresh_sandbox(config))
    async with open_session(config, transport=log) as session:
        plan, live = await make_plan(session)
        # the deadline falls after 20 writes of this apply, on a clock that counts writes
        deadline = Deadline.after(20.0, clock=log.total)
        options = ApplyOptions(deadline=deadline, journal_dir=project)
        first = await apply_plan(session, plan, options, live=live)
    assert first.exit_code() == EXIT_DEADLINE == exit_codes.DEADLINE
    assert first.deadline_reached and not first.failed and not first.skipped
    assert 0 < len(first.applied) < len(plan.graph()) and first.not_started
    assert len(first.applied) + len(first.not_started) == len(plan.graph())
    assert 0 < log.total() < clean.total()
    assert Journal(project).pending() == []  # nothing left started but unfinished
    stopped_writes = Counter(log.writes)

    async with open_session(config, transport=log) as session:
        resumed_plan, live = await make_plan(session)
        assert resumed_plan.has_changes
        done_first = {op.address for op in first.applied}
        assert not done_first & {c.address for c in resumed_plan.changes}  # nothing planned twice
        resumed = await apply_plan(session, resumed_plan, ApplyOptions(journal_dir=project), live=live)
        assert resumed.ok and resumed.exit_code() == 0
    assert log.writes == clean.writes, (stopped_writes, log.writes - stopped_writes, clean.writes)

    async with open_session(config, transport=log.inner) as session:
        after, _ = await make_plan(session)
        assert not after.has_changes, [c.address for c in after.changes]
        assert await drift(session) == []
    assert duplicates(log.sandbox.snapshot()) == {}


def provision(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provisioner", *args], capture_output=True, text=True,
                          timeout=180)


def test_cli_max_duration_exits_8_and_the_next_apply_finishes(tmp_path: Path) -> None:
    # 300 ms per answer: reading, taking the lease and the 7 levels of dependent creates of a site
    # (types, site, pump, agent, data sources, mappings) take well over the 2 s allowed
    settings = SandboxSettings(port=free_port(), boarding_delay_s=0.0, latency_ms=300.0)
    with LiveSandbox(settings) as live:
        project = make_fleet(tmp_path / "fleet", 2, port=live.port)
        apply = ("apply", str(project), "--env", "test", "--yes", "--format", "json")
        stopped = provision(*apply, "--max-duration", "2s")
        assert stopped.returncode == exit_codes.DEADLINE, stopped.stdout + stopped.stderr
        report = json.loads(stopped.stdout)
        assert report["exit_code"] == 8 and report["stopped"] == "deadline reached"
        assert report["not_started"] and not report["failed"] and not report["skipped"]
        assert len(report["applied"]) + len(report["not_started"]) == report["planned"]
        assert Journal(project).pending() == []

        text = provision("apply", str(project), "--env", "test", "--yes", "--max-duration", "0s")
        assert text.returncode == exit_codes.DEADLINE, text.stdout + text.stderr
        assert "Stopped (deadline reached):" in text.stdout and "not started:" in text.stdout
        assert "The next plan or apply continues with them" in text.stdout

        resumed = provision(*apply)
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        again = {op["address"] for op in json.loads(resumed.stdout)["applied"]}
        assert again and not again & {op["address"] for op in report["applied"]}
        planned = provision("plan", str(project), "--env", "test", "--detailed-exitcode")
        assert planned.returncode == 0, planned.stdout + planned.stderr
        assert duplicates(live.sandbox.snapshot()) == {}
