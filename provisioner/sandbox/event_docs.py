"""Event Management v3 event documents: a posted body checked against the SDK's event models, and a
stored event rendered as `MindsphereStandardEventResponse` / `CustomEventResponse`.

Evidence (docs/sandbox.md "Agent side"): MCN 3.24.2 `dist/src/api/sdk/event/event-models.d.ts`
(`BaseEvent` requires `timestamp` and `entityId`; `typeId`, `correlationId` optional;
`MindsphereStandardEvent` adds `severity` integer, `description`, `code`, `source` strings,
`acknowledged` boolean; `BaseEventResponse` adds `id`, `etag` number and `_links.self`) and
`event-management.js` (`PostEvent`: "If no typeId is given in the request, then a
MindsphereStandardEvent will be created").
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from provisioner.sandbox.errors import HttpError

Doc = dict[str, Any]
STANDARD_TYPE = "com.siemens.mindsphere.eventmgmt.event.type.MindSphereStandardEvent"
BASE_TYPE = "com.siemens.mindsphere.eventmgmt.event.type.BaseEvent"
# the fields every event has (BaseEvent) and the standard event's own, with their JSON types
BASE_FIELDS = ("typeId", "correlationId", "timestamp", "entityId")
STANDARD_TYPES: dict[str, tuple[type, ...]] = {
    "severity": (int,), "description": (str,), "code": (str,), "source": (str,), "acknowledged": (bool,),
}
# "filterable" in the SDK's model and PostEvent text: BaseEvent's four plus severity, code, source,
# acknowledged (description is "not filterable"; id carries no such note)
STANDARD_FILTERABLE = frozenset({*BASE_FIELDS, "severity", "code", "source", "acknowledged"})
SERVER_FIELDS = ("id", "etag", "_links", "sharing")


def _typed(name: str, value: Any, kinds: tuple[type, ...]) -> None:
    wrong_bool = isinstance(value, bool) and bool not in kinds
    if wrong_bool or not isinstance(value, kinds):
        kind = {int: "an integer", str: "a string", bool: "a boolean"}[kinds[0]]
        raise HttpError(400, f"Invalid event: {name} must be {kind}")


def utc_ms(raw: Any) -> str:
    """An ISO-8601 date-time as UTC with milliseconds and `Z` ("Timestamp ... in UTC format");
    HttpError 400 if it is not one (a time without offset counts as UTC)."""
    if not isinstance(raw, str):
        raise HttpError(400, "Invalid event: timestamp must be an ISO-8601 date-time string")
    try:
        stamp = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise HttpError(400, f"Invalid event: timestamp '{raw[:40]}' is not ISO-8601") from None
    stamp = (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).astimezone(UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def posted_event(body: Doc, *, standard: bool, declared: Collection[str] | None, keep_extra: bool) -> Doc:
    """The stored form of a `POST /events` body; HttpError 400 when it breaks the SDK's models.
    `standard`: the type is MindSphereStandardEvent or descends from it (its five fields are typed);
    `declared`: the fields the type defines (None: unknown, every field kept); fields beyond them
    are kept only with `keep_extra`. Server-owned fields (`id`, `etag`, `_links`, `sharing`) are
    ignored."""
    for name in ("entityId", "timestamp"):
        if name not in body:
            raise HttpError(400, f"Invalid event: {name} is required")
    for name in ("entityId", "typeId", "correlationId"):
        if name in body:
            _typed(name, body[name], (str,))
    type_id = str(body.get("typeId") or STANDARD_TYPE)
    if type_id == BASE_TYPE:
        raise HttpError(400, "Invalid event: events of the abstract BaseEvent type cannot be created")
    if standard:
        for name, kinds in STANDARD_TYPES.items():
            if body.get(name) is not None:
                _typed(name, body[name], kinds)
    stamp = utc_ms(body["timestamp"])
    known = None if declared is None or keep_extra else {*BASE_FIELDS, *declared}
    doc: Doc = {k: v for k, v in body.items() if k not in SERVER_FIELDS and (known is None or k in known)}
    doc.update(id=str(uuid.uuid4()), typeId=type_id, timestamp=stamp, etag=0)
    doc["correlationId"] = str(body.get("correlationId") or uuid.uuid4())
    if standard:
        doc.setdefault("acknowledged", False)
    return doc


def standard_view(doc: Doc) -> Doc:
    """A descendant type's event as a query without typeId lists it: "excluding descendant
    specific fields" (MCN event-management.js GetEvents)."""
    keep = {*BASE_FIELDS, *STANDARD_TYPES, *SERVER_FIELDS}
    return {k: v for k, v in doc.items() if k in keep}


def render(doc: Doc, events_url: str, shared: bool) -> Doc:
    """A stored event as the API returns it: the document plus `_links.self` (and `sharing` when
    the request said `includeShared=true`; the sandbox shares nothing, so its modes are empty)."""
    out = {**doc, "_links": {"self": {"href": f"{events_url}/{doc['id']}"}}}
    if shared:
        out["sharing"] = {"modes": []}
    return out
