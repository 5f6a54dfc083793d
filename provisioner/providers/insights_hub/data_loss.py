"""What an Insights Hub change destroys, named for a person, counted from the live tenant.

Time series hang on the asset, the aspect and the variable: deleting or replacing an asset (or
an agent's asset) loses its history; removing or renaming a variable of an aspect type loses
that variable's history on every asset whose type has an aspect of that type (subtypes
included); removing an aspect from an asset type, or pointing it at another aspect type, loses
that aspect on every asset of the type; removing an asset-type variable loses its values. A
unit change is kept as data loss too: the service relabels the stored values without
converting them (reference `insights-hub-api.md`, `PATCH /assettypes/{id}/variables`: "the
unit change does not convert stored values"). A deleted data point mapping whose variable no
other mapping of the configuration feeds leaves that variable receiving nothing.

Counts include assets this stack does not manage: the history they hold is lost just the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from provisioner.model import Action, Change, LiveState, Resource
from provisioner.providers.insights_hub import kinds

JSONDict = dict[str, Any]


@dataclass(frozen=True)
class Usage:
    """Which live assets and asset types use which types (from one read of the tenant)."""

    assets_by_type: Mapping[str, int] = field(default_factory=dict)
    child_types: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    types_by_aspect_type: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    type_names: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, asset_types: Iterable[JSONDict], assets: Iterable[JSONDict]) -> Usage:
        assets_by_type: dict[str, int] = {}
        for asset in assets:
            type_id = str(asset.get("typeId") or "")
            assets_by_type[type_id] = assets_by_type.get(type_id, 0) + 1
        children: dict[str, list[str]] = {}
        by_aspect: dict[str, list[str]] = {}
        names: dict[str, str] = {}
        for asset_type in asset_types:
            type_id = str(asset_type.get("id"))
            names[type_id] = str(asset_type.get("name") or type_id)
            parent = asset_type.get("parentTypeId")
            if parent:
                children.setdefault(str(parent), []).append(type_id)
            for aspect in asset_type.get("aspects") or []:
                if (aspect.get("_links") or {}).get("origin"):
                    continue  # inherited: counted through the parent type
                aspect_type = (aspect.get("aspectType") or {}).get("id") or aspect.get("aspectTypeId")
                if aspect_type:
                    by_aspect.setdefault(str(aspect_type), []).append(type_id)
        return cls(assets_by_type, {k: tuple(v) for k, v in children.items()},
                   {k: tuple(v) for k, v in by_aspect.items()}, names)

    def family(self, type_ids: Iterable[str]) -> list[str]:
        """The types and every type derived from them, each once."""
        found: list[str] = []
        todo = list(type_ids)
        while todo:
            type_id = todo.pop(0)
            if type_id not in found:
                found.append(type_id)
                todo.extend(self.child_types.get(type_id, ()))
        return found

    def assets_of(self, type_ids: Iterable[str]) -> int:
        return sum(self.assets_by_type.get(t, 0) for t in self.family(type_ids))

    def names(self, type_ids: Sequence[str]) -> str:
        """`type Engine` / `types Engine, Pump`."""
        shown = [self.type_names.get(t, t) for t in type_ids]
        return f"type{'' if len(shown) == 1 else 's'} {', '.join(shown)}"


def _assets(count: int) -> str:
    return f"{count} asset{'' if count == 1 else 's'}"


def _name(change: Change) -> str:
    attrs = change.before or change.after or {}
    return str(attrs.get("name") or change.address.rsplit(".", 1)[-1])


def _removed_keys(change: Change, top: str) -> list[str]:
    """Keys of map `top` that the change removes (or renames away)."""
    before = (change.before or {}).get(top) or {}
    after = (change.after or {}).get(top) or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    return [k for k in before if k not in after]


def _aspect_type_losses(change: Change, usage: Usage) -> list[str]:
    type_id = change.server_id or ""
    users = list(usage.types_by_aspect_type.get(type_id, ()))
    count = usage.assets_of(users)
    where = f"on {_assets(count)}" + (f" of {usage.names(users)}" if users else "")
    static = (change.before or {}).get("category") == "static"
    what = "values" if static else "history"
    if change.action in (Action.DELETE, Action.REPLACE):
        return [f"{what} of every variable of aspect type {_name(change)} {where}"]
    losses = [f"{what} of variable {v} {where} (variable removed or renamed)"
              for v in _removed_keys(change, "variables")]
    before_vars = (change.before or {}).get("variables") or {}
    after_vars = (change.after or {}).get("variables") or {}
    for name, old in before_vars.items():
        new = after_vars.get(name)
        if isinstance(old, dict) and isinstance(new, dict) and old.get("unit") != new.get("unit"):
            losses.append(f"{what} of variable {name} {where}: unit {old.get('unit')} -> {new.get('unit')}, "
                          "stored values are relabelled, not converted")
    return losses


def _asset_type_losses(change: Change, usage: Usage) -> list[str]:
    if change.action is not Action.UPDATE:
        return []  # its assets are deleted or replaced with it, each named on its own change
    type_id = change.server_id or ""
    where = f"on {_assets(usage.assets_of([type_id]))} of {usage.names(usage.family([type_id]))}"
    losses = [f"history of aspect {a} {where} (aspect removed or renamed)"
              for a in _removed_keys(change, "aspects")]
    before_aspects = (change.before or {}).get("aspects") or {}
    after_aspects = (change.after or {}).get("aspects") or {}
    for name, old in before_aspects.items():
        new = after_aspects.get(name)
        if new is not None and new != old:
            losses.append(f"history of aspect {name} {where} (aspect type {old} -> {new})")
    losses += [f"values of variable {v} {where} (variable removed or renamed)"
               for v in _removed_keys(change, "variables")]
    return losses


def _fed(attrs: Mapping[str, Any]) -> tuple[str, str, str]:
    return str(attrs.get("asset")), str(attrs.get("aspect")), str(attrs.get("variable"))


@dataclass(frozen=True)
class Context:
    """What `losses_of` looks up, indexed once per plan: the mappings per live agent and the
    (asset, aspect, variable) targets the configuration's mappings feed."""

    usage: Usage
    mappings_per_agent: Mapping[str, int]
    fed: frozenset[tuple[str, str, str]]

    @classmethod
    def of(cls, usage: Usage, desired: Sequence[Resource], live: LiveState) -> Context:
        per_agent: dict[str, int] = {}
        for address, resource in live.managed.items():
            if resource.kind == kinds.MAPPING:
                agent = address.split(".mappings.", 1)[0]
                per_agent[agent] = per_agent.get(agent, 0) + 1
        fed = frozenset(_fed(r.attrs) for r in desired if r.kind == kinds.MAPPING)
        return cls(usage, per_agent, fed)


