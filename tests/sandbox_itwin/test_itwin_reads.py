"""Read surfaces: paging, sorting, search, fields, projects, raw-id GETs, node trees, sensor-data nodes."""

from __future__ import annotations

import time

import httpx
from itwin_helpers import OTHER_PROJECT, OTHER_PROJECT_ID, device, generic_sensor, integrate, new_node

from provisioner.sandbox.itwin_iot import ItwinSettings, ItwinStore


async def _devices(client: httpx.AsyncClient, names: list[str]) -> dict[str, object]:
    return await new_node(client, [device(f"ref-{n}", NAME=n) for n in names])


async def test_paging_is_zero_based_and_past_the_end_is_empty(client: httpx.AsyncClient) -> None:
    await _devices(client, [f"D{i}" for i in range(5)])
    pages = []
    for number in range(4):
        response = await client.get("/api/devices/all", params={"pageSize": 2, "pageNumber": number})
        assert response.status_code == 200
        pages.append([d["props"]["NAME"] for d in response.json()])
    assert pages == [["D0", "D1"], ["D2", "D3"], ["D4"], []]


async def test_a_silent_page_cap_serves_fewer_than_asked_and_pages_by_the_cap(
    settings: ItwinSettings, client: httpx.AsyncClient
) -> None:
    await _devices(client, [f"D{i}" for i in range(5)])
    settings.silent_page_cap = 2
    pages = []
    for number in range(4):
        response = await client.get("/api/devices/all", params={"pageSize": 100, "pageNumber": number})
        assert response.status_code == 200  # no error, no header: the cap is silent
        pages.append([d["props"]["NAME"] for d in response.json()])
    assert pages == [["D0", "D1"], ["D2", "D3"], ["D4"], []]


async def test_page_size_limits(client: httpx.AsyncClient) -> None:
    too_big = await client.get("/api/devices/all", params={"pageSize": 1001})
    assert too_big.status_code == 400
    assert too_big.json()["errors"][0]["path"] == "pageSize"
    assert (await client.get("/api/devices/all", params={"pageSize": 0})).status_code == 400
    assert (await client.get("/api/devices/all", params={"pageNumber": "x"})).status_code == 400
    assert (await client.get("/api/devices/all", params={"pageSize": 1000})).status_code == 200


async def test_sort_query_and_fields(client: httpx.AsyncClient) -> None:
    await _devices(client, ["bravo", "alpha", "charlie"])
    params = [("sortBy", "props.NAME"), ("sort", "desc")]
    names = [d["props"]["NAME"] for d in (await client.get("/api/devices/all", params=params)).json()]
    assert names == ["charlie", "bravo", "alpha"]
    by_id = (await client.get("/api/devices/all", params={"sortBy": "id"})).json()
    assert [d["id"] for d in by_id] == sorted(d["id"] for d in by_id)
    found = (await client.get("/api/devices/all", params={"query": "ALPH"})).json()
    assert [d["props"]["NAME"] for d in found] == ["alpha"]
    slim = (
        await client.get("/api/devices/all", params=[("fields", "props.NAME"), ("fields", "type")])
    ).json()
    assert all(set(d) == {"id", "type", "props"} and set(d["props"]) == {"NAME"} for d in slim)


async def test_list_entity_shape(client: httpx.AsyncClient) -> None:
    body = await new_node(client, [device("d", [generic_sensor("s")])])
    [node] = (await client.get("/api/nodes/all")).json()
    assert node["props"]["NODE_ID"] == node["id"] == body["node"]["id"]
    assert node["props"]["ACCESSIBLE"] is True and node["customProps"] == {}
    [sensor] = (await client.get("/api/sensors/all")).json()
    assert sensor["device"] == body["devices"][0]["device"]["id"]
    assert sensor["observationType"] == "DYNAMIC"


async def test_project_ids_mapping_and_default(client: httpx.AsyncClient) -> None:
    await new_node(client, [device("a")])
    await integrate(client, {"changeState": "new", "devices": [device("b")]}, project=OTHER_PROJECT)
    default = (await client.get("/api/devices/all")).json()
    by_asset = (await client.get("/api/devices/all", params={"projectIds": "sandbox-project"})).json()
    by_internal = (
        await client.get("/api/devices/all", params={"projectIds": "65cb51ce8e199448bb4d4bda"})
    ).json()
    assert default == by_asset == by_internal
    assert [d["props"]["SERIAL_NO"] for d in default] == ["a"]
    other = (await client.get("/api/devices/all", params={"projectIds": OTHER_PROJECT_ID})).json()
    assert [(d["props"]["SERIAL_NO"], d["props"]["PROJECT_ID"]) for d in other] == [("b", OTHER_PROJECT_ID)]


