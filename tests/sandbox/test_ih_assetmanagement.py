"""Asset Management rules: ETags, paging, filters, immutability, allowed changes, guards, built-ins."""

from __future__ import annotations

import httpx
import pytest
from ih_helpers import AM, MERGE, Ih, filter_q, point

from provisioner.sandbox import Sandbox, SandboxSettings


async def test_put_creates_then_updates_with_if_match(client: httpx.AsyncClient, ih: Ih) -> None:
    assert (await ih.aspect_type("Motor")).status_code == 201
    body = {
        "name": "Motor",
        "category": "dynamic",
        "scope": "private",
        "variables": [
            {"name": "speed", "dataType": "DOUBLE", "unit": "rpm"},
            {"name": "t", "dataType": "INT"},
        ],
    }
    url = f"{AM}/aspecttypes/sandbox.Motor"
    assert (await client.put(url, json=body)).status_code == 400  # If-Match missing on update
    for header in ("0",):
        updated = await client.put(url, json=body, headers={"If-Match": header})
        assert updated.status_code == 200 and updated.json()["etag"] == 1
    assert (await client.put(url, json=body, headers={"If-Match": "0"})).status_code == 412
    assert (await client.put(url, json=body, headers={"If-None-Match": "*"})).status_code == 412
    assert (await client.put(url, json=body, headers={"If-Match": 'W/"1"'})).json()["etag"] == 2
    assert (await client.put(url, json=body, headers={"If-Match": '"2"'})).json()["etag"] == 3
    not_modified = await client.get(url, headers={"If-None-Match": "3"})
    assert not_modified.status_code == 304


async def test_missing_if_match_status_is_a_setting() -> None:
    from ih_helpers import BASE_URL, token_for

    sandbox = Sandbox(SandboxSettings(missing_if_match_status=412))
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=BASE_URL) as client:
        client.headers["Authorization"] = f"Bearer {await token_for(client)}"
        ih = Ih(client)
        await ih.aspect_type("Motor")
        assert (await client.delete(f"{AM}/aspecttypes/sandbox.Motor")).status_code == 412


async def test_paging_defaults_clamp_and_page_past_the_end(client: httpx.AsyncClient, ih: Ih) -> None:
    for i in range(23):
        assert (await ih.aspect_type(f"A{i:02d}")).status_code == 201
    first = (
        await client.get(f"{AM}/aspecttypes", params=filter_q({"id": {"startsWith": "sandbox.A"}}))
    ).json()
    assert first["page"] == {"size": 10, "totalElements": 23, "totalPages": 3, "number": 0}
    assert len(first["_embedded"]["aspectTypes"]) == 10 and "next" in first["_links"]
    last = (
        await client.get(
            f"{AM}/aspecttypes",
            params={"page": 2, "sort": "name,desc", **filter_q({"id": {"startsWith": "sandbox.A"}})},
        )
    ).json()
    assert [a["name"] for a in last["_embedded"]["aspectTypes"]] == ["A02", "A01", "A00"]
    past = await client.get(
        f"{AM}/aspecttypes", params={"page": 3, **filter_q({"name": {"startsWith": "A"}})}
    )
    assert past.status_code == 200 and "_embedded" not in past.json()
    big = (await client.get(f"{AM}/aspecttypes", params={"size": 2000})).json()
    assert big["page"]["size"] == 200
    # size=0 is the default size (the vendor SDK's own tests send page=0&size=0 and expect items)
    zero = (await client.get(f"{AM}/aspecttypes", params={"page": 0, "size": 0})).json()
    assert zero["page"]["size"] == 10 and len(zero["_embedded"]["aspectTypes"]) == 10
    assert (await client.get(f"{AM}/aspecttypes", params={"size": -1})).status_code == 400


