"""`--time-scale N`: quota windows refill N times sooner and Retry-After is the scaled wait."""

from __future__ import annotations

import httpx
import pytest
from click.testing import CliRunner
from ih_helpers import AM, BASE_URL, MC, Clock, token_for

from provisioner.cli.main import cli
from provisioner.sandbox import Sandbox, SandboxSettings
from provisioner.sandbox.quota import QuotaTable

MAPPINGS = f"GET {MC}/dataPointMappings"


async def _codes(sandbox: Sandbox, n: int) -> tuple[list[int], httpx.Response]:
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=BASE_URL) as client:
        client.headers["Authorization"] = f"Bearer {await token_for(client)}"
        codes = [(await client.get(f"{MC}/dataPointMappings")).status_code for _ in range(n)]
        last = await client.get(f"{MC}/dataPointMappings")
    return codes, last


async def test_vendor_quota_at_time_scale_100_refills_in_a_hundredth_of_the_window() -> None:
    clock = Clock()
    sandbox = Sandbox(SandboxSettings(quota="vendor", time_scale=100, clock=clock))
    codes, limited = await _codes(sandbox, 1051)
    assert codes.count(200) == 1050 and codes[-1] == 429  # the documented 1050/h, unchanged in count
    # one token comes back after 3600/1050 s of quota time: 34.3 ms of real time at 100x
    assert limited.status_code == 429 and limited.headers["retry-after"] == "0.035"
    clock.advance(0.035)
    codes, _ = await _codes(sandbox, 1)
    assert codes == [200]
    assert sandbox.counts()["endpoints"][MAPPINGS] == 1054


async def test_time_scale_1_keeps_whole_second_retry_after() -> None:
    clock = Clock()
    sandbox = Sandbox(SandboxSettings(clock=clock))
    sandbox.quota.set_limits({MAPPINGS: [(3, 60.0)]})
    codes, limited = await _codes(sandbox, 3)
    assert codes == [200, 200, 200] and limited.headers["retry-after"] == "20"
    clock.advance(19.9)
    assert (await _codes(sandbox, 0))[1].status_code == 429
    clock.advance(0.1)
    assert (await _codes(sandbox, 0))[1].status_code == 200


async def test_admin_reports_and_sets_the_time_scale() -> None:
    sandbox = Sandbox(SandboxSettings(quota="vendor", time_scale=40))
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=BASE_URL) as admin:
        state = (await admin.get("/_sandbox/quota")).json()
        assert state["time_scale"] == 40
        assert state["limits"][f"POST {AM}/assets"] == [[594, 60.0], [1485, 3600.0]]
        changed = await admin.put("/_sandbox/quota", json={"time_scale": 10})
        assert changed.status_code == 200 and changed.json()["time_scale"] == 10
        assert sandbox.quota.time_scale == 10 and sandbox.quota.limits == {
            k: [tuple(r) for r in v] for k, v in state["limits"].items()}
        refused = await admin.put("/_sandbox/quota", json={"time_scale": 0.5})
        assert refused.status_code == 400 and sandbox.quota.time_scale == 10


@pytest.mark.parametrize("value", [0, 0.5, float("inf"), 1e9])
def test_time_scale_below_1_or_not_finite_is_refused(value: float) -> None:
    with pytest.raises(ValueError, match="time scale"):
        QuotaTable({}, time_scale=value)


def test_cli_flag_is_documented_and_checked() -> None:
    runner = CliRunner()
    shown = runner.invoke(cli, ["sandbox", "--help"])
    assert shown.exit_code == 0 and "--time-scale" in shown.output
    bad = runner.invoke(cli, ["sandbox", "--time-scale", "0"])
    assert bad.exit_code == 2 and "--time-scale" in bad.output
