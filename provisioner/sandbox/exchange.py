"""MindConnect v3 `/exchange` (time series and events from onboarded agents) and `/recoverableRecords`.

Each value is stored by the agent's data point mappings in force: a VALID mapping writes the value,
typed by the variable, into the mapped asset/aspect/variable; a value whose data point has no valid
mapping (or that does not parse as the variable's type, or that names another configuration) is not
stored in any variable but kept as a recoverable record with its `dropReason`. Events
(`businessEvent` items) are stored by the agent's event mappings (sandbox.eventmanagement).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import jwt
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from provisioner.sandbox.auth_ih import bearer_token
from provisioner.sandbox.context import IhContext
from provisioner.sandbox.errors import HttpError, error_response
from provisioner.sandbox.eventmanagement import store_events
from provisioner.sandbox.filters import apply_sort, parse_filter, parse_sort
from provisioner.sandbox.handlers import ih_route, json_response
from provisioner.sandbox.mindconnect import MappingService
from provisioner.sandbox.multipart import MultipartError, Part, boundary_of, split_parts
from provisioner.sandbox.paging import page_params, spring_page

Doc = dict[str, Any]
BASE = "/api/mindconnect/v3"
META = "application/vnd.siemens.mindsphere.meta+json"
RECORD_FIELDS = frozenset({"id", "correlationId", "agentId", "requestTime", "dropReason"})
MAX_BODY = 10 * 1024 * 1024  # "Maximum size of exchange body is 10MBs" (mindconnect-v3-6-0.yaml:47)


def normal_time(raw: Any) -> str:
    """An ISO-8601 timestamp as UTC with milliseconds and `Z`; HttpError 400 if it is not one."""
    if not isinstance(raw, str):
        raise HttpError(400, f"timestamp must be an ISO-8601 string, got {json.dumps(raw)}")
    try:
        stamp = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise HttpError(400, f"timestamp '{raw[:40]}' is not ISO-8601") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    stamp = stamp.astimezone(UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def typed(value: Any, data_type: str) -> Any:
    """`value` (agents send strings) as the variable's type; ValueError if it does not parse."""
    text = value if isinstance(value, str) else json.dumps(value)
    if data_type in ("INT", "LONG"):
        return int(text)
    if data_type == "DOUBLE":
        number = float(text)
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError("not a finite number")
        return number
    if data_type == "BOOLEAN":
        if text.lower() not in ("true", "false"):
            raise ValueError("not a boolean")
        return text.lower() == "true"
    return text


