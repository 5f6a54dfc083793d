"""Read surfaces: paged `/api/{kind}s/all`, single entity by raw id, node trees, sensor-data node list."""

from __future__ import annotations

import itertools
from typing import Any

from starlette.datastructures import QueryParams

from provisioner.sandbox.itwin_iot.entities import Entity, Kind, render_entity, render_integration
from provisioner.sandbox.itwin_iot.errors import BAD_NODE_ID, entity_not_found, field_error, integration_error
from provisioner.sandbox.itwin_iot.store import ItwinStore

SEARCH_PROPS = ("NAME", "SERIAL_NO", "NOTES")


def _int_param(params: QueryParams, name: str, default: int, low: int, high: int | None = None) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise field_error(
            400, "Failed to convert value of type 'java.lang.String' to required type 'int'", name
        ) from None
    if value < low:
        raise field_error(400, f"must be greater than or equal to {low}", name)
    if high is not None and value > high:
        raise field_error(400, f"must be less than or equal to {high}", name)
    return value


def _multi(params: QueryParams, name: str) -> list[str]:
    """A repeatable parameter, also accepting comma-separated values."""
    return [v.strip() for raw in params.getlist(name) for v in raw.split(",") if v.strip()]


def _lookup(entity: Entity, path: str) -> Any:
    if path == "id":
        return entity.id
    if path == "type":
        return entity.type
    if path == "device":
        return entity.device
    if path.startswith("props."):
        return entity.props.get(path[len("props.") :])
    return None


def _sort_key(value: Any, descending: bool) -> tuple[int, int, Any]:
    """Orders numbers, then strings, then anything else; missing values last in either direction."""
    missing = value is None
    flag = (0 if descending else 1) if missing else (1 if descending else 0)
    if missing:
        return (flag, 0, "")
    if isinstance(value, bool):
        return (flag, 1, int(value))
    if isinstance(value, int | float):
        return (flag, 0, value)
    if isinstance(value, str):
        return (flag, 2, value)
    return (flag, 3, repr(value))


def _matches(entity: Entity, needle: str) -> bool:
    if needle in entity.id.lower():
        return True
    return any(needle in str(entity.props.get(p, "")).lower() for p in SEARCH_PROPS if p in entity.props)


def _project_fields(rendered: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """Keep only the requested fields (`id` always); `props.X` selects one prop."""
    out: dict[str, Any] = {"id": rendered["id"]}
    for path in fields:
        if path.startswith("props."):
            key = path[len("props.") :]
            if key in rendered["props"]:
                out.setdefault("props", {})[key] = rendered["props"][key]
        elif path in rendered:
            out[path] = rendered[path]
    return out


def list_entities(store: ItwinStore, kind: Kind, params: QueryParams) -> list[dict[str, Any]]:
    """One page of `/api/{kind}s/all`: creation order unless `sortBy` is given; a page past the end is [].

    With `silent_page_cap` a page holds at most that many entities and page offsets use the capped size.
    """
    settings = store.settings
    project = store.resolve_project(params.getlist("projectIds"), default=True)
    page_size = _int_param(params, "pageSize", settings.default_page_size, 1, settings.max_page_size)
    if settings.silent_page_cap is not None:
        page_size = min(page_size, settings.silent_page_cap)
    page_number = _int_param(params, "pageNumber", 0, 0)
    sort_by = _multi(params, "sortBy")
    direction = (params.get("sort") or "asc").lower()
    if direction not in ("asc", "desc"):
        raise field_error(400, "must be one of asc, desc", "sort")
    query = (params.get("query") or "").strip().lower()
    start = page_number * page_size
    if not sort_by and not query:
        entities = list(itertools.islice(store.iter_kind(project, kind), start, start + page_size))
    else:
        descending = direction == "desc"

        def compute() -> list[str]:
            selected = [e for e in store.iter_kind(project, kind) if not query or _matches(e, query)]
            if sort_by:
                selected.sort(
                    key=lambda e: tuple(_sort_key(_lookup(e, p), descending) for p in sort_by),
                    reverse=descending,
                )
            return [e.id for e in selected]

        order = store.cached_order((project, kind, tuple(sort_by), direction, query), compute)
        entities = [store.entities[i] for i in order[start : start + page_size]]
    rendered = [render_entity(e) for e in entities]
    fields = _multi(params, "fields")
    return [_project_fields(r, fields) for r in rendered] if fields else rendered


def _in_project(store: ItwinStore, entity: Entity, params: QueryParams) -> bool:
    """Raw ids are global; a projectIds given alongside must be the entity's project."""
    values = params.getlist("projectIds")
    return not values or store.resolve_project(values, default=False) == entity.project


def get_entity(store: ItwinStore, kind: Kind, raw_id: str, params: QueryParams) -> dict[str, Any]:
    """Single GET by raw id (`/api/sensors//api/…/sensor`); the id is used verbatim."""
    entity = store.entities.get(raw_id)
    if entity is None or entity.kind != kind or not _in_project(store, entity, params):
        raise entity_not_found("id")
    return render_entity(entity)


def node_tree(store: ItwinStore, raw_id: str, params: QueryParams) -> dict[str, Any]:
    """`POST /api/integrations/{rawNodeId}`: the whole subtree in integration shape [D:seed L3591-L3760]."""
    entity = store.entities.get(raw_id)
    if entity is None or entity.kind != "node" or not _in_project(store, entity, params):
        raise integration_error(store.settings.bad_node_status, BAD_NODE_ID)
    devices = [
        {"device": render_integration(d), "sensors": [render_integration(s) for s in store.children(d.id)]}
        for d in store.children(entity.id)
    ]
    return {"integration": {"node": render_integration(entity), "devices": devices}}


def sensor_data_nodes(store: ItwinStore, project: str) -> dict[str, Any]:
    """`GET /sensor-data/integrations/nodes`: `{"nodes":[{props,id,type}]}`."""
    return {"nodes": [render_integration(n) for n in store.iter_kind(project, "node")]}
