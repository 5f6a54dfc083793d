"""Helpers for the Insights Hub sandbox tests: paths, a settable clock, and request builders."""

from __future__ import annotations

import json
from typing import Any

import httpx

BASE_URL = "http://127.0.0.1:8700"
AM = "/api/assetmanagement/v3"
AGM = "/api/agentmanagement/v3"
MC = "/api/mindconnect/v3"
# Asset Management PATCHes consume only application/merge-patch+json
MERGE = {"Content-Type": "application/merge-patch+json"}


class Clock:
    """A settable clock so token expiry, boarding delay and quota refill need no sleeping."""

    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Ih:
    """Small helpers that drive the Insights Hub half through HTTP like a client would."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.c = client

    async def aspect_type(
        self,
        name: str,
        category: str = "dynamic",
        variables: list[dict[str, Any]] | None = None,
        **extra: Any,
    ) -> httpx.Response:
        body = {
            "name": name,
            "category": category,
            "scope": "private",
            "variables": variables or [{"name": "speed", "dataType": "DOUBLE", "unit": "rpm"}],
            **extra,
        }
        return await self.c.put(f"{AM}/aspecttypes/sandbox.{name}", json=body)

    async def asset_type(
        self,
        name: str,
        parent: str = "core.basicasset",
        aspects: list[dict[str, str]] | None = None,
        variables: list[dict[str, Any]] | None = None,
        **extra: Any,
    ) -> httpx.Response:
        body = {
            "name": name,
            "parentTypeId": parent,
            "aspects": aspects or [],
            "variables": variables or [],
            **extra,
        }
        return await self.c.put(f"{AM}/assettypes/sandbox.{name}", json=body)

    async def root_id(self) -> str:
        return str((await self.c.get(f"{AM}/assets/root")).json()["assetId"])

    async def asset(self, name: str, type_id: str, parent: str | None = None, **extra: Any) -> httpx.Response:
        parent = parent or await self.root_id()
        return await self.c.post(
            f"{AM}/assets", json={"name": name, "typeId": type_id, "parentId": parent, **extra}
        )

    async def pump_model(self) -> str:
        """Aspect type Motor (dynamic: speed DOUBLE rpm, label STRING), asset type Pump, one pump asset."""
        variables = [
            {"name": "speed", "dataType": "DOUBLE", "unit": "rpm"},
            {"name": "label", "dataType": "STRING", "length": 20},
        ]
        assert (await self.aspect_type("Motor", variables=variables)).status_code == 201
        aspects = [{"name": "motor", "aspectTypeId": "sandbox.Motor"}]
        assert (await self.asset_type("Pump", aspects=aspects)).status_code == 201
        response = await self.asset("pump1", "sandbox.Pump")
        assert response.status_code == 201
        return str(response.json()["assetId"])

    async def agent(self, name: str = "agent1", points: list[dict[str, Any]] | None = None) -> str:
        """A core.mclib asset plus its agent, optionally with a data source configuration."""
        asset = await self.asset(name, "core.mclib")
        assert asset.status_code == 201
        agent_id = str(asset.json()["assetId"])
        created = await self.c.post(
            f"{AGM}/agents", json={"name": name, "securityProfile": "SHARED_SECRET", "entityId": agent_id}
        )
        assert created.status_code == 201, created.text
        if points is not None:
            await self.dsc(agent_id, points, "0")
        return agent_id

    async def dsc(self, agent_id: str, points: list[dict[str, Any]], etag: str) -> httpx.Response:
        body = {"configurationId": "cfg", "dataSources": [{"name": "ds", "dataPoints": points}]}
        response = await self.c.put(
            f"{AGM}/agents/{agent_id}/dataSourceConfiguration", json=body, headers={"If-Match": etag}
        )
        assert response.status_code == 200, response.text
        return response

    async def mapping(
        self,
        agent_id: str,
        point: str,
        entity: str,
        aspect: str = "motor",
        var: str = "speed",
        keep: bool = False,
    ) -> httpx.Response:
        return await self.c.post(
            f"{MC}/dataPointMappings",
            json={
                "agentId": agent_id,
                "dataPointId": point,
                "entityId": entity,
                "propertySetName": aspect,
                "propertyName": var,
                "keepMapping": keep,
            },
        )


def point(pid: str = "dp1", type_: str = "DOUBLE", unit: str = "rpm") -> dict[str, Any]:
    return {"id": pid, "name": pid, "type": type_, "unit": unit}


def filter_q(doc: dict[str, Any]) -> dict[str, str]:
    return {"filter": json.dumps(doc)}

async def token_for(client: httpx.AsyncClient) -> str:
    response = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=("sandbox-client", "sandbox-secret")
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])