async def test_unknown_project_is_404(client: httpx.AsyncClient) -> None:
    expected = {
        "error": {
            "code": "ResourceNotFound",
            "message": "Requested resource is not available.",
            "target": "projectIds",
        }
    }
    for path in ("/api/nodes/all", "/api/devices/all"):
        response = await client.get(path, params={"projectIds": "no-such-asset"})
        assert (response.status_code, response.json()) == (404, expected)
    response = await integrate(client, {"changeState": "new"}, project="no-such-asset")
    assert response.status_code == 404


async def test_single_get_keeps_double_slash(client: httpx.AsyncClient) -> None:
    body = await new_node(client, [device("d", [generic_sensor("s")])])
    sensor_id = body["devices"][0]["sensors"][0]["id"]
    device_id = body["devices"][0]["device"]["id"]
    response = await client.get(f"/api/sensors/{sensor_id}")
    assert response.status_code == 200
    assert str(response.request.url).endswith(f"/api/sensors/{sensor_id}")
    assert "//api/" in response.request.url.path
    assert response.json()["id"] == sensor_id
    assert (await client.get(f"/api/devices/{device_id}")).json()["props"]["SIZE"] == 1
    # not collapsed: a single slash is a different (unknown) id; a device id is not a sensor
    assert (await client.get(f"/api/sensors{sensor_id}")).status_code == 404
    assert (await client.get(f"/api/sensors/{device_id}")).status_code == 404
    wrong_project = await client.get(f"/api/sensors/{sensor_id}", params={"projectIds": OTHER_PROJECT})
    assert wrong_project.status_code == 404


async def test_tree_is_the_whole_node(client: httpx.AsyncClient) -> None:
    body = await new_node(client, [device("d1", [generic_sensor("s1")]), device("d2", [])])
    response = await client.post(f"/api/integrations/{body['node']['id']}", content=b"")
    assert response.status_code == 200
    tree = response.json()["integration"]
    assert [d["device"]["props"]["SERIAL_NO"] for d in tree["devices"]] == ["d1", "d2"]
    assert [len(d["sensors"]) for d in tree["devices"]] == [1, 0]
    assert "ACCESSIBLE" not in tree["node"]["props"] and "NODE_ID" not in tree["node"]["props"]
    unknown = await client.post("/api/integrations//api/ABCDEF/node")
    assert unknown.status_code == 422


async def test_sensor_data_nodes(client: httpx.AsyncClient, store: ItwinStore) -> None:
    from provisioner.sandbox.itwin_iot.auth import issue_token

    body = await new_node(client, [])
    token, _ = issue_token(store, "sandbox-ims-client", "sensor-data:read")
    headers = {"Authorization": f"Bearer {token}"}
    response = await client.get(
        "/sensor-data/integrations/nodes", params={"iTwinId": "sandbox-project"}, headers=headers
    )
    assert response.status_code == 200
    assert [(n["id"], n["type"]) for n in response.json()["nodes"]] == [(body["node"]["id"], "DYNAMIC")]
    assert set(response.json()["nodes"][0]) == {"props", "id", "type"}
    missing = await client.get("/sensor-data/integrations/nodes", params={"iTwinId": "nope"}, headers=headers)
    assert missing.status_code == 404 and missing.json()["error"]["target"] == "projectIds"


async def test_ten_thousand_entities_read_fast(client: httpx.AsyncClient) -> None:
    devices = [device(f"d{i}", [generic_sensor(f"s{i}-{j}") for j in range(99)]) for i in range(100)]
    body = await new_node(client, devices)
    assert len(body["devices"]) == 100
    started = time.thread_time()  # this thread's CPU: other load (and other threads) do not count
    page = (await client.get("/api/sensors/all", params={"pageSize": 1000, "pageNumber": 9})).json()
    assert len(page) == 900
    sorted_page = (
        await client.get("/api/sensors/all", params={"pageSize": 1000, "sortBy": "props.NAME"})
    ).json()
    assert len(sorted_page) == 1000
    again = await client.get(
        "/api/sensors/all", params={"pageSize": 1000, "pageNumber": 1, "sortBy": "props.NAME"}
    )
    assert len(again.json()) == 1000
    assert time.thread_time() - started < 3.0
    device_id = body["devices"][0]["device"]["id"]
    assert (await client.get(f"/api/devices/{device_id}")).json()["props"]["SIZE"] == 99