class ExchangeService:
    """Handlers for `/exchange` (agent token) and `/recoverableRecords` (tenant token)."""

    def __init__(self, ctx: IhContext, mappings: MappingService) -> None:
        self.ctx = ctx
        self.mappings = mappings

    def _agent(self, request: Request) -> Doc:
        token = bearer_token(request)
        if token is None or not self.ctx.signer.verify(token, self.ctx.now()):
            raise HttpError(401, "Access token is invalid or expired")
        claims: Doc = jwt.decode(token, options={"verify_signature": False})
        doc = self.ctx.state.agents.get(str(claims.get("sub")))
        if claims.get("typ") != "agent" or doc is None:
            raise HttpError(403, "Only an onboarded agent's token may use /exchange")
        if doc["boarding"] != "ONBOARDED":
            raise HttpError(403, f"Agent {doc['id']} is not onboarded")
        return doc

    async def exchange(self, request: Request) -> Response:
        try:
            self.ctx.settle()
            agent = self._agent(request)
            raw = await request.body()
            if len(raw) > MAX_BODY:
                raise HttpError(413, "Payload Too Large")
            items = self._items(request.headers.get("content-type", ""), raw)
            now = self.ctx.now()
            correlation = str(uuid.uuid4())
            for meta, payload in items:
                self._store(agent, meta, payload, correlation)
            self.ctx.state.put_agent(
                {**self.ctx.state.agents[agent["id"]], "lastSeen": now, "lastUpload": now}
            )
            return Response(status_code=200)
        except HttpError as exc:
            return error_response("dpm", exc.status, exc.message, code=exc.code)

    def _items(self, content_type: str, raw: bytes) -> list[tuple[Doc, Any]]:
        if not content_type.lower().startswith("multipart/mixed"):
            raise HttpError(415, f"Content type '{content_type}' not supported; use multipart/mixed")
        try:
            outer = split_parts(raw.decode("utf-8"), boundary_of(content_type))
            items: list[tuple[Doc, Any]] = []
            for part in outer:
                if not part.content_type.lower().startswith("multipart/related"):
                    raise MultipartError(f"an item must be multipart/related, not {part.content_type}")
                items.append(self._item(split_parts(part.body, boundary_of(part.content_type))))
        except (MultipartError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise HttpError(400, f"Multipart body is not well formatted: {exc}") from None
        return items

    @staticmethod
    def _item(parts: list[Part]) -> tuple[Doc, Any]:
        if len(parts) != 2 or not parts[0].content_type.startswith(META):
            raise MultipartError("an item is a meta part followed by one payload part")
        meta = json.loads(parts[0].body)
        if not isinstance(meta, dict) or not isinstance(meta.get("payload"), dict):
            raise MultipartError("the meta part has no payload object")
        return meta, json.loads(parts[1].body)

    def _store(self, agent: Doc, meta: Doc, payload: Any, correlation: str) -> None:
        kind = meta["payload"].get("type")
        if kind == "businessEvent":
            store_events(self.ctx, agent, payload, normal_time)
            return
        if kind != "standardTimeSeries":
            self._drop(agent, correlation, f"Payload type '{kind}' is not supported by the sandbox")
            return
        details = meta["payload"].get("details") or {}
        dsc = self.ctx.state.dscs.get(agent["id"]) or {}
        if details.get("configurationId") != dsc.get("configurationId"):
            self._drop(
                agent,
                correlation,
                f"configurationId '{details.get('configurationId')}' is not the agent's current one",
            )
            return
        if not isinstance(payload, list):
            raise HttpError(400, "A time series payload must be a list of {timestamp, values}")
        by_point: dict[str, list[Doc]] = {}
        for mapping_id in self.ctx.state.mappings_by_agent.get(agent["id"], {}):
            rendered = self.mappings.render_mapping(self.ctx.state.mappings[mapping_id])
            if rendered["validity"]["status"] == "VALID":
                by_point.setdefault(rendered["dataPointId"], []).append(rendered)
        dropped: dict[str, str] = {}
        for record in payload:
            if not isinstance(record, dict) or not isinstance(record.get("values"), list):
                raise HttpError(400, "Each time series record needs a timestamp and a values list")
            time = normal_time(record.get("timestamp"))
            for value in record["values"]:
                if not isinstance(value, dict) or not isinstance(value.get("dataPointId"), str):
                    raise HttpError(400, "Each value needs a dataPointId")
                point = value["dataPointId"]
                targets = by_point.get(point)
                if not targets:
                    dropped[point] = "no valid mapping"
                    continue
                for mapping in targets:
                    try:
                        stored = typed(value.get("value"), mapping["propertyType"])
                    except ValueError:
                        dropped[point] = f"value is not a {mapping['propertyType']}"
                        continue
                    values: Doc = {mapping["propertyName"]: stored}
                    if mapping.get("qualityEnabled") and value.get("qualityCode") is not None:
                        values[f"{mapping['propertyName']}_qc"] = value["qualityCode"]
                    self.ctx.telemetry.write(mapping["entityId"], mapping["propertySetName"], time, values)
        if dropped:
            reason = "; ".join(f"data point {p}: {why}" for p, why in sorted(dropped.items()))
            self._drop(agent, correlation, reason)

    def _drop(self, agent: Doc, correlation: str, reason: str) -> None:
        self.ctx.telemetry.recoverable.append(
            {
                "id": str(uuid.uuid4()),
                "correlationId": correlation,
                "agentId": agent["id"],
                "requestTime": self.ctx.now_iso(),
                "dropReason": reason,
            }
        )

    async def list_records(self, request: Request) -> Response:
        page, size = page_params(request, 20, 2000)
        predicate = parse_filter(request.query_params.get("filter"), RECORD_FIELDS)
        order = parse_sort(request.query_params.get("sort"), RECORD_FIELDS, "id")
        docs = list(self.ctx.telemetry.recoverable)
        if predicate is not None:
            docs = [d for d in docs if predicate(d)]
        if order:
            apply_sort(docs, order)
        return json_response(spring_page(docs, page, size, order))

    def routes(self) -> list[BaseRoute]:
        return [
            Route(BASE + "/exchange", self.exchange, methods=["POST"]),
            ih_route(self.ctx, "dpm", BASE + "/recoverableRecords", ["GET"], self.list_records),
        ]
