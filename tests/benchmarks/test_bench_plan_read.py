"""bench_plan_read at a few sites: the minimum is the hand count, the plan is empty, tables print;
the child-process sandbox takes both vendors' state, counts what it serves and stops."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import _fleet
import bench_plan_read as bench
import pytest

from provisioner.config.schema import InsightsHubSettings, ItwinIotSettings


def _project(sites: int):  # type: ignore[no-untyped-def]
    tmp = tempfile.mkdtemp()
    return _fleet.load_fleet(_fleet.make_fleet(Path(tmp), sites))


async def test_one_site_minimum_is_the_hand_count_and_the_plan_meets_it() -> None:
    result = await bench.measure(_project(1), _fleet.new_sandbox(), latency_ms=2, repeat=1)
    # token 1; aspect types (3 of the tenant), asset types (1), assets (root, site, pump, agent's
    # asset), agents, mappings, event mappings: one page each; 1 DSC; iTwin nodes, devices,
    # sensors: one page each and the empty page that ends it (no totals, no documented cap);
    # the stack's apply lease: one GET.
    assert result.minimum == {
        "ih.auth.token": 1, "am.aspecttype.get": 1, "am.aspecttypes.get": 1, "am.assettypes.get": 1,
        "am.assets.get": 1,
        "agm.agents.get": 1, "mc.datapointmappings.get": 1, "mc.eventmappings.get": 1, "agm.dsc.get": 1,
        "iot.nodes.get": 2, "iot.devices.get": 2, "iot.sensors.get": 2,
    }
    assert result.calls == result.minimum
    assert result.changes == 0
    assert result.calls_ratio == 1.0
    # the fleet example leaves concurrency at the configuration's defaults
    defaults = {"insights_hub": InsightsHubSettings.model_fields["concurrency"].default,
                "itwin_iot": ItwinIotSettings.model_fields["concurrency"].default}
    assert result.concurrency == defaults
    # bound: the slower vendor's calls x 2 ms latency / its slots (9 IH calls, 6 iTwin calls)
    expected = max(9 * 0.002 / defaults["insights_hub"], 6 * 0.002 / defaults["itwin_iot"])
    assert result.bound == pytest.approx(expected)


async def test_minimum_follows_the_sandbox_page_size() -> None:
    sandbox = _fleet.new_sandbox()
    sandbox.settings.max_page_size = 2
    result = await bench.measure(_project(3), sandbox, latency_ms=0, repeat=1)
    assert result.minimum["am.assets.get"] == 5  # root + 3 x (site, pump, agent) = 10 assets
    assert result.minimum["am.aspecttypes.get"] == 2  # 3 of the tenant
    assert result.minimum["agm.dsc.get"] == 3
    assert result.calls["am.assets.get"] == 5
    assert result.changes == 0


def test_main_prints_the_tables(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--sites", "3", "--latency-ms", "1", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "API calls: plan vs minimum" in out and "wall @ 1 ms vs I/O bound" in out
    assert re.search(r"changes in the converged plan\s+0\s", out)
    assert re.search(r"bare aiohttp replay, same calls\s+\d+\.\d\ds", out)  # the floor ran too
    assert "agm.dsc.get               3           3" in out


async def test_sandbox_process_seeds_both_vendors_counts_and_stops() -> None:
    local = _fleet.new_sandbox()
    project = _project(1)
    await _fleet.apply_fleet(project, local, parallelism=4)
    state = local.snapshot()
    assert state["itwin"]["entities"] and len(state["insightsHub"]["agents"]) == 1
    with _fleet.SandboxProcess(latency_ms=1) as server:
        server.seed(state)
        served = server.snapshot()
        assert served["insightsHub"] == state["insightsHub"] and served["itwin"] == state["itwin"]
        remote = _fleet.remote_project(project, server.url)
        assert remote.config.platforms.insights_hub is not None
        assert remote.config.platforms.insights_hub.gateway == server.url
        assert remote.config.platforms.itwin_iot is not None
        assert remote.config.platforms.itwin_iot.url == server.url
        server.counts(reset=True)
        run = await _fleet.plan_fleet(remote, None)
        assert run.changes == 0
        assert server.counts()["total"] == sum(run.calls_by_class.values()) == 15  # 14 list pages + lease GET
        process = server.process
    assert process is not None and process.poll() is not None
