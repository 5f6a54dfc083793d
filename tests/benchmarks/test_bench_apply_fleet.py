"""bench_apply_fleet at a few sites, against a child-process sandbox: minimum calls by hand, the
client's count equals what the sandbox served, converged after apply, tables print."""

from __future__ import annotations

import bench_apply_fleet as bench
import pytest

from provisioner.config.schema import InsightsHubSettings, ItwinIotSettings
from provisioner.pipeline import DEFAULT_PARALLELISM


async def test_one_site_minimum_is_the_hand_count_and_the_bounds_follow_the_config() -> None:
    result = await bench.measure(bench.Config("t", 8, {"insights_hub": 4, "itwin_iot": 2}), 1, 1.0)
    # 3 aspect types + 1 asset type + 2 assets + agent (asset + agent) + DSC + 6 mappings
    # + 1 event mapping; iTwin: one integrate carries connection (with its marker), device and
    # both sensors, one node update names the connection (the service ignores node props at creation).
    assert result.minimum == {"insights_hub": 3 + 1 + 2 + 2 + 1 + 6 + 1, "itwin_iot": 2}
    assert result.nodes == 3 + 1 + 2 + 1 + 1 + 6 + 1 + 1 + 1 + 2
    assert result.calls["itwin_iot"] == 2
    # the minimum plus the stack lease's take and release: no list before or after any create
    assert result.calls["insights_hub"] == 16 + 2
    # the client's count is what the child sandbox served (measure raises otherwise)
    assert result.served == sum(result.calls.values())
    assert result.failed == 0 and result.empty_after
    # the plan's estimate is exact per platform (the lease's two calls included)
    assert result.estimate == result.calls
    assert result.concurrency == {"insights_hub": 4, "itwin_iot": 2}
    # aspect type -> asset type -> site -> pump -> mapping: at least 5 calls of 1 ms
    assert result.critical_path_s >= 0.005
    bounds = result.bounds()
    assert bounds["insights_hub calls / 4"] == pytest.approx(result.calls["insights_hub"] * 0.001 / 4)
    assert bounds["itwin_iot calls / 2"] == pytest.approx(2 * 0.001 / 2)
    assert bounds["all calls / parallelism"] == pytest.approx(sum(result.calls.values()) * 0.001 / 8)
    assert result.bound == max(bounds.values())
    assert result.wall_ratio == pytest.approx(result.seconds / result.bound)


def test_default_config_is_the_schema_and_cli_defaults_in_a_child_process() -> None:
    config = bench.CONFIGS["default"]
    assert config.parallelism == DEFAULT_PARALLELISM and config.concurrency is None
    assert bench.CONFIGS["low"] == bench.Config("low", 16, {"insights_hub": 4, "itwin_iot": 4})
    result = bench.measure_in_child(config, 2, 0.0)
    # examples/fleet sets no concurrency: the schema's defaults are in force
    assert result.concurrency == {"insights_hub": InsightsHubSettings.model_fields["concurrency"].default,
                                  "itwin_iot": ItwinIotSettings.model_fields["concurrency"].default}
    assert result.parallelism == DEFAULT_PARALLELISM
    assert result.failed == 0 and result.empty_after and result.maxrss_mb > 0
    assert result.served == sum(result.calls.values())
    # per site: site and pump assets, agent (2), DSC, 6 mappings, 1 event mapping; the 3 aspect
    # types and the asset type are shared; iTwin: one integrate and one connection update a site
    assert result.minimum == {"insights_hub": 4 + 2 * 12, "itwin_iot": 2 * 2}


def _fake(name: str, nodes: int, seconds: float, parallelism: int, *, bound_calls: int = 100,
          minimum: int = 90, estimated: int | None = None) -> bench.Result:
    return bench.Result(name, 1, parallelism, {"insights_hub": 8, "itwin_iot": 4}, 20.0, nodes, 0,
                        {"insights_hub": bound_calls, "itwin_iot": 10}, bound_calls + 10,
                        {"insights_hub": minimum, "itwin_iot": 10}, 0.1, seconds, 1.0, 50.0, True,
                        {"insights_hub": bound_calls if estimated is None else estimated, "itwin_iot": 10})


def test_report_prints_ratios_and_judges_the_default_run() -> None:
    baseline = _fake("parallelism 1", 10, 1.0, 1)
    # default: 100 nodes in 0.5 s = 20x the baseline's 10/s; bound 100 x 20 ms / 8 = 0.25 s -> 2.0
    out = bench.report([_fake("default", 100, 0.5, 32), _fake("low", 100, 0.26, 16)], baseline)
    assert "default" in out and "20.0x" in out and "1.100" in out and "2.00" in out
    assert "baseline: 1 sites at parallelism 1: 10 nodes" in out
    assert ("cold apply calls / minimum on `default`: 110/100 = 1.100 (target <= 1.05, goal 1.02): FAIL; "
            "goal <= 1.02: FAIL") in out
    assert "estimate / actual calls on insights_hub: 100/100 = 1.00 (target 1.00): PASS" in out
    assert ("targets on `default`: wall 2.00 <= 1.3, speed-up 20.0x >= 10x, calls 1.100 <= 1.05, "
            "converged yes, estimate exact yes: FAIL") in out
    # wall and speed-up met, but 10% more calls than the minimum: still FAIL
    out = bench.report([_fake("default", 100, 0.3, 32)], baseline)
    assert "calls 1.100 <= 1.05, converged yes, estimate exact yes: FAIL" in out
    out = bench.report([_fake("default", 100, 0.3, 32, minimum=98)], baseline)
    assert ("cold apply calls / minimum on `default`: 110/108 = 1.019 (target <= 1.05, goal 1.02): PASS; "
            "goal <= 1.02: PASS") in out
    assert ("targets on `default`: wall 1.20 <= 1.3, speed-up 33.3x >= 10x, calls 1.019 <= 1.05, "
            "converged yes, estimate exact yes: PASS") in out
    # an estimate one call off on a platform fails the run
    out = bench.report([_fake("default", 100, 0.3, 32, minimum=98, estimated=99)], baseline)
    assert "estimate / actual calls on insights_hub: 99/100 = 0.99 (target 1.00): FAIL" in out
    assert "estimate exact NO: FAIL" in out