async def test_filters(client: httpx.AsyncClient, ih: Ih) -> None:
    for name in ("Alpha", "Beta", "Gamma"):
        await ih.aspect_type(name)

    async def names(filter_doc: dict[str, object]) -> list[str]:
        body = (
            await client.get(f"{AM}/aspecttypes", params={"sort": "name,asc", **filter_q(filter_doc)})
        ).json()
        return [a["name"] for a in body.get("_embedded", {}).get("aspectTypes", [])]

    assert await names({"name": {"contains": "amm"}}) == ["Gamma"]
    assert await names({"name": {"endsWith": "ta"}}) == ["Beta"]
    assert await names({"name": {"eq": "Alpha"}}) == ["Alpha"]
    assert await names({"name": "Alpha"}) == ["Alpha"]
    assert await names({"id": {"in": {"value": ["sandbox.Alpha", "sandbox.Beta"]}}}) == ["Alpha", "Beta"]
    assert await names({"and": {"id": {"startsWith": "sandbox."}, "name": {"startsWith": "G"}}}) == ["Gamma"]
    assert await names({"or": [{"name": "Alpha"}, {"name": "Gamma"}]}) == ["Alpha", "Gamma"]
    assert (await client.get(f"{AM}/aspecttypes", params={"filter": "{nope"})).status_code == 400
    pump = await ih.pump_model()
    await ih.asset_type("BigPump", parent="sandbox.Pump")
    big = (await ih.asset("big1", "sandbox.BigPump")).json()["assetId"]
    has_type = (
        await client.get(f"{AM}/assets", params=filter_q({"hasType": "sandbox.Pump", "deleted": None}))
    ).json()
    assert {a["assetId"] for a in has_type["_embedded"]["assets"]} == {pump, big}


async def test_aspect_type_immutability_and_allowed_changes(client: httpx.AsyncClient, ih: Ih) -> None:
    await ih.aspect_type(
        "Plate", category="static", variables=[{"name": "serial", "dataType": "STRING", "length": 10}]
    )
    url = f"{AM}/aspecttypes/sandbox.Plate"

    async def put(variables: list[dict[str, object]], etag: str, **extra: object) -> httpx.Response:
        body = {"name": "Plate", "category": "static", "scope": "private", "variables": variables, **extra}
        return await client.put(url, json=body, headers={"If-Match": etag})

    serial = {"name": "serial", "dataType": "STRING", "length": 10}
    assert (await put([{**serial, "dataType": "INT", "length": None}], "0")).status_code == 400
    assert (await put([{**serial, "length": 5}], "0")).status_code == 400
    assert (await put([{**serial, "searchable": True}], "0")).status_code == 400
    assert (await put([{**serial, "qualityCode": True}], "0")).status_code == 400
    assert (await put([serial], "0", category="dynamic")).status_code == 400
    renamed = await client.put(
        url,
        json={"name": "Other", "category": "static", "scope": "private", "variables": [serial]},
        headers={"If-Match": "0"},
    )
    assert renamed.status_code == 400 and "Other" in renamed.json()["errors"][0]["message"]
    assert (await put([], "0")).status_code == 400
    grown = await put([{**serial, "length": 40, "unit": "-"}, {"name": "added", "dataType": "INT"}], "0")
    assert grown.status_code == 200
    await ih.aspect_type("Flow", variables=[{"name": "label", "dataType": "STRING", "length": 10}])
    flow = {
        "name": "Flow",
        "category": "dynamic",
        "scope": "private",
        "variables": [{"name": "label", "dataType": "STRING", "length": 20}],
    }
    assert (
        await client.put(f"{AM}/aspecttypes/sandbox.Flow", json=flow, headers={"If-Match": "0"})
    ).status_code == 400


@pytest.mark.parametrize(
    ("category", "variable", "fragment"),
    [
        ("static", {"name": "blob", "dataType": "BIG_STRING", "length": 100}, "BIG_STRING"),
        ("dynamic", {"name": "x", "dataType": "INT", "defaultValue": "1"}, "defaultValue"),
        ("static", {"name": "x", "dataType": "INT", "defaultValue": "abc"}, "abc"),
        ("static", {"name": "etag", "dataType": "INT"}, "etag"),
        ("static", {"name": "1bad", "dataType": "INT"}, "1bad"),
        ("static", {"name": "s", "dataType": "STRING", "length": 256}, "256"),
        ("static", {"name": "x", "dataType": "FLOAT"}, "FLOAT"),
    ],
)
async def test_variable_rules_name_the_offending_value(
    ih: Ih, category: str, variable: dict[str, object], fragment: str
) -> None:
    response = await ih.aspect_type("Rules", category=category, variables=[variable])
    assert response.status_code == 400
    assert fragment in response.json()["errors"][0]["message"]


