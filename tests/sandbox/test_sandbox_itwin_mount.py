"""The iTwin IoT half is mounted on the same origin and gets the same cross-cutting behaviour."""

from __future__ import annotations

import httpx
from ih_helpers import BASE_URL

from provisioner.sandbox import Sandbox


async def test_itwin_routes_are_served_counted_and_faulted(sandbox: Sandbox) -> None:
    assert sandbox.itwin.installed
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=BASE_URL) as client:
        headers = {"Authorization": "ApiKey sandbox-key"}
        assert (await client.get("/api/nodes/types", headers=headers)).status_code == 200
        assert (await client.get("/api/nodes/types")).status_code == 401
        sandbox.faults.set_spec("429=100%@/api/nodes/*")
        throttled = await client.get("/api/nodes/types", headers=headers)
        assert throttled.status_code == 429 and throttled.headers["retry-after"]
        assert throttled.json()["error"]["code"] == "TooManyRequests"
    counts = sandbox.counts()["endpoints"]
    assert counts["GET /api/nodes/types"] == 3
    assert "itwin" in sandbox.snapshot() and sandbox.snapshot()["itwin"] is not None
