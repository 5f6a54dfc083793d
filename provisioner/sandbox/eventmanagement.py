"""Events from agents: `businessEvent` items of `/exchange`, stored by the agent's event mappings,
and Event Management v3 over them: `GET /events` (query rules in `event_query`), `GET
/events/{id}`, `POST /events` (what the SDK's `MindConnectAgent.PostEvent` sends; body rules in
`event_docs`), the event types (`event_types`) and the billboard `GET /`.

MindConnect 3.6.0 says an uploaded event "will be checked against the event mappings to determine
the asset the event will be stored in", every matching mapping applies, and an event no mapping
matches "will be stored in the agent asset" (mindconnect-v3-6-0.yaml:32-38). How an event matches
is not written there; the sandbox's rule (docs/sandbox.md "Agent side"): the event's `typeId` is the
mapping's `eventTypeId` (switch `event_mapping_needs_type`) and its field `eventTypeFieldName` (top
level or in `details`) equals `eventTypeFieldValue`. A posted event is stored on the entity it
names (Event Management's `entityId`, "Entity attached to the event"); switch `event_post_mappings`
routes an agent's posts on its own entity by its mappings instead. Events live in memory with the
time series (not in the state file).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import jwt
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from provisioner.sandbox.auth_ih import bearer_token, request_base_url
from provisioner.sandbox.context import IhContext
from provisioner.sandbox.errors import HttpError
from provisioner.sandbox.event_docs import STANDARD_TYPE, STANDARD_TYPES, posted_event, render, standard_view
from provisioner.sandbox.event_query import EventQuery, latest_of_each
from provisioner.sandbox.event_types import (
    EventTypeService,
    check_custom_event,
    descends_from_standard,
    type_fields,
)
from provisioner.sandbox.filters import apply_sort
from provisioner.sandbox.handlers import HAL, ih_route, json_response
from provisioner.sandbox.media import typed_body
from provisioner.sandbox.paging import hal_page, page_params

Doc = dict[str, Any]
BASE = "/api/eventmanagement/v3"
TOP_LEVEL = ("severity", "description", "code", "source", "sourceType", "sourceId")
DEFAULT_PAGE = 20  # "Default is 20, minimum is 1, maximum is 100" (MCN event-management.js GetEvents)


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


def _mapped_to(ctx: IhContext, agent: Doc, event: Doc) -> list[str]:
    """The assets the agent's event mappings send `event` to; the agent's own entity if none."""
    mappings = [ctx.state.event_mappings[i] for i in ctx.state.evm_by_agent.get(agent["id"], {})]
    needs_type = ctx.settings.event_mapping_needs_type
    return [m["assetId"] for m in mappings if _matches(m, event, needs_type)] or [agent["id"]]


def store_events(ctx: IhContext, agent: Doc, payload: Any, normal_time: Callable[[Any], str]) -> None:
    """Store every event of one `businessEvent` item; HttpError 400 when the payload is malformed.
    An event without a correlationId gets its own (Event Management lists only the latest of the
    events sharing correlationId, entityId and typeId, so a shared one would hide all but one)."""
    if not isinstance(payload, list) or not all(isinstance(e, dict) for e in payload):
        raise HttpError(400, "An event payload must be a list of event objects")
    checked: list[tuple[Doc, str, int]] = []
    for event in payload:  # validate all first: a refused item stores none of its events
        severity = event.get("severity", 3)
        if isinstance(severity, bool) or not isinstance(severity, int):
            raise HttpError(400, "severity must be an integer")
        checked.append((event, normal_time(event.get("timestamp")), severity))
    for event, stamp, severity in checked:
        targets = _mapped_to(ctx, agent, event)
        raw = event.get("details")
        details: Doc = raw if isinstance(raw, dict) else {}
        correlation = str(event.get("correlationId") or uuid.uuid4())
        for entity in targets:
            stored: Doc = {**details, **{k: event[k] for k in TOP_LEVEL if k in event}}
            stored.update(id=str(uuid.uuid4()), typeId=str(event.get("typeId") or STANDARD_TYPE),
                          timestamp=stamp, entityId=entity, severity=severity, acknowledged=False,
                          etag=0, correlationId=correlation)
            ctx.telemetry.events.append(stored)


class EventService:
    """Event Management v3 events: list, read, create, and the billboard."""

    def __init__(self, ctx: IhContext) -> None:
        self.ctx = ctx

    @staticmethod
    def _events_url(request: Request) -> str:
        return request_base_url(request) + BASE + "/events"

    async def list_events(self, request: Request) -> Response:
        """A HAL page of the events the query selects, newest first unless `sort` says otherwise."""
        page, size = page_params(request, DEFAULT_PAGE, self.ctx.settings.event_page_max)
        types = self.ctx.telemetry.event_types
        query = EventQuery.parse(request, self.ctx.now(), types)
        stored = self.ctx.telemetry.events
        docs = [d for d in (stored if query.history else latest_of_each(stored)) if query.predicate(d)]
        apply_sort(docs, query.order)
        if query.polymorphic:
            docs = [d if d.get("typeId") == STANDARD_TYPE else standard_view(d) for d in docs]
        url = self._events_url(request)
        body = hal_page(request, "events", [render(d, url, query.shared) for d in docs], page, size)
        if not docs and not self.ctx.settings.event_empty_embedded:
            body.pop("_embedded", None)
        return json_response(body, media_type=HAL)

    async def get_event(self, request: Request) -> Response:
        wanted = request.path_params["event_id"]
        doc = next((d for d in self.ctx.telemetry.events if d["id"] == wanted), None)
        if doc is None:
            raise HttpError(404, f"Event {wanted[:64]} not found")
        shared = request.query_params.get("includeShared", "").lower() == "true"
        return json_response(render(doc, self._events_url(request), shared), media_type=HAL)

    def _poster(self, request: Request) -> Doc | None:
        """The agent whose token made the request (None for a tenant token); 403 for an agent that
        is not onboarded (as `/exchange` answers it)."""
        claims: Doc = jwt.decode(bearer_token(request) or "", options={"verify_signature": False})
        if claims.get("typ") != "agent":
            return None
        agent = self.ctx.state.agents.get(str(claims.get("sub")))
        if agent is None or agent["boarding"] != "ONBOARDED":
            raise HttpError(403, f"Agent {str(claims.get('sub'))[:64]} is not onboarded")
        return agent

    def _type_rules(self, body: Doc) -> dict[str, Any]:
        """`standard` and `declared` of `posted_event` for the body's type; 400 for a type the
        tenant does not have (unless `event_type_check="any"`) or a custom field that breaks it."""
        types = self.ctx.telemetry.event_types
        raw = body.get("typeId")
        type_id = raw if isinstance(raw, str) and raw else STANDARD_TYPE
        if type_id == STANDARD_TYPE:
            return {"standard": True, "declared": STANDARD_TYPES}
        if type_id not in types:
            if self.ctx.settings.event_type_check == "registered":
                raise HttpError(400, f"Invalid event: event type {type_id[:80]} does not exist")
            return {"standard": False, "declared": None}
        fields = type_fields(types, type_id)
        check_custom_event(fields, body)
        standard = descends_from_standard(types, type_id)
        return {"standard": standard, "declared": {*fields, *(STANDARD_TYPES if standard else ())}}

    def _known_entity(self, entity: str) -> bool:
        asset = self.ctx.state.assets.get(entity)
        return (asset is not None and not asset.get("deleted")) or entity in self.ctx.state.agents

    async def post_event(self, request: Request) -> Response:
        """`POST /events` by an agent or a tenant token: 201 with the created event."""
        agent = self._poster(request)
        settings = self.ctx.settings
        body = await typed_body(request, self.ctx.settings)  # the SDK sends application/json
        doc = posted_event(body, **self._type_rules(body), keep_extra=settings.event_extra_fields == "keep")
        if settings.event_entity_check and not self._known_entity(doc["entityId"]):
            raise HttpError(400, f"Invalid event: entity {doc['entityId'][:64]} does not exist")
        targets = [doc["entityId"]]
        if settings.event_post_mappings and agent is not None and doc["entityId"] == agent["id"]:
            targets = _mapped_to(self.ctx, agent, doc)
        stored = [{**doc, "entityId": t, "id": doc["id"] if n == 0 else str(uuid.uuid4())}
                  for n, t in enumerate(targets)]
        self.ctx.telemetry.events.extend(stored)
        return json_response(render(stored[0], self._events_url(request), False), 201, media_type=HAL)

    async def billboard(self, request: Request) -> Response:
        """The service's links (`InfoResponse`: self, events, eventTypes, deleteEventsJobs,
        createEventsJobs); the jobs are not served here."""
        root = request_base_url(request) + BASE
        body: Doc = {"self": {"href": root + "/"}}
        for name in ("events", "eventTypes"):
            body[name] = {"href": f"{root}/{name}{{?page,size,sort,filter}}", "templated": True}
        for name in ("deleteEventsJobs", "createEventsJobs"):
            body[name] = {"href": f"{root}/{name}", "templated": False}
        return json_response(body, media_type=HAL)

    def routes(self) -> list[BaseRoute]:
        return [
            *EventTypeService(self.ctx).routes(),
            ih_route(self.ctx, "am", BASE + "/", ["GET"], self.billboard),
            ih_route(self.ctx, "am", BASE + "/events", ["GET"], self.list_events),
            ih_route(self.ctx, "am", BASE + "/events", ["POST"], self.post_event),
            ih_route(self.ctx, "am", BASE + "/events/{event_id}", ["GET"], self.get_event),
        ]
