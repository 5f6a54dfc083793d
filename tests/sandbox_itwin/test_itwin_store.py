"""Snapshot/restore and reset of the store."""

from __future__ import annotations

import json
import random

import httpx
from itwin_helpers import device, generic_sensor, new_node
from starlette.applications import Starlette

from provisioner.sandbox.itwin_iot import ItwinSettings, ItwinStore, build_routes


async def test_round_trip_preserves_every_read(client: httpx.AsyncClient, store: ItwinStore) -> None:
    body = await new_node(client, [device("d", [generic_sensor("s")])])
    sensor_id = body["devices"][0]["sensors"][0]["id"]
    upload = {
        "observations": [
            {"sensorId": sensor_id, "timestamp": "2024-01-01T00:00:00Z", "values": {"Alignment_Left_SD": 1}}
        ]
    }
    await client.post("/api/data/upload", json=upload)
    token = (
        await client.post(
            "/connect/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "sandbox-ims-client",
                "client_secret": "sandbox-ims-secret",
            },
        )
    ).json()["access_token"]

    snapshot = json.loads(json.dumps(store.to_dict()))
    restored = ItwinStore(ItwinSettings(), random.Random(1))
    restored.clock = store.clock
    restored.load_dict(snapshot)
    assert restored.to_dict() == store.to_dict()

    app = Starlette(routes=build_routes(restored))
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8700", headers=headers
    ) as other:
        for path in ("/api/nodes/all", "/api/devices/all", "/api/sensors/all"):
            assert (await other.get(path)).json() == (await client.get(path)).json()
        node_id = body["node"]["id"]
        assert (await other.post(f"/api/integrations/{node_id}")).json() == (
            await client.post(f"/api/integrations/{node_id}")
        ).json()
        # indexes were rebuilt: refId lookup and uniqueness work on the restored store
        dup = await other.post(
            "/api/integrations/integrate",
            params={"projectIds": "sandbox-project"},
            json={"integration": {"nodeId": node_id, "devices": [device("d")]}},
        )
        assert dup.status_code == 422
    assert restored.observations[sensor_id][0]["values"] == {"Alignment_Left_SD": 1}


async def test_reset_forgets_everything(client: httpx.AsyncClient, store: ItwinStore) -> None:
    await new_node(client, [device("d")])
    store.reset()
    assert (await client.get("/api/nodes/all")).json() == []
    assert store.to_dict()["entities"] == [] and store.tokens == {}
