"""Configuration -> desired Insights Hub `Resource`s, in the same normalized form as live ones."""

from __future__ import annotations

from typing import Any

from provisioner.config.schema import (
    Agent,
    AspectVariable,
    Asset,
    AssetRef,
    AssetTypeVariable,
    ProjectConfig,
)
from provisioner.model import Resource
from provisioner.providers.insights_hub import kinds
from provisioner.providers.insights_hub.live import event_mapping_address, mapping_address
from provisioner.providers.insights_hub.normalize import blank, type_ref
from provisioner.providers.lifecycle import with_lifecycle, with_moves

JSONDict = dict[str, Any]

_LOCATION_FIELDS = {"street_address": "streetAddress", "postal_code": "postalCode"}


def scalar_text(value: Any) -> str | None:
    """Values are stored as text by the service: `true`, `42`, `1.5`."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _variable(var: AspectVariable | AssetTypeVariable) -> JSONDict:
    attrs: JSONDict = {
        "type": var.type,
        "unit": blank(var.unit),
        "length": var.length,
        "searchable": var.searchable,
        "default": scalar_text(var.default),
    }
    if isinstance(var, AspectVariable):
        attrs["quality_code"] = var.quality_code
    return attrs


_TYPES = ("insights_hub.aspect_types.", "insights_hub.asset_types.")


def moved_type_ids(config: ProjectConfig, tenant: str) -> dict[str, str]:
    """Type address -> the id it keeps after a `moved:` block renamed its key: a type's id is
    `<tenant>.<name>` and never changes, so the new key names the old type (and vendor name)."""
    return {block.to: f"{tenant}.{block.from_.rsplit('.', 1)[1]}" for block in config.moved
            if block.from_.startswith(_TYPES) and block.to.startswith(_TYPES)}


class _Resolver:
    """Turns names written in YAML into type ids and asset references."""

    def __init__(self, config: ProjectConfig, tenant: str) -> None:
        self.tenant = tenant
        self.hub = config.insights_hub
        self.type_ids = moved_type_ids(config, tenant)

    def aspect_type(self, ref: str) -> tuple[str, str | None]:
        """(type id, dependency address) of an aspect type name or id."""
        if "." in ref:
            type_id = type_ref(ref)
            name = type_id.split(".", 1)[1] if type_id.startswith(f"{self.tenant}.") else None
        else:
            type_id, name = self.type_ids.get(f"{_TYPES[0]}{ref}", f"{self.tenant}.{ref}"), ref
        owned = name in self.hub.aspect_types and not self.hub.aspect_types[name].external
        return type_id, (f"insights_hub.aspect_types.{name}" if owned else None)

    def asset_type(self, ref: str) -> tuple[str, str | None]:
        """(type id, dependency address) of an asset type name, id or built-in."""
        if "." in ref:
            type_id = type_ref(ref)
            name = type_id.split(".", 1)[1] if type_id.startswith(f"{self.tenant}.") else None
        else:
            type_id, name = self.type_ids.get(f"{_TYPES[1]}{ref}", f"{self.tenant}.{ref}"), ref
        owned = name in self.hub.asset_types and not self.hub.asset_types[name].external
        return type_id, (f"insights_hub.asset_types.{name}" if owned else None)

    @staticmethod
    def parent(ref: str | AssetRef) -> str:
        """`root`, `id:<assetId>` or the parent asset's address."""
        if isinstance(ref, AssetRef):
            return f"id:{ref.id.lower()}"
        return "root" if ref == "root" else f"insights_hub.assets.{ref}"

    @staticmethod
    def asset(ref: str) -> str:
        """A mapping's asset: an asset key, or `id:<assetId>`."""
        return ref if ref.startswith("id:") else f"insights_hub.assets.{ref}"


def _deps(*refs: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(r for r in refs if r and r.startswith("insights_hub.")))


def _asset(key: str, asset: Asset, res: _Resolver) -> Resource:
    type_id, type_dep = res.asset_type(asset.type)
    parent = res.parent(asset.parent)
    location = None
    if asset.location is not None:
        dumped = asset.location.model_dump(exclude_none=True)
        location = {_LOCATION_FIELDS.get(k, k): v for k, v in dumped.items()} or None
    attrs: JSONDict = {
        "name": asset.name,
        "type": type_id,
        "parent": parent,
        "external_id": asset.external_id,
        "description": asset.description,
        "variables": {n: scalar_text(v) for n, v in asset.variables.items() if v is not None},
        "aspects": {a: {n: scalar_text(v) for n, v in values.items() if v is not None}
                    for a, values in asset.aspects.items() if any(v is not None for v in values.values())},
        "location": location,
        "timezone": asset.timezone,
        "twin_type": asset.twin_type or "performance",
    }
    return with_lifecycle(Resource(f"insights_hub.assets.{key}", kinds.ASSET, attrs, _deps(type_dep, parent),
                                   asset.protect, asset.id.lower() if asset.id else None), asset.lifecycle)


