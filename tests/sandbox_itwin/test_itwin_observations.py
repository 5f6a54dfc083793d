"""Query Raw Data (`POST …/data/observations`) over what `…/data/upload` stored."""

from __future__ import annotations

from typing import Any

import httpx
from itwin_helpers import device, generic_sensor, new_node

from provisioner.sandbox.itwin_iot import ItwinStore
from provisioner.sandbox.itwin_iot.auth import issue_token


async def _sensor(client: httpx.AsyncClient) -> str:
    body = await new_node(client, [device("d", [generic_sensor("s")])])
    sensor_id: str = body["devices"][0]["sensors"][0]["id"]
    return sensor_id


def _obs(sensor_id: str, stamp: str, **values: float) -> dict[str, Any]:
    return {"sensorId": sensor_id, "timestamp": stamp, "values": values}


async def test_query_answers_uploaded_observations_oldest_first_within_inclusive_bounds(
    client: httpx.AsyncClient,
) -> None:
    sensor_id = await _sensor(client)
    sent = [_obs(sensor_id, f"2024-02-20T04:35:2{i}.000Z", Alignment_Left_SD=i / 10) for i in (3, 1, 2)]
    assert (await client.post("/api/data/upload", json={"observations": sent})).status_code == 202
    everything = await client.post("/api/data/observations", json={"sensorId": sensor_id})
    assert everything.status_code == 200
    assert [o["timestamp"] for o in everything.json()["observations"]] == [
        "2024-02-20T04:35:21.000Z", "2024-02-20T04:35:22.000Z", "2024-02-20T04:35:23.000Z"]
    assert everything.json()["observations"][0] == sent[1]
    window = await client.post("/api/data/observations", json={
        "sensorId": sensor_id, "startDate": "2024-02-20T04:35:22Z", "endDate": "2024-02-20T04:35:23.000Z"})
    assert [o["values"] for o in window.json()["observations"]] == [
        {"Alignment_Left_SD": 0.2}, {"Alignment_Left_SD": 0.3}]


async def test_query_pages_at_the_page_size(client: httpx.AsyncClient, store: ItwinStore) -> None:
    store.settings.observation_page_size = 2
    sensor_id = await _sensor(client)
    sent = [_obs(sensor_id, f"2024-02-20T04:35:2{i}.000Z", Alignment_Left_SD=i) for i in range(5)]
    await client.post("/api/data/upload", json={"observations": sent})
    first = (await client.post("/api/data/observations", json={"sensorId": sensor_id})).json()
    assert len(first["observations"]) == 2
    rest = await client.post("/api/data/observations", json={
        "sensorId": sensor_id, "startDate": first["observations"][-1]["timestamp"]})
    assert [o["values"]["Alignment_Left_SD"] for o in rest.json()["observations"]] == [1, 2]


async def test_query_rejections_and_switches(client: httpx.AsyncClient, store: ItwinStore) -> None:
    sensor_id = await _sensor(client)
    missing = await client.post("/api/data/observations", json={})
    assert missing.status_code == 400 and missing.json()["errors"][0]["path"] == "sensorId"
    unknown = await client.post("/api/data/observations",
                                json={"sensorId": "/api/000000/node/dynamic/000000/device/000000/sensor"})
    assert unknown.status_code == 400
    bad = await client.post("/api/data/observations", json={"sensorId": sensor_id, "startDate": "today"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["path"] == "startDate"
    token, _ = issue_token(store, "sandbox-ims-client", "sensor-data:read")
    platform = await client.post("/sensor-data/data/observations", json={"sensorId": sensor_id},
                                 headers={"Authorization": f"Bearer {token}"})
    assert (platform.status_code, platform.json()) == (200, {"observations": []})
    store.settings.iiot_observation_query = False
    assert (await client.post("/api/data/observations", json={"sensorId": sensor_id})).status_code == 404

