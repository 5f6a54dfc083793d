"""Integrate semantics: create/update/remove by refId or id, validation, atomicity, server props."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from itwin_helpers import OTHER_PROJECT, device, generic_sensor, integrate, new_node, tree

from provisioner.sandbox.itwin_iot import ItwinSettings, ItwinStore


def _error(response: httpx.Response) -> tuple[int, str, str]:
    error = response.json()["error"]
    return response.status_code, error["code"], error["message"]


async def test_ids_follow_the_grammar(client: httpx.AsyncClient) -> None:
    body = await new_node(client, [device("d", [generic_sensor("s")])])
    node_id = body["node"]["id"]
    device_id = body["devices"][0]["device"]["id"]
    sensor_id = body["devices"][0]["sensors"][0]["id"]
    assert node_id.startswith("/api/") and node_id.endswith("/node")
    segment = device_id.removeprefix(node_id + "/dynamic/").removesuffix("/device")
    assert len(segment) == 6 and segment == segment.upper() and int(segment, 16) >= 0
    assert sensor_id.startswith(device_id + "/") and sensor_id.endswith("/sensor")
    assert body["devices"][0]["sensors"][0]["observationType"] == "DYNAMIC"


async def test_refid_becomes_serial_and_overrides_user_serial(client: httpx.AsyncClient) -> None:
    body = await new_node(client, [device("dev-1", [generic_sensor("sen-1", SERIAL_NO="1234")])])
    assert body["devices"][0]["device"]["props"]["SERIAL_NO"] == "dev-1"
    assert body["devices"][0]["sensors"][0]["props"]["SERIAL_NO"] == "sen-1"


async def test_no_refid_means_no_serial(client: httpx.AsyncClient) -> None:
    body = await new_node(client, [device(None, [])])
    assert "SERIAL_NO" not in body["devices"][0]["device"]["props"]


async def test_update_by_refid_merges_props_and_stamps(client: httpx.AsyncClient, clock: Any) -> None:
    body = await new_node(client, [device("d", [generic_sensor("s", NOTES="keep")])])
    node_id = body["node"]["id"]
    clock.now += 60
    update = {
        "changeState": "update",
        "refId": "s",
        "props": {"NAME": "Renamed", "LOCATION": {"type": "Point", "coordinates": [1, 2, 3]}},
    }
    response = await integrate(client, {"nodeId": node_id, "devices": [{"refId": "d", "sensors": [update]}]})
    assert response.status_code == 200
    sensor = response.json()["integration"]["devices"][0]["sensors"][0]
    assert sensor["props"]["NAME"] == "Renamed"
    assert sensor["props"]["NOTES"] == "keep"
    assert sensor["props"]["LOCATION"] == {"type": "Point", "coordinates": [1.0, 2.0, 3.0]}
    assert sensor["props"]["LAST_MODIFIED_BY"] == "sandbox-user@example.com"
    assert sensor["props"]["LAST_MODIFIED_DATE"] > sensor["props"]["CREATION_DATE"]
    assert "LAST_MODIFIED_DATE" not in response.json()["integration"]["devices"][0]["device"]["props"]


async def test_update_by_id_and_null_unsets(client: httpx.AsyncClient) -> None:
    body = await new_node(client, [device("d", NOTES="old", LOCATION={"coordinates": [5, 6]})])
    node_id, device_id = body["node"]["id"], body["devices"][0]["device"]["id"]
    update = {"changeState": "update", "id": device_id, "props": {"NOTES": None, "LOCATION": None}}
    props = (await integrate(client, {"nodeId": node_id, "devices": [update]})).json()["integration"]
    props = props["devices"][0]["device"]["props"]
    assert "NOTES" not in props
    assert props["LOCATION"] == {"type": "Point", "coordinates": [None, None, None]}


async def test_remove_by_refid_echoes_and_cascades(client: httpx.AsyncClient) -> None:
    body = await new_node(client, [device("d1", [generic_sensor("s1")]), device("d2", [])])
    node_id = body["node"]["id"]
    removed_sensor = body["devices"][0]["sensors"][0]["id"]
    response = await integrate(
        client, {"nodeId": node_id, "devices": [{"changeState": "remove", "refId": "d1"}]}
    )
    assert response.status_code == 200
    echoed = response.json()["integration"]["devices"][0]
    assert echoed["device"]["id"] == body["devices"][0]["device"]["id"]
    assert [s["id"] for s in echoed["sensors"]] == [removed_sensor]
    assert [d["device"]["props"]["SERIAL_NO"] for d in (await tree(client, node_id))["devices"]] == ["d2"]
    assert (await client.get(f"/api/sensors/{removed_sensor}")).status_code == 404
    # the refId is free again
    assert (await integrate(client, {"nodeId": node_id, "devices": [device("d1")]})).status_code == 200


async def test_size_kept_current(client: httpx.AsyncClient) -> None:
    body = await new_node(client, [device("d", [generic_sensor("a"), generic_sensor("b")])])
    node_id = body["node"]["id"]
    assert body["devices"][0]["device"]["props"]["SIZE"] == 2
    add = {"refId": "d", "sensors": [generic_sensor("c")]}
    response = await integrate(client, {"nodeId": node_id, "devices": [add]})
    assert response.json()["integration"]["devices"][0]["device"]["props"]["SIZE"] == 3
    remove = {
        "refId": "d",
        "sensors": [{"changeState": "remove", "refId": "a"}, {"changeState": "remove", "refId": "b"}],
    }
    response = await integrate(client, {"nodeId": node_id, "devices": [remove]})
    assert response.json()["integration"]["devices"][0]["device"]["props"]["SIZE"] == 1
    assert (await tree(client, node_id))["devices"][0]["device"]["props"]["SIZE"] == 1


async def test_missing_integration_id_is_400(client: httpx.AsyncClient) -> None:
    no_id = {"changeState": "new", "props": {"NAME": "x"}}
    assert (await integrate(client, {"changeState": "new", "devices": [no_id]})).status_code == 400
    sensor = {"changeState": "new", "props": {"NAME": "x"}}
    response = await integrate(client, {"changeState": "new", "devices": [device("d", [sensor])]})
    assert _error(response)[:2] == (400, "InvalidProcessIntegrationRequest")
    unknown = device("d", INTEGRATION_ID="NOT_A_TEMPLATE")
    assert (await integrate(client, {"changeState": "new", "devices": [unknown]})).status_code == 400


async def test_generic_sensor_needs_metrics_and_units(client: httpx.AsyncClient) -> None:
    bare = {"changeState": "new", "props": {"INTEGRATION_ID": "GENERIC_SENSOR_SDE"}}
    mismatched = generic_sensor("m", UNKNOWN_UNITS={"0": "mm"})
    known = generic_sensor(
        "k",
        KNOWN_METRICS={"0": "f"},
        UNKNOWN_METRICS={"1": "x"},
        KNOWN_UNITS={"0": "Hz", "1": "mm"},
        UNKNOWN_UNITS=None,
    )
    for sensor in (bare, mismatched):
        response = await integrate(client, {"changeState": "new", "devices": [device("d", [sensor])]})
        assert _error(response)[:2] == (400, "InvalidProcessIntegrationRequest"), sensor
    known["props"].pop("UNKNOWN_UNITS")
    response = await integrate(client, {"changeState": "new", "devices": [device("d", [known])]})
    assert response.status_code == 200, response.text
    templated = {"changeState": "new", "refId": "t", "props": {"INTEGRATION_ID": "TEMPERATURE_SDE"}}
    response = await integrate(client, {"changeState": "new", "devices": [device("d2", [templated])]})
    assert response.status_code == 200, response.text


async def test_bad_node_id_is_422(client: httpx.AsyncClient) -> None:
    for node_id in ("/api/FFFFFF/node", 42):
        response = await integrate(client, {"nodeId": node_id, "devices": [device("d")]})
        assert _error(response) == (
            422,
            "InvalidProcessIntegrationRequest",
            "Cannot process integration ensure the provided nodeId is valid.",
        )


async def test_bad_node_status_switch(settings: ItwinSettings, client: httpx.AsyncClient) -> None:
    settings.bad_node_status = 402
    response = await integrate(client, {"nodeId": "/api/FFFFFF/node", "devices": []})
    assert response.status_code == 402


async def test_node_of_other_project_is_a_bad_node(client: httpx.AsyncClient) -> None:
    body = await new_node(client, [])
    response = await integrate(client, {"nodeId": body["node"]["id"], "devices": []}, project=OTHER_PROJECT)
    assert response.status_code == 422


async def test_missing_change_state_is_422(client: httpx.AsyncClient) -> None:
    response = await integrate(client, {"devices": [device("d")]})
    assert _error(response)[:2] == (422, "InvalidProcessIntegrationRequest")
    bad_value = await integrate(client, {"changeState": "create", "devices": []})
    assert bad_value.status_code == 400


async def test_immutable_props_rejected(client: httpx.AsyncClient) -> None:
    body = await new_node(client, [device("d", [generic_sensor("s")])])
    node_id = body["node"]["id"]
    changes: list[dict[str, Any]] = [
        {"UNKNOWN_METRICS": {"0": "Other", "1": "Alignment_Right_SD"}},
        {"UNKNOWN_UNITS": {"0": "m", "1": "m"}},
        {"INTEGRATION_ID": "TEMPERATURE_SDE"},
    ]
    for props in changes:
        update = {"refId": "d", "sensors": [{"changeState": "update", "refId": "s", "props": props}]}
        response = await integrate(client, {"nodeId": node_id, "devices": [update]})
        assert response.status_code == 422, props
    same = {
        "refId": "d",
        "sensors": [
            {
                "changeState": "update",
                "refId": "s",
                "props": {"UNKNOWN_UNITS": {"0": "millimeter", "1": "millimeter"}},
            }
        ],
    }
    assert (await integrate(client, {"nodeId": node_id, "devices": [same]})).status_code == 200
    device_change = {"changeState": "update", "refId": "d", "props": {"INTEGRATION_ID": "X"}}
    assert (await integrate(client, {"nodeId": node_id, "devices": [device_change]})).status_code == 422


async def test_refid_unique_per_project(client: httpx.AsyncClient) -> None:
    first = await new_node(client, [device("dup")])
    response = await integrate(client, {"changeState": "new", "devices": [device("dup")]})
    status, _, message = _error(response)
    assert status == 422 and first["devices"][0]["device"]["id"] in message
    twice = await integrate(client, {"nodeId": first["node"]["id"], "devices": [device("x"), device("x")]})
    assert twice.status_code == 422
    elsewhere = await integrate(
        client, {"changeState": "new", "devices": [device("dup")]}, project=OTHER_PROJECT
    )
    assert elsewhere.status_code == 200
    # devices and sensors have separate refId namespaces
    assert (
        await integrate(
            client,
            {
                "nodeId": first["node"]["id"],
                "devices": [{"refId": "dup", "sensors": [generic_sensor("dup")]}],
            },
        )
    ).status_code == 200


async def test_unknown_refid_on_update_or_remove_is_422(client: httpx.AsyncClient) -> None:
    body = await new_node(client, [device("d")])
    node_id = body["node"]["id"]
    for state in ("update", "remove"):
        entry = {"changeState": state, "refId": "nope", "props": {}}
        response = await integrate(client, {"nodeId": node_id, "devices": [entry]})
        assert _error(response)[:2] == (422, "InvalidProcessIntegrationRequest")
    other = await new_node(client, [device("elsewhere")])
    cross = {"changeState": "remove", "refId": "elsewhere"}
    assert (await integrate(client, {"nodeId": node_id, "devices": [cross]})).status_code == 422
    assert (await tree(client, other["node"]["id"]))["devices"]
    unaddressed = {"changeState": "remove"}
    assert (await integrate(client, {"nodeId": node_id, "devices": [unaddressed]})).status_code == 422


async def test_request_is_all_or_nothing(client: httpx.AsyncClient, store: ItwinStore) -> None:
    body = await new_node(client, [device("keep")])
    node_id = body["node"]["id"]
    before = store.to_dict()
    devices = [
        device("fresh"),
        {"changeState": "remove", "refId": "keep"},
        device("broken", INTEGRATION_ID=None),
    ]
    devices[2]["props"].pop("INTEGRATION_ID")
    response = await integrate(client, {"nodeId": node_id, "devices": devices})
    assert response.status_code == 400
    assert store.to_dict() == before


async def test_node_props_and_refid_at_creation_when_switched_on(
    settings: ItwinSettings, client: httpx.AsyncClient
) -> None:
    settings.node_props_at_creation = True
    body = await new_node(
        client,
        [],
        refId="site-1",
        props={"NAME": "Site", "NOTES": "n", "LOCATION": {"coordinates": [1, 2, 3]}},
    )
    props = body["node"]["props"]
    assert (props["NAME"], props["NOTES"], props["SERIAL_NO"]) == ("Site", "n", "site-1")
    assert props["LOCATION"]["coordinates"] == [1.0, 2.0, 3.0]
    assert props["INTEGRATION_ID"] == "NODE_API_SDE"
    dup = await integrate(client, {"changeState": "new", "refId": "site-1"})
    assert dup.status_code == 422


async def test_service_names_the_node_and_ignores_node_refid_and_props_by_default(
    client: httpx.AsyncClient, store: ItwinStore
) -> None:
    props = {"NAME": "Site", "NOTES": "n", "EXTERNAL_ID": "X-1", "LOCATION": {"coordinates": [1, 2]}}
    body = await new_node(client, [], refId="site-1", props=props)
    node_id = body["node"]["id"]
    segment = node_id.split("/")[2]
    assert re.fullmatch(r"/api/[0-9A-F]{6}/node", node_id)
    expected = {"SERIAL_NO": segment, "NAME": f"Data Source API Import {segment}",
                "INTEGRATION_ID": "NODE_API_SDE"}
    for rendered in (body["node"], (await client.get(f"/api/nodes/{node_id}")).json()):
        assert {k: rendered["props"][k] for k in expected} == expected
        assert not {"NOTES", "EXTERNAL_ID", "LOCATION"} & set(rendered["props"])
    # the ignored refId is claimed by nothing: a second node with it is just another node
    again = await new_node(client, [], refId="site-1")
    assert again["node"]["id"] != node_id and again["node"]["props"]["SERIAL_NO"] != "site-1"
    assert store.count_kind(store.settings.project_internal_id, "node") == 2


async def test_node_update(client: httpx.AsyncClient) -> None:
    body = await new_node(client, [device("d")])
    node_id = body["node"]["id"]
    response = await integrate(client, {"nodeId": node_id, "changeState": "update", "props": {"NAME": "N2"}})
    node = response.json()["integration"]["node"]
    assert node["props"]["NAME"] == "N2" and "LAST_MODIFIED_DATE" in node["props"]
    assert response.json()["integration"]["devices"] == []
    change = await integrate(
        client, {"nodeId": node_id, "changeState": "update", "props": {"INTEGRATION_ID": "OTHER"}}
    )
    assert change.status_code == 422


async def test_node_updates_switched_off_are_refused_and_change_nothing(
    settings: ItwinSettings, client: httpx.AsyncClient
) -> None:
    settings.node_updates = False
    node_id = (await new_node(client, [device("d")]))["node"]["id"]
    response = await integrate(client, {"nodeId": node_id, "changeState": "update", "props": {"NAME": "N2"}})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "InvalidProcessIntegrationRequest"
    assert (await tree(client, node_id))["node"]["props"]["NAME"].startswith("Data Source API Import ")
    # devices under the node are still changed through it
    added = await integrate(client, {"nodeId": node_id, "devices": [device("d2")]})
    assert added.status_code == 200


async def test_node_remove_cascades_everywhere(client: httpx.AsyncClient, store: ItwinStore) -> None:
    body = await new_node(client, [device("d", [generic_sensor("s")])])
    node_id = body["node"]["id"]
    sensor_id = body["devices"][0]["sensors"][0]["id"]
    upload = {
        "observations": [
            {"sensorId": sensor_id, "timestamp": "2024-01-01T00:00:00Z", "values": {"Alignment_Left_SD": 1}}
        ]
    }
    assert (await client.post("/api/data/upload", json=upload)).status_code == 202
    response = await integrate(client, {"nodeId": node_id, "changeState": "remove"})
    assert response.status_code == 200
    echoed = response.json()["integration"]
    assert echoed["node"]["id"] == node_id
    assert echoed["devices"][0]["sensors"][0]["id"] == sensor_id
    for kind in ("nodes", "devices", "sensors"):
        assert (await client.get(f"/api/{kind}/all")).json() == []
    assert (await client.post(f"/api/integrations/{node_id}")).status_code == 422
    assert (await client.get(f"/api/sensors/{sensor_id}")).status_code == 404
    assert store.observations == {}
    # the refId can be used again after the cascade
    await new_node(client, [device("d", [generic_sensor("s")])])


async def test_sensor_data_integrate_accepts_itwin_id(store: ItwinStore, anon: httpx.AsyncClient) -> None:
    from provisioner.sandbox.itwin_iot.auth import issue_token

    token, _ = issue_token(store, "sandbox-ims-client", "itwin-platform")
    response = await anon.post(
        "/sensor-data/integrations/integrate",
        params={"iTwinId": "sandbox-project"},
        headers={"Authorization": f"Bearer {token}"},
        json={"integration": {"changeState": "new", "devices": [device("d")]}},
    )
    assert response.status_code == 200
    assert response.json()["integration"]["devices"][0]["device"]["props"]["NAME"] == "Device"


@pytest.mark.parametrize(
    "body", [None, [], {"integration": []}, {"integration": {"changeState": "new", "devices": {}}}]
)
async def test_malformed_bodies_are_400(client: httpx.AsyncClient, body: Any) -> None:
    response = await client.post(
        "/api/integrations/integrate", params={"projectIds": "sandbox-project"}, json=body
    )
    assert response.status_code == 400


async def test_project_required_on_integrate(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/integrations/integrate", json={"integration": {"changeState": "new"}})
    assert response.status_code == 400
    assert response.json() == {"errors": [{"message": "must not be empty", "path": "projectIds"}]}


async def test_non_json_constants_rejected(client: httpx.AsyncClient) -> None:
    raw = b'{"integration": {"changeState": "new", "props": {"X": NaN}}}'
    response = await client.post(
        "/api/integrations/integrate",
        params={"projectIds": "sandbox-project"},
        content=raw,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "body"