def _agent(key: str, agent: Agent, res: _Resolver, first_key: str) -> list[Resource]:
    """`first_key`: the key before any `moved:` rename; the default configuration id comes from
    it, so a renamed agent keeps its data source configuration."""
    address = f"insights_hub.agents.{key}"
    parent = res.parent(agent.parent)
    attrs: JSONDict = {"name": agent.name, "security_profile": agent.security_profile, "parent": parent}
    agent_resource = Resource(address, kinds.AGENT, attrs, _deps(parent), agent.protect,
                              agent.id.lower() if agent.id else None, prune_children=agent.prune_mappings)
    found = [with_lifecycle(agent_resource, agent.lifecycle)]
    dsc_address = f"{address}.data_sources"
    if agent.data_sources:
        sources = {
            name: {
                "description": source.description,
                "data_points": {
                    pid: {"name": p.name, "type": p.type, "unit": blank(p.unit), "description": p.description}
                    for pid, p in source.data_points.items()
                },
            }
            for name, source in agent.data_sources.items()
        }
        configuration_id = agent.configuration_id or first_key[:36]
        dsc: JSONDict = {"configuration_id": configuration_id, "data_sources": sources}
        found.append(Resource(dsc_address, kinds.DATA_SOURCES, dsc, (address,)))
    for m in agent.mappings:
        asset = res.asset(m.asset)
        attrs = {"data_point": m.data_point, "asset": asset, "aspect": m.aspect,
                           "variable": m.variable, "keep_mapping": True}  # survives later DSC PUTs
        found.append(Resource(mapping_address(address, attrs), kinds.MAPPING, attrs,
                              _deps(dsc_address if agent.data_sources else address, asset)))
    for e in agent.event_mappings:
        asset = res.asset(e.asset)
        attrs = {"asset": asset, "event_type": e.event_type, "event_type_name": e.event_type_name,
                 "field": e.field, "value": e.value}
        found.append(Resource(event_mapping_address(address, attrs), kinds.EVENT_MAPPING, attrs,
                              _deps(address, asset)))
    return found


def desired_resources(config: ProjectConfig) -> list[Resource]:
    """Every Insights Hub resource the configuration declares."""
    settings = config.platforms.insights_hub
    hub = config.insights_hub
    if settings is None:
        return []
    res = _Resolver(config, settings.tenant)
    found: list[Resource] = []
    for name, aspect_type in hub.aspect_types.items():
        attrs: JSONDict = {"category": aspect_type.category, "description": aspect_type.description,
                           "variables": {n: _variable(v) for n, v in aspect_type.variables.items()}}
        found.append(with_lifecycle(Resource(f"insights_hub.aspect_types.{name}", kinds.ASPECT_TYPE, attrs,
                                             protect=aspect_type.protect, external=aspect_type.external,
                                             take_over_from=aspect_type.take_over_from),
                                    aspect_type.lifecycle))
    for name, asset_type in hub.asset_types.items():
        parent_id, parent_dep = res.asset_type(asset_type.parent)
        aspects = {a: res.aspect_type(t) for a, t in asset_type.aspects.items()}
        attrs = {"parent": parent_id, "description": asset_type.description,
                 "instantiable": asset_type.instantiable,
                 "aspects": {a: t for a, (t, _) in aspects.items()},
                 "variables": {n: _variable(v) for n, v in asset_type.variables.items()}}
        deps = _deps(parent_dep, *(d for _, d in aspects.values()))
        type_resource = Resource(f"insights_hub.asset_types.{name}", kinds.ASSET_TYPE, attrs, deps,
                                 asset_type.protect, external=asset_type.external,
                                 take_over_from=asset_type.take_over_from)
        found.append(with_lifecycle(type_resource, asset_type.lifecycle))
    found += [_asset(key, asset, res) for key, asset in hub.assets.items()]
    earlier = {m.to: m.from_ for m in config.moved}
    for key, agent in hub.agents.items():
        first = f"insights_hub.agents.{key}"
        seen = {first}
        while earlier.get(first, first) not in seen:  # a chain of renames, followed to its start
            first = earlier[first]
            seen.add(first)
        found += _agent(key, agent, res, first.rsplit(".", 1)[-1])
    return with_moves(found, config.moved)
