"""bench_check_fleet's minimum is its own formula from the fleet's size: pinned by hand for one
site and met exactly by the calls the sandbox served during a round on 1- and 2-site fleets."""

from __future__ import annotations

import tempfile
from pathlib import Path

import bench_check_fleet as bench
import pytest


def test_one_site_minimum_is_the_hand_count() -> None:
    # 1 boarding status + 1 online status, 1 mapping page, 2 asset aspects, 1 recoverable-records page,
    # 1 events page, 2 sensor observation queries
    assert bench.fleet_minimum(1) == 9
    assert bench.fleet_minimum(2) == 15
    # mapping pages grow by one every 2000 mappings (334 sites = 2,004 mappings -> 2 pages)
    assert bench.fleet_minimum(334) - bench.fleet_minimum(333) == 6 + 1
    # event pages grow by one every 100 events (one per site)
    assert bench.fleet_minimum(101) - bench.fleet_minimum(100) == 6 + 1


@pytest.mark.parametrize("sites", [1, 2])
async def test_a_round_makes_exactly_the_minimum_the_sandbox_counts(sites: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-check-test-") as tmp:
        measured = await bench.measure(sites, Path(tmp))
    assert measured.report.flowing, measured.report.summary()
    assert measured.served == bench.fleet_minimum(sites)
    assert measured.report.calls == measured.served  # the client's count agrees with the server's
