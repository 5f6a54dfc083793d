"""Event Management v3 as the vendor SDK (MCN 3.24.2 `event-management.js`, `event-models.d.ts`,
`mindconnect-agent-3.spec.js`) shows it: the event read shape, paging, the filter rules, `POST
/events` by agent and tenant tokens, event types, and how posted events meet event mappings."""

from __future__ import annotations

import json
from typing import Any

import httpx
from ih_helpers import Clock, Ih
from test_agent_events import TYPE, event_mapping, onboarded_token
from test_agent_side import mapped_agent

from provisioner.sandbox import SandboxSettings

EM = "/api/eventmanagement/v3"
EVENTS = f"{EM}/events"
STANDARD = "com.siemens.mindsphere.eventmgmt.event.type.MindSphereStandardEvent"
BASE_EVENT = "com.siemens.mindsphere.eventmgmt.event.type.BaseEvent"
NOW = "2025-06-15T15:06:40.000Z"  # the test clock


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def post(client: httpx.AsyncClient, body: dict[str, Any], token: str | None = None) -> httpx.Response:
    return await client.post(EVENTS, json=body, headers=bearer(token) if token else None)


async def listed(client: httpx.AsyncClient, query: dict[str, Any] | None = None, **params: Any) -> Any:
    if query is not None:
        params["filter"] = json.dumps(query)
    got = await client.get(EVENTS, params=params)
    assert got.status_code == 200, got.text
    return got.json()


