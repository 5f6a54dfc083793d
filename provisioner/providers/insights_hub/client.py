"""`InsightsHubClient`: async HTTP access to Asset Management, Agent Management and MindConnect.

HTTP only: methods send one documented request (or walk one list) and return parsed JSON. Etags
travel in the bodies: Asset Management objects carry an integer `etag`, sent back as the bare
number in `If-Match`; Agent Management objects, data source configurations and event mappings
carry a string `eTag`, sent back as given. Retries, rate limits and errors: see
`provisioner.providers.http` (endpoint class names are in `rate_limits.ENDPOINT_CLASSES`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from provisioner.providers.http.client_base import VendorClient
from provisioner.providers.http.client_base import json_object as _dict
from provisioner.providers.http.credentials import IhCredentials
from provisioner.providers.http.rate_limits import LimitsConfig
from provisioner.providers.http.retry import RetryPolicy
from provisioner.providers.http.session import HttpSession
from provisioner.providers.insights_hub.client_paging import OnPage, hal_items, spring_items

AM = "/api/assetmanagement/v3"
AGM = "/api/agentmanagement/v3"
MC = "/api/mindconnect/v3"

HAL = "application/hal+json"
JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"

Json = dict[str, Any]
# Asset Management etags are integers; a plan may carry them as strings ("3"). Sent as the bare number.
Etag = int | str


def _id(value: str) -> str:
    return quote(value, safe="")


def _filter(value: Mapping[str, Any] | None) -> dict[str, str]:
    return {"filter": json.dumps(value, separators=(",", ":"))} if value else {}


class InsightsHubClient(VendorClient):
    """One tenant's Insights Hub APIs behind one gateway URL (or a loopback emulator URL)."""

    def __init__(
        self,
        base_url: str,
        credentials: IhCredentials,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        limits: LimitsConfig = "vendor",
        concurrency: int = 8,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        refresh_margin: float = 60.0,
        quota_time_scale: float = 1.0,
        asset_page_size: int = 200,
        agent_page_size: int = 100,
        mapping_page_size: int = 2000,
        event_mapping_page_size: int = 100,
    ) -> None:
        self._http = HttpSession(
            vendor="insights_hub", base_url=base_url, credentials=credentials,
            token_class="ih.auth.token", transport=transport, retry=retry, limits=limits,
            concurrency=concurrency, timeout=timeout, clock=clock, refresh_margin=refresh_margin,
            quota_time_scale=quota_time_scale)
        self._am_size = asset_page_size
        self._agent_size = agent_page_size
        self._mapping_size = mapping_page_size
        self._event_size = event_mapping_page_size

    # -- plumbing ------------------------------------------------------------------------------

    async def _call(self, method: str, path: str, cls: str, *, accept: str = JSON,
                    params: Mapping[str, str | int] | None = None, body: Any = None,
                    if_match: str | None = None, if_none_match: str | None = None,
                    patch: bool = False, content_type: str = MERGE_PATCH,
                    idempotent: bool | None = None) -> Any:
        headers = {"Accept": accept}
        if if_match is not None:
            headers["If-Match"] = if_match
        if if_none_match is not None:
            headers["If-None-Match"] = if_none_match
        content: bytes | None = None
        if patch:  # a PATCH body is sent as bytes so its Content-Type is exactly the declared one
            headers["Content-Type"] = content_type
            content = json.dumps(body).encode()
            body = None
        return await self._http.request_json(method, path, endpoint_class=cls, params=params,
                                             json=body, content=content, headers=headers,
                                             idempotent=idempotent)

    async def _am(self, method: str, path: str, cls: str, **kwargs: Any) -> Any:
        return await self._call(method, AM + path, cls, accept=HAL, **kwargs)

    async def _hal_list(self, path: str, cls: str, key: str, params: Mapping[str, str | int],
                        on_page: OnPage | None = None) -> list[Json]:
        async def page(number: int) -> Any:
            return await self._am("GET", path, cls, params={**params, "page": number, "size": self._am_size})
        return await hal_items(page, key, self._am_size, on_page)

    async def _spring_list(self, path: str, cls: str, what: str, size: int,
                           params: Mapping[str, str | int], on_page: OnPage | None = None) -> list[Json]:
        async def page(number: int) -> Any:
            return await self._call("GET", path, cls, params={**params, "page": number, "size": size})
        return await spring_items(page, what, size, on_page)

    # -- aspect types ----------------------------------------------------------------------------

    async def list_aspect_types(self, filter: Mapping[str, Any] | None = None) -> list[Json]:
        """All aspect types matching the AM `filter` (HAL pages of 200, sorted by id)."""
        return await self._hal_list("/aspecttypes", "am.aspecttypes.get", "aspectTypes",
                                    {"sort": "id,asc", **_filter(filter)})

    async def get_aspect_type(self, type_id: str) -> Json:
        """One aspect type (`etag` is an int); NotFoundError if missing."""
        body = await self._am("GET", f"/aspecttypes/{_id(type_id)}", "am.aspecttype.get")
        return _dict(body, "aspect type")

    async def put_aspect_type(self, type_id: str, body: Json, *, if_match: Etag | None = None,
                              if_none_match_star: bool = False) -> Json:
        """Create (If-None-Match: *) or update (If-Match: etag) an aspect type; returns it."""
        headers = _preconditions(if_match, if_none_match_star)
        return _dict(await self._am("PUT", f"/aspecttypes/{_id(type_id)}", "am.aspecttype.put",
                                    body=body, **headers), "aspect type")

    async def patch_aspect_type(self, type_id: str, patch: Json, etag: Etag) -> Json:
        """RFC 7396 merge patch of an aspect type (If-Match: etag); returns it."""
        return _dict(await self._am("PATCH", f"/aspecttypes/{_id(type_id)}", "am.aspecttype.patch",
                                    body=patch, patch=True, if_match=str(etag)), "aspect type")

    async def patch_aspect_type_variables(self, type_id: str, body: Json, etag: Etag) -> None:
        """Add, rename or (with a null value) delete variables: `{name: definition | None}`.

        The only way to rename or remove an aspect type's variables; answers 204 with a new ETag.
        """
        await self._am("PATCH", f"/aspecttypes/{_id(type_id)}/variables", "am.aspecttype.patch",
                       body=body, patch=True, if_match=str(etag))

    async def delete_aspect_type(self, type_id: str, etag: Etag) -> None:
        """Delete an aspect type (If-Match: etag)."""
        await self._am("DELETE", f"/aspecttypes/{_id(type_id)}", "am.aspecttype.delete", if_match=str(etag))

    # -- asset types -----------------------------------------------------------------------------

    async def list_asset_types(self, filter: Mapping[str, Any] | None = None, *,
                               exploded: bool = False) -> list[Json]:
        """All asset types matching `filter`; `exploded` adds inherited variables and aspects."""
        return await self._hal_list("/assettypes", "am.assettypes.get", "assetTypes",
                                    {"sort": "id,asc", "exploded": _bool(exploded), **_filter(filter)})

    async def get_asset_type(self, type_id: str, *, exploded: bool = False) -> Json:
        """One asset type; NotFoundError if missing."""
        return _dict(await self._am("GET", f"/assettypes/{_id(type_id)}", "am.assettype.get",
                                    params={"exploded": _bool(exploded)}), "asset type")

    async def put_asset_type(self, type_id: str, body: Json, *, if_match: Etag | None = None,
                             if_none_match_star: bool = False, exploded: bool = False) -> Json:
        """Create (If-None-Match: *) or update (If-Match: etag) an asset type; returns it."""
        headers = _preconditions(if_match, if_none_match_star)
        return _dict(await self._am("PUT", f"/assettypes/{_id(type_id)}", "am.assettype.put", body=body,
                                    params={"exploded": _bool(exploded)}, **headers), "asset type")

    async def patch_asset_type(self, type_id: str, patch: Json, etag: Etag) -> Json:
        """RFC 7396 merge patch of an asset type (If-Match: etag); returns it."""
        return _dict(await self._am("PATCH", f"/assettypes/{_id(type_id)}", "am.assettype.patch",
                                    body=patch, patch=True, if_match=str(etag)), "asset type")

    async def patch_asset_type_variables(self, type_id: str, body: Json, etag: Etag) -> None:
        """Update existing variables of an asset type (name, length up, defaultValue, unit); 204."""
        await self._am("PATCH", f"/assettypes/{_id(type_id)}/variables", "am.assettype.patch",
                       body=body, patch=True, if_match=str(etag))

    async def delete_asset_type(self, type_id: str, etag: Etag) -> None:
        """Delete an asset type (If-Match: etag)."""
        await self._am("DELETE", f"/assettypes/{_id(type_id)}", "am.assettype.delete", if_match=str(etag))

    # -- assets ----------------------------------------------------------------------------------

    async def list_assets(self, filter: Mapping[str, Any] | None = None,
                          on_page: OnPage | None = None, *, include_deleted: bool = False) -> list[Json]:
        """All live assets matching the AM `filter`; `on_page` sees each page's assets as it arrives.

        `{"deleted": null}` is added to every filter unless `include_deleted`: deleted assets stay
        readable (by admins) with a `deleted` timestamp, and the vendor SDK's own tests filter them
        out the same way (mindconnect-nodejs `asset-management.ts` DeleteAsset).
        """
        wanted = dict(filter or {}) if include_deleted else {**(filter or {}), "deleted": None}
        return await self._hal_list("/assets", "am.assets.get", "assets", _filter(wanted), on_page)

    async def get_root_asset(self) -> Json:
        """The tenant's root asset."""
        return _dict(await self._am("GET", "/assets/root", "am.assets.root"), "asset")

    async def get_asset(self, asset_id: str) -> Json:
        """One asset; NotFoundError if missing."""
        return _dict(await self._am("GET", f"/assets/{_id(asset_id)}", "am.asset.get"), "asset")

    async def create_asset(self, body: Json) -> Json:
        """POST a new asset (not idempotent: ambiguous failures raise AmbiguousWriteError)."""
        return _dict(await self._am("POST", "/assets", "am.assets.post", body=body, idempotent=False),
                     "asset")

    async def put_asset(self, asset_id: str, body: Json, etag: Etag) -> Json:
        """Replace an asset's updatable fields (If-Match: etag); returns it."""
        return _dict(await self._am("PUT", f"/assets/{_id(asset_id)}", "am.asset.put", body=body,
                                    if_match=str(etag)), "asset")

    async def patch_asset(self, asset_id: str, patch: Json, etag: Etag) -> Json:
        """Merge-patch an asset (If-Match: etag); returns it."""
        return _dict(await self._am("PATCH", f"/assets/{_id(asset_id)}", "am.asset.patch", body=patch,
                                    patch=True, if_match=str(etag)), "asset")

    async def move_asset(self, asset_id: str, new_parent_id: str, etag: Etag) -> Json:
        """Move an asset under another parent (If-Match: etag); returns the moved asset.

        Carries a precondition, so it is retried like a conditional write.
        """
        return _dict(await self._am("POST", f"/assets/{_id(asset_id)}/move", "am.asset.move",
                                    body={"newParentId": new_parent_id}, if_match=str(etag)), "asset")

    async def delete_asset(self, asset_id: str, etag: Etag) -> None:
        """Delete an asset (If-Match: etag)."""
        await self._am("DELETE", f"/assets/{_id(asset_id)}", "am.asset.delete", if_match=str(etag))

    # -- agents ----------------------------------------------------------------------------------

    async def list_agents(self, filter: Mapping[str, Any] | None = None,
                          on_page: OnPage | None = None) -> list[Json]:
        """All agents matching the AgM `filter` (Spring pages, `sort=id,asc` so that pages fetched
        concurrently cut one stable order); `on_page` sees each page on arrival."""
        return await self._spring_list(f"{AGM}/agents", "agm.agents.get", "agents", self._agent_size,
                                       {"sort": "id,asc", **_filter(filter)}, on_page)

    async def create_agent(self, body: Json) -> Json:
        """POST an agent `{name, securityProfile, entityId}` (not idempotent); returns it."""
        return _dict(await self._call("POST", f"{AGM}/agents", "agm.agents.post", body=body,
                                      idempotent=False), "agent")

    async def get_agent(self, agent_id: str) -> Json:
        """One agent (`eTag` is a string); NotFoundError if missing."""
        return _dict(await self._call("GET", f"{AGM}/agents/{_id(agent_id)}", "agm.agent.get"), "agent")

    async def put_agent(self, agent_id: str, body: Json, etag: str) -> Json:
        """Update an agent's name/securityProfile (If-Match: eTag); returns it."""
        return _dict(await self._call("PUT", f"{AGM}/agents/{_id(agent_id)}", "agm.agent.put", body=body,
                                      if_match=etag), "agent")

    async def delete_agent(self, agent_id: str, etag: str) -> None:
        """Delete an (offboarded) agent (If-Match: eTag)."""
        await self._call("DELETE", f"{AGM}/agents/{_id(agent_id)}", "agm.agent.delete", if_match=etag)

    async def get_boarding_status(self, agent_id: str) -> Json:
        """`{status: NOT_ONBOARDED|ONBOARDING|ONBOARDED, ...}`."""
        return _dict(await self._call("GET", f"{AGM}/agents/{_id(agent_id)}/boarding/status",
                                      "agm.boarding.status"), "boarding status")

    async def offboard(self, agent_id: str) -> Json:
        """Offboard an agent (POST, not idempotent); returns the new boarding status."""
        body = await self._call("POST", f"{AGM}/agents/{_id(agent_id)}/boarding/offboard",
                                "agm.boarding.offboard", idempotent=False)
        return body if isinstance(body, dict) else {}

    async def get_boarding_configuration(self, agent_id: str) -> Json:
        """`{content: {baseUrl, iat, clientCredentialProfile, clientId, tenant}, expiration}`.

        `content` may be missing for a few seconds after the agent is created; `iat` is a secret.
        """
        return _dict(await self._call("GET", f"{AGM}/agents/{_id(agent_id)}/boarding/configuration",
                                      "agm.boarding.configuration"), "boarding configuration")

    async def get_dsc(self, agent_id: str) -> Json:
        """The agent's data source configuration (may lack `configurationId` and `eTag` when new)."""
        return _dict(await self._call("GET", f"{AGM}/agents/{_id(agent_id)}/dataSourceConfiguration",
                                      "agm.dsc.get"), "data source configuration")

    async def put_dsc(self, agent_id: str, body: Json, etag: str) -> Json:
        """Replace the data source configuration (If-Match: eTag, "0" for a never-configured agent).

        Side effect on the server: mappings of this agent with keepMapping=false are deleted.
        """
        return _dict(await self._call("PUT", f"{AGM}/agents/{_id(agent_id)}/dataSourceConfiguration",
                                      "agm.dsc.put", body=body, if_match=etag),
                     "data source configuration")

    # -- data point mappings ---------------------------------------------------------------------

    async def list_mappings(self, filter: Mapping[str, Any] | None = None) -> list[Json]:
        """Data point mappings, optionally filtered by `{agentId?, entityId?}` (pages of 2000,
        `sort=id,asc`: the pages are fetched concurrently and must cut one stable order)."""
        return await self._spring_list(f"{MC}/dataPointMappings", "mc.datapointmappings.get",
                                       "data point mappings", self._mapping_size,
                                       {"sort": "id,asc", **_filter(filter)})

    async def create_mapping(self, body: Json) -> Json:
        """POST one data point mapping (not idempotent; a duplicate gives ConflictError)."""
        return _dict(await self._call("POST", f"{MC}/dataPointMappings", "mc.datapointmappings.post",
                                      body=body, idempotent=False), "mapping")

    async def get_mapping(self, mapping_id: str) -> Json:
        """One data point mapping; NotFoundError if missing."""
        return _dict(await self._call("GET", f"{MC}/dataPointMappings/{_id(mapping_id)}",
                                      "mc.datapointmapping.get"), "mapping")

    async def delete_mapping(self, mapping_id: str) -> None:
        """Delete a data point mapping (no If-Match exists for mappings)."""
        await self._call("DELETE", f"{MC}/dataPointMappings/{_id(mapping_id)}", "mc.datapointmapping.delete")

    # -- event mappings --------------------------------------------------------------------------

    async def list_event_mappings(self, filter: Mapping[str, Any] | None = None) -> list[Json]:
        """Event mappings, optionally filtered by `{agentId}`."""
        return await self._spring_list(f"{MC}/eventMappings", "mc.eventmappings.get", "event mappings",
                                       self._event_size, _filter(filter))

    async def create_event_mapping(self, body: Json) -> Json:
        """POST one event mapping (not idempotent); returns it with its string `eTag`."""
        return _dict(await self._call("POST", f"{MC}/eventMappings", "mc.eventmappings.post", body=body,
                                      idempotent=False), "event mapping")

    async def get_event_mapping(self, mapping_id: str) -> Json:
        """One event mapping; NotFoundError if missing."""
        return _dict(await self._call("GET", f"{MC}/eventMappings/{_id(mapping_id)}", "mc.eventmapping.get"),
                     "event mapping")

    async def patch_event_mapping(self, mapping_id: str, body: Json, etag: str) -> Json:
        """Partially update an event mapping (If-Match: eTag); returns it.

        Sent as `application/json`: unlike Asset Management's merge-patch PATCHes, this operation
        inherits the spec's global `consumes: application/json` (mindconnect-v3-6-0.yaml:67).
        """
        return _dict(await self._call("PATCH", f"{MC}/eventMappings/{_id(mapping_id)}",
                                      "mc.eventmapping.patch", body=body, patch=True, content_type=JSON,
                                      if_match=etag),
                     "event mapping")

    async def delete_event_mapping(self, mapping_id: str, etag: str) -> None:
        """Delete an event mapping (If-Match: eTag)."""
        await self._call("DELETE", f"{MC}/eventMappings/{_id(mapping_id)}", "mc.eventmapping.delete",
                         if_match=etag)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _preconditions(if_match: Etag | None, if_none_match_star: bool) -> dict[str, str]:
    if if_match is not None and if_none_match_star:
        raise ValueError("give if_match (update) or if_none_match_star (create), not both")
    if if_match is not None:
        return {"if_match": str(if_match)}
    if if_none_match_star:
        return {"if_none_match": "*"}
    return {}
