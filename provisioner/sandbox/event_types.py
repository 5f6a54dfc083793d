"""Event Management v3 event types: `POST/GET /eventTypes`, `GET/DELETE /eventTypes/{id}`, and the
type rules events follow (which fields a type has, what descends from MindSphereStandardEvent).

Evidence: MCN 3.24.2 `dist/src/api/sdk/event/event-management.js` (`PostEventType`: "Default id is
generated UUID. If id is provided then it has to be prefixed with the current tenant and has to be
followed by a dot. Default parentId is BaseEvent. Default ttl value is 35. Default scope is LOCAL.
Default filterable value for a field is false, required false, updatable true. Clients must provide
values field in case of ENUM type and must not provide in case of any other field type.") and
`event-models.d.ts` (`EventType`, `EventTypeResponse`, `Field`). Kept in memory with the events.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from provisioner.sandbox.auth_ih import request_base_url
from provisioner.sandbox.context import IhContext
from provisioner.sandbox.errors import HttpError
from provisioner.sandbox.event_docs import BASE_TYPE, STANDARD_TYPE, utc_ms
from provisioner.sandbox.filters import apply_sort, parse_filter, parse_sort
from provisioner.sandbox.handlers import HAL, check_if_match, ih_route, json_response
from provisioner.sandbox.media import typed_body
from provisioner.sandbox.paging import hal_page, page_params

Doc = dict[str, Any]
BASE = "/api/eventmanagement/v3"
FIELD_TYPES = ("STRING", "INTEGER", "DOUBLE", "BOOLEAN", "LINK", "TIMESTAMP", "UUID", "ENUM")
TYPE_FIELDS = frozenset({"id", "name", "parentId", "ttl", "scope", "owner"})
FIELD_DEFAULTS = {"filterable": False, "required": False, "updatable": True}


def descends_from_standard(types: Mapping[str, Doc], type_id: str) -> bool:
    """MindSphereStandardEvent itself, or a type whose parent chain reaches it."""
    seen: set[str] = set()
    while type_id not in seen:
        if type_id == STANDARD_TYPE:
            return True
        seen.add(type_id)
        doc = types.get(type_id)
        if doc is None:
            return False
        type_id = str(doc["parentId"])
    return False


def type_fields(types: Mapping[str, Doc], type_id: str) -> dict[str, Doc]:
    """The fields a registered type declares, its ancestors' included (nearest wins)."""
    chain: list[Doc] = []
    while type_id in types and len(chain) < 32:
        chain.append(types[type_id])
        type_id = str(types[type_id]["parentId"])
    fields: dict[str, Doc] = {}
    for doc in reversed(chain):
        fields.update({f["name"]: f for f in doc["fields"]})
    return fields


def _value_ok(field: Doc, value: Any) -> bool:
    kind = field["type"]
    if kind == "INTEGER":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "DOUBLE":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "BOOLEAN":
        return isinstance(value, bool)
    if not isinstance(value, str):
        return False
    if kind == "TIMESTAMP":
        try:
            utc_ms(value)
        except HttpError:
            return False
    if kind == "UUID":
        try:
            uuid.UUID(value)
        except ValueError:
            return False
    return kind != "ENUM" or value in field.get("values", [])


def check_custom_event(fields: Mapping[str, Doc], body: Doc) -> None:
    """HttpError 400 unless `body` gives every required field and each field's value fits its type."""
    for name, field in fields.items():
        if body.get(name) is None:
            if field.get("required"):
                raise HttpError(400, f"Invalid event: field {name} is required by its event type")
        elif not _value_ok(field, body[name]):
            raise HttpError(400, f"Invalid event: field {name} must be of type {field['type']}")


def _field(raw: Any) -> Doc:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"]:
        raise HttpError(400, "Invalid event type: every field needs a name")
    kind = raw.get("type")
    if kind not in FIELD_TYPES:
        raise HttpError(400, f"Invalid event type: field {raw['name']} has no valid type")
    has_values = raw.get("values") is not None
    if (kind == "ENUM") != has_values:
        raise HttpError(400, f"Invalid event type: field {raw['name']}: values belong to ENUM fields only")
    for flag in FIELD_DEFAULTS:
        if flag in raw and not isinstance(raw[flag], bool):
            raise HttpError(400, f"Invalid event type: field {raw['name']}: {flag} must be a boolean")
    out: Doc = {"name": raw["name"], **{k: raw.get(k, d) for k, d in FIELD_DEFAULTS.items()}, "type": kind}
    if has_values:
        values = raw["values"]
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            raise HttpError(400, f"Invalid event type: field {raw['name']}: values must be strings")
        out["values"] = list(values)
    return out


