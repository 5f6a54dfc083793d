"""Events from agents: `businessEvent` items of `/exchange`, stored by the agent's event mappings,
and the Event Management v3 read `GET /api/eventmanagement/v3/events` over them.

MindConnect 3.6.0 says an uploaded event "will be checked against the event mappings to determine
the asset the event will be stored in", every matching mapping applies, and an event no mapping
matches "will be stored in the agent asset" (mindconnect-v3-6-0.yaml:32-38). How an event matches
is not written there; the sandbox's rule (docs/sandbox.md "Agent side"): the event's `typeId` is the
mapping's `eventTypeId` (switch `event_mapping_needs_type`) and its field `eventTypeFieldName` (top
level or in `details`) equals `eventTypeFieldValue`. Events live in memory with the time series (not
in the state file).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from provisioner.sandbox.context import IhContext
from provisioner.sandbox.errors import HttpError
from provisioner.sandbox.filters import Predicate, apply_sort, parse_filter, parse_sort
from provisioner.sandbox.handlers import HAL, ih_route, json_response
from provisioner.sandbox.paging import hal_page, page_params

Doc = dict[str, Any]
BASE = "/api/eventmanagement/v3"
STANDARD_TYPE = "com.siemens.mindsphere.eventmgmt.event.type.MindSphereStandardEvent"
EVENT_FIELDS = frozenset({"id", "typeId", "entityId", "correlationId", "severity", "source", "sourceType",
                          "sourceId", "description", "acknowledged", "timestamp"})
TOP_LEVEL = ("correlationId", "severity", "description", "source", "sourceType", "sourceId")
DEFAULT_PAGE = 20


def _field_value(event: Doc, name: str) -> Any:
    details = event.get("details")
    if name in event:
        return event[name]
    return details.get(name) if isinstance(details, dict) else None


def _matches(mapping: Doc, event: Doc, needs_type: bool) -> bool:
    if needs_type and str(event.get("typeId") or STANDARD_TYPE) != mapping["eventTypeId"]:
        return False
    value = _field_value(event, mapping["eventTypeFieldName"])
    text = value if isinstance(value, str) else json.dumps(value)
    return value is not None and text == mapping["eventTypeFieldValue"]


def store_events(ctx: IhContext, agent: Doc, payload: Any, normal_time: Callable[[Any], str],
                 correlation: str) -> None:
    """Store every event of one `businessEvent` item; HttpError 400 when the payload is malformed."""
    if not isinstance(payload, list) or not all(isinstance(e, dict) for e in payload):
        raise HttpError(400, "An event payload must be a list of event objects")
    mappings = [ctx.state.event_mappings[i] for i in ctx.state.evm_by_agent.get(agent["id"], {})]
    checked: list[tuple[Doc, str, int]] = []
    for event in payload:  # validate all first: a refused item stores none of its events
        severity = event.get("severity", 3)
        if isinstance(severity, bool) or not isinstance(severity, int):
            raise HttpError(400, "severity must be an integer")
        checked.append((event, normal_time(event.get("timestamp")), severity))
    for event, stamp, severity in checked:
        needs_type = ctx.settings.event_mapping_needs_type
        targets = [m["assetId"] for m in mappings if _matches(m, event, needs_type)] or [agent["id"]]
        raw = event.get("details")
        details: Doc = raw if isinstance(raw, dict) else {}
        for entity in targets:
            stored: Doc = {**details, **{k: event[k] for k in TOP_LEVEL if k in event}}
            stored.update(id=str(uuid.uuid4()), typeId=str(event.get("typeId") or STANDARD_TYPE),
                          timestamp=stamp, entityId=entity, severity=severity, acknowledged=False)
            stored.setdefault("correlationId", correlation)
            ctx.telemetry.events.append(stored)

def _epoch(raw: Any) -> float:
    if not isinstance(raw, str):
        raise HttpError(400, f"Invalid filter: timestamp needs an ISO-8601 string, got {json.dumps(raw)}")
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise HttpError(400, f"Invalid filter: '{raw[:40]}' is not ISO-8601") from None


def _timestamp(cond: Any) -> Predicate:
    """`timestamp: {after, before, between: "[a,b)"}` (a bare value: equal)."""
    if not isinstance(cond, dict):
        cond = {"between": f"[{cond},{cond}]"} if isinstance(cond, str) else {"after": cond}
    bounds: list[tuple[float, bool, bool]] = []  # (moment, the doc must be later, inclusive)
    for op, arg in cond.items():
        if op in ("after", "before"):
            bounds.append((_epoch(arg), op == "after", False))
        elif op == "between" and isinstance(arg, str) and len(arg) > 2 and "," in arg:
            low, high = arg[1:-1].split(",", 1)
            bounds.append((_epoch(low.strip()), True, arg[0] == "["))
            bounds.append((_epoch(high.strip()), False, arg[-1] == "]"))
        else:
            raise HttpError(400, f"Invalid filter: unknown operator '{op}' on field 'timestamp'")

    def check(doc: Doc) -> bool:
        moment = datetime.fromisoformat(str(doc["timestamp"]).replace("Z", "+00:00")).timestamp()
        return all((moment > at or (inclusive and moment == at)) if later
                   else (moment < at or (inclusive and moment == at)) for at, later, inclusive in bounds)

    return check


class EventService:
    """`GET /events`: the stored events as a HAL page, newest first unless `sort` says otherwise."""

    def __init__(self, ctx: IhContext) -> None:
        self.ctx = ctx

    async def list_events(self, request: Request) -> Response:
        page, size = page_params(request, DEFAULT_PAGE, self.ctx.settings.event_page_max)
        predicate = parse_filter(request.query_params.get("filter"), EVENT_FIELDS - {"timestamp"},
                                 {"timestamp": _timestamp})
        order = parse_sort(request.query_params.get("sort"), EVENT_FIELDS, "timestamp")
        order = order or [("timestamp", True)]
        docs = [d for d in self.ctx.telemetry.events if predicate is None or predicate(d)]
        apply_sort(docs, order)
        body = hal_page(request, "events", docs, page, size)
        return json_response(body, media_type=HAL)

    def routes(self) -> list[BaseRoute]:
        return [ih_route(self.ctx, "am", BASE + "/events", ["GET"], self.list_events)]