def losses_of(change: Change, context: Context) -> tuple[str, ...]:
    """What `change` destroys; empty when it destroys nothing."""
    usage = context.usage
    found: list[str] = []
    gone = change.action in (Action.DELETE, Action.REPLACE)
    if change.kind == kinds.ASPECT_TYPE and change.action is not Action.CREATE:
        found = _aspect_type_losses(change, usage)
    elif change.kind == kinds.ASSET_TYPE:
        found = _asset_type_losses(change, usage)
    elif change.kind == kinds.ASSET and gone:
        found = [f"time series of asset {_name(change)} ({change.server_id}), every aspect"]
    elif change.kind == kinds.AGENT and gone:
        mappings = context.mappings_per_agent.get(change.address, 0)
        found = [f"agent {_name(change)} ({change.server_id}): its onboarding, data source configuration "
                 f"and {mappings} data point mapping{'' if mappings == 1 else 's'}; data the device has "
                 "not yet sent is lost and the device must be onboarded again"]
    elif change.kind == kinds.MAPPING and change.action is Action.DELETE and change.before:
        target = _fed(change.before)
        if target not in context.fed:
            asset, aspect, variable = target
            found = [f"variable {variable} of aspect {aspect} on {asset} receives nothing: data point "
                     f"{change.before.get('data_point')} was its only mapping"]
    return tuple(found)