class EventTypeService:
    """Handlers for the event types of the tenant."""

    def __init__(self, ctx: IhContext) -> None:
        self.ctx = ctx

    @property
    def types(self) -> dict[str, Doc]:
        return self.ctx.telemetry.event_types

    def _render(self, request: Request, doc: Doc) -> Doc:
        root = request_base_url(request) + BASE
        filter_link = f'{root}/events?filter={{"typeId":"{doc["id"]}"}}'
        return {**doc, "_links": {"self": {"href": f"{root}/eventTypes/{doc['id']}"},
                                  "events": {"href": filter_link}}}

    async def create(self, request: Request) -> Response:
        body = await typed_body(request, self.ctx.settings)  # the SDK sends application/json
        tenant = self.ctx.settings.tenant
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise HttpError(400, "Invalid event type: name is required")
        if not isinstance(body.get("fields"), list):
            raise HttpError(400, "Invalid event type: fields is required")
        type_id = body.get("id") or str(uuid.uuid4())
        prefix = f"{tenant}."
        prefixed = isinstance(type_id, str) and type_id.startswith(prefix) and len(type_id) > len(prefix)
        if body.get("id") is not None and not prefixed:
            raise HttpError(400, f"Invalid event type: id must start with the tenant and a dot ({tenant}.)")
        if type_id in self.types or type_id in (STANDARD_TYPE, BASE_TYPE):
            raise HttpError(409, f"Event type {type_id} already exists")
        parent = body.get("parentId") or BASE_TYPE
        if parent not in (BASE_TYPE, STANDARD_TYPE) and parent not in self.types:
            raise HttpError(400, f"Invalid event type: parent {str(parent)[:80]} does not exist")
        ttl = body.get("ttl", 35)
        if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 1:
            raise HttpError(400, "Invalid event type: ttl must be a positive integer (days)")
        scope = body.get("scope", "LOCAL")
        if scope not in ("LOCAL", "GLOBAL"):
            raise HttpError(400, "Invalid event type: scope must be LOCAL or GLOBAL")
        fields = [_field(f) for f in body["fields"]]
        doc = {"id": type_id, "name": name, "parentId": parent, "ttl": ttl, "etag": 0, "owner": tenant,
               "scope": scope, "fields": fields}
        self.types[type_id] = doc
        return json_response(self._render(request, doc), 201, media_type=HAL)

    async def list_types(self, request: Request) -> Response:
        page, size = page_params(request, 20, 100)
        predicate = parse_filter(request.query_params.get("filter"), TYPE_FIELDS)
        order = parse_sort(request.query_params.get("sort"), TYPE_FIELDS, "name") or [("name", False)]
        docs = [d for d in self.types.values() if predicate is None or predicate(d)]
        apply_sort(docs, order)
        body = hal_page(request, "eventTypes", [self._render(request, d) for d in docs], page, size)
        if not docs and not self.ctx.settings.event_empty_embedded:
            body.pop("_embedded", None)
        return json_response(body, media_type=HAL)

    def _get(self, request: Request) -> Doc:
        type_id = request.path_params["type_id"]
        doc = self.types.get(type_id)
        if doc is None:
            raise HttpError(404, f"Event type {type_id[:80]} not found")
        return doc

    async def read(self, request: Request) -> Response:
        return json_response(self._render(request, self._get(request)), media_type=HAL)

    async def delete(self, request: Request) -> Response:
        doc = self._get(request)
        check_if_match(request, str(doc["etag"]), 400)
        if any(str(t["parentId"]) == doc["id"] for t in self.types.values()):
            raise HttpError(409, f"Event type {doc['id']} has child types")
        del self.types[doc["id"]]
        self.ctx.telemetry.events[:] = [e for e in self.ctx.telemetry.events if e.get("typeId") != doc["id"]]
        return Response(status_code=204)

    def routes(self) -> list[BaseRoute]:
        return [
            ih_route(self.ctx, "am", BASE + "/eventTypes", ["POST"], self.create),
            ih_route(self.ctx, "am", BASE + "/eventTypes", ["GET"], self.list_types),
            ih_route(self.ctx, "am", BASE + "/eventTypes/{type_id}", ["GET"], self.read),
            ih_route(self.ctx, "am", BASE + "/eventTypes/{type_id}", ["DELETE"], self.delete),
        ]
