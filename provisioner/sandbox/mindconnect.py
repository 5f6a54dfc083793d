"""MindConnect v3: data point mappings (create/read/delete) and event mappings (with If-Match)."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from provisioner.sandbox.context import IhContext
from provisioner.sandbox.errors import HttpError
from provisioner.sandbox.filters import apply_sort, parse_filter, parse_sort
from provisioner.sandbox.handlers import check_if_match, ih_route, json_response
from provisioner.sandbox.media import JSON, MERGE_PATCH, typed_body
from provisioner.sandbox.paging import page_params, spring_page
from provisioner.sandbox.store import new_uuid, type_key

Doc = dict[str, Any]
BASE = "/api/mindconnect/v3"
MAPPING_FIELDS = frozenset(
    {"id", "agentId", "dataPointId", "entityId", "propertySetName", "propertyName", "keepMapping"}
)
EVENT_FIELDS = frozenset(
    {
        "id",
        "agentId",
        "assetId",
        "eventTypeId",
        "eventTypeName",
        "eventTypeFieldName",
        "eventTypeFieldValue",
        "eTag",
    }
)
EVENT_LIMITS = {
    "agentId": 32,
    "assetId": 32,
    "eventTypeId": 64,
    "eventTypeName": 64,
    "eventTypeFieldName": 64,
    "eventTypeFieldValue": 255,
}
MAX_EVENT_MAPPINGS_PER_AGENT = 50
MAX_EVENT_MAPPINGS_PER_TYPE = 5


def _unit(value: Any) -> str:
    """Units compare exactly, with empty and missing alike."""
    return "" if value is None else str(value)


class MappingService:
    """Handlers for `/dataPointMappings` and `/eventMappings`."""

    def __init__(self, ctx: IhContext) -> None:
        self.ctx = ctx
        self._points: dict[str, tuple[str, dict[str, Doc]]] = {}
        self._points_of: object = None  # the state the cache was filled from (reset/seed replace it)

    # -- lookups -----------------------------------------------------------------------------------
    def data_points(self, agent_id: str) -> dict[str, Doc]:
        """The data points of an agent's current DSC by id (cached per DSC eTag)."""
        dsc = self.ctx.state.dscs.get(agent_id)
        if dsc is None:
            return {}
        if self._points_of is not self.ctx.state:  # after a reset a new agent can get an old id and eTag
            self._points.clear()
            self._points_of = self.ctx.state
        cached = self._points.get(agent_id)
        if cached is None or cached[0] != dsc["eTag"]:
            points = {p["id"]: p for s in dsc["dataSources"] for p in s["dataPoints"]}
            cached = (dsc["eTag"], points)
            self._points[agent_id] = cached
        return cached[1]

    def property_of(self, entity_id: str, set_name: str, prop_name: str) -> tuple[Doc | None, str | None]:
        """(variable definition, None) or (None, the reason it is missing)."""
        state = self.ctx.state
        asset = state.live_asset(entity_id)
        if asset is None:
            return None, f"Entity with id {entity_id} does not exist!"
        for owner in state.type_lineage(asset["typeId"]):
            for aspect in owner.get("aspects", []):
                if aspect["name"] == set_name:
                    aspect_type = state.aspect_types.get(type_key(aspect["aspectTypeId"]))
                    for var in (aspect_type or {}).get("variables", []):
                        if var["name"] == prop_name:
                            return var, None
                    return (
                        None,
                        f"Property with name {prop_name} does not belong to property set with name "
                        f"{set_name}!",
                    )
        return None, f"Property set with name {set_name} does not belong to entity with id {entity_id}!"

    def _variable(self, doc: Doc, memo: dict[tuple[str, str, str], Doc | None]) -> Doc | None:
        asset = self.ctx.state.live_asset(doc["entityId"])
        if asset is None:
            return None
        key = (asset["typeId"], doc["propertySetName"], doc["propertyName"])
        if key not in memo:
            memo[key] = self.property_of(doc["entityId"], key[1], key[2])[0]
        return memo[key]

    def render_mapping(self, doc: Doc, memo: dict[tuple[str, str, str], Doc | None] | None = None) -> Doc:
        """A mapping with its validity computed from the current DSC and asset model. `memo`
        keeps the variable found per (asset type, aspect, variable) within one list call, whose
        page renders up to 2000 mappings of a few types."""
        reasons: list[str] = []
        point = self.data_points(doc["agentId"]).get(doc["dataPointId"])
        var = self._variable(doc, memo) if memo is not None else \
            self.property_of(doc["entityId"], doc["propertySetName"], doc["propertyName"])[0]
        if point is None:
            reasons.append("MISSING_DATAPOINT")
        if var is None:
            reasons.append("MISSING_PROPERTY")
        if point is not None and var is not None:
            if point["type"] != var["dataType"]:
                reasons.append("INVALID_TYPE")
            if _unit(point.get("unit")) != _unit(var.get("unit")):
                reasons.append("INVALID_UNIT")
        out = dict(doc)
        if point is not None:
            out["dataPointUnit"], out["dataPointType"] = _unit(point.get("unit")), point["type"]
        if var is not None:
            out["propertyUnit"], out["propertyType"] = _unit(var.get("unit")), var["dataType"]
            out["qualityEnabled"] = bool(var.get("qualityCode"))
        out["validity"] = {"status": "INVALID" if reasons else "VALID", "reasons": reasons}
        return out

    # -- data point mappings -----------------------------------------------------------------------
    async def create_mapping(self, request: Request) -> Response:
        state = self.ctx.state
        body = await typed_body(request, self.ctx.settings)
        limits = {
            "agentId": 36,
            "dataPointId": 36,
            "entityId": 36,
            "propertySetName": 256,
            "propertyName": 256,
        }
        fields: dict[str, str] = {}
        for key, max_len in limits.items():
            value = body.get(key)
            if not isinstance(value, str) or not value or len(value) > max_len:
                raise HttpError(400, f"{key} is required and must have at most {max_len} characters")
            fields[key] = value
        keep = body.get("keepMapping", False)
        if not isinstance(keep, bool):
            raise HttpError(400, f"keepMapping must be a boolean, got {json.dumps(keep)}")
        agent_id, point_id = fields["agentId"], fields["dataPointId"]
        skip_agent = request.query_params.get("noAgentValidation", "false").lower() == "true"
        if not skip_agent:
            if agent_id not in state.agents:
                raise HttpError(400, f"Agent with id {agent_id} does not exist!")
            point = self.data_points(agent_id).get(point_id)
            if point is None:
                raise HttpError(
                    400,
                    f"Data point with id {point_id} does not exist in the data source "
                    f"configuration of agent {agent_id}!",
                )
        else:
            point = self.data_points(agent_id).get(point_id)
        var, missing = self.property_of(fields["entityId"], fields["propertySetName"], fields["propertyName"])
        if var is None:
            raise HttpError(400, str(missing))
        if point is not None:
            if point["type"] != var["dataType"]:
                raise HttpError(
                    400,
                    f"Type of data point {point_id} ({point['type']}) does not match type of "
                    f"property {fields['propertyName']} ({var['dataType']})!",
                )
            if _unit(point.get("unit")) != _unit(var.get("unit")):
                raise HttpError(
                    400,
                    f"Unit of data point {point_id} ('{_unit(point.get('unit'))}') does not "
                    f"match unit of property {fields['propertyName']} ('{_unit(var.get('unit'))}')!",
                )
        entity_id = state.assets[fields["entityId"].lower()]["assetId"]
        doc: Doc = {"id": "", **fields, "entityId": entity_id, "keepMapping": keep}
        if state.mapping_key(doc) in state.mapping_keys:
            raise HttpError(409, "Mapping already exists!")
        for other_id in state.mappings_by_agent.get(agent_id, {}):
            other = state.mappings[other_id]
            if (other["dataPointId"], other["entityId"], other["propertySetName"]) == (
                point_id,
                entity_id,
                fields["propertySetName"],
            ):
                raise HttpError(
                    409,
                    f"Data point {point_id} is already mapped to property {other['propertyName']} "
                    f"of property set {fields['propertySetName']} on entity {entity_id}!",
                )
        doc["id"] = new_uuid(self.ctx.rng)
        state.put_mapping(doc)
        self.ctx.on_change()
        return json_response(self.render_mapping(doc), 201)

    def _candidates(self, raw: str | None, table: dict[str, Doc], indexes: dict[str, Any]) -> list[Doc]:
        """Rows to filter: from an index when the filter pins an indexed field to a plain value."""
        try:
            tree = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            tree = None
        if isinstance(tree, dict):
            for field, index in indexes.items():
                value = tree.get(field)
                if isinstance(value, str):
                    return [table[i] for i in index.get(value, {})]
        return list(table.values())

    async def list_mappings(self, request: Request) -> Response:
        state = self.ctx.state
        page, size = page_params(request, 20, 2000)
        raw = request.query_params.get("filter")
        predicate = parse_filter(raw, MAPPING_FIELDS)
        order = parse_sort(request.query_params.get("sort"), MAPPING_FIELDS, "id")
        docs = self._candidates(
            raw, state.mappings, {"agentId": state.mappings_by_agent, "entityId": state.mappings_by_entity}
        )
        if predicate is not None:
            docs = [d for d in docs if predicate(d)]
        if order:
            apply_sort(docs, order)
        body = spring_page(docs, page, size, order)
        memo: dict[tuple[str, str, str], Doc | None] = {}
        body["content"] = [self.render_mapping(d, memo) for d in body["content"]]
        return json_response(body)

    def _mapping(self, mapping_id: str) -> Doc:
        doc = self.ctx.state.mappings.get(mapping_id)
        if doc is None:
            raise HttpError(404, f"Mapping with id {mapping_id} not found!")
        return doc

    async def get_mapping(self, request: Request) -> Response:
        return json_response(self.render_mapping(self._mapping(request.path_params["id"])))

    async def delete_mapping(self, request: Request) -> Response:
        self._mapping(request.path_params["id"])
        self.ctx.state.drop_mapping(request.path_params["id"])
        self.ctx.on_change()
        return Response(status_code=204)

    # -- event mappings ----------------------------------------------------------------------------
    def _event_fields(self, body: Doc, partial: bool) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, max_len in EVENT_LIMITS.items():
            value = body.get(key)
            if value is None and partial:
                continue
            if not isinstance(value, str) or not value or len(value) > max_len:
                raise HttpError(
                    400,
                    f"{key} is required and must have at most {max_len} characters",
                    code="mdsp.conn.mindconnect.invalidEventMapping",
                )
            out[key] = value
        return out

    def _check_event_mapping(self, doc: Doc, exclude: str | None) -> None:
        state = self.ctx.state
        if doc["agentId"] not in state.agents:
            raise HttpError(
                400,
                f"Agent with id {doc['agentId']} does not exist",
                code="mdsp.conn.mindconnect.agentNotFound",
            )
        if doc["assetId"].lower() not in state.assets:
            raise HttpError(
                400,
                f"Asset with id {doc['assetId']} does not exist",
                code="mdsp.conn.mindconnect.assetNotFound",
            )
        siblings = [
            state.event_mappings[i] for i in state.evm_by_agent.get(doc["agentId"], {}) if i != exclude
        ]
        identity = ("assetId", "eventTypeId", "eventTypeFieldName", "eventTypeFieldValue")
        if any(all(s[k] == doc[k] for k in identity) for s in siblings):
            raise HttpError(
                409, "Event mapping already exists", code="mdsp.conn.mindconnect.eventMappingExists"
            )
        if len(siblings) >= MAX_EVENT_MAPPINGS_PER_AGENT:
            raise HttpError(
                400,
                f"Agent {doc['agentId']} already has {MAX_EVENT_MAPPINGS_PER_AGENT} event "
                "mappings (the maximum)",
                code="mdsp.conn.mindconnect.eventMappingLimitExceeded",
            )
        same_type = sum(1 for s in siblings if s["eventTypeId"] == doc["eventTypeId"])
        if same_type >= MAX_EVENT_MAPPINGS_PER_TYPE:
            raise HttpError(
                400,
                f"Agent {doc['agentId']} already has {MAX_EVENT_MAPPINGS_PER_TYPE} event mappings "
                f"for event type {doc['eventTypeId']} (the maximum)",
                code="mdsp.conn.mindconnect.eventMappingLimitExceeded",
            )

    async def create_event_mapping(self, request: Request) -> Response:
        fields = self._event_fields(await typed_body(request, self.ctx.settings), partial=False)
        doc: Doc = {"id": "", **fields, "eTag": "0"}
        self._check_event_mapping(doc, None)
        doc["id"] = new_uuid(self.ctx.rng)
        self.ctx.state.put_event_mapping(doc)
        self.ctx.on_change()
        return json_response(doc, 201)

    async def list_event_mappings(self, request: Request) -> Response:
        state = self.ctx.state
        page, size = page_params(request, 20, 2000)
        raw = request.query_params.get("filter")
        predicate = parse_filter(raw, EVENT_FIELDS)
        order = parse_sort(request.query_params.get("sort"), EVENT_FIELDS, "id")
        docs = self._candidates(raw, state.event_mappings, {"agentId": state.evm_by_agent})
        if predicate is not None:
            docs = [d for d in docs if predicate(d)]
        if order:
            apply_sort(docs, order)
        return json_response(spring_page(docs, page, size, order))

    def _event_mapping(self, mapping_id: str) -> Doc:
        doc = self.ctx.state.event_mappings.get(mapping_id)
        if doc is None:
            raise HttpError(404, f"Event mapping with id {mapping_id} not found")
        return doc

    async def get_event_mapping(self, request: Request) -> Response:
        return json_response(self._event_mapping(request.path_params["id"]))

    async def patch_event_mapping(self, request: Request) -> Response:
        doc = self._event_mapping(request.path_params["id"])
        check_if_match(request, doc["eTag"], 400)
        # the eventMappings PATCH inherits `consumes: application/json` (mindconnect-v3-6-0.yaml:67);
        # `event_mapping_patch_media="any"` also takes merge-patch
        media = JSON if self.ctx.settings.event_mapping_patch_media == "json" else (*JSON, *MERGE_PATCH)
        changes = self._event_fields(await typed_body(request, self.ctx.settings, media), partial=True)
        new = {**doc, **changes, "eTag": str(int(doc["eTag"]) + 1)}
        self._check_event_mapping(new, doc["id"])
        self.ctx.state.put_event_mapping(new)
        self.ctx.on_change()
        return json_response(new)

    async def delete_event_mapping(self, request: Request) -> Response:
        doc = self._event_mapping(request.path_params["id"])
        check_if_match(request, doc["eTag"], 400)
        self.ctx.state.drop_event_mapping(doc["id"])
        self.ctx.on_change()
        return Response(status_code=204)

    def routes(self) -> list[BaseRoute]:
        def dpm(path: str, method: str, handler: Any) -> Route:
            return ih_route(self.ctx, "dpm", BASE + path, [method], handler)

        def evm(path: str, method: str, handler: Any) -> Route:
            return ih_route(self.ctx, "evm", BASE + path, [method], handler)

        return [
            dpm("/dataPointMappings", "POST", self.create_mapping),
            dpm("/dataPointMappings", "GET", self.list_mappings),
            dpm("/dataPointMappings/{id}", "GET", self.get_mapping),
            dpm("/dataPointMappings/{id}", "DELETE", self.delete_mapping),
            evm("/eventMappings", "POST", self.create_event_mapping),
            evm("/eventMappings", "GET", self.list_event_mappings),
            evm("/eventMappings/{id}", "GET", self.get_event_mapping),
            evm("/eventMappings/{id}", "PATCH", self.patch_event_mapping),
            evm("/eventMappings/{id}", "DELETE", self.delete_event_mapping),
        ]
