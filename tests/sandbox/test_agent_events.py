"""Events through `/exchange` (`businessEvent` items) stored by the agent's event mappings and read
back through Event Management v3 `GET /events` (HAL pages, JSON filter, newest first)."""

from __future__ import annotations

import json
from typing import Any

import httpx
from ih_helpers import MC, Clock, Ih
from test_agent_side import agent_token, assertion, boarding, exchange, mapped_agent, register

from provisioner.sandbox import SandboxSettings

EVENTS = "/api/eventmanagement/v3/events"
TYPE = "sandbox.connectivity.event.type.Overheat"


def event_body(events: Any) -> str:
    meta = {"type": "item", "version": "1.0", "payload": {"type": "businessEvent", "version": "1.0"}}
    return (
        "--mindspheremessage\r\nContent-Type: multipart/related;boundary=mindspherepart\r\n\r\n"
        "--mindspherepart\r\nContent-Type: application/vnd.siemens.mindsphere.meta+json\r\n\r\n"
        f"{json.dumps(meta)}\r\n--mindspherepart\r\nContent-Type: application/json\r\n\r\n"
        f"{json.dumps(events)}\r\n--mindspherepart--\r\n--mindspheremessage--\r\n"
    )


async def onboarded_token(client: httpx.AsyncClient, anon: httpx.AsyncClient, agent: str,
                          clock: Clock) -> str:
    iat = (await boarding(client, agent, clock))["content"]["iat"]
    secret = (await register(anon, iat, {})).json()["client_secret"]
    token: str = (await agent_token(anon, assertion(agent, secret, "HS256", clock))).json()["access_token"]
    return token


async def event_mapping(client: httpx.AsyncClient, agent: str, asset: str, value: str) -> None:
    body = {"agentId": agent, "assetId": asset, "eventTypeId": TYPE, "eventTypeName": "Overheat",
            "eventTypeFieldName": "source", "eventTypeFieldValue": value}
    assert (await client.post(f"{MC}/eventMappings", json=body)).status_code == 201


async def test_mapped_events_land_on_the_mapped_asset_the_rest_on_the_agent(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, ih: Ih, clock: Clock
) -> None:
    pump, agent = await mapped_agent(ih)
    await event_mapping(client, agent, pump, "MyMachine")
    token = await onboarded_token(client, anon, agent, clock)
    sent = [
        {"timestamp": "2025-06-15T15:00:00Z", "typeId": TYPE, "severity": 1, "description": "hot",
         "details": {"source": "MyMachine"}},
        {"timestamp": "2025-06-15T15:00:01.5Z", "typeId": TYPE, "source": "Other"},
        {"timestamp": "2025-06-15T15:00:02.000Z", "typeId": "another.type", "source": "MyMachine"},
    ]
    assert (await exchange(anon, token, event_body(sent))).status_code == 200
    on_pump_query = json.dumps({"entityId": pump, "typeId": TYPE})
    on_pump = (await client.get(EVENTS, params={"filter": on_pump_query})).json()
    events = on_pump["_embedded"]["events"]
    assert [(e["timestamp"], e["typeId"], e["source"], e["description"], e["severity"]) for e in events] == [
        ("2025-06-15T15:00:00.000Z", TYPE, "MyMachine", "hot", 1)]
    stamps = {}
    for type_id in (TYPE, "another.type"):
        query = json.dumps({"entityId": agent, "typeId": type_id})
        on_agent = (await client.get(EVENTS, params={"filter": query})).json()
        stamps[type_id] = [e["timestamp"] for e in on_agent["_embedded"]["events"]]
        assert on_agent["page"] == {"size": 20, "totalElements": 1, "totalPages": 1, "number": 0}
    assert stamps == {TYPE: ["2025-06-15T15:00:01.500Z"], "another.type": ["2025-06-15T15:00:02.000Z"]}


async def test_event_reads_page_and_filter_by_type_and_time(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, ih: Ih, clock: Clock
) -> None:
    pump, agent = await mapped_agent(ih)
    await event_mapping(client, agent, pump, "M")
    token = await onboarded_token(client, anon, agent, clock)
    sent = [{"timestamp": f"2025-06-15T15:00:{s:02d}Z", "typeId": TYPE, "source": "M"} for s in range(5)]
    assert (await exchange(anon, token, event_body(sent))).status_code == 200
    query = {"typeId": TYPE, "timestamp": {"after": "2025-06-15T15:00:01Z"}}
    first = (await client.get(EVENTS, params={"filter": json.dumps(query), "size": 2})).json()
    assert [e["timestamp"][17:19] for e in first["_embedded"]["events"]] == ["04", "03"]
    assert first["page"]["totalPages"] == 2 and "next" in first["_links"]
    second = (await client.get(EVENTS, params={"filter": json.dumps(query), "size": 2, "page": 1})).json()
    assert [e["timestamp"][17:19] for e in second["_embedded"]["events"]] == ["02"]
    span = "[2025-06-15T15:00:01Z,2025-06-15T15:00:03Z)"
    between = {"typeId": {"eq": TYPE}, "timestamp": {"between": span}}
    params = {"filter": json.dumps(between), "sort": "timestamp,asc"}
    ranged = (await client.get(EVENTS, params=params)).json()
    assert [e["timestamp"][17:19] for e in ranged["_embedded"]["events"]] == ["01", "02"]
    bad = await client.get(EVENTS, params={"filter": json.dumps({"timestamp": {"after": "soon"}})})
    assert bad.status_code == 400


async def test_malformed_events_are_refused(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, ih: Ih, clock: Clock
) -> None:
    _, agent = await mapped_agent(ih)
    token = await onboarded_token(client, anon, agent, clock)
    good = {"timestamp": "2025-06-15T15:00:00Z", "typeId": TYPE}
    for events in ([{"typeId": TYPE}], [good, {"timestamp": "2025-06-15T15:00:00Z", "severity": "high"}]):
        assert (await exchange(anon, token, event_body(events))).status_code == 400
    assert (await exchange(anon, token, event_body({"not": "a list"}))).status_code == 400
    listed = (await client.get(EVENTS)).json()
    assert "_embedded" not in listed and listed["page"]["totalElements"] == 0  # empty: no _embedded


async def test_switches_field_alone_routes_and_page_cap(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, ih: Ih, clock: Clock, settings: SandboxSettings
) -> None:
    pump, agent = await mapped_agent(ih)
    await event_mapping(client, agent, pump, "M")
    token = await onboarded_token(client, anon, agent, clock)
    settings.event_mapping_needs_type = False
    settings.event_page_max = 2
    sent = [{"timestamp": f"2025-06-15T15:00:0{n}Z", "typeId": "other.type", "source": "M"} for n in range(3)]
    assert (await exchange(anon, token, event_body(sent))).status_code == 200
    query = json.dumps({"entityId": pump, "typeId": "other.type"})
    page = (await client.get(EVENTS, params={"filter": query, "size": 50})).json()
    assert len(page["_embedded"]["events"]) == 2 and page["page"]["totalElements"] == 3
