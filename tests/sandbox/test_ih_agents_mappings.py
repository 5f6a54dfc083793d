"""Agent Management and MindConnect behaviour: identity, ETags, boarding, DSC side effects, mappings."""

from __future__ import annotations

import httpx
import jwt
from ih_helpers import AGM, AM, MC, Clock, Ih, filter_q, point


async def test_agent_identity_etag_and_uniqueness(client: httpx.AsyncClient, ih: Ih) -> None:
    agent = await ih.agent("a1")
    body = (await client.get(f"{AGM}/agents/{agent}")).json()
    assert body["id"] == body["entityId"] == agent and body["eTag"] == "0"
    other = (await ih.asset("a2", "core.mclib")).json()["assetId"]
    clash = await client.post(
        f"{AGM}/agents", json={"name": "a1", "securityProfile": "SHARED_SECRET", "entityId": other}
    )
    assert clash.status_code == 409 and clash.json()["message"] == "Resource is already available."
    plain = (await ih.asset("plain", "core.basicasset")).json()["assetId"]
    not_agent = await client.post(
        f"{AGM}/agents", json={"name": "x", "securityProfile": "SHARED_SECRET", "entityId": plain}
    )
    assert not_agent.status_code == 400
    assert (
        await client.put(f"{AGM}/agents/{agent}", json={"name": "b", "securityProfile": "SHARED_SECRET"})
    ).status_code == 400
    assert (await client.delete(f"{AGM}/agents/{agent}", headers={"If-Match": "7"})).status_code == 412
    page = (await client.get(f"{AGM}/agents", params={"size": 1, "sort": "name,asc"})).json()
    assert (
        page["totalElements"] == 1
        and page["first"]
        and page["last"]
        and page["sort"][0]["property"] == "name"
    )
    by_name = (await client.get(f"{AGM}/agents", params=filter_q({"name": {"startsWith": "a"}}))).json()
    assert [a["id"] for a in by_name["content"]] == [agent]


async def test_boarding_configuration_appears_after_delay_and_onboarding_goes_online(
    client: httpx.AsyncClient, ih: Ih, clock: Clock
) -> None:
    agent = await ih.agent("a1")
    assert "content" not in (await client.get(f"{AGM}/agents/{agent}/boarding/configuration")).json()
    clock.advance(0.25)
    config = (await client.get(f"{AGM}/agents/{agent}/boarding/configuration")).json()
    assert config["content"]["baseUrl"] == "http://127.0.0.1:8700" and config["content"]["clientId"] == agent
    registered = await client.post(
        f"{AGM}/register", json={}, headers={"Authorization": f"Bearer {config['content']['iat']}"}
    )
    assert registered.status_code == 201
    secret = registered.json()["client_secret"]
    now = int(clock.now)
    claims = {"iss": agent, "sub": agent, "aud": ["southgate"], "iat": now, "exp": now + 3600}
    assertion = jwt.encode(claims, secret, algorithm="HS256")
    token = await client.post(
        f"{AGM}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion": assertion,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        },
    )
    assert token.status_code == 200
    assert (await client.get(f"{AGM}/agents/{agent}/status")).json()["status"] == "ONLINE"
    assert (await client.get(f"{AGM}/agents/{agent}/boarding/status")).json()["status"] == "ONBOARDED"
    asset = (await client.get(f"{AM}/assets/{agent}")).json()
    assert asset["locks"][0]["reasonCode"] == "agentmanagement.agent.onboarded"
    assert (await client.delete(f"{AGM}/agents/{agent}", headers={"If-Match": "0"})).status_code == 400
    assert (await client.delete(f"{AM}/assets/{agent}", headers={"If-Match": "0"})).status_code == 400
    await client.post(f"{AGM}/agents/{agent}/boarding/offboard")
    clock.advance(1.0)  # past offboard_delay_s: the offboarding has finished
    assert (await client.get(f"{AM}/assets/{agent}")).json()["locks"] == []
    assert (await client.delete(f"{AGM}/agents/{agent}", headers={"If-Match": "0"})).status_code == 204


