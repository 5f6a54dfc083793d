"""The real clients replayed against hand-written vcrpy cassettes of documented vendor payloads.

Cassettes live in tests/cassettes/ and are never recorded (record_mode="none"). Besides method and
URL, every interaction also checks the JSON body and the Accept / Content-Type / precondition
headers it lists, so the clients are held to the documented request shapes too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import vcr
from client_fakes import API_KEY, SECRET

from provisioner.providers.http import (
    ApiValidationError,
    AuthError,
    ConflictError,
    IhAppCredentials,
    IhServiceCredentials,
    ItwinApiKey,
    NotFoundError,
    PreconditionFailedError,
    RetryPolicy,
)
from provisioner.providers.insights_hub.client import InsightsHubClient
from provisioner.providers.itwin_iot.client import ItwinIotClient

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
GATEWAY = "https://gateway.eu1.mindsphere.io"
ITWIN = "https://iiot.bentley.com"
PROJECT = "6ee68656-ce20-452c-a4e6-b6b3a3b55537"
AGENT = "3b27818ea09a46b48c7eb3fbd878349f"


def _parsed(body: Any) -> Any:
    if not body:
        return None
    text = body.decode() if isinstance(body, bytes) else str(body)
    try:
        return json.loads(text)
    except ValueError:
        return text


def json_body(live: Any, stored: Any) -> None:
    assert _parsed(live.body) == _parsed(stored.body), "request bodies differ"


def request_headers(live: Any, stored: Any) -> None:
    for name in ("accept", "content-type"):
        if name in stored.headers:
            assert live.headers.get(name) == stored.headers[name], f"{name} differs"
    for name in ("if-match", "if-none-match"):
        assert live.headers.get(name) == stored.headers.get(name), f"{name} differs"


replay = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="none",
    filter_headers=["authorization", "x-space-auth-key"],
    match_on=["method", "scheme", "host", "port", "path", "query", "json_body", "request_headers"],
)
replay.register_matcher("json_body", json_body)
replay.register_matcher("request_headers", request_headers)

FAST = RetryPolicy(max_attempts=2, base_delay=0.0, max_delay=0.0)


def test_cassettes_hold_no_secrets() -> None:
    for cassette in CASSETTES.glob("*.yaml"):
        text = cassette.read_text(encoding="utf-8").lower()
        assert "authorization:" not in text and "x-space-auth-key:" not in text
        assert "bearer " not in text and "basic " not in text and "apikey " not in text


async def test_asset_management_documented_payloads() -> None:
    with replay.use_cassette("ih_asset_management.yaml") as cassette:
        creds = IhServiceCredentials("acme", "acme-client", SECRET)
        async with InsightsHubClient(GATEWAY, creds, retry=FAST) as client:
            root = await client.get_root_asset()
            assert (root["typeId"], root["parentId"], root["etag"]) == ("core.basicenterprise", "", 0)

            types = await client.list_aspect_types({"id": {"startsWith": "acme."}})
            assert [(t["id"], t["etag"]) for t in types] == [("acme.engine", 2)]
            assert types[0]["variables"][0]["defaultValue"] == "25/77"

            body = {k: types[0][k] for k in ("name", "category", "scope", "description", "variables")}
            created = await client.put_aspect_type("acme.engine", body, if_none_match_star=True)
            assert created["etag"] == 0

            with pytest.raises(NotFoundError, match=r"Aspect type with id acme\.missing not found") as info:
                await client.get_aspect_type("acme.missing")
            assert info.value.status == 404

            asset = await client.create_asset(
                {
                    "name": "Millenium Falcon",
                    "externalId": "SN 123456-123-123456",
                    "description": "The ship of Han Solo and Chewbacca",
                    "typeId": "acme.spaceship",
                    "parentId": root["assetId"],
                    "location": {
                        "country": "Austria",
                        "region": "Tyrol",
                        "locality": "Innsbruck",
                        "streetAddress": "Industriestraße 21 A/II",
                        "postalCode": "6020",
                        "longitude": 53.5125546,
                        "latitude": 9.9763411,
                    },
                }
            )
            assert asset["assetId"] == "c27a28b6eb16b507fabc11e75da8b4ce"

            assert await client.list_assets({"typeId": "acme.nothing"}) == []  # no _embedded at all
            await client.delete_asset(asset["assetId"], asset["etag"])
            assert client.stats.calls["am.assets.post"] == 1
        assert cassette.all_played


async def test_agents_and_mappings_documented_payloads() -> None:
    with replay.use_cassette("ih_agents_and_mappings.yaml") as cassette:
        creds = IhAppCredentials("acme-app", SECRET, host_tenant="acme", user_tenant="acme")
        async with InsightsHubClient(GATEWAY, creds, retry=FAST) as client:
            agent = await client.create_agent(
                {"name": "Nanobox Agent", "securityProfile": "SHARED_SECRET", "entityId": AGENT}
            )
            assert agent["id"] == agent["entityId"] == AGENT

            [listed] = await client.list_agents({"name": "Nanobox Agent"})
            assert listed["eTag"] == "2"

            dsc = await client.get_dsc(AGENT)
            assert "configurationId" not in dsc
            updated = await client.put_dsc(
                AGENT,
                {
                    "configurationId": "Configuration01",
                    "dataSources": [
                        {
                            "name": "OPC-UA Server",
                            "description": "OPC-UA Server installed on site.",
                            "dataPoints": [
                                {
                                    "id": "DP001",
                                    "name": "Voltage",
                                    "description": "Voltage value read.",
                                    "type": "DOUBLE",
                                    "unit": "V",
                                }
                            ],
                        }
                    ],
                },
                dsc.get("eTag") or "0",
            )
            assert updated["eTag"] == "1"

            boarding = await client.get_boarding_configuration(AGENT)
            assert boarding["content"]["baseUrl"] == "https://southgate.eu-central.mindsphere.io"

            mapping = {
                "agentId": AGENT,
                "dataPointId": "DP001",
                "entityId": "83e78008eadf453bae4f5c7bef3db550",
                "propertySetName": "ElectricalProperties",
                "propertyName": "Voltage",
                "keepMapping": False,
            }
            created = await client.create_mapping(mapping)
            assert created["validity"] == {"status": "VALID", "reasons": []}
            with pytest.raises(ApiValidationError, match="does not belong to property set"):
                await client.create_mapping(
                    {**mapping, "propertySetName": "NodeTestAspect", "propertyName": "T130"}
                )
            [listed_mapping] = await client.list_mappings({"agentId": AGENT})
            assert listed_mapping["validity"]["reasons"] == ["MISSING_DATAPOINT"]

            with pytest.raises(ConflictError, match=r"mdsp\.conn\.mindconnect\.eventMappingAlreadyExists"):
                await client.create_event_mapping(
                    {
                        "agentId": "11961bc396cd4a87a9b26b723f5b7ba0",
                        "assetId": "2196dbc396cd4a87a9bd6b723fsb7baz",
                        "eventTypeId": "mytenant.connectivity.event.type.TestEventType",
                        "eventTypeName": "TestEventType",
                        "eventTypeFieldName": "source",
                        "eventTypeFieldValue": "Machine_1",
                    }
                )
            patched = await client.patch_event_mapping(
                "2d94ba61-3e16-415c-a5c0-d428b8d92d42", {"eventTypeFieldValue": "Machine_2"}, "1"
            )
            assert patched["eTag"] == "2"

            with pytest.raises(PreconditionFailedError, match="Resource not found with given the condition"):
                await client.put_agent(
                    AGENT, {"name": "Nanobox Agent 2", "securityProfile": "SHARED_SECRET"}, "2"
                )
        assert cassette.all_played


async def test_itwin_integrate_documented_payloads() -> None:
    sensor = {
        "changeState": "new",
        "props": {
            "INTEGRATION_ID": "GENERIC_SENSOR_SDE",
            "UNKNOWN_UNITS": {"0": "millimeter", "1": "millimeter"},
            "UNKNOWN_METRICS": {"0": "Alignment_Left_SD", "1": "Alignment_Right_SD"},
        },
    }
    request = {
        "integration": {
            "changeState": "new",
            "devices": [
                {
                    "changeState": "new",
                    "props": {"INTEGRATION_ID": "IMPORT_DEVICE_SDE", "NAME": "Device-1"},
                    "sensors": [
                        {**sensor, "props": {**sensor["props"], "NAME": f"Sensor-{n}"}} for n in (1, 2)
                    ],
                }
            ],
        }
    }
    with replay.use_cassette("itwin_integrate.yaml") as cassette:
        async with ItwinIotClient(ITWIN, ItwinApiKey(API_KEY), retry=FAST) as client:
            result = await client.integrate(PROJECT, request)
            node = result["integration"]["node"]
            assert node["id"] == "/api/B6627B/node" and node["props"]["SERIAL_NO"] == "B6627B"
            [device] = result["integration"]["devices"]
            assert device["device"]["props"]["SIZE"] == 2
            assert [s["id"] for s in device["sensors"]] == [
                "/api/B6627B/node/dynamic/BED858/device/B2D116/sensor",
                "/api/B6627B/node/dynamic/BED858/device/5AD71D/sensor",
            ]

            with pytest.raises(ApiValidationError, match="InvalidProcessIntegrationRequest") as info:
                await client.integrate(
                    PROJECT,
                    {
                        "integration": {
                            "nodeId": "/api/B08851/node",
                            "devices": [{"changeState": "new", "props": {"NAME": "Device-without-template"}}],
                        }
                    },
                )
            assert info.value.status == 400
        assert cassette.all_played


async def test_itwin_reads_documented_payloads() -> None:
    with replay.use_cassette("itwin_reads.yaml") as cassette:
        async with ItwinIotClient(ITWIN, ItwinApiKey(API_KEY), retry=FAST, page_size=2) as client:
            nodes = await client.list_nodes(PROJECT)
            assert [n["id"] for n in nodes] == ["/api/13DC2F/node", "/api/B6627B/node", "/fn/6C954F/node"]

            sensor = await client.get_entity("sensor", "/api/13DC2F/node/dynamic/62D7C7/device/F55FE5/sensor")
            assert sensor["props"]["SERIAL_NO"] == "/api/13DC2F/node-test-sensor"

            tree = (await client.get_tree("/api/13DC2F/node"))["integration"]
            assert tree["node"]["props"]["EXTERNAL_ID"] == "1234"
            assert [d["device"]["props"]["NAME"] for d in tree["devices"]] == ["Test Device", "Device-51"]
            assert tree["devices"][0]["device"]["props"]["LOCATION"]["coordinates"] == [
                174.7805678,
                -41.27834066,
                20.0,
            ]

            assert [t["id"] for t in await client.list_device_types()] == ["IMPORT_DEVICE_SDE"]
            [generic] = await client.list_sensor_types()
            assert generic["metricsAndUnits"][0]["id"] == "GENERIC"
            metrics = await client.get_metric_types()
            assert [u["id"] for u in metrics["metrics"][0]["units"]] == ["C", "K", "F"]

            with pytest.raises(AuthError, match="Token has expired on Tue Feb 20") as info:
                await client.list_devices("expired-project")
            assert API_KEY not in str(info.value)
        assert cassette.all_played
