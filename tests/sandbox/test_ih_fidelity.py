"""The behaviours of docs/sandbox.md "Behaviour and evidence": each default as the vendor's evidence
shows it, and each switch that keeps the old behaviour."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import jwt
import pytest
from ih_helpers import AGM, AM, BASE_URL, MC, MERGE, Clock, Ih, filter_q, token_for

from provisioner.sandbox import Sandbox, SandboxSettings

LIVE = {"deleted": None}


@asynccontextmanager
async def hub(clock: Clock, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client (service credentials) on a fresh sandbox with `overrides` applied to the settings."""
    sandbox = Sandbox(SandboxSettings(clock=clock, boarding_delay_s=0.2, **overrides))
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=BASE_URL) as client:
        client.headers["Authorization"] = f"Bearer {await token_for(client)}"
        yield client


async def app_token(client: httpx.AsyncClient) -> str:
    key = base64.b64encode(b"sandbox-app-client:sandbox-app-secret").decode()
    body = {"appName": "provision", "appVersion": "1.0.0", "hostTenant": "sandbox", "userTenant": "sandbox"}
    response = await client.post(
        "/api/technicaltokenmanager/v3/oauth/token",
        json=body,
        headers={"X-SPACE-AUTH-KEY": f"Basic {key}", "Authorization": ""},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def am_error(response: httpx.Response, status: int) -> dict[str, Any]:
    """Assert an Asset Management error (`errors[]` with code/errorcode/logref/message); return it."""
    assert response.status_code == status, response.text
    entry: dict[str, Any] = response.json()["errors"][0]
    assert entry["errorcode"] == str(status) and entry["code"].startswith("mdsp.core.generic.")
    assert entry["logref"] and entry["message"]
    return entry


async def names_listed(client: httpx.AsyncClient, **params: str) -> list[str]:
    body = (await client.get(f"{AM}/assets", params={"size": "200", **params})).json()
    return [a["name"] for a in body["_embedded"]["assets"]]


# -- asset list order and sort -----------------------------------------------------------------------


async def test_assets_are_listed_by_name_case_insensitively_then_id_and_the_self_link_says_so(
    client: httpx.AsyncClient, ih: Ih
) -> None:
    for name in ("charlie", "Bravo", "alpha", "Bravo"):
        assert (await ih.asset(name, "core.basicsite")).status_code == 201
    body = (await client.get(f"{AM}/assets")).json()
    assets = body["_embedded"]["assets"]
    assert [a["name"] for a in assets] == ["alpha", "Bravo", "Bravo", "charlie", "sandbox"]
    bravos = [a["assetId"] for a in assets if a["name"] == "Bravo"]
    assert bravos == sorted(bravos)
    assert body["_links"]["self"]["href"].endswith("basicFieldsOnly=false&page=0&size=10&sort=name,id,asc")


async def test_sort_is_honoured(client: httpx.AsyncClient, ih: Ih) -> None:
    for name in ("b", "C", "a"):
        await ih.asset(name, "core.basicsite")
    assert await names_listed(client, sort="name,desc") == ["sandbox", "C", "b", "a"]
    assert await names_listed(client, sort="DESC") == ["sandbox", "C", "b", "a"]  # bare: name, id
    ids = (await client.get(f"{AM}/assets", params={"sort": "id,asc"})).json()["_embedded"]["assets"]
    assert [a["assetId"] for a in ids] == sorted(a["assetId"] for a in ids)
    am_error(await client.get(f"{AM}/assets", params={"sort": "colour,asc"}), 400)


async def test_creation_order_is_a_switch(clock: Clock) -> None:
    async with hub(clock, asset_list_order="creation") as client:
        ih = Ih(client)
        for name in ("charlie", "alpha", "Bravo"):
            await ih.asset(name, "core.basicsite")
        assert await names_listed(client) == ["sandbox", "charlie", "alpha", "Bravo"]
        body = (await client.get(f"{AM}/assets")).json()
        assert "sort=" not in body["_links"]["self"]["href"]


# -- soft delete ---------------------------------------------------------------------------------------


async def test_a_deleted_asset_stays_readable_by_admins_is_immutable_and_filtered_by_deleted_null(
    client: httpx.AsyncClient, ih: Ih
) -> None:
    asset = (await ih.asset("gone", "core.basicsite")).json()
    url = f"{AM}/assets/{asset['assetId']}"
    assert asset["deleted"] is None
    assert (await client.delete(url, headers={"If-Match": "0"})).status_code == 204
    read = (await client.get(url)).json()
    assert read["deleted"].endswith("Z") and read["name"] == "gone"
    assert "gone" in await names_listed(client)
    assert "gone" not in await names_listed(client, **filter_q(LIVE))
    both = filter_q({"and": {"deleted": None, "name": {"startsWith": "go"}}})
    assert await names_listed(client, **both) == []
    for method, kwargs in (
        ("PUT", {"json": {"name": "back"}, "headers": {"If-Match": "0"}}),
        ("PATCH", {"json": {"name": "back"}, "headers": {"If-Match": "0", **MERGE}}),
        ("DELETE", {"headers": {"If-Match": "0"}}),
    ):
        entry = am_error(await client.request(method, url, **kwargs), 404)
        assert asset["assetId"] in entry["message"]


async def test_non_admin_tokens_do_not_see_deleted_assets(client: httpx.AsyncClient, ih: Ih) -> None:
    asset = (await ih.asset("gone", "core.basicsite")).json()
    url = f"{AM}/assets/{asset['assetId']}"
    await client.delete(url, headers={"If-Match": "0"})
    app = {"Authorization": f"Bearer {await app_token(client)}"}
    am_error(await client.get(url, headers=app), 404)
    listed = (await client.get(f"{AM}/assets", headers=app)).json()["_embedded"]["assets"]
    assert "gone" not in [a["name"] for a in listed]


async def test_deleted_children_do_not_block_deleting_the_parent(client: httpx.AsyncClient, ih: Ih) -> None:
    area = (await ih.asset("area", "core.basicarea")).json()["assetId"]
    child = (await ih.asset("child", "core.basicsite", parent=area)).json()["assetId"]
    am_error(await client.delete(f"{AM}/assets/{area}", headers={"If-Match": "0"}), 400)
    assert (await client.delete(f"{AM}/assets/{child}", headers={"If-Match": "0"})).status_code == 204
    assert (await client.delete(f"{AM}/assets/{area}", headers={"If-Match": "0"})).status_code == 204


async def test_hard_delete_and_app_admins_are_switches(clock: Clock) -> None:
    async with hub(clock, asset_delete_mode="hard") as client:
        asset = (await Ih(client).asset("gone", "core.basicsite")).json()
        await client.delete(f"{AM}/assets/{asset['assetId']}", headers={"If-Match": "0"})
        am_error(await client.get(f"{AM}/assets/{asset['assetId']}"), 404)
    async with hub(clock, admin_credentials="service+app", deleted_asset_write_status=403) as client:
        asset = (await Ih(client).asset("gone", "core.basicsite")).json()
        url = f"{AM}/assets/{asset['assetId']}"
        await client.delete(url, headers={"If-Match": "0"})
        app = {"Authorization": f"Bearer {await app_token(client)}"}
        assert (await client.get(url, headers=app)).json()["deleted"]
        am_error(await client.delete(url, headers={"If-Match": "0"}), 403)


# -- asynchronous offboarding --------------------------------------------------------------------------


async def onboard(client: httpx.AsyncClient, ih: Ih, clock: Clock) -> str:
    agent = await ih.agent("a1")
    clock.advance(0.25)
    config = (await client.get(f"{AGM}/agents/{agent}/boarding/configuration")).json()
    registered = await client.post(
        f"{AGM}/register", json={}, headers={"Authorization": f"Bearer {config['content']['iat']}"}
    )
    assert registered.status_code == 201
    return agent


async def test_offboarding_takes_time_and_keeps_agent_and_asset_locked(
    client: httpx.AsyncClient, ih: Ih, clock: Clock
) -> None:
    agent = await onboard(client, ih, clock)
    status = f"{AGM}/agents/{agent}/boarding/status"
    offboarded = await client.post(f"{AGM}/agents/{agent}/boarding/offboard")
    assert offboarded.json() == {"status": "OFFBOARDING"}
    assert (await client.get(status)).json()["status"] == "OFFBOARDING"
    refused = await client.delete(f"{AGM}/agents/{agent}", headers={"If-Match": "0"})
    assert refused.status_code == 400 and "offboarded" in refused.json()["message"]
    am_error(await client.delete(f"{AM}/assets/{agent}", headers={"If-Match": "0"}), 400)
    assert (await client.get(f"{AM}/assets/{agent}")).json()["locks"][0]["reasonCode"] == (
        "agentmanagement.agent.onboarded"
    )
    clock.advance(0.29)
    assert (await client.get(status)).json()["status"] == "OFFBOARDING"
    clock.advance(0.02)  # offboard_delay_s (0.3 s) has passed
    assert (await client.get(status)).json()["status"] == "OFFBOARDED"
    assert (await client.get(f"{AM}/assets/{agent}")).json()["locks"] == []
    assert (await client.delete(f"{AGM}/agents/{agent}", headers={"If-Match": "0"})).status_code == 204
    assert (await client.delete(f"{AM}/assets/{agent}", headers={"If-Match": "0"})).status_code == 204


async def test_spec_status_mode_reports_only_enum_values_but_still_waits(clock: Clock) -> None:
    async with hub(clock, offboard_status_mode="spec", offboard_delay_s=5.0) as client:
        ih = Ih(client)
        agent = await onboard(client, ih, clock)
        offboarded = await client.post(f"{AGM}/agents/{agent}/boarding/offboard")
        assert offboarded.json() == {"status": "NOT_ONBOARDED"}
        assert (await client.delete(f"{AGM}/agents/{agent}", headers={"If-Match": "0"})).status_code == 400
        clock.advance(5.0)
        assert (await client.get(f"{AGM}/agents/{agent}/boarding/status")).json()["status"] == "NOT_ONBOARDED"
        assert (await client.delete(f"{AGM}/agents/{agent}", headers={"If-Match": "0"})).status_code == 204


# -- paging --------------------------------------------------------------------------------------------


async def test_size_zero_is_the_default_page_size(client: httpx.AsyncClient, ih: Ih) -> None:
    for n in range(12):
        await ih.asset(f"s{n:02d}", "core.basicsite")
    body = (await client.get(f"{AM}/assets", params={"page": 0, "size": 0})).json()
    assert body["page"]["size"] == 10 and len(body["_embedded"]["assets"]) == 10
    agents = (await client.get(f"{AGM}/agents", params={"size": 0})).json()
    assert agents["size"] == 20


@pytest.mark.parametrize(
    "params",
    [
        {"page": "1e20"},
        {"page": "99999999999999999999"},
        {"page": "9223372036854775808"},
        {"size": "2147483648"},
        {"size": "ten"},
        {"page": "-1"},
        {"page": "2147483647", "size": "200"},
    ],
)
async def test_nonsense_paging_is_a_400_in_the_services_shape(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    am_error(await client.get(f"{AM}/assets", params=params), 400)
    am_error(await client.get(f"{AM}/aspecttypes", params=params), 400)
    agents = await client.get(f"{AGM}/agents", params=params)
    assert agents.status_code == 400 and set(agents.json()) == {"id", "message"}


async def test_a_filter_matching_nothing_still_has_an_empty_embedded_list(client: httpx.AsyncClient) -> None:
    body = (await client.get(f"{AM}/assets", params=filter_q({"name": "nobody"}))).json()
    assert body["_embedded"] == {"assets": []}


# -- asset types -----------------------------------------------------------------------------------


async def test_asset_type_lists_and_core_mclib_answer(client: httpx.AsyncClient, ih: Ih) -> None:
    await ih.aspect_type("Motor")
    await ih.asset_type("Pump", aspects=[{"name": "motor", "aspectTypeId": "sandbox.Motor"}])
    for params in ({}, {"exploded": "true"}, filter_q({"id": {"startsWith": "core."}}), {"sort": "DESC"}):
        listed = await client.get(f"{AM}/assettypes", params={**params, "size": 100})
        assert listed.status_code == 200, (params, listed.text)
        types = {t["id"]: t for t in listed.json()["_embedded"]["assetTypes"]}
        assert types
    exploded = (await client.get(f"{AM}/assettypes", params={"exploded": "true", "size": 100})).json()
    mclib = next(t for t in exploded["_embedded"]["assetTypes"] if t["id"] == "core.mclib")
    assert mclib["aspects"][0]["name"] == "connectivityStatus" and len(mclib["aspects"][0]["aspectId"]) == 32
    one = await client.get(f"{AM}/assettypes/core.mclib", params={"exploded": "true"})
    assert one.status_code == 200
    assert one.json()["aspects"][0]["aspectType"]["id"] == "core.connectivityStatus"


# -- file assignments ----------------------------------------------------------------------------------


async def test_file_assignment_errors_name_the_file_and_the_key(client: httpx.AsyncClient, ih: Ih) -> None:
    await ih.asset_type("Pump")
    asset = (await ih.asset("p", "sandbox.Pump")).json()
    for target in ("assettypes/sandbox.Pump", f"assets/{asset['assetId']}"):
        put = await client.put(
            f"{AM}/{target}/fileAssignments/Keyword", json={"fileId": "abcd"}, headers={"If-Match": "0"}
        )
        assert "abcd" in am_error(put, 404)["message"]
        delete = await client.delete(f"{AM}/{target}/fileAssignments/xyz", headers={"If-Match": "0"})
        assert "xyz" in am_error(delete, 404)["message"]
        am_error(await client.delete(f"{AM}/{target}/fileAssignments/xyz"), 400)  # If-Match is mandatory
    files = [{"key": "k", "fileId": "f1"}]
    body = {"name": "Pump", "parentTypeId": "core.basicasset", "fileAssignments": files}
    refused = await client.put(f"{AM}/assettypes/sandbox.Pump", json=body, headers={"If-Match": "0"})
    assert "f1" in am_error(refused, 400)["message"]


# -- boarding configuration ----------------------------------------------------------------------------


async def test_boarding_configuration_has_the_content_the_sdk_consumes(
    client: httpx.AsyncClient, ih: Ih, clock: Clock
) -> None:
    agent = await ih.agent("a1")
    clock.advance(0.2)
    config = (await client.get(f"{AGM}/agents/{agent}/boarding/configuration")).json()
    content = config["content"]
    assert content["baseUrl"] == BASE_URL
    assert content["clientCredentialProfile"] == ["SHARED_SECRET"]
    assert content["clientId"] == agent and content["tenant"] == "sandbox"
    claims = jwt.decode(content["iat"], options={"verify_signature": False})
    assert claims["agent_id"] == agent and claims["exp"] - claims["iat"] == 7 * 24 * 3600
    assert config["expiration"].endswith("Z")


# -- media types ---------------------------------------------------------------------------------------


async def test_content_types_the_specs_declare_are_checked(client: httpx.AsyncClient, ih: Ih) -> None:
    await ih.aspect_type("Motor")
    asset = (await ih.asset("p", "core.basicsite")).json()
    url = f"{AM}/assets/{asset['assetId']}"
    am_error(await client.patch(url, json={"description": "x"}, headers={"If-Match": "0"}), 415)
    am_error(await client.patch(f"{AM}/aspecttypes/sandbox.Motor", json={}, headers={"If-Match": "0"}), 415)
    plain = await client.put(
        f"{AM}/aspecttypes/sandbox.Other", content=b"{}", headers={"Content-Type": "text/plain"}
    )
    am_error(plain, 415)
    agent = await client.post(
        f"{AGM}/agents", content=b"{}", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert agent.status_code == 415 and set(agent.json()) == {"id", "message"}
    merged = await client.patch(url, json={"description": "x"}, headers={"If-Match": "0", **MERGE})
    assert merged.status_code == 200


async def event_mapping(client: httpx.AsyncClient, ih: Ih) -> dict[str, Any]:
    agent = await ih.agent("a1")
    body = {
        "agentId": agent,
        "assetId": agent,
        "eventTypeId": "sandbox.Overheat",
        "eventTypeName": "Overheat",
        "eventTypeFieldName": "source",
        "eventTypeFieldValue": "m1",
    }
    created = await client.post(f"{MC}/eventMappings", json=body)
    assert created.status_code == 201, created.text
    return dict(created.json())


async def test_the_event_mapping_patch_takes_json_and_merge_patch_only_by_switch(clock: Clock) -> None:
    async with hub(clock) as client:
        mapping = await event_mapping(client, Ih(client))
        url = f"{MC}/eventMappings/{mapping['id']}"
        change = {"eventTypeFieldValue": "z"}
        refused = await client.patch(url, json=change, headers={"If-Match": "0", **MERGE})
        assert refused.status_code == 415
        assert refused.json()["errors"][0]["code"] == "mdsp.conn.mindconnect.unsupportedMediaType"
        assert (await client.patch(url, json=change, headers={"If-Match": "0"})).status_code == 200
    async with hub(clock, event_mapping_patch_media="any") as client:
        mapping = await event_mapping(client, Ih(client))
        url = f"{MC}/eventMappings/{mapping['id']}"
        merge = await client.patch(url, json={"eventTypeFieldValue": "z"}, headers={"If-Match": "0", **MERGE})
        assert merge.status_code == 200
    async with hub(clock, content_type_check="lenient") as client:
        asset = (await Ih(client).asset("p", "core.basicsite")).json()
        lenient = await client.patch(
            f"{AM}/assets/{asset['assetId']}", json={"description": "x"}, headers={"If-Match": "0"}
        )
        assert lenient.status_code == 200


# -- PATCH semantics, locations, explicit nulls ------------------------------------------------------


async def test_merge_patch_leaves_unset_fields_and_null_removes(client: httpx.AsyncClient, ih: Ih) -> None:
    location = {"country": "Austria", "locality": "Innsbruck"}
    asset = (await ih.asset("p", "core.basicsite", externalId="X-1", location=location)).json()
    url = f"{AM}/assets/{asset['assetId']}"
    described = await client.patch(url, json={"description": "new"}, headers={"If-Match": "0", **MERGE})
    patched = described.json()
    assert (patched["externalId"], patched["location"], patched["description"]) == ("X-1", location, "new")
    cleared = (await client.patch(url, json={"externalId": None}, headers={"If-Match": "1", **MERGE})).json()
    assert cleared["externalId"] is None and cleared["location"] == location
    await ih.asset_type("Pump", variables=[{"name": "serial", "dataType": "STRING"}])
    described = await client.patch(
        f"{AM}/assettypes/sandbox.Pump", json={"description": "pumps"}, headers={"If-Match": "0", **MERGE}
    )
    assert [v["name"] for v in described.json()["variables"]] == ["serial"]


async def test_location_put_and_delete(client: httpx.AsyncClient, ih: Ih) -> None:
    asset = (await ih.asset("p", "core.basicsite")).json()
    url = f"{AM}/assets/{asset['assetId']}/location"
    put = await client.put(url, json={"country": "Bosnia", "locality": "Sarajevo"}, headers={"If-Match": "0"})
    assert put.status_code == 200 and put.json()["location"]["country"] == "Bosnia"
    deleted = await client.delete(url, headers={"If-Match": "1"})
    assert deleted.status_code == 200 and deleted.json()["location"] is None
    am_error(await client.delete(url, headers={"If-Match": "2"}), 409)


async def test_unset_fields_are_explicit_nulls_like_a_real_response(clock: Clock) -> None:
    async with hub(clock) as client:
        root = (await client.get(f"{AM}/assets/root")).json()
        for key in ("externalId", "t2Tenant", "subTenant", "location", "deleted"):
            assert key in root and root[key] is None
    async with hub(clock, explicit_nulls=False) as client:
        root = (await client.get(f"{AM}/assets/root")).json()
        assert "location" not in root and "deleted" not in root



async def test_the_root_asset_lists_a_built_in_aspect_unless_switched_off(clock: Clock) -> None:
    # the vendor SDK's "should GET aspects" spec needs at least one aspect on the root asset
    async with hub(clock) as client:
        root = (await client.get(f"{AM}/assets/root")).json()
        body = (await client.get(f"{AM}/assets/{root['assetId']}/aspects", params={"size": "2000"})).json()
        aspects = body["_embedded"]["aspects"]
        assert [a["name"] for a in aspects] == ["tenantinfo"]
        assert [v["name"] for v in aspects[0]["variables"]] == ["tenantName"]
        aspect_type = await client.get(f"{AM}/aspecttypes/core.tenantinfo")
        assert aspect_type.status_code == 200 and aspect_type.json()["category"] == "static"
    async with hub(clock, root_aspects=False) as client:
        root = (await client.get(f"{AM}/assets/root")).json()
        body = (await client.get(f"{AM}/assets/{root['assetId']}/aspects")).json()
        assert body["_embedded"]["aspects"] == []
        missing = await client.get(f"{AM}/aspecttypes/core.tenantinfo")
        assert missing.status_code == 404