async def test_type_id_pattern_and_tenant_prefix(client: httpx.AsyncClient) -> None:
    body = {
        "name": "X",
        "category": "static",
        "scope": "private",
        "variables": [{"name": "a", "dataType": "INT"}],
    }
    for type_id in ("toolongprefix.X", "other.X", "sandbox-X"):
        response = await client.put(f"{AM}/aspecttypes/{type_id}", json=body)
        assert response.status_code == 400 and type_id in response.json()["errors"][0]["message"]


async def test_asset_type_rules(client: httpx.AsyncClient, ih: Ih) -> None:
    await ih.pump_model()
    exploded = (await client.get(f"{AM}/assettypes/sandbox.Pump", params={"exploded": "true"})).json()
    assert [a["name"] for a in exploded["aspects"]] == ["motor"]
    child = await ih.asset_type(
        "Sub", parent="core.basicdevice", variables=[{"name": "x", "dataType": "INT"}]
    )
    assert child.status_code == 201 and len(child.json()["variables"]) == 1
    sub = (await client.get(f"{AM}/assettypes/sandbox.Sub", params={"exploded": "true"})).json()
    assert len(sub["variables"]) == 3 and sub["variables"][1]["_links"]["origin"]["href"].endswith(
        "core.basicdevice"
    )
    clash = await ih.asset_type(
        "Clash", parent="core.basicdevice", variables=[{"name": "serialNumber", "dataType": "INT"}]
    )
    assert clash.status_code == 400 and "serialNumber" in clash.text
    body = {
        "name": "Pump",
        "parentTypeId": "core.basicasset",
        "instantiable": False,
        "aspects": [{"name": "motor", "aspectTypeId": "sandbox.Motor"}],
    }
    assert (
        await client.put(f"{AM}/assettypes/sandbox.Pump", json=body, headers={"If-Match": "0"})
    ).status_code == 400
    assert (await client.put(f"{AM}/assettypes/core.basicasset", json=body)).status_code == 403
    assert (
        await client.delete(f"{AM}/assettypes/core.basicdevice", headers={"If-Match": "0"})
    ).status_code == 403
    assert (await client.get(f"{AM}/assettypes/core.BasicAsset")).status_code == 200


async def test_deletion_guards(client: httpx.AsyncClient, ih: Ih) -> None:
    pump = await ih.pump_model()
    assert (
        await client.delete(f"{AM}/aspecttypes/sandbox.Motor", headers={"If-Match": "0"})
    ).status_code == 400
    await ih.asset_type("Sub", parent="sandbox.Pump")
    child_type = await client.delete(f"{AM}/assettypes/sandbox.Pump", headers={"If-Match": "0"})
    assert child_type.status_code == 400 and "sandbox.Sub" in child_type.text
    assert (await client.delete(f"{AM}/assettypes/sandbox.Sub", headers={"If-Match": "0"})).status_code == 204
    with_asset = await client.delete(f"{AM}/assettypes/sandbox.Pump", headers={"If-Match": "0"})
    assert with_asset.status_code == 400
    await ih.asset("child", "core.basicasset", parent=pump)
    assert (await client.delete(f"{AM}/assets/{pump}", headers={"If-Match": "0"})).status_code == 400


async def test_deletion_guard_status_409_option() -> None:
    from ih_helpers import BASE_URL, token_for

    sandbox = Sandbox(SandboxSettings(delete_guard_status=409))
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=BASE_URL) as client:
        client.headers["Authorization"] = f"Bearer {await token_for(client)}"
        await Ih(client).pump_model()
        assert (
            await client.delete(f"{AM}/aspecttypes/sandbox.Motor", headers={"If-Match": "0"})
        ).status_code == 409


