"""Cross-cutting behaviour: faults (deterministic under seed), quotas, latency, counts, admin."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from ih_helpers import AGM, AM, BASE_URL, MC, Clock, Ih, token_for

from provisioner.sandbox import Sandbox, SandboxSettings
from provisioner.sandbox.faults import FaultSpecError, parse_faults
from provisioner.sandbox.quota import VENDOR_QUOTAS
from provisioner.sandbox.transport import SandboxTransport


@asynccontextmanager
async def connect(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=BASE_URL) as client:
        client.headers["Authorization"] = f"Bearer {await token_for(client)}"
        yield client


@pytest.mark.parametrize(("kind", "status"), [("429", 429), ("500", 500), ("502", 502), ("503", 503)])
async def test_status_faults_use_the_service_error_shape(sandbox: Sandbox, kind: str, status: int) -> None:
    async with connect(sandbox) as client:
        sandbox.faults.set_spec(f"{kind}=100%")
        am = await client.get(f"{AM}/assets")
        agm = await client.get(f"{AGM}/agents")
    assert am.status_code == agm.status_code == status
    assert "errors" in am.json() and set(agm.json()) == {"id", "message"}
    assert (am.headers.get("retry-after") is not None) == (status == 429)


async def test_reset_surfaces_as_an_httpx_transport_error(sandbox: Sandbox) -> None:
    async with connect(sandbox) as client:
        sandbox.faults.set_spec("reset=100%")
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(f"{AM}/assets/root")


async def test_commit_fail_applies_the_write_before_failing(sandbox: Sandbox) -> None:
    async with connect(sandbox) as client:
        ih = Ih(client)
        sandbox.faults.set_spec("commit-fail=100%@/api/assetmanagement/*")
        outcomes = []
        for i in range(8):
            try:
                outcomes.append((await ih.aspect_type(f"C{i}")).status_code)
            except httpx.TransportError:
                outcomes.append(-1)
        assert all(o in (-1, 500, 502, 503) for o in outcomes) and -1 in outcomes and set(outcomes) != {-1}
        sandbox.faults.set_spec("")
        for i in range(8):
            assert (await client.get(f"{AM}/aspecttypes/sandbox.C{i}")).status_code == 200
        again = await ih.aspect_type("C0")
        assert again.status_code == 400  # exists now: the retry must carry If-Match


async def test_path_filter_and_reads_are_spared_by_commit_fail(sandbox: Sandbox) -> None:
    async with connect(sandbox) as client:
        sandbox.faults.set_spec("503=100%@/api/agentmanagement/*,commit-fail=0%")
        assert (await client.get(f"{AM}/assets/root")).status_code == 200
        assert (await client.get(f"{AGM}/agents")).status_code == 503
        sandbox.faults.set_spec("commit-fail=100%")
        assert (await client.get(f"{AM}/assets/root")).status_code == 200


async def statuses(seed: int) -> list[int]:
    sandbox = Sandbox(SandboxSettings(seed=seed))
    async with connect(sandbox) as client:
        sandbox.faults.set_spec("500=30%,429=20%")
        return [(await client.get(f"{MC}/dataPointMappings")).status_code for _ in range(40)]


async def test_faults_are_deterministic_under_seed() -> None:
    first, second, other = await statuses(7), await statuses(7), await statuses(8)
    assert first == second and first != other and {200, 500, 429} <= set(first)


async def test_ids_are_deterministic_under_seed() -> None:
    ids = []
    for _ in range(2):
        async with connect(Sandbox(SandboxSettings(seed=3))) as client:
            ids.append((await Ih(client).asset("a", "core.basicasset")).json()["assetId"])
    assert ids[0] == ids[1]


def test_fault_spec_grammar() -> None:
    rules = parse_faults("429=5%, 503=2.5 @/api/assetmanagement/*,reset=1%")
    assert [(r.kind, r.probability, r.glob) for r in rules] == [
        ("429", 0.05, None),
        ("503", 0.025, "/api/assetmanagement/*"),
        ("reset", 0.01, None),
    ]
    for bad in ("418=5%", "429", "500=150%", "500=60%,503=60%"):
        with pytest.raises(FaultSpecError):
            parse_faults(bad)


async def test_latency_is_added_per_request(sandbox: Sandbox) -> None:
    async with connect(sandbox) as client:
        sandbox.settings.latency_ms = 30
        started = time.perf_counter()
        await client.get(f"{AM}/assets/root")
        assert time.perf_counter() - started >= 0.03


async def test_custom_quota_gives_429_with_retry_after_and_refills(sandbox: Sandbox, clock: Clock) -> None:
    async with connect(sandbox) as client:
        admin = await client.put(
            "/_sandbox/quota", json={"limits": {f"GET {MC}/dataPointMappings": [[3, 60]]}}
        )
        assert admin.status_code == 200
        codes = [(await client.get(f"{MC}/dataPointMappings")).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = await client.get(f"{MC}/dataPointMappings")
        assert int(limited.headers["retry-after"]) == 20 and set(limited.json()) == {"id", "message"}
        assert (await client.get(f"{AM}/assets/root")).status_code == 200
        clock.advance(20)
        assert (await client.get(f"{MC}/dataPointMappings")).status_code == 200


async def test_vendor_quota_table() -> None:
    clock = Clock()
    sandbox = Sandbox(SandboxSettings(quota="vendor", clock=clock))
    assert sandbox.quota.limits == VENDOR_QUOTAS
    assert VENDOR_QUOTAS[f"GET {AM}/aspecttypes/{{id}}"] == [(750, 60.0)]
    async with connect(sandbox) as client:
        await Ih(client).aspect_type("Q")
        codes = [(await client.get(f"{AM}/aspecttypes/sandbox.Q")).status_code for _ in range(751)]
    assert codes.count(200) == 750 and codes[-1] == 429


async def test_counts_reset_snapshot_and_seed(sandbox: Sandbox) -> None:
    async with connect(sandbox) as client:
        ih = Ih(client)
        await ih.aspect_type("Motor")
        await client.get(f"{AM}/aspecttypes/sandbox.Motor")
        await client.get(f"{AM}/aspecttypes/sandbox.Other")
        counts = (await client.get("/_sandbox/counts", params={"reset": "1"})).json()
        assert counts["endpoints"][f"GET {AM}/aspecttypes/{{id}}"] == 2
        assert counts["endpoints"][f"PUT {AM}/aspecttypes/{{id}}"] == 1 and counts["total"] == 4
        assert (await client.get("/_sandbox/counts")).json()["total"] == 0
        snapshot = (await client.get("/_sandbox/snapshot")).json()
        assert (await client.post("/_sandbox/reset")).status_code == 200
        assert (await client.get(f"{AM}/aspecttypes/sandbox.Motor")).status_code == 404
        loaded: list[int] = []  # the server process settles its heap here (`provision sandbox`)
        sandbox.after_load = lambda: loaded.append(len(sandbox.ctx.state.aspect_types))
        assert (await client.post("/_sandbox/seed", json=snapshot)).status_code == 200
        assert (await client.get(f"{AM}/aspecttypes/sandbox.Motor")).status_code == 200
        assert loaded == [len(sandbox.ctx.state.aspect_types)] and loaded[0] > 0
        assert (await client.put("/_sandbox/faults", json={"spec": "bogus"})).status_code == 400
        assert (await client.put("/_sandbox/faults", json={"spec": "503=100%"})).status_code == 200
        assert (await client.get(f"{AM}/assets/root")).status_code == 503
        assert (await client.get("/_sandbox/snapshot")).status_code == 200


async def test_admin_refuses_remote_clients(sandbox: Sandbox) -> None:
    transport = SandboxTransport(sandbox.app, client=("192.0.2.7", 5000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        assert (await client.post("/_sandbox/reset")).status_code == 403