async def test_dsc_put_deletes_unkept_mappings_and_revalidates_kept_ones(
    client: httpx.AsyncClient, ih: Ih
) -> None:
    pump = await ih.pump_model()
    fresh_agent = await ih.agent("fresh")
    fresh = (await client.get(f"{AGM}/agents/{fresh_agent}/dataSourceConfiguration")).json()
    assert "configurationId" not in fresh and fresh["eTag"] == "0"
    agent = await ih.agent("a1", points=[point("dp1"), point("dp2", "STRING", "")])
    kept = (await ih.mapping(agent, "dp1", pump, keep=True)).json()
    dropped = (await ih.mapping(agent, "dp2", pump, var="label")).json()
    assert (await ih.dsc(agent, [point("dp1"), point("dp2", "STRING", "")], "1")).json()["eTag"] == "2"
    assert (await client.get(f"{MC}/dataPointMappings/{dropped['id']}")).status_code == 404
    assert (await client.get(f"{MC}/dataPointMappings/{kept['id']}")).json()["validity"]["status"] == "VALID"
    await ih.dsc(agent, [point("dp1", "INT", "kg")], "2")
    reasons = (await client.get(f"{MC}/dataPointMappings/{kept['id']}")).json()["validity"]["reasons"]
    assert reasons == ["INVALID_TYPE", "INVALID_UNIT"]
    await ih.dsc(agent, [point("other")], "3")
    reasons = (await client.get(f"{MC}/dataPointMappings/{kept['id']}")).json()["validity"]["reasons"]
    assert reasons == ["MISSING_DATAPOINT"]
    stale = await client.put(
        f"{AGM}/agents/{agent}/dataSourceConfiguration",
        headers={"If-Match": "1"},
        json={"configurationId": "c", "dataSources": []},
    )
    assert stale.status_code == 412


async def test_mapping_validation_and_duplicates(client: httpx.AsyncClient, ih: Ih) -> None:
    pump = await ih.pump_model()
    agent = await ih.agent(
        points=[point("dp1"), point("dp2"), point("dpi", "INT", "rpm"), point("dpu", "DOUBLE", "")]
    )
    wrong_var = await ih.mapping(agent, "dp1", pump, var="T130")
    assert (
        wrong_var.json()["message"]
        == "Property with name T130 does not belong to property set with name motor!"
    )
    assert (await ih.mapping(agent, "nope", pump)).status_code == 400
    assert "INT" in (await ih.mapping(agent, "dpi", pump)).json()["message"]
    assert (await ih.mapping(agent, "dpu", pump)).status_code == 400
    assert (await ih.mapping(agent, "dp1", pump)).status_code == 201
    assert (await ih.mapping(agent, "dp1", pump)).status_code == 409
    twin = [
        {"name": "a", "dataType": "DOUBLE", "unit": "rpm"},
        {"name": "b", "dataType": "DOUBLE", "unit": "rpm"},
    ]
    await ih.aspect_type("Twin", variables=twin)
    await ih.asset_type("TwinBox", aspects=[{"name": "twin", "aspectTypeId": "sandbox.Twin"}])
    box = (await ih.asset("box", "sandbox.TwinBox")).json()["assetId"]
    assert (await ih.mapping(agent, "dp1", box, aspect="twin", var="a")).status_code == 201
    same_aspect = await ih.mapping(agent, "dp1", box, aspect="twin", var="b")
    assert same_aspect.status_code == 409 and "already mapped" in same_aspect.json()["message"]
    assert (await ih.mapping(agent, "dp2", box, aspect="twin", var="b")).status_code == 201
    listed = (
        await client.get(
            f"{MC}/dataPointMappings", params={"size": 2000, **filter_q({"agentId": agent, "entityId": pump})}
        )
    ).json()
    assert listed["totalElements"] == 1 and listed["size"] == 2000


