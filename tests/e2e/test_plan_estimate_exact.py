"""The plan's estimate against the sandbox: calls exact per platform, and a quota-bound apply at a
time scale that the clients pace without a failed call (counts, not wall time)."""

from __future__ import annotations

import io
from pathlib import Path

from fleetgen import make_fleet

from provisioner.apply.progress import ProgressReporter
from provisioner.config import load_project
from provisioner.pipeline import ApplyOptions, apply_plan
from provisioner.sandbox import Sandbox, SandboxSettings
from provisioner.session import Session, make_plan, open_session

SITES = 4
MAPPINGS = "mc.datapointmappings.post"


def calls(session: Session) -> dict[str, int]:
    return {p: c.stats.total for p, c in (("insights_hub", session.hub), ("itwin_iot", session.itwin))
            if c is not None}


async def test_the_estimate_of_a_cold_apply_is_exact_per_platform(tmp_path: Path, sandbox: Sandbox) -> None:
    config = load_project(make_fleet(tmp_path / "fleet", SITES)).config
    async with open_session(config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        before = calls(session)
        sandbox.counts(reset=True)
        report = await apply_plan(session, plan, ApplyOptions(force=True), live=live)
        made = {p: n - before[p] for p, n in calls(session).items()}
    assert report.ok and sum(made.values()) == sandbox.counts()["total"]
    assert dict(plan.estimate.calls_by_platform) == made
    # the lease's take (a first one creates its aspect type) and release are in it
    assert plan.estimate.calls_by_class["am.aspecttype.patch"] == 1  # only the release patches
    assert plan.estimate.calls_by_class[MAPPINGS] == 6 * SITES


async def test_a_second_apply_counts_the_existing_lease_exactly(tmp_path: Path, sandbox: Sandbox) -> None:
    root = make_fleet(tmp_path / "fleet", SITES)
    async with open_session(load_project(root).config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        assert (await apply_plan(session, plan, ApplyOptions(force=True), live=live)).ok
    (root / "vars" / "sites.csv").write_text(
        (root / "vars" / "sites.csv").read_text().replace("Pumping Station", "Pump Station"))
    async with open_session(load_project(root).config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        before = calls(session)
        assert plan.has_changes and (await apply_plan(session, plan, ApplyOptions(force=True), live=live)).ok
        made = {p: n - before[p] for p, n in calls(session).items()}
    assert dict(plan.estimate.calls_by_platform) == made


async def test_a_quota_bound_apply_at_a_time_scale_waits_for_quota_and_fails_nothing(tmp_path: Path) -> None:
    # 24 mapping creates under 10 an hour at 3600x: 10 per second, so the apply waits twice
    sandbox = Sandbox(SandboxSettings(boarding_delay_s=0.0, time_scale=3600))
    sandbox.quota.set_limits({"POST /api/mindconnect/v3/dataPointMappings": [(10, 3600.0)]})
    root = make_fleet(tmp_path / "fleet", SITES)
    (root / "env").mkdir(exist_ok=True)
    (root / "env" / "quota.yaml").write_text(
        "platforms:\n"
        f"  insights_hub: {{rate_limits: {{{MAPPINGS}: {{per_hour: 10}}}}, quota_time_scale: 3600}}\n")
    config = load_project(root, env="quota").config
    out = io.StringIO()
    async with open_session(config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        assert plan.estimate.quota_seconds == 2.0 and plan.estimate.binding_class == MAPPINGS
        progress = ProgressReporter(len(plan.graph()), stream=out, tty=False, estimate=plan.estimate)
        session.observe_quotas(progress)
        with progress:
            report = await apply_plan(session, plan, ApplyOptions(force=True), live=live,
                                      on_event=progress.on_event)
        assert session.hub is not None and session.hub.stats.throttled_seconds > 0
        assert session.hub.stats.calls[MAPPINGS] == 6 * SITES + session.hub.stats.retries[MAPPINGS]
    assert report.ok and not report.failed
    said = "waiting for quota: mindconnect POST /dataPointMappings, 10/h at time scale 3600x"
    assert said in out.getvalue()
    assert progress.quota is not None and progress.quota.taken[MAPPINGS] >= 6 * SITES
