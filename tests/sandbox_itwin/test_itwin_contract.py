"""Responses have the shapes of the vendor docs' samples (key sets and JSON types)."""

from __future__ import annotations

import httpx
import itwin_seed_samples as seed
from itwin_helpers import PROJECT, device, generic_sensor, integrate, new_node, shape, tree


async def test_create_everything_matches_seed_response(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/integrations/integrate", params={"projectIds": PROJECT}, json=seed.CREATE_REQUEST
    )
    assert response.status_code == 200
    body = response.json()
    assert shape(body) == shape(seed.CREATE_RESPONSE)
    node = body["integration"]["node"]
    segment = node["id"].split("/")[2]
    assert node["id"] == f"/api/{segment}/node"
    assert node["props"]["SERIAL_NO"] == segment
    assert node["props"]["NAME"] == f"Data Source API Import {segment}"
    assert node["props"]["PROJECT_ID"] == "65CB51CE8E199448BB4D4BDA"
    dev = body["integration"]["devices"][0]
    assert dev["device"]["props"]["SIZE"] == 2
    assert [s["device"] for s in dev["sensors"]] == [dev["device"]["id"]] * 2


async def test_add_to_node_matches_seed_device_part(client: httpx.AsyncClient) -> None:
    created = await new_node(client, [])
    response = await integrate(client, {"nodeId": created["node"]["id"], "devices": [seed.ADD_DEVICE_ENTRY]})
    assert response.status_code == 200
    body = response.json()["integration"]
    assert len(body["devices"]) == 1
    assert shape(body["devices"][0]) == shape(seed.ADD_DEVICE_RESPONSE)
    sensor_props = body["devices"][0]["sensors"][0]["props"]
    assert sensor_props["SERIAL_NO"] == "/api/13DC2F/node-test-sensor"  # refId overrides SERIAL_NO "1234"
    assert sensor_props["LOCATION"]["coordinates"] == [174.7805678, -41.25834066, 65.0]


async def test_tree_node_matches_seed_after_edit_and_data(client: httpx.AsyncClient) -> None:
    created = await new_node(client, [device("d", [generic_sensor("s")])])
    node_id = created["node"]["id"]
    # the seed's tree node was made in the UI (NOTES "Created through UI"): its props come by update
    props = {"NAME": "UI", "NOTES": "n", "EXTERNAL_ID": "1234", "LOCATION": None}
    assert (await integrate(client, {"nodeId": node_id, "changeState": "update", "props": props})).is_success
    sensor_id = created["devices"][0]["sensors"][0]["id"]
    upload = {
        "observations": [
            {
                "sensorId": sensor_id,
                "timestamp": "2024-02-20T04:35:23.653Z",
                "values": {"Alignment_Left_SD": 0.23},
            }
        ]
    }
    assert (await client.post("/api/data/upload", json=upload)).status_code == 202
    body = await tree(client, node_id)
    assert shape(body["node"]) == shape(seed.TREE_NODE)
    assert body["node"]["props"]["LOCATION"] == {"type": "Point", "coordinates": [None, None, None]}


async def test_catalogue_shapes(client: httpx.AsyncClient) -> None:
    devices = (await client.get("/api/devices/types", params={"excludeLegacy": "true"})).json()
    assert shape(devices) == shape(seed.DEVICE_TYPES)
    assert "IMPORT_DEVICE_SDE" in [t["id"] for t in devices["deviceTypes"]]
    sensors = (await client.get("/api/sensors/types", params={"excludeLegacy": "true"})).json()
    assert shape(sensors) == shape(seed.SENSOR_TYPES)
    assert "GENERIC_SENSOR_SDE" in [t["id"] for t in sensors["sensorTypes"]]
    metrics = (await client.get("/api/metrics/types", params={"excludeLegacy": "true"})).json()
    assert shape(metrics) == shape(seed.METRIC_TYPES)
    nodes = (await client.get("/api/nodes/types")).json()
    assert [t["id"] for t in nodes["nodeTypes"]] == ["NODE_API_SDE"]


async def test_metrics_by_sensor_shape(client: httpx.AsyncClient) -> None:
    created = await new_node(client, [device("d", [generic_sensor("s")])])
    sensor_id = created["devices"][0]["sensors"][0]["id"]
    response = await client.post(
        "/api/sensors/metrics",
        params={"projectIds": PROJECT, "filters": "raw"},
        json={"ids": [sensor_id, "/x"]},
    )
    body = response.json()["metricsBySensor"]
    assert list(body) == [sensor_id]
    assert [m["id"] for m in body[sensor_id]] == ["Alignment_Left_SD", "Alignment_Right_SD"]
    assert body[sensor_id][0] == seed.METRICS_BY_SENSOR_ENTRY


async def test_error_bodies_match_seed(client: httpx.AsyncClient, anon: httpx.AsyncClient) -> None:
    missing = await integrate(
        client, {"changeState": "new", "devices": [{"changeState": "new", "props": {}}]}
    )
    assert (missing.status_code, missing.json()) == (400, seed.MISSING_INTEGRATION_ID_400)
    bad_node = await integrate(client, {"nodeId": "/api/000000/node", "devices": []})
    assert (bad_node.status_code, bad_node.json()) == (422, seed.BAD_NODE_ID_ERROR)
    unauthorized = await anon.get("/api/nodes/all")
    assert unauthorized.status_code == 401
    assert shape(unauthorized.json()) == shape(seed.EXPIRED_TOKEN_401)
    empty = await client.post("/api/data/upload", json={"observations": []})
    assert (empty.status_code, empty.json()) == (400, seed.UPLOAD_EMPTY_400)
