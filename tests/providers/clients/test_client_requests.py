"""Request shapes (paths, headers, params, bodies) and list paging for both clients."""

from __future__ import annotations

import json

import httpx
import pytest
from client_fakes import Server, json_response

from provisioner.errors import ApiError
from provisioner.providers.http import IhServiceCredentials
from provisioner.providers.insights_hub.client import InsightsHubClient

AM = "/api/assetmanagement/v3"


def hal(
    key: str,
    items: list[dict],
    number: int,
    total_pages: int | None,
    size: int = 200,
    links: dict | None = None,
) -> dict:
    body: dict = {"_embedded": {key: items}} if items else {}
    if total_pages is not None:
        body["page"] = {"size": size, "totalElements": -1, "totalPages": total_pages, "number": number}
    if links is not None:
        body["_links"] = links
    return body


def params(request: httpx.Request) -> dict[str, str]:
    return dict(request.url.params)


async def test_hal_paging_uses_total_pages(ih_factory, server: Server) -> None:
    pages = {0: [{"id": "acme.a"}, {"id": "acme.b"}], 1: [{"id": "acme.c"}]}
    server.handler = lambda r: json_response(
        200, hal("aspectTypes", pages[int(params(r)["page"])], int(params(r)["page"]), 2)
    )
    async with ih_factory() as client:
        items = await client.list_aspect_types({"id": {"startsWith": "acme."}})
    assert [i["id"] for i in items] == ["acme.a", "acme.b", "acme.c"]
    calls = server.api_requests()
    assert len(calls) == 2
    assert calls[0].url.path == f"{AM}/aspecttypes"
    assert params(calls[0]) == {
        "sort": "id,asc",
        "filter": '{"id":{"startsWith":"acme."}}',
        "page": "0",
        "size": "200",
    }
    assert all(c.headers["accept"] == "application/hal+json" for c in calls)


async def test_hal_paging_tolerates_missing_embedded(ih_factory, server: Server) -> None:
    server.handler = lambda r: json_response(
        200,
        {
            "page": {"size": 200, "totalElements": 0, "totalPages": 0, "number": 0},
            "_links": {"self": {"href": "x"}},
        },
    )
    async with ih_factory() as client:
        assert await client.list_asset_types() == []
    assert len(server.api_requests()) == 1
    assert params(server.api_requests()[0])["exploded"] == "false"


async def test_hal_paging_without_page_info_follows_next_links(ih_factory, server: Server) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        number = int(params(request)["page"])
        links = {"self": {"href": "s"}, **({"next": {"href": "n"}} if number < 2 else {})}
        return json_response(200, hal("assets", [{"assetId": str(number)}], number, None, links=links))

    server.handler = handler
    async with ih_factory() as client:
        assert [a["assetId"] for a in await client.list_assets()] == ["0", "1", "2"]
    # deleted assets stay listed with a `deleted` timestamp unless the filter excludes them
    assert {params(r)["filter"] for r in server.api_requests()} == {'{"deleted":null}'}


async def test_asset_lists_keep_the_callers_filter_and_exclude_deleted_assets(ih_factory,
                                                                              server: Server) -> None:
    server.handler = lambda r: json_response(200, hal("assets", [], 0, None))
    async with ih_factory() as client:
        await client.list_assets({"name": "Pump"})
        await client.list_assets({"name": "Pump"}, include_deleted=True)
    filtered, everything = server.api_requests()
    assert json.loads(params(filtered)["filter"]) == {"name": "Pump", "deleted": None}
    assert json.loads(params(everything)["filter"]) == {"name": "Pump"}


