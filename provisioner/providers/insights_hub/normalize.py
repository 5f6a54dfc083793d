"""Live Insights Hub JSON -> normalized attribute maps that compare equal to the desired ones.

Server-managed fields (ids, etag, tenantId, _links, sharing, locks, hierarchyPath, validity,
dates) are dropped; lists whose order carries no meaning become maps keyed by name; empty
strings and absent values become None; the ownership marker is split off descriptions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provisioner.providers.marker import PREVENT_DESTROY, description_flags, split_description

JSONDict = dict[str, Any]


def blank(value: Any) -> Any:
    """'' and None are the same; everything else is kept."""
    return None if value == "" else value


def type_ref(type_id: str) -> str:
    """Type ids compare case-insensitively for built-ins (`core.BasicAsset` == `core.basicasset`)."""
    return type_id.lower() if type_id.lower().startswith("core.") else type_id


def variable_attrs(var: Mapping[str, Any], *, quality: bool) -> JSONDict:
    """One aspect or asset type variable definition."""
    attrs: JSONDict = {
        "type": var.get("dataType"),
        "unit": blank(var.get("unit")),
        "length": var.get("length"),
        "searchable": bool(var.get("searchable", False)),
        "default": blank(var.get("defaultValue")),
    }
    if quality:
        attrs["quality_code"] = bool(var.get("qualityCode", False))
    return attrs


def flag_attrs(description: Any) -> JSONDict:
    """`{"prevent_destroy": True}` when the owner marker carries that flag, else nothing."""
    flags = description_flags(description if isinstance(description, str) else None)
    return {PREVENT_DESTROY: True} if PREVENT_DESTROY in flags else {}


def aspect_type_attrs(live: Mapping[str, Any]) -> JSONDict:
    """AspectTypeResource -> attrs."""
    description, _, _ = split_description(live.get("description"))
    return {
        "category": live.get("category"),
        "description": description,
        "variables": {v["name"]: variable_attrs(v, quality=True) for v in live.get("variables") or []},
        **flag_attrs(live.get("description")),
    }


def asset_type_attrs(live: Mapping[str, Any]) -> JSONDict:
    """AssetTypeResource (own view, not exploded) -> attrs; inherited entries are skipped."""
    description, _, _ = split_description(live.get("description"))
    aspects: JSONDict = {}
    for aspect in live.get("aspects") or []:
        if (aspect.get("_links") or {}).get("origin"):
            continue
        aspect_type = aspect.get("aspectType") or {}
        aspects[aspect["name"]] = aspect_type.get("id") or aspect.get("aspectTypeId")
    return {
        "parent": type_ref(live.get("parentTypeId") or ""),
        "description": description,
        "instantiable": bool(live.get("instantiable", True)),
        "aspects": aspects,
        "variables": {
            v["name"]: variable_attrs(v, quality=False)
            for v in live.get("variables") or []
            if not (v.get("_links") or {}).get("origin")
        },
        **flag_attrs(live.get("description")),
    }


def _values(variables: Any) -> JSONDict:
    return {v["name"]: blank(v.get("value")) for v in variables or [] if blank(v.get("value")) is not None}


def location_attrs(location: Mapping[str, Any] | None) -> JSONDict | None:
    """An asset location with empty fields dropped; None when nothing is set."""
    if not location:
        return None
    kept = {k: v for k, v in location.items() if blank(v) is not None and not k.startswith("_")}
    return kept or None


def asset_attrs(live: Mapping[str, Any], parent: str) -> JSONDict:
    """AssetResource -> attrs; `parent` is already resolved to `root`, an address or `id:<assetId>`."""
    description, _, _ = split_description(live.get("description"))
    aspects = {a["name"]: _values(a.get("variables")) for a in live.get("aspects") or []}
    return {
        "name": live.get("name"),
        "type": type_ref(live.get("typeId") or ""),
        "parent": parent,
        "external_id": blank(live.get("externalId")),
        "description": description,
        "variables": _values(live.get("variables")),
        "aspects": {name: values for name, values in aspects.items() if values},
        "location": location_attrs(live.get("location")),
        "timezone": blank(live.get("timezone")),
        "twin_type": blank(live.get("twinType")) or "performance",
        **flag_attrs(live.get("description")),
    }


def agent_attrs(agent: Mapping[str, Any], parent: str, asset_description: Any = None) -> JSONDict:
    """Agent + the parent of its core.mclib asset (and that asset's marker flags) -> attrs."""
    return {"name": agent.get("name"), "security_profile": agent.get("securityProfile"), "parent": parent,
            **flag_attrs(asset_description)}


def dsc_attrs(live: Mapping[str, Any]) -> JSONDict:
    """DataSourceConfiguration -> attrs; data sources keyed by name, data points by id."""
    sources: JSONDict = {}
    for source in live.get("dataSources") or []:
        points = {
            p["id"]: {
                "name": p.get("name"),
                "type": p.get("type"),
                "unit": blank(p.get("unit")),
                "description": blank(p.get("description")),
            }
            for p in source.get("dataPoints") or []
        }
        sources[source["name"]] = {"description": blank(source.get("description")), "data_points": points}
    return {"configuration_id": live.get("configurationId"), "data_sources": sources}


def mapping_attrs(live: Mapping[str, Any], asset: str) -> JSONDict:
    """Data point mapping -> attrs (`asset` resolved to an address or `id:<assetId>`)."""
    return {
        "data_point": live.get("dataPointId"),
        "asset": asset,
        "aspect": live.get("propertySetName"),
        "variable": live.get("propertyName"),
        "keep_mapping": bool(live.get("keepMapping", False)),
    }


def event_mapping_attrs(live: Mapping[str, Any], asset: str) -> JSONDict:
    """Event mapping -> attrs (`asset` resolved to an address or `id:<assetId>`)."""
    return {
        "asset": asset,
        "event_type": live.get("eventTypeId"),
        "event_type_name": live.get("eventTypeName"),
        "field": live.get("eventTypeFieldName"),
        "value": live.get("eventTypeFieldValue"),
    }
