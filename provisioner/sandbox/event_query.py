"""The `GET /events` query of Event Management v3: `filter`, `sort`, `history`, `includeShared`.

Rules from MCN 3.24.2 `dist/src/api/sdk/event/event-management.js` (`GetEvents`): without a
timestamp in the filter only the last 7 days are searched; `timestamp` takes `before`, `after` and
`between`; one `typeId` expression at most, equality only, never negated, never BaseEvent; without
`typeId` the query is over MindsphereStandardEvent and its descendants (listed without their own
fields); `sort` only on filterable fields, default timestamp descending; with
`history=false` (the default) only the latest of the events sharing correlationId, entityId and
typeId is listed. Filterable: `event_docs.STANDARD_FILTERABLE`, and a registered type's fields
marked `filterable`; a type the sandbox does not know filters on any field.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.requests import Request

from provisioner.sandbox.errors import HttpError
from provisioner.sandbox.event_docs import BASE_FIELDS, BASE_TYPE, STANDARD_FILTERABLE, STANDARD_TYPE
from provisioner.sandbox.event_types import descends_from_standard, type_fields
from provisioner.sandbox.filters import Predicate, parse_filter, parse_sort

Doc = dict[str, Any]
DEFAULT_WINDOW_S = 7 * 24 * 3600


def epoch(raw: Any) -> float:
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
            bounds.append((epoch(arg), op == "after", False))
        elif op == "between" and isinstance(arg, str) and len(arg) > 2 and "," in arg:
            low, high = arg[1:-1].split(",", 1)
            bounds.append((epoch(low.strip()), True, arg[0] == "["))
            bounds.append((epoch(high.strip()), False, arg[-1] == "]"))
        else:
            raise HttpError(400, f"Invalid filter: unknown operator '{op}' on field 'timestamp'")

    def check(doc: Doc) -> bool:
        moment = epoch(str(doc["timestamp"]))
        return all((moment > at or (inclusive and moment == at)) if later
                   else (moment < at or (inclusive and moment == at)) for at, later, inclusive in bounds)

    return check


def _fields(tree: Any, negated: bool) -> Iterable[tuple[str, Any, bool]]:
    """Every `(field, condition, under a not)` of a filter tree."""
    if isinstance(tree, list):
        for item in tree:
            yield from _fields(item, negated)
        return
    if not isinstance(tree, dict):
        return
    for key, value in tree.items():
        if key in ("and", "or"):
            yield from _fields(value, negated)
        elif key == "not":
            yield from _fields(value, True)
        else:
            yield key, value, negated


def _type_id(conditions: list[tuple[Any, bool]]) -> str | None:
    if len(conditions) > 1:
        raise HttpError(400, "Invalid filter: multiple typeId expressions are not allowed")
    if not conditions:
        return None
    cond, negated = conditions[0]
    if negated:
        raise HttpError(400, "Invalid filter: negation of typeId is not allowed")
    if isinstance(cond, dict):
        if set(cond) != {"eq"}:
            raise HttpError(400, "Invalid filter: only equality is supported on typeId")
        cond = cond["eq"]
    if not isinstance(cond, str):
        raise HttpError(400, "Invalid filter: typeId must be a string")
    if cond == BASE_TYPE:
        raise HttpError(400, "Invalid filter: filtering with typeId BaseEvent is not supported")
    return cond


def _flag(request: Request, name: str) -> bool:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return False
    if raw.lower() not in ("true", "false"):
        raise HttpError(400, f"Invalid parameter: {name} must be true or false, got '{raw[:20]}'")
    return raw.lower() == "true"


@dataclass
class EventQuery:
    """One parsed `GET /events` request."""

    predicate: Predicate
    order: list[tuple[str, bool]]
    history: bool
    shared: bool
    polymorphic: bool  # no typeId: MindsphereStandardEvent and its descendants

    @classmethod
    def parse(cls, request: Request, now: float, types: Mapping[str, Doc]) -> EventQuery:
        raw = request.query_params.get("filter")
        try:
            tree = json.loads(raw) if raw and raw.strip() else {}
        except json.JSONDecodeError:
            raise HttpError(400, f"Invalid filter '{raw}': not a JSON object") from None
        found = list(_fields(tree, False))
        type_id = _type_id([(cond, neg) for name, cond, neg in found if name == "typeId"])
        names = {name for name, _, _ in found}
        if type_id is None or type_id == STANDARD_TYPE or type_id in types:
            fields = frozenset(BASE_FIELDS)
            if type_id is None or descends_from_standard(types, type_id):
                fields = STANDARD_FILTERABLE
            if type_id is not None:
                fields |= {n for n, f in type_fields(types, type_id).items() if f.get("filterable")}
            refused = sorted(names - fields)
            if refused:
                raise HttpError(400, f"Invalid filter: field '{refused[0]}' is not filterable")
        else:  # a type the sandbox does not know: any of its fields may filter
            fields = STANDARD_FILTERABLE | names
        parsed = parse_filter(raw, fields - {"timestamp"}, {"timestamp": _timestamp})
        parts = [parsed] if parsed is not None else []
        if type_id is None:
            parts.append(lambda doc: descends_from_standard(types, str(doc.get("typeId"))))
        if "timestamp" not in names:
            since = now - DEFAULT_WINDOW_S
            parts.append(lambda doc: epoch(str(doc["timestamp"])) >= since)
        order = parse_sort(request.query_params.get("sort"), fields, "timestamp") or [("timestamp", True)]

        def predicate(doc: Doc) -> bool:
            return all(part(doc) for part in parts)

        return cls(predicate, order, _flag(request, "history"), _flag(request, "includeShared"),
                   type_id is None)


def latest_of_each(docs: list[Doc]) -> list[Doc]:
    """`history=false`: of the events sharing correlationId, entityId and typeId, only the latest
    (by timestamp; the later stored on a tie), in the order they were stored."""
    best: dict[tuple[Any, Any, Any], tuple[float, int]] = {}
    for index, doc in enumerate(docs):
        key = (doc.get("correlationId"), doc.get("entityId"), doc.get("typeId"))
        rank = (epoch(str(doc["timestamp"])), index)
        if key not in best or rank >= best[key]:
            best[key] = rank
    keep = {index for _, index in best.values()}
    return [doc for index, doc in enumerate(docs) if index in keep]
