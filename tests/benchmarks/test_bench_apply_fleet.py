"""bench_apply_fleet at a few sites: minimum calls by hand, converged after apply, tables print."""

from __future__ import annotations

import bench_apply_fleet as bench
import pytest


async def test_one_site_minimum_is_the_hand_count() -> None:
    result = await bench.measure(bench.Config("t", 4, None), 1, 0.0)
    # 3 aspect types + 1 asset type + 2 assets + agent (asset + agent) + DSC + 6 mappings
    # + 1 event mapping; iTwin: one integrate carries connection, device and both sensors.
    assert result.minimum == {"insights_hub": 3 + 1 + 2 + 2 + 1 + 6 + 1, "itwin_iot": 1}
    assert result.calls["itwin_iot"] == 1
    assert result.calls["insights_hub"] >= 16
    assert result.failed == 0 and result.empty_after
    assert result.nodes == 3 + 1 + 2 + 1 + 1 + 6 + 1 + 1 + 1 + 2


async def test_bounds_and_critical_path() -> None:
    result = await bench.measure(bench.Config("t", 8, {"insights_hub": 4, "itwin_iot": 2}), 2, 1.0)
    assert result.concurrency == {"insights_hub": 4, "itwin_iot": 2}
    # aspect type -> asset type -> pump asset -> mapping, with the site before the pump: the
    # longest chain is aspect type, asset type, site, pump... at least 5 calls of 1 ms
    assert result.critical_path_s >= 0.005
    bounds = result.bounds()
    assert bounds["insights_hub calls / 4"] == pytest.approx(result.calls["insights_hub"] * 0.001 / 4)
    assert result.bound == max(bounds.values())
    assert result.empty_after


def test_report_prints_ratios_and_verdicts() -> None:
    def fake(name: str, nodes: int, seconds: float, parallelism: int) -> bench.Result:
        return bench.Result(name, 1, parallelism, {"insights_hub": 8, "itwin_iot": 4}, 20.0, nodes, 0,
                            {"insights_hub": 100, "itwin_iot": 10}, {"insights_hub": 90, "itwin_iot": 10},
                            0.1, seconds, 1.0, 50.0, True)
    baseline = fake("parallelism 1", 10, 1.0, 1)
    out = bench.report([fake("example", 100, 0.5, 16)], baseline)
    assert "example" in out and "20.0x" in out and "1.100" in out
    assert "PASS" in out and "baseline: 1 sites at parallelism 1: 10 nodes" in out


def test_child_process_run() -> None:
    result = bench.measure_in_child(bench.Config("example", 16, None), 2, 0.0)
    assert result.failed == 0 and result.empty_after and result.maxrss_mb > 0
