"""Agent Management v3: agents, status, boarding and data source configuration (the agent side is in
`agent_iam`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from provisioner.sandbox.agent_iam import iat_jti
from provisioner.sandbox.auth_ih import request_base_url
from provisioner.sandbox.builtins import AGENT_TYPE
from provisioner.sandbox.context import IhContext
from provisioner.sandbox.errors import HttpError
from provisioner.sandbox.filters import apply_sort, parse_filter, parse_sort
from provisioner.sandbox.handlers import check_if_match, ih_route, json_response
from provisioner.sandbox.media import typed_body
from provisioner.sandbox.paging import page_params, spring_page

Doc = dict[str, Any]
BASE = "/api/agentmanagement/v3"
PROFILES = ("SHARED_SECRET", "RSA_3072", "NATIVE_CA_CERTIFIED_X509")
AGENT_FIELDS = frozenset({"id", "name", "securityProfile", "entityId", "eTag"})
DP_TYPES = ("INT", "LONG", "DOUBLE", "BOOLEAN", "STRING", "BIG_STRING", "TIMESTAMP")
ONBOARDED_REASON = "Agent is onboarded, agent cannot be deleted. Only offboarded agents can be deleted."
PUBLIC_FIELDS = ("name", "securityProfile", "id", "eTag", "entityId")
# boarding states in which the agent (and its asset) cannot be deleted; OFFBOARDING lasts
# `offboard_delay_s` (MCN tearDownAgents waits 5 s after offboarding before it deletes)
BOUND = ("ONBOARDING", "ONBOARDED", "OFFBOARDING")


def render_agent(doc: Doc) -> Doc:
    return {k: doc[k] for k in PUBLIC_FIELDS}


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _limited(value: Any, key: str, max_len: int, *, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise HttpError(400, f"{key} is required")
        return None
    if not isinstance(value, str) or len(value) > max_len:
        raise HttpError(400, f"{key} '{value}' must be a string of at most {max_len} characters")
    return value


class AgentService:
    """Handlers for `/agents…`; an agent's id is the id of its `core.mclib` asset."""

    def __init__(self, ctx: IhContext) -> None:
        self.ctx = ctx

    def _get(self, agent_id: str) -> Doc:
        doc = self.ctx.state.agents.get(agent_id.lower())
        if doc is None:
            raise HttpError(404, f"Agent with id '{agent_id}' not found")
        return doc

    def _fields(self, body: Doc) -> tuple[str, str]:
        name = _limited(body.get("name"), "name", 128, required=True)
        assert name is not None
        if not name.strip():
            raise HttpError(400, "name must not be blank")
        profile = body.get("securityProfile")
        if profile not in PROFILES:
            raise HttpError(400, f"securityProfile '{profile}' must be one of {', '.join(PROFILES)}")
        return name, profile

    async def create(self, request: Request) -> Response:
        state = self.ctx.state
        body = await typed_body(request, self.ctx.settings)
        name, profile = self._fields(body)
        entity_id = _limited(body.get("entityId"), "entityId", 36, required=True)
        assert entity_id is not None
        asset = state.live_asset(entity_id)
        if asset is None:
            raise HttpError(400, f"Entity '{entity_id}' does not exist")
        if not state.has_type(asset["typeId"], AGENT_TYPE):
            raise HttpError(
                400, f"Entity '{entity_id}' of type '{asset['typeId']}' is not an agent asset ({AGENT_TYPE})"
            )
        if name in state.agent_names or asset["assetId"] in state.agents:
            raise HttpError(409, "Resource is already available.")
        now = self.ctx.now()
        doc: Doc = {
            "id": asset["assetId"],
            "name": name,
            "securityProfile": profile,
            "entityId": asset["assetId"],
            "eTag": "0",
            "createdAt": now,
            "boarding": "NOT_ONBOARDED",
            "online": "OFFLINE",
            "since": _iso(now),
            "clientSecret": None,
        }
        state.put_agent(doc)
        self.ctx.on_change()
        return json_response(render_agent(doc), 201)

    async def list_agents(self, request: Request) -> Response:
        page, size = page_params(request, 20, 2000)
        query = request.query_params
        predicate = parse_filter(query.get("filter"), AGENT_FIELDS)
        order = parse_sort(query.get("sort"), AGENT_FIELDS, "id")
        docs = list(self.ctx.state.agents.values())
        if predicate is not None:
            docs = [d for d in docs if predicate(d)]
        if order:
            apply_sort(docs, order)
        body = spring_page(docs, page, size, order)
        body["content"] = [render_agent(d) for d in body["content"]]
        return json_response(body)

    async def get(self, request: Request) -> Response:
        return json_response(render_agent(self._get(request.path_params["id"])))

    async def update(self, request: Request) -> Response:
        doc = self._get(request.path_params["id"])
        check_if_match(request, doc["eTag"], 400)
        name, profile = self._fields(await typed_body(request, self.ctx.settings))
        owner = self.ctx.state.agent_names.get(name)
        if owner is not None and owner != doc["id"]:
            raise HttpError(409, "Resource is already available.")
        if profile != doc["securityProfile"] and doc["boarding"] in BOUND:
            raise HttpError(400, "securityProfile of an onboarded agent cannot be changed; offboard it first")
        new = {**doc, "name": name, "securityProfile": profile, "eTag": str(int(doc["eTag"]) + 1)}
        self.ctx.state.put_agent(new)
        self.ctx.on_change()
        return json_response(render_agent(new))

    async def delete(self, request: Request) -> Response:
        state = self.ctx.state
        doc = self._get(request.path_params["id"])
        check_if_match(request, doc["eTag"], 400)
        if doc["boarding"] in BOUND:
            raise HttpError(400, ONBOARDED_REASON)
        state.drop_agent(doc["id"])
        # sandbox choice: an agent's data point and event mappings go with it
        for mapping_id in list(state.mappings_by_agent.get(doc["id"], {})):
            state.drop_mapping(mapping_id)
        for mapping_id in list(state.evm_by_agent.get(doc["id"], {})):
            state.drop_event_mapping(mapping_id)
        self.ctx.on_change()
        return Response(status_code=204)

    async def status(self, request: Request) -> Response:
        """ONLINE while the agent is onboarded and was seen (token or upload) within
        `agent_online_window_s`; `since` is when the current status began."""
        doc = self._get(request.path_params["id"])
        seen = doc.get("lastSeen")
        window = self.ctx.settings.agent_online_window_s
        if doc["boarding"] == "ONBOARDED" and seen is not None and self.ctx.now() - seen <= window:
            return json_response({"status": "ONLINE", "since": _iso(doc.get("onlineSince") or seen)})
        since = seen + window if seen is not None and doc["boarding"] == "ONBOARDED" else None
        return json_response({"status": "OFFLINE", "since": _iso(since) if since else doc["since"]})

    async def renew_boarding_configuration(self, request: Request) -> Response:
        """A new initial access token (the previous one stops working); `boarding_renewal="none"`
        answers 405 like a service without this operation."""
        if self.ctx.settings.boarding_renewal == "none":
            raise HttpError(405, "Request method 'POST' not supported")
        doc = self._get(request.path_params["id"])
        generation = int(doc.get("boardingGeneration", 0)) + 1
        renewed = {**doc, "boardingGeneration": generation, "boardingIssuedAt": self.ctx.now()}
        self.ctx.state.put_agent(renewed)
        self.ctx.on_change()
        return await self.boarding_configuration(request)

    async def boarding_configuration(self, request: Request) -> Response:
        doc = self._get(request.path_params["id"])
        now = self.ctx.now()
        if now - doc["createdAt"] < self.ctx.settings.boarding_delay_s:
            return json_response({})  # generated asynchronously: no content yet (reference 3.1)
        issued = doc.get("boardingIssuedAt") or doc["createdAt"]
        expiration = issued + 7 * 24 * 3600
        iat = self.ctx.signer.sign(
            {
                "typ": "initial",
                "agent_id": doc["id"],
                "ten": self.ctx.settings.tenant,
                "iat": int(issued),
                "exp": int(expiration),
                "jti": iat_jti(doc),
            }
        )
        content = {
            "baseUrl": request_base_url(request),
            "iat": iat,
            "clientCredentialProfile": [doc["securityProfile"]],
            "clientId": doc["id"],
            "tenant": self.ctx.settings.tenant,
        }
        return json_response({"content": content, "expiration": _iso(expiration)})

    async def boarding_status(self, request: Request) -> Response:
        doc = self._get(request.path_params["id"])
        return json_response({"status": self._shown_status(doc["boarding"])})

    def _shown_status(self, boarding: str) -> str:
        """The boarding status as reported: `offboard_status_mode="spec"` reports only the values of
        the OpenAPI enum (NOT_ONBOARDED, ONBOARDING, ONBOARDED) while the offboarding still runs."""
        if self.ctx.settings.offboard_status_mode == "spec" and boarding in ("OFFBOARDING", "OFFBOARDED"):
            return "NOT_ONBOARDED"
        return boarding

    async def offboard(self, request: Request) -> Response:
        state = self.ctx.state
        doc = self._get(request.path_params["id"])
        if doc["securityProfile"] == "NATIVE_CA_CERTIFIED_X509":
            raise HttpError(422, "Offboarding is not supported for X.509 agents")
        if doc["boarding"] in ("ONBOARDING", "ONBOARDED"):
            # asynchronous: OFFBOARDING (agent and asset locked) until offboard_delay_s has passed
            now = self.ctx.now()
            doc = {
                **doc,
                "boarding": "OFFBOARDING",
                "offboardUntil": now + self.ctx.settings.offboard_delay_s,
                "online": "OFFLINE",
                "since": _iso(now),
                "clientSecret": None,
                "jwk": None,
                "ratDigest": None,
                "lastSeen": None,
                # a fresh initial access token for the next onboarding
                "boardingGeneration": int(doc.get("boardingGeneration", 0)) + 1,
                "boardingIssuedAt": now,
            }
            state.put_agent(doc)
            self.ctx.on_change()
            self.ctx.settle()
            doc = state.agents[doc["id"]]
        return json_response({"status": self._shown_status(doc["boarding"])})

    # -- data source configuration -----------------------------------------------------------------
    async def get_dsc(self, request: Request) -> Response:
        doc = self._get(request.path_params["id"])
        dsc = self.ctx.state.dscs.get(doc["id"])
        if dsc is None:
            # never configured: 200 without configurationId, eTag "0" (UNVERIFIED, reference 3.2)
            return json_response({"id": doc["id"], "eTag": "0", "dataSources": []})
        return json_response(dsc)

    async def put_dsc(self, request: Request) -> Response:
        state = self.ctx.state
        doc = self._get(request.path_params["id"])
        current = state.dscs.get(doc["id"])
        check_if_match(request, current["eTag"] if current else "0", 400)
        body = await typed_body(request, self.ctx.settings)
        config_id = _limited(body.get("configurationId"), "configurationId", 36, required=True)
        sources = body.get("dataSources")
        if not isinstance(sources, list):
            raise HttpError(400, "dataSources is required and must be a list")
        out_sources, point_ids, source_names = [], set(), set()
        for source in sources:
            if not isinstance(source, dict):
                raise HttpError(400, f"dataSource must be an object, got {json.dumps(source)}")
            name = _limited(source.get("name"), "dataSource name", 64, required=True)
            if name in source_names:
                raise HttpError(400, f"Duplicate dataSource name '{name}'")
            source_names.add(name)
            _limited(source.get("description"), "dataSource description", 256)
            points = source.get("dataPoints")
            if not isinstance(points, list):
                raise HttpError(400, f"dataSource '{name}': dataPoints is required and must be a list")
            out_points = []
            for point in points:
                if not isinstance(point, dict):
                    raise HttpError(400, f"dataPoint must be an object, got {json.dumps(point)}")
                point_id = _limited(point.get("id"), "dataPoint id", 36, required=True)
                if point_id in point_ids:
                    raise HttpError(400, f"Duplicate dataPoint id '{point_id}' in the configuration")
                point_ids.add(point_id)
                _limited(point.get("name"), f"dataPoint '{point_id}' name", 64, required=True)
                _limited(point.get("description"), f"dataPoint '{point_id}' description", 256)
                if point.get("type") not in DP_TYPES:
                    raise HttpError(
                        400,
                        f"dataPoint '{point_id}' type '{point.get('type')}' must be one of "
                        f"{', '.join(DP_TYPES)}",
                    )
                _limited(point.get("unit"), f"dataPoint '{point_id}' unit", 32, required=True)
                for holder in (point, source):
                    if holder.get("customData") is not None and not isinstance(holder["customData"], dict):
                        raise HttpError(400, "customData must be an object")
                out_points.append(point)
            out_sources.append({**source, "dataPoints": out_points})
        etag = str(int(current["eTag"]) + 1) if current else "1"
        dsc = {"id": doc["id"], "eTag": etag, "configurationId": config_id, "dataSources": out_sources}
        state.dscs[doc["id"]] = dsc
        # every DSC PUT deletes the agent's keepMapping=false mappings (MindConnect API description)
        for mapping_id in list(state.mappings_by_agent.get(doc["id"], {})):
            if not state.mappings[mapping_id].get("keepMapping"):
                state.drop_mapping(mapping_id)
        self.ctx.on_change()
        return json_response(dsc)

    def routes(self) -> list[BaseRoute]:
        def r(path: str, method: str, handler: Any) -> Route:
            return ih_route(self.ctx, "agm", BASE + path, [method], handler)

        return [
            r("/agents", "POST", self.create),
            r("/agents", "GET", self.list_agents),
            r("/agents/{id}", "GET", self.get),
            r("/agents/{id}", "PUT", self.update),
            r("/agents/{id}", "DELETE", self.delete),
            r("/agents/{id}/status", "GET", self.status),
            r("/agents/{id}/boarding/configuration", "GET", self.boarding_configuration),
            r("/agents/{id}/boarding/status", "GET", self.boarding_status),
            r("/agents/{id}/boarding/offboard", "POST", self.offboard),
            r("/agents/{id}/dataSourceConfiguration", "GET", self.get_dsc),
            r("/agents/{id}/dataSourceConfiguration", "PUT", self.put_dsc),
            r("/agents/{id}/boarding/configuration", "POST", self.renew_boarding_configuration),
        ]