async def test_unitless_mapping_matches_empty_unit(client: httpx.AsyncClient, ih: Ih) -> None:
    await ih.aspect_type("Raw", variables=[{"name": "v", "dataType": "INT"}])
    await ih.asset_type("Box", aspects=[{"name": "raw", "aspectTypeId": "sandbox.Raw"}])
    box = (await ih.asset("b", "sandbox.Box")).json()["assetId"]
    agent = await ih.agent(points=[point("dp", "INT", "")])
    assert (await ih.mapping(agent, "dp", box, aspect="raw", var="v")).status_code == 201


async def test_event_mapping_limits_and_if_match(client: httpx.AsyncClient, ih: Ih) -> None:
    pump = await ih.pump_model()
    agent = await ih.agent()

    async def create(type_id: str, value: str) -> httpx.Response:
        return await client.post(
            f"{MC}/eventMappings",
            json={
                "agentId": agent,
                "assetId": pump,
                "eventTypeId": type_id,
                "eventTypeName": "e",
                "eventTypeFieldName": "source",
                "eventTypeFieldValue": value,
            },
        )

    for i in range(5):
        assert (await create("sandbox.t0", f"v{i}")).status_code == 201
    sixth = await create("sandbox.t0", "v5")
    assert sixth.status_code == 400 and sixth.json()["errors"][0]["code"].startswith("mdsp.conn.mindconnect.")
    for i in range(1, 10):
        for j in range(5):
            assert (await create(f"sandbox.t{i}", f"v{j}")).status_code == 201
    assert (await create("sandbox.t99", "v")).status_code == 400
    first = (await client.get(f"{MC}/eventMappings", params=filter_q({"agentId": agent}))).json()
    assert first["totalElements"] == 50 and first["size"] == 20
    mapping = first["content"][0]
    url = f"{MC}/eventMappings/{mapping['id']}"
    assert (await client.patch(url, json={"eventTypeFieldValue": "z"})).status_code == 400
    assert (
        await client.patch(url, json={"eventTypeFieldValue": "z"}, headers={"If-Match": "9"})
    ).status_code == 412
    patched = await client.patch(
        url, json={"eventTypeFieldValue": "z"}, headers={"If-Match": mapping["eTag"]}
    )
    assert patched.json()["eTag"] == "1"
    assert (await client.delete(url, headers={"If-Match": "0"})).status_code == 412
    assert (await client.delete(url, headers={"If-Match": "1"})).status_code == 204


async def test_listed_mappings_are_validated_per_asset_type(client: httpx.AsyncClient, ih: Ih) -> None:
    """A list page looks each variable up once per asset type: two types whose aspects share the
    names but not the variable's type and unit must still validate differently."""
    pump = await ih.pump_model()
    await ih.aspect_type("MotorInt", variables=[{"name": "speed", "dataType": "INT", "unit": "Hz"}])
    await ih.asset_type("IntPump", aspects=[{"name": "motor", "aspectTypeId": "sandbox.MotorInt"}])
    other = (await ih.asset("pump2", "sandbox.IntPump")).json()["assetId"]
    agent = await ih.agent(points=[point("dp1"), point("dp2", "INT", "Hz")])
    assert (await ih.mapping(agent, "dp1", pump, keep=True)).status_code == 201
    assert (await ih.mapping(agent, "dp2", other, keep=True)).status_code == 201
    await ih.dsc(agent, [point("dp1", "INT", "Hz"), point("dp2", "INT", "Hz")], "1")
    params = {"size": 2000, **filter_q({"agentId": agent})}
    listed = await client.get(f"{MC}/dataPointMappings", params=params)
    by_entity = {m["entityId"]: m for m in listed.json()["content"]}
    assert by_entity[pump]["validity"]["reasons"] == ["INVALID_TYPE", "INVALID_UNIT"]
    assert by_entity[pump]["propertyType"] == "DOUBLE"
    assert by_entity[other]["validity"] == {"status": "VALID", "reasons": []}
    assert by_entity[other]["propertyType"] == "INT" and by_entity[other]["propertyUnit"] == "Hz"
    for mapping in by_entity.values():  # the list renders each mapping as a read by id does
        single = (await client.get(f"{MC}/dataPointMappings/{mapping['id']}")).json()
        assert single == mapping
