"""bench_quota_apply at a few sites (not quota-bound: the logic, not the figures) and its report."""

from __future__ import annotations

import bench_quota_apply as bench


async def test_a_small_scaled_apply_fails_nothing_and_counts_what_the_sandbox_served() -> None:
    run = await bench.measure(2, 1000.0, 0.0, 8)
    assert run.failed == 0 and run.calls == run.served and run.throttled == 0
    assert run.nodes == 4 + 2 * 15 and [m.share for m in run.marks] == [0.25, 0.5, 0.75]
    assert all(0 <= m.actual <= run.seconds for m in run.marks)


def test_report_judges_the_duration_against_the_estimate_and_prints_the_eta_errors() -> None:
    marks = [bench.EtaMark(0.25, 10.0, 170.0, 175.0), bench.EtaMark(0.5, 20.0, 160.0, 165.0),
             bench.EtaMark(0.75, 100.0, 85.0, 85.0)]
    run = bench.Run(500, 40.0, 7504, 180.0, "mc.datapointmappings.post", 7200.0, 185.0, 0, 7015, 7015, 0, 5,
                    marks)
    out = bench.report(run)
    assert "mc.datapointmappings.post" in out and "2.00h" in out and "1.028" in out
    assert "-5.0s" in out and "-2.9%" in out
    assert "targets: measured/estimate 1.028 within 1+-0.1, failed 0 = 0: PASS" in out
    run.seconds = 200.0
    assert "measured/estimate 1.111 within 1+-0.1, failed 0 = 0: FAIL" in bench.report(run)
