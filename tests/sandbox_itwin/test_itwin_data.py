"""Data upload and the sensor metric list."""

from __future__ import annotations

from typing import Any

import httpx
from itwin_helpers import device, generic_sensor, new_node, tree

from provisioner.sandbox.itwin_iot import ItwinStore


def _obs(sensor_id: str, **values: Any) -> dict[str, Any]:
    return {"sensorId": sensor_id, "timestamp": "2024-02-20T04:35:23.653Z", "values": values}


async def _sensor(client: httpx.AsyncClient) -> tuple[str, str]:
    body = await new_node(client, [device("d", [generic_sensor("s")])])
    return body["node"]["id"], body["devices"][0]["sensors"][0]["id"]


async def test_upload_accepted_and_counted(client: httpx.AsyncClient, store: ItwinStore) -> None:
    node_id, sensor_id = await _sensor(client)
    body = {"observations": [_obs(sensor_id, Alignment_Left_SD=0.23, Alignment_Right_SD=0.84)] * 2}
    response = await client.post("/api/data/upload", json=body)
    assert (response.status_code, response.json()) == (202, {"status": "ACCEPTED"})
    assert len(store.observations[sensor_id]) == 2
    node_tree = await tree(client, node_id)
    assert node_tree["node"]["props"]["OBSERVATION_COUNT"] == 2
    assert node_tree["devices"][0]["sensors"][0]["props"]["OBSERVATION_COUNT"] == 2


async def test_upload_rejections(client: httpx.AsyncClient, store: ItwinStore) -> None:
    _, sensor_id = await _sensor(client)
    empty = {"errors": [{"message": "must not be empty", "path": "observations"}]}
    for body in ({}, {"observations": []}):
        response = await client.post("/api/data/upload", json=body)
        assert (response.status_code, response.json()) == (400, empty)
    assert (await client.post("/api/data/upload", content=b"")).status_code == 400
    unknown = await client.post(
        "/api/data/upload",
        json={
            "observations": [
                _obs(sensor_id, Alignment_Left_SD=1),
                _obs("/api/000000/node/dynamic/000000/device/000000/sensor", x=1),
            ]
        },
    )
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["path"] == "observations[1].sensorId"
    assert store.observations == {}  # all-or-nothing
    bad_metric = await client.post("/api/data/upload", json={"observations": [_obs(sensor_id, Nope=1)]})
    assert bad_metric.status_code == 400
    bad_time = await client.post(
        "/api/data/upload",
        json={
            "observations": [
                {"sensorId": sensor_id, "timestamp": "yesterday", "values": {"Alignment_Left_SD": 1}}
            ]
        },
    )
    assert bad_time.status_code == 400


async def test_sensor_data_upload_path(client: httpx.AsyncClient, store: ItwinStore) -> None:
    from provisioner.sandbox.itwin_iot.auth import issue_token

    _, sensor_id = await _sensor(client)
    token, _ = issue_token(store, "sandbox-ims-client", "sensor-data:modify")
    response = await client.post(
        "/sensor-data/data/upload",
        headers={"Authorization": f"Bearer {token}"},
        json={"observations": [_obs(sensor_id, Alignment_Left_SD=1)]},
    )
    assert response.status_code == 202


async def test_metrics_for_known_and_templated_sensors(client: httpx.AsyncClient) -> None:
    known = generic_sensor("k", KNOWN_METRICS={"0": "f"}, KNOWN_UNITS={"0": "Hz"})
    known["props"].pop("UNKNOWN_METRICS")
    known["props"].pop("UNKNOWN_UNITS")
    templated = {"changeState": "new", "refId": "t", "props": {"INTEGRATION_ID": "TEMPERATURE_SDE"}}
    body = await new_node(client, [device("d", [known, templated])])
    ids = [s["id"] for s in body["devices"][0]["sensors"]]
    response = await client.post(
        "/api/sensors/metrics", params={"projectIds": "sandbox-project"}, json={"ids": ids}
    )
    metrics = response.json()["metricsBySensor"]
    assert [(m["id"], m["displayName"], m["defaultUnit"]) for m in metrics[ids[0]]] == [
        ("f", "Frequency", "Hz")
    ]
    assert [(m["id"], m["defaultUnit"]) for m in metrics[ids[1]]] == [("T", "C")]
