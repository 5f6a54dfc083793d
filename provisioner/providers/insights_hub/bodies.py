"""Normalized attrs -> Insights Hub request bodies (the inverse of `normalize`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provisioner.providers.marker import PREVENT_DESTROY, mark_description

JSONDict = dict[str, Any]


def flags_of(attrs: Mapping[str, Any]) -> tuple[str, ...]:
    """The marker flags the attrs ask for (`prevent_destroy`)."""
    return (PREVENT_DESTROY,) if attrs.get(PREVENT_DESTROY) else ()


def marked(attrs: Mapping[str, Any], stack: str, key: str, text: str | None = None) -> str:
    """The description to write for `attrs`: its text (or `text`), the marker and its flags."""
    description = text if text is not None else attrs.get("description")
    return mark_description(description, stack, key, flags_of(attrs))


def _variable(name: str, var: Mapping[str, Any], *, quality: bool) -> JSONDict:
    body: JSONDict = {"name": name, "dataType": var["type"], "searchable": bool(var.get("searchable", False))}
    if var.get("unit") is not None:
        body["unit"] = var["unit"]
    if var.get("length") is not None:
        body["length"] = var["length"]
    if var.get("default") is not None:
        body["defaultValue"] = var["default"]
    if quality:
        body["qualityCode"] = bool(var.get("quality_code", False))
    return body


def aspect_type_body(name: str, attrs: Mapping[str, Any], stack: str, key: str) -> JSONDict:
    """PUT /aspecttypes/{id} body."""
    return {
        "name": name,
        "category": attrs["category"],
        "scope": "private",
        "description": marked(attrs, stack, key),
        "variables": [_variable(n, v, quality=True) for n, v in attrs["variables"].items()],
    }


def asset_type_body(name: str, attrs: Mapping[str, Any], stack: str, key: str) -> JSONDict:
    """PUT /assettypes/{id} body (the complete model, as the service requires)."""
    return {
        "name": name,
        "parentTypeId": attrs["parent"],
        "instantiable": bool(attrs.get("instantiable", True)),
        "scope": "private",
        "description": marked(attrs, stack, key),
        "aspects": [{"name": n, "aspectTypeId": t} for n, t in attrs.get("aspects", {}).items()],
        "variables": [_variable(n, v, quality=False) for n, v in attrs.get("variables", {}).items()],
    }


def _values(values: Mapping[str, Any]) -> list[JSONDict]:
    return [{"name": n, "value": v} for n, v in values.items()]


def asset_update_body(attrs: Mapping[str, Any], stack: str, key: str) -> JSONDict:
    """PUT /assets/{id} body (AssetUpdate: values only, the structure comes from the type)."""
    body: JSONDict = {
        "name": attrs["name"],
        "description": marked(attrs, stack, key),
        "variables": _values(attrs.get("variables") or {}),
        "aspects": [{"name": n, "variables": _values(v)} for n, v in (attrs.get("aspects") or {}).items()],
    }
    if attrs.get("external_id") is not None:
        body["externalId"] = attrs["external_id"]
    if attrs.get("location") is not None:
        body["location"] = dict(attrs["location"])
    return body


# attrs key -> the vendor field a merge-patch sets (the fields PATCH can change)
_ASSET_FIELDS = {"name": "name", "description": "description", "external_id": "externalId",
                 "location": "location", "variables": "variables", "aspects": "aspects"}
_TYPE_FIELDS = {"description": "description", "variables": "variables", "aspects": "aspects",
                "instantiable": "instantiable", "category": "category", "parent": "parentTypeId"}


def _changed(before: Mapping[str, Any] | None, after: Mapping[str, Any],
             keys: Mapping[str, str]) -> list[str]:
    return [k for k in keys if before is None or before.get(k) != after.get(k)]


def _patch_values(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[JSONDict]:
    """The desired values, plus a null for each value set live that the configuration dropped."""
    dropped = {n: None for n in before if n not in after}
    return _values({**dropped, **after})


def asset_patch_body(before: Mapping[str, Any] | None, after: Mapping[str, Any], stack: str, key: str, *,
                     mark: bool) -> JSONDict:
    """PATCH /assets/{id} merge-patch body: only the fields whose desired value differs from the
    live one (`mark` forces the description, to set this stack's marker). Fields the
    configuration leaves unset are not in `before` (pruned by the read) and so are never sent:
    a location or externalId set by hand stays as it is."""
    patch: JSONDict = {}
    for name in _changed(before, after, _ASSET_FIELDS):
        value, old = after.get(name), (before or {}).get(name)
        if name == "description":
            continue
        if name == "variables":
            patch["variables"] = _patch_values(old or {}, value or {})
        elif name == "aspects":
            old_aspects, new_aspects = old or {}, value or {}
            patch["aspects"] = [{"name": n, "variables": _patch_values(old_aspects.get(n) or {},
                                                                       new_aspects.get(n) or {})}
                                for n in {**old_aspects, **new_aspects}]
        elif name == "location":
            if value is not None:  # a location the configuration sets is the whole location
                patch["location"] = {**dict.fromkeys(old or {}), **dict(value)}
        elif value is not None:
            patch[_ASSET_FIELDS[name]] = value
    if mark or "description" in _changed(before, after, _ASSET_FIELDS) or _flags_changed(before, after):
        patch["description"] = marked(after, stack, key)
    return patch


def type_patch_body(full: Mapping[str, Any], before: Mapping[str, Any] | None, after: Mapping[str, Any], *,
                    mark: bool) -> JSONDict:
    """PATCH /aspecttypes|assettypes/{id} merge-patch body: the top-level fields of the full `PUT`
    body `full` whose attrs changed (`mark` forces the description). File assignments and other
    fields the configuration does not model are left as they are."""
    patch = {_TYPE_FIELDS[k]: full[_TYPE_FIELDS[k]] for k in _changed(before, after, _TYPE_FIELDS)
             if _TYPE_FIELDS[k] in full}
    if mark or _flags_changed(before, after):
        patch["description"] = full["description"]
    return patch


def _flags_changed(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> bool:
    return flags_of(before or {}) != flags_of(after)


def asset_create_body(attrs: Mapping[str, Any], parent_id: str, stack: str, key: str) -> JSONDict:
    """POST /assets body."""
    body = asset_update_body(attrs, stack, key)
    body["typeId"] = attrs["type"]
    body["parentId"] = parent_id
    body["twinType"] = attrs.get("twin_type") or "performance"
    if attrs.get("timezone") is not None:
        body["timezone"] = attrs["timezone"]
    return body


def agent_asset_body(attrs: Mapping[str, Any], parent_id: str, stack: str, key: str) -> JSONDict:
    """POST /assets body for an agent's core.mclib asset."""
    return {
        "name": attrs["name"],
        "typeId": "core.mclib",
        "parentId": parent_id,
        "description": mark_description(None, stack, key, flags_of(attrs)),
        "twinType": "performance",
    }


def agent_body(attrs: Mapping[str, Any], entity_id: str | None = None) -> JSONDict:
    """POST /agents (with entityId) or PUT /agents/{id} body."""
    body: JSONDict = {"name": attrs["name"], "securityProfile": attrs["security_profile"]}
    if entity_id is not None:
        body["entityId"] = entity_id
    return body


def dsc_body(attrs: Mapping[str, Any]) -> JSONDict:
    """PUT /agents/{id}/dataSourceConfiguration body."""
    sources = []
    for name, source in attrs.get("data_sources", {}).items():
        points = []
        for point_id, point in source.get("data_points", {}).items():
            body: JSONDict = {"id": point_id, "name": point["name"], "type": point["type"],
                              "unit": point.get("unit") or ""}
            if point.get("description") is not None:
                body["description"] = point["description"]
            points.append(body)
        entry: JSONDict = {"name": name, "dataPoints": points}
        if source.get("description") is not None:
            entry["description"] = source["description"]
        sources.append(entry)
    return {"configurationId": attrs["configuration_id"], "dataSources": sources}


def mapping_body(attrs: Mapping[str, Any], agent_id: str, entity_id: str) -> JSONDict:
    """POST /dataPointMappings body."""
    return {
        "agentId": agent_id,
        "dataPointId": attrs["data_point"],
        "entityId": entity_id,
        "propertySetName": attrs["aspect"],
        "propertyName": attrs["variable"],
        "keepMapping": bool(attrs.get("keep_mapping", True)),
    }


def event_mapping_body(attrs: Mapping[str, Any], agent_id: str | None, asset_id: str | None) -> JSONDict:
    """POST (with ids) or PATCH (without) /eventMappings body."""
    body: JSONDict = {
        "eventTypeId": attrs["event_type"],
        "eventTypeName": attrs["event_type_name"],
        "eventTypeFieldName": attrs["field"],
        "eventTypeFieldValue": attrs["value"],
    }
    if agent_id is not None:
        body["agentId"] = agent_id
    if asset_id is not None:
        body["assetId"] = asset_id
    return body