async def test_hal_paging_stops_at_a_short_page_when_nothing_else_is_known(
    ih_factory, server: Server
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        number = int(params(request)["page"])
        return json_response(
            200,
            {"_embedded": {"assets": [{"assetId": f"{number}-{i}"} for i in range(2 if number == 0 else 1)]}},
        )

    server.handler = handler
    async with ih_factory(asset_page_size=2) as client:
        assert len(await client.list_assets()) == 3
    assert len(server.api_requests()) == 2


async def test_spring_paging_for_agents_and_mappings(ih_factory, server: Server) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        number = int(params(request)["page"])
        return json_response(
            200,
            {
                "content": [{"id": f"m{number}"}],
                "last": number == 2,
                "number": number,
                "totalPages": 3,
                "size": int(params(request)["size"]),
            },
        )

    server.handler = handler
    async with ih_factory() as client:
        mappings = await client.list_mappings({"agentId": "ag1", "entityId": "e1"})
        agents = await client.list_agents()
    assert [m["id"] for m in mappings] == ["m0", "m1", "m2"]
    assert len(agents) == 3
    first = server.api_requests()[0]
    assert first.url.path == "/api/mindconnect/v3/dataPointMappings"
    # pages 1.. are fetched concurrently: a stable sort makes them cut one order (vendor evidence row 7)
    assert params(first) == {"filter": '{"agentId":"ag1","entityId":"e1"}', "sort": "id,asc", "page": "0",
                             "size": "2000"}
    assert first.headers["accept"] == "application/json"
    agents_first = server.api_requests()[3]
    assert agents_first.url.path == "/api/agentmanagement/v3/agents"
    assert params(agents_first)["sort"] == "id,asc"


async def test_spring_paging_stops_on_empty_content(ih_factory, server: Server) -> None:
    server.handler = lambda r: json_response(200, {"content": []})
    async with ih_factory() as client:
        assert await client.list_event_mappings({"agentId": "ag1"}) == []
    assert len(server.api_requests()) == 1


async def test_type_writes_send_preconditions(ih_factory, server: Server) -> None:
    server.handler = lambda r: json_response(
        201 if r.method == "PUT" else 200, {"id": "acme.pump", "etag": 0}
    )
    body = {"name": "pump", "category": "dynamic", "scope": "private", "variables": []}
    async with ih_factory() as client:
        await client.put_aspect_type("acme.pump", body, if_none_match_star=True)
        await client.put_aspect_type("acme.pump", body, if_match=0)
        await client.put_asset_type("acme.pump", body, if_match="5", exploded=True)
        await client.patch_aspect_type("acme.pump", {"description": "x"}, 1)
        await client.patch_aspect_type_variables("acme.pump", {"old": None}, 2)
        await client.delete_aspect_type("acme.pump", 3)
        with pytest.raises(ValueError, match="not both"):
            await client.put_aspect_type("acme.pump", body, if_match=1, if_none_match_star=True)
    create, update, asset_type, patch, variables, delete = server.api_requests()
    assert create.method == "PUT" and create.headers["if-none-match"] == "*"
    assert "if-match" not in create.headers
    assert create.headers["content-type"] == "application/json"
    assert json.loads(create.content) == body
    assert update.headers["if-match"] == "0"
    assert asset_type.url.path == f"{AM}/assettypes/acme.pump" and params(asset_type) == {"exploded": "true"}
    assert asset_type.headers["if-match"] == "5"
    assert patch.method == "PATCH" and patch.headers["content-type"] == "application/merge-patch+json"
    assert patch.headers["if-match"] == "1"
    assert variables.url.path == f"{AM}/aspecttypes/acme.pump/variables"
    assert json.loads(variables.content) == {"old": None}
    assert delete.method == "DELETE" and delete.headers["if-match"] == "3" and delete.content == b""


async def test_asset_and_agent_requests(ih_factory, server: Server) -> None:
    server.handler = lambda r: httpx.Response(204) if r.method == "DELETE" else json_response(200, {"ok": 1})
    asset_id = "c27a28b6eb16b507fabc11e75da8b4ce"
    async with ih_factory() as client:
        await client.move_asset(asset_id, "f" * 32, 2)
        await client.patch_asset(asset_id, {"description": "d"}, 2)
        await client.put_agent("ag1", {"name": "n", "securityProfile": "SHARED_SECRET"}, "2")
        await client.delete_agent("ag1", "3")
        await client.put_dsc("ag1", {"configurationId": "c", "dataSources": []}, "0")
        await client.patch_event_mapping("em1", {"eventTypeFieldValue": "v"}, "1")
        await client.delete_event_mapping("em1", "1")
        await client.offboard("ag1")
    move, patch, agent, delete, dsc, event, event_delete, offboard = server.api_requests()
    assert (move.method, move.url.path) == ("POST", f"{AM}/assets/{asset_id}/move")
    assert json.loads(move.content) == {"newParentId": "f" * 32} and move.headers["if-match"] == "2"
    assert patch.headers["content-type"] == "application/merge-patch+json"
    assert agent.url.path == "/api/agentmanagement/v3/agents/ag1" and agent.headers["if-match"] == "2"
    assert delete.headers["if-match"] == "3"
    assert dsc.url.path == "/api/agentmanagement/v3/agents/ag1/dataSourceConfiguration"
    assert dsc.headers["if-match"] == "0"
    # the MindConnect spec declares application/json for this PATCH (mindconnect-v3-6-0.yaml:67)
    assert event.method == "PATCH" and event.headers["content-type"] == "application/json"
    assert event_delete.headers["if-match"] == "1"
    assert offboard.url.path == "/api/agentmanagement/v3/agents/ag1/boarding/offboard"


async def test_itwin_lists_page_by_100_until_an_empty_page(itwin_factory, server: Server) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        number = int(params(request)["pageNumber"])
        count = [100, 100, 7][number] if number < 3 else 0
        return json_response(200, [{"id": f"/api/{number}-{i}/node"} for i in range(count)])

    server.handler = handler
    async with itwin_factory() as client:
        nodes = await client.list_nodes("6ee68656-ce20-452c-a4e6-b6b3a3b55537")
    assert len(nodes) == 207
    first = server.requests[0]
    assert first.url.path == "/api/nodes/all"
    assert params(first) == {
        "projectIds": "6ee68656-ce20-452c-a4e6-b6b3a3b55537",
        "pageSize": "100",
        "pageNumber": "0",
        "sortBy": "id",
    }
    # the short page (7) is not trusted as the end: only an empty page ends the read
    assert [params(r)["pageNumber"] for r in server.requests] == ["0", "1", "2", "3"]


async def test_itwin_list_survives_a_silent_page_cap(itwin_factory, server: Server) -> None:
    """A server that serves 3 per page whatever pageSize asks: every short page is followed."""
    items = [{"id": f"/api/{i:02d}/node"} for i in range(8)]

    def handler(request: httpx.Request) -> httpx.Response:
        number = int(params(request)["pageNumber"])
        return json_response(200, items[number * 3:number * 3 + 3])

    server.handler = handler
    async with itwin_factory() as client:
        assert await client.list_nodes("p") == items
    assert len(server.requests) == 4


async def test_itwin_list_refuses_a_server_that_ignores_page_number(itwin_factory, server: Server) -> None:
    server.handler = lambda r: json_response(200, [{"id": "/api/A/node"}])
    async with itwin_factory() as client:
        with pytest.raises(ApiError, match="ignores pageNumber"):
            await client.list_nodes("p")
    assert len(server.requests) == 2


async def test_itwin_exact_multiple_needs_one_empty_page(itwin_factory, server: Server) -> None:
    answers = iter([[{"id": "a"}, {"id": "b"}], []])
    server.handler = lambda r: json_response(200, next(answers))
    async with itwin_factory(page_size=2) as client:
        assert len(await client.list_sensors("p")) == 2
    assert server.requests[0].url.path == "/api/sensors/all"


async def test_itwin_raw_ids_keep_their_double_slash(itwin_factory, server: Server) -> None:
    sensor = "/api/13DC2F/node/dynamic/62D7C7/device/F55FE5/sensor"
    server.handler = lambda r: json_response(200, {"id": sensor, "integration": {}})
    async with itwin_factory() as client:
        await client.get_entity("sensor", sensor)
        await client.get_tree("/api/13DC2F/node")
        with pytest.raises(ValueError, match="slash paths"):
            await client.get_entity("node", "13DC2F")
    get, tree = server.requests
    assert get.url.raw_path == b"/api/sensors//api/13DC2F/node/dynamic/62D7C7/device/F55FE5/sensor"
    assert tree.method == "POST" and tree.url.raw_path == b"/api/integrations//api/13DC2F/node"
    assert tree.content == b""


async def test_itwin_catalogues(itwin_factory, server: Server) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/sensors/types":
            return json_response(
                200, {" sensorTypes": [{"id": "GENERIC_SENSOR_SDE"}]}
            )  # stray space as documented
        if request.url.path == "/api/devices/types":
            return json_response(200, {"deviceTypes": [{"id": "IMPORT_DEVICE_SDE"}]})
        if request.url.path == "/api/nodes/types":
            return json_response(200, {"nodeTypes": [{"id": "NODE_API_SDE"}]})
        if request.url.path == "/api/metrics/types":
            return json_response(200, {"standard": True, "metrics": [{"id": "T"}]})
        return json_response(200, {"metricsBySensor": {"/api/x/sensor": [{"id": "Alignment_Left_SD"}]}})

    server.handler = handler
    async with itwin_factory() as client:
        assert [t["id"] for t in await client.list_sensor_types()] == ["GENERIC_SENSOR_SDE"]
        assert [t["id"] for t in await client.list_device_types()] == ["IMPORT_DEVICE_SDE"]
        assert [t["id"] for t in await client.list_node_types()] == ["NODE_API_SDE"]
        assert (await client.get_metric_types())["metrics"] == [{"id": "T"}]
        metrics = await client.get_sensor_metrics("p1", ["/api/x/sensor"])
    assert metrics == {"/api/x/sensor": [{"id": "Alignment_Left_SD"}]}
    assert params(server.requests[0]) == {"excludeLegacy": "true"}
    assert params(server.requests[4]) == {"projectIds": "p1", "filters": "raw"}


async def test_ih_client_rejects_non_json_success(ih_factory, server: Server) -> None:
    server.handler = lambda r: httpx.Response(200, text="<html>login</html>")
    async with ih_factory() as client:
        with pytest.raises(ApiError, match="not JSON"):
            await client.get_root_asset()


def test_constructor_validates_options(server: Server) -> None:
    with pytest.raises(ValueError, match="concurrency"):
        InsightsHubClient(
            "https://gateway.eu1.mindsphere.io", IhServiceCredentials("t", "c", "s-not-real"), concurrency=0
        )