async def overheat_type(client: httpx.AsyncClient, parent: str = STANDARD,
                        fields: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body = {"id": TYPE, "name": "Overheat", "parentId": parent, "fields": fields or []}
    created = await client.post(f"{EM}/eventTypes", json=body)
    assert created.status_code == 201, created.text
    doc: dict[str, Any] = created.json()
    return doc


async def test_an_agent_posts_the_sdk_s_event_and_the_read_has_the_sdk_s_shape(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, ih: Ih, clock: Clock
) -> None:
    _, agent = await mapped_agent(ih)
    token = await onboarded_token(client, anon, agent, clock)
    # the body of mindconnect-agent-3.spec.js "should be able to post an event", with a +02:00 time
    sent = {"entityId": agent, "sourceType": "Event", "sourceId": "application", "source": "Meowz",
            "severity": 20, "description": "MC.rocks 7", "timestamp": "2025-06-15T17:00:00.5+02:00"}
    created = await post(client, sent, token)
    assert created.status_code == 201, created.text
    doc = created.json()
    assert doc["typeId"] == STANDARD and doc["timestamp"] == "2025-06-15T15:00:00.500Z"
    assert doc["etag"] == 0 and doc["acknowledged"] is False and len(doc["correlationId"]) == 36
    assert doc["_links"]["self"]["href"].endswith(f"{EVENTS}/{doc['id']}")
    page = await listed(client)
    assert page["_embedded"]["events"] == [doc]
    assert page["page"] == {"size": 20, "totalElements": 1, "totalPages": 1, "number": 0}
    assert set(page["_links"]) == {"self"}
    assert (await client.get(f"{EVENTS}/{doc['id']}")).json() == doc
    shared = await listed(client, includeShared="true")
    assert shared["_embedded"]["events"][0]["sharing"] == {"modes": []}
    assert (await client.get(f"{EVENTS}/no-such-event")).status_code == 404
    billboard = (await client.get(f"{EM}/")).json()
    assert billboard["events"]["href"].startswith(f"http://127.0.0.1:8700{EVENTS}")


async def test_posted_events_are_checked_against_the_sdk_s_models(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, ih: Ih, clock: Clock, settings: SandboxSettings
) -> None:
    _, agent = await mapped_agent(ih)
    token = await onboarded_token(client, anon, agent, clock)
    good = {"entityId": agent, "timestamp": NOW}
    for bad in ({"timestamp": NOW}, {"entityId": agent}, {**good, "timestamp": "soon"},
                {**good, "severity": "high"}, {**good, "severity": True}, {**good, "acknowledged": "xx"},
                {**good, "code": 123}, {**good, "typeId": BASE_EVENT},
                {**good, "entityId": "33ac5ae889a44717b02fa8282a30d1b4"},  # no such asset
                {**good, "typeId": "sandbox.NotCreated"}):
        assert (await post(client, bad, token)).status_code == 400, bad
    assert "_embedded" not in await listed(client)  # nothing stored; an empty list has no _embedded
    settings.event_empty_embedded = True
    assert (await listed(client))["_embedded"] == {"events": []}
    settings.event_type_check = "any"
    assert (await post(client, {**good, "typeId": "sandbox.NotCreated"}, token)).status_code == 201
    settings.event_entity_check = False
    assert (await post(client, {**good, "entityId": "33ac5ae889a44717b02fa8282a30d1b4"})).status_code == 201
    settings.event_extra_fields = "drop"
    kept = (await post(client, {**good, "sourceId": "application", "code": "7"})).json()
    assert "sourceId" not in kept and kept["code"] == "7"


async def test_events_page_at_20_by_default_and_at_most_100(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, ih: Ih, clock: Clock
) -> None:
    _, agent = await mapped_agent(ih)
    for n in range(105):
        stamp = f"2025-06-15T14:{n // 60:02d}:{n % 60:02d}Z"
        created = await post(client, {"entityId": agent, "timestamp": stamp, "code": str(n)})
        assert created.status_code == 201
    first = await listed(client)
    assert len(first["_embedded"]["events"]) == 20 and first["_embedded"]["events"][0]["code"] == "104"
    assert first["page"] == {"size": 20, "totalElements": 105, "totalPages": 6, "number": 0}
    assert {"first", "last", "next", "self"} == set(first["_links"])
    last = await listed(client, page=5)
    assert [e["code"] for e in last["_embedded"]["events"]] == ["4", "3", "2", "1", "0"]
    big = await listed(client, size=500)
    assert big["page"]["size"] == 100 and len(big["_embedded"]["events"]) == 100
    oldest = await listed(client, sort="timestamp,asc", size=2)
    assert [e["code"] for e in oldest["_embedded"]["events"]] == ["0", "1"]
    assert (await client.get(EVENTS, params={"size": "x"})).status_code == 400


async def test_filter_rules_of_the_sdk_typeid_window_history_and_filterable_fields(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, ih: Ih, clock: Clock
) -> None:
    _, agent = await mapped_agent(ih)
    await overheat_type(client, fields=[{"name": "temperature", "type": "DOUBLE", "filterable": True}])
    posts: list[dict[str, Any]] = [
        {"timestamp": "2025-06-15T15:00:00Z", "typeId": TYPE, "temperature": 90.5, "source": "M"},
        {"timestamp": "2025-06-15T15:00:01Z", "description": "plain"},
        {"timestamp": "2025-06-01T15:00:00Z", "description": "two weeks old"},
        {"timestamp": "2025-06-15T15:00:02Z", "correlationId": "c1", "severity": 1},
        {"timestamp": "2025-06-15T15:00:03Z", "correlationId": "c1", "severity": 2},  # c1's latest
    ]
    for body in posts:
        assert (await post(client, {"entityId": agent, **body})).status_code == 201
    # no typeId: the standard type and its descendants, a descendant without its own fields;
    # no timestamp: the last 7 days; history=false: only c1's latest
    found = (await listed(client))["_embedded"]["events"]
    assert [(e["typeId"], e["timestamp"][17:19]) for e in found] == [
        (STANDARD, "03"), (STANDARD, "01"), (TYPE, "00")]
    assert "temperature" not in found[2] and found[2]["source"] == "M"
    every = (await listed(client, history="true"))["_embedded"]["events"]
    assert [e.get("severity") for e in every[:2]] == [2, 1]
    old = await listed(client, {"timestamp": {"after": "2025-05-01T00:00:00Z"}})
    assert old["page"]["totalElements"] == 4
    typed = (await listed(client, {"typeId": TYPE, "temperature": {"eq": 90.5}}))["_embedded"]["events"]
    assert typed[0]["temperature"] == 90.5 and typed[0]["_links"]["self"]["href"].endswith(typed[0]["id"])
    for refused in ({"typeId": {"in": [TYPE, STANDARD]}}, {"and": [{"typeId": TYPE}, {"typeId": STANDARD}]},
                    {"not": {"typeId": TYPE}}, {"typeId": {"ne": TYPE}}, {"typeId": BASE_EVENT},
                    {"description": "plain"}, {"id": "x"}, {"typeId": TYPE, "description": "x"}):
        got = await client.get(EVENTS, params={"filter": json.dumps(refused)})
        assert got.status_code == 400, refused
    assert (await client.get(EVENTS, params={"sort": "description,asc"})).status_code == 400
    assert (await client.get(EVENTS, params={"history": "maybe"})).status_code == 400


async def test_event_types_take_the_sdk_s_defaults_and_typed_posts_follow_them(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, ih: Ih, clock: Clock
) -> None:
    _, agent = await mapped_agent(ih)
    assert "_embedded" not in (await client.get(f"{EM}/eventTypes",
                                                params={"filter": json.dumps({"name": "Overheat"})})).json()
    doc = await overheat_type(client, parent="", fields=[
        {"name": "temperature", "type": "DOUBLE", "required": True},
        {"name": "level", "type": "ENUM", "values": ["LOW", "HIGH"]}])
    assert (doc["parentId"], doc["ttl"], doc["scope"], doc["owner"], doc["etag"]) == (
        BASE_EVENT, 35, "LOCAL", "sandbox", 0)
    assert doc["fields"][0] == {"name": "temperature", "filterable": False, "required": True,
                                "updatable": True, "type": "DOUBLE"}
    again = await client.post(f"{EM}/eventTypes", json={"id": TYPE, "name": "x", "fields": []})
    assert again.status_code == 409
    bad_types: list[dict[str, Any]] = [
        {"id": "other.Type", "name": "x", "fields": []}, {"name": "x", "fields": [{"name": "f"}]},
        {"name": "x", "fields": [{"name": "f", "type": "STRING", "values": ["a"]}]}, {"fields": []}]
    for bad_type in bad_types:
        assert (await client.post(f"{EM}/eventTypes", json=bad_type)).status_code == 400, bad_type
    listed_types = (await client.get(f"{EM}/eventTypes", params={"filter": json.dumps({"name": "Overheat"})}))
    assert [t["id"] for t in listed_types.json()["_embedded"]["eventTypes"]] == [TYPE]
    base: dict[str, Any] = {"entityId": agent, "timestamp": NOW, "typeId": TYPE}
    for bad in ({**base}, {**base, "temperature": "hot"}, {**base, "temperature": 1.0, "level": "MID"}):
        assert (await post(client, bad)).status_code == 400, bad
    assert (await post(client, {**base, "temperature": 23.7, "level": "HIGH"})).status_code == 201
    assert "_embedded" not in await listed(client)  # BaseEvent's child: not a standard descendant
    assert (await listed(client, {"typeId": TYPE}))["page"]["totalElements"] == 1
    type_url = f"{EM}/eventTypes/{TYPE}"
    assert (await client.delete(type_url, headers={"If-Match": "0"})).status_code == 204
    assert (await client.get(type_url)).status_code == 404


async def test_posted_events_stay_on_their_entity_unless_the_switch_routes_them(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, ih: Ih, clock: Clock, settings: SandboxSettings
) -> None:
    pump, agent = await mapped_agent(ih)
    await event_mapping(client, agent, pump, "MyMachine")
    await overheat_type(client)
    token = await onboarded_token(client, anon, agent, clock)
    event = {"entityId": agent, "typeId": TYPE, "source": "MyMachine", "timestamp": NOW}
    assert (await post(client, event, token)).status_code == 201
    on_pump = {"typeId": TYPE, "entityId": pump}
    assert (await listed(client, on_pump))["page"]["totalElements"] == 0
    assert (await listed(client, {"typeId": TYPE, "entityId": agent}))["page"]["totalElements"] == 1
    settings.event_post_mappings = True
    assert (await post(client, {**event, "timestamp": "2025-06-15T15:06:41Z"}, token)).status_code == 201
    routed = (await listed(client, on_pump))["_embedded"]["events"]
    assert [(e["entityId"], e["timestamp"]) for e in routed] == [(pump, "2025-06-15T15:06:41.000Z")]
    # posted on the mapped asset itself: there, whatever the switch
    assert (await post(client, {**event, "entityId": pump, "correlationId": "p"}, token)).status_code == 201
    assert (await listed(client, on_pump))["page"]["totalElements"] == 2