async def test_assets_fixed_fields_move_and_deleted_assets_are_filtered(
    client: httpx.AsyncClient, ih: Ih
) -> None:
    pump = await ih.pump_model()
    url = f"{AM}/assets/{pump}"
    assert (
        await client.put(
            url,
            json={"name": "p"},
        )
    ).status_code == 400
    assert (
        await client.put(url, json={"name": "p", "typeId": "core.basicasset"}, headers={"If-Match": "0"})
    ).status_code == 400
    assert (
        await client.patch(url, json={"timezone": "Asia/Tokyo"}, headers={"If-Match": "0", **MERGE})
    ).status_code == 400
    assert (await ih.asset("tz", "sandbox.Pump", timezone="Asia/Kolkata")).status_code == 201
    assert (await ih.asset("tz", "sandbox.Pump", timezone="Asia/Kathmandu")).status_code == 400
    area = (await ih.asset("area", "core.basicarea")).json()["assetId"]
    moved = await client.post(f"{url}/move", json={"newParentId": area}, headers={"If-Match": "0"})
    assert moved.json()["hierarchyPath"][-1] == {"assetId": area, "name": "area"}
    cycle = await client.post(
        f"{AM}/assets/{area}/move", json={"newParentId": pump}, headers={"If-Match": "0"}
    )
    assert cycle.status_code == 400
    assert (await client.delete(url, headers={"If-Match": "1"})).status_code == 204
    assert (await client.get(url)).json()["deleted"]  # soft delete: the admin token still reads it
    live = {"typeId": "sandbox.Pump", "deleted": None}
    listed = (await client.get(f"{AM}/assets", params=filter_q(live))).json()
    assert pump not in {a["assetId"] for a in listed["_embedded"]["assets"]}


async def test_deleting_a_mapped_asset_makes_its_mappings_missing_property(
    client: httpx.AsyncClient, ih: Ih
) -> None:
    pump = await ih.pump_model()
    agent = await ih.agent(points=[point()])
    mapping = (await ih.mapping(agent, "dp1", pump, keep=True)).json()
    assert (await client.delete(f"{AM}/assets/{pump}", headers={"If-Match": "0"})).status_code == 204
    after = (await client.get(f"/api/mindconnect/v3/dataPointMappings/{mapping['id']}")).json()
    assert after["validity"] == {"status": "INVALID", "reasons": ["MISSING_PROPERTY"]}


async def test_children_link_and_indexed_filters_keep_creation_order(
    client: httpx.AsyncClient, ih: Ih
) -> None:
    area = (await ih.asset("area", "core.basicarea")).json()
    kids = [
        (await ih.asset(f"k{i}", "core.basicsite", parent=area["assetId"])).json()["assetId"]
        for i in range(3)
    ]
    children = (await client.get(area["_links"]["children"]["href"])).json()
    assert [a["assetId"] for a in children["_embedded"]["assets"]] == kids
    await client.patch(f"{AM}/assets/{kids[0]}", json={"name": "renamed"}, headers={"If-Match": "0", **MERGE})
    sites = (
        await client.get(f"{AM}/assets", params=filter_q({"typeId": "core.basicsite", "name": "renamed"}))
    ).json()
    assert [a["assetId"] for a in sites["_embedded"]["assets"]] == [kids[0]]


async def test_a_name_filter_finds_renamed_and_same_named_assets_by_id(
    client: httpx.AsyncClient, ih: Ih
) -> None:
    ids = [(await ih.asset(name, "core.basicsite")).json()["assetId"] for name in ("Twin", "other", "Twin")]

    async def named(name: str) -> list[str]:
        body = (await client.get(f"{AM}/assets", params=filter_q({"name": name, "deleted": None}))).json()
        return [a["assetId"] for a in body.get("_embedded", {}).get("assets", [])]

    # the default order is name, then id (not creation order): same-named assets come by id
    assert await named("Twin") == sorted([ids[0], ids[2]])
    await client.patch(f"{AM}/assets/{ids[1]}", json={"name": "Twin"}, headers={"If-Match": "0", **MERGE})
    await client.patch(f"{AM}/assets/{ids[0]}", json={"name": "gone"}, headers={"If-Match": "0", **MERGE})
    assert await named("Twin") == sorted([ids[1], ids[2]])
    assert await named("other") == []
    await client.delete(f"{AM}/assets/{ids[2]}", headers={"If-Match": "0"})
    assert await named("Twin") == [ids[1]]
