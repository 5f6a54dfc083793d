"""Semantic checks of Insights Hub resources."""

from __future__ import annotations

import zoneinfo
from collections import Counter
from functools import cache

from provisioner.config import addresses as addr
from provisioner.config import rules
from provisioner.config.locations import Path
from provisioner.config.schema import (
    Agent,
    AspectType,
    AspectVariable,
    Asset,
    AssetRef,
    AssetTypeVariable,
    ParentRef,
)
from provisioner.config.validate import Checker, cycle_text, did_you_mean, find_cycles

IH = addr.IH
ASPECT_TYPES: Path = (IH, "aspect_types")
ASSET_TYPES: Path = (IH, "asset_types")
ASSETS: Path = (IH, "assets")
AGENTS: Path = (IH, "agents")


@cache
def _zones() -> frozenset[str]:
    try:
        return frozenset(zoneinfo.available_timezones())
    except OSError:  # pragma: no cover - no tz database on this machine
        return frozenset()


class InsightsHubChecker:
    """Checks one project's Insights Hub section; resolves type references by name or id."""

    def __init__(self, checker: Checker) -> None:
        self.c = checker
        self.ih = checker.config.insights_hub
        settings = checker.config.platforms.insights_hub
        self.tenant = settings.tenant if settings else None
        self.aspect_by_lower = {name.lower(): name for name in self.ih.aspect_types}
        self.asset_type_by_lower = {name.lower(): name for name in self.ih.asset_types}

    # ------------------------------------------------------------------ resolution

    def _resolve(self, ref: str, by_lower: dict[str, str]) -> str | None:
        if ref in by_lower.values():
            return ref
        low = ref.lower()
        if self.tenant and low.startswith(self.tenant.lower() + "."):
            found = by_lower.get(low[len(self.tenant) + 1 :])
            if found:
                return found
        return by_lower.get(low)

    def aspect_type(self, ref: str) -> str | None:
        """The project's aspect type name that `ref` (name or `<tenant>.<name>`) refers to."""
        return self._resolve(ref, self.aspect_by_lower)

    def asset_type(self, ref: str) -> str | None:
        """The project's asset type name for `ref`; None for built-ins and unknown types."""
        return self._resolve(ref, self.asset_type_by_lower)

    def is_builtin(self, ref: str) -> bool:
        return ref.lower() in rules.BUILTIN_ASSET_TYPES

    def family_aspects(self, type_name: str) -> dict[str, str | None]:
        """Aspect name → aspect type name (None if unresolved) of a type and its ancestors."""
        out: dict[str, str | None] = {}
        seen: set[str] = set()
        current: str | None = type_name
        while current is not None and current not in seen:
            seen.add(current)
            asset_type = self.ih.asset_types[current]
            for aspect, ref in asset_type.aspects.items():
                out.setdefault(aspect, self.aspect_type(ref))
            current = self.asset_type(asset_type.parent)
        return out

    def family_variables(self, type_name: str) -> dict[str, AssetTypeVariable]:
        out: dict[str, AssetTypeVariable] = {}
        seen: set[str] = set()
        current: str | None = type_name
        while current is not None and current not in seen:
            seen.add(current)
            for name, variable in self.ih.asset_types[current].variables.items():
                out.setdefault(name, variable)
            current = self.asset_type(self.ih.asset_types[current].parent)
        return out

    def asset_type_names(self) -> list[str]:
        """What an asset type reference may name: the project's types and the built-in ones."""
        return [*self.ih.asset_types, *rules.BUILTIN_ASSET_TYPES]

    def unchecked_mappings(self, asset_key: str) -> str:
        """` (5 mappings to this asset are not checked until it is fixed)`: their errors would
        follow from this one; empty when no mapping uses the asset."""
        count = sum(1 for agent in self.ih.agents.values() for m in agent.mappings if m.asset == asset_key)
        if not count:
            return ""
        return (f" ({count} mapping{'s' if count != 1 else ''} to this asset "
                f"{'are' if count != 1 else 'is'} not checked until it is fixed)")

    # ------------------------------------------------------------------ checks

    def run(self) -> None:
        ih = self.ih
        if (ih.aspect_types or ih.asset_types or ih.assets or ih.agents) and self.tenant is None:
            self.c.error(
                "Insights Hub resources need platforms.insights_hub settings", (IH,), IH, at_key=True
            )
        self.check_type_ids()
        for name, aspect_type in ih.aspect_types.items():
            self.check_aspect_type(name, aspect_type)
        for name in ih.asset_types:
            self.check_asset_type(name)
        for cycle in find_cycles({n: self.asset_type(t.parent) for n, t in ih.asset_types.items()}):
            self.c.error(
                f"asset type parent cycle: {cycle_text(cycle)}",
                (*ASSET_TYPES, cycle[0], "parent"),
                addr.asset_type(cycle[0]),
            )
        for key, asset in ih.assets.items():
            self.check_asset(key, asset)
        parents = {
            k: a.parent if isinstance(a.parent, str) and a.parent in ih.assets else None
            for k, a in ih.assets.items()
        }
        for cycle in find_cycles(parents):
            self.c.error(
                f"asset parent cycle: {cycle_text(cycle)}",
                (*ASSETS, cycle[0], "parent"),
                addr.asset(cycle[0]),
            )
        names: dict[str, str] = {}
        for key, agent in ih.agents.items():
            self.check_agent(key, agent)
            if agent.name in names:
                self.c.error(
                    f"agent name {agent.name!r} is used twice (also by "
                    f"{addr.agent(names[agent.name])} at {self.c.where((*AGENTS, names[agent.name]))})",
                    (*AGENTS, key, "name"),
                    addr.agent(key),
                )
            else:
                names[agent.name] = key

    def check_type_ids(self) -> None:
        for collection, names, make in (
            (ASPECT_TYPES, self.ih.aspect_types, addr.aspect_type),
            (ASSET_TYPES, self.ih.asset_types, addr.asset_type),
        ):
            first: dict[str, str] = {}
            for name in names:
                low = name.lower()
                if low in first:
                    self.c.error(
                        f"type ids compare case-insensitively: {name!r} clashes with "
                        f"{first[low]!r} at {self.c.where((*collection, first[low]))}",
                        (*collection, name),
                        make(name),
                        at_key=True,
                    )
                else:
                    first[low] = name
                if self.tenant and len(self.tenant) + 1 + len(name) > rules.TYPE_ID_MAX:
                    self.c.error(
                        f"type id {self.tenant}.{name} is longer than {rules.TYPE_ID_MAX} characters",
                        (*collection, name),
                        make(name),
                        at_key=True,
                    )

    def check_description(self, description: str | None, path: Path, address: str, *, quote: bool) -> None:
        if description is None:
            return
        if len(description) > rules.DESCRIPTION_MAX:
            self.c.error(
                f"description is longer than {rules.DESCRIPTION_MAX} characters",
                (*path, "description"),
                address,
            )
        if quote and "'" in description:
            self.c.error("description may not contain ' (apostrophe)", (*path, "description"), address)

    def check_variable(
        self,
        name: str,
        variable: AspectVariable | AssetTypeVariable,
        path: Path,
        address: str,
        *,
        dynamic: bool,
    ) -> None:
        """Rules shared by aspect type and asset type variables."""
        vpath = (*path, "variables", name)
        if not rules.VARIABLE_NAME.fullmatch(name):
            self.c.error(f"bad variable name {name!r}: {rules.VARIABLE_RULE}", vpath, address, at_key=True)
        if name in rules.RESERVED_VARIABLES:
            self.c.error(f"variable name {name!r} is a reserved word", vpath, address, at_key=True)
        if variable.unit is not None and len(variable.unit) > rules.UNIT_MAX:
            self.c.error(f"unit is longer than {rules.UNIT_MAX} characters", (*vpath, "unit"), address)
        if variable.unit is not None and "'" in variable.unit:
            self.c.error("unit may not contain ' (apostrophe)", (*vpath, "unit"), address)
        if variable.type == "BIG_STRING" and not dynamic:
            self.c.error("BIG_STRING is only allowed in dynamic aspect types", (*vpath, "type"), address)
        if variable.type == "BIG_STRING" and variable.length is None:
            self.c.error("a BIG_STRING variable needs a length (1-100000; all BIG_STRING lengths of an "
                         "aspect type add up to at most 100000)", (*vpath, "type"), address)
        if variable.length is not None:
            limit = {"STRING": rules.STRING_MAX, "BIG_STRING": rules.BIG_STRING_MAX}.get(variable.type)
            if limit is None:
                self.c.error("length is only allowed for STRING and BIG_STRING", (*vpath, "length"), address)
            elif not 1 <= variable.length <= limit:
                self.c.error(f"{variable.type} length must be 1-{limit}", (*vpath, "length"), address)
        if variable.default is not None:
            if dynamic:
                self.c.error(
                    "default values are only allowed in static aspect types", (*vpath, "default"), address
                )
            problem = rules.value_problem(variable.type, variable.default)
            if (
                problem is None
                and variable.length is not None
                and len(str(variable.default)) > variable.length
            ):
                problem = f"is longer than length {variable.length}"
            if problem:
                self.c.error(f"default {problem}", (*vpath, "default"), address)

    def check_aspect_type(self, name: str, aspect_type: AspectType) -> None:
        path = (*ASPECT_TYPES, name)
        address = addr.aspect_type(name)
        if not rules.ASPECT_TYPE_NAME.fullmatch(name):
            self.c.error(
                f"bad aspect type name {name!r}: 1-128 characters [a-zA-Z0-9_]", path, address, at_key=True
            )
        self.check_description(aspect_type.description, path, address, quote=True)
        dynamic = aspect_type.category == "dynamic"
        for var_name, variable in aspect_type.variables.items():
            self.check_variable(var_name, variable, path, address, dynamic=dynamic)
        total = sum(v.length or 0 for v in aspect_type.variables.values() if v.type == "BIG_STRING")
        if total > rules.BIG_STRING_MAX:
            self.c.error(
                f"BIG_STRING lengths add up to {total}, more than {rules.BIG_STRING_MAX}",
                (*path, "variables"),
                address,
                at_key=True,
            )

    def check_asset_type(self, name: str) -> None:
        asset_type = self.ih.asset_types[name]
        path = (*ASSET_TYPES, name)
        address = addr.asset_type(name)
        if not rules.ASSET_TYPE_NAME.fullmatch(name):
            self.c.error(
                f"bad asset type name {name!r}: 1-128 letters, digits, '_', '.' or spaces",
                path,
                address,
                at_key=True,
            )
        self.check_description(asset_type.description, path, address, quote=False)
        parent = self.asset_type(asset_type.parent)
        if (
            parent is None
            and not self.is_builtin(asset_type.parent)
            and not self.c.was_invalid(ASSET_TYPES, asset_type.parent)
        ):
            hint = did_you_mean(asset_type.parent, self.asset_type_names())
            self.c.error(f"unknown asset type {asset_type.parent!r} (parent){hint}", (*path, "parent"),
                         address)
        inherited_aspects = self.family_aspects(parent) if parent and parent != name else {}
        inherited_vars = self.family_variables(parent) if parent and parent != name else {}
        for aspect, ref in asset_type.aspects.items():
            apath = (*path, "aspects", aspect)
            if not rules.ASPECT_NAME.fullmatch(aspect):
                self.c.error(
                    f"bad aspect name {aspect!r}: 1-64 characters [a-zA-Z0-9_]", apath, address, at_key=True
                )
            if aspect in inherited_aspects:
                self.c.error(
                    f"aspect {aspect!r} is already defined by a parent type", apath, address, at_key=True
                )
            if self.aspect_type(ref) is None and not self.c.was_invalid(ASPECT_TYPES, ref):
                self.c.error(f"unknown aspect type {ref!r}{did_you_mean(ref, self.ih.aspect_types)}", apath,
                             address)
        for var_name, variable in asset_type.variables.items():
            self.check_variable(var_name, variable, path, address, dynamic=False)
            if var_name in inherited_vars:
                self.c.error(
                    f"variable {var_name!r} is already defined by a parent type",
                    (*path, "variables", var_name),
                    address,
                    at_key=True,
                )

    def check_parent(self, parent: ParentRef, path: Path, address: str) -> None:
        if isinstance(parent, AssetRef) or parent == "root":
            return
        if parent not in self.ih.assets and not self.c.was_invalid(ASSETS, parent):
            hint = did_you_mean(parent, self.ih.assets) or ": use root, an asset key or {id: <assetId>}"
            self.c.error(
                f"unknown asset {parent!r} (parent){hint}",
                (*path, "parent"),
                address,
            )

    def check_asset(self, key: str, asset: Asset) -> None:
        path = (*ASSETS, key)
        address = addr.asset(key)
        if not rules.KEY.fullmatch(key):
            self.c.error(f"bad asset key {key!r}: {rules.KEY_RULE}", path, address, at_key=True)
        if not 1 <= len(asset.name) <= rules.ASSET_NAME_MAX or "/" in asset.name or "\\" in asset.name:
            self.c.error(
                f"bad asset name {asset.name!r}: 1-128 characters without / or \\", (*path, "name"), address
            )
        self.check_description(asset.description, path, address, quote=True)
        self.check_parent(asset.parent, path, address)
        if asset.timezone is not None and _zones() and asset.timezone not in _zones():
            self.c.error(f"unknown time zone {asset.timezone!r}", (*path, "timezone"), address)
        type_name = self.asset_type(asset.type)
        if type_name is None:
            if not self.is_builtin(asset.type) and not self.c.was_invalid(ASSET_TYPES, asset.type):
                self.c.error(f"unknown asset type {asset.type!r}"
                             f"{did_you_mean(asset.type, self.asset_type_names())}"
                             f"{self.unchecked_mappings(key)}", (*path, "type"), address)
            return
        if not self.ih.asset_types[type_name].instantiable:
            self.c.error(f"asset type {type_name!r} is not instantiable", (*path, "type"), address)
        variables = self.family_variables(type_name)
        for name, value in asset.variables.items():
            variable = variables.get(name)
            if variable is None:
                self.c.error(
                    f"asset type {type_name!r} has no variable {name!r}{did_you_mean(name, variables)}",
                    (*path, "variables", name),
                    address,
                    at_key=True,
                )
                continue
            problem = rules.value_problem(variable.type, value)
            if problem:
                self.c.error(f"value of {name} {problem}", (*path, "variables", name), address)
        aspects = self.family_aspects(type_name)
        for aspect, values in asset.aspects.items():
            apath = (*path, "aspects", aspect)
            if aspect not in aspects:
                self.c.error(
                    f"asset type {type_name!r} has no aspect {aspect!r}{did_you_mean(aspect, aspects)}",
                    apath, address, at_key=True
                )
                continue
            aspect_type_name = aspects[aspect]
            if aspect_type_name is None:
                continue
            aspect_type = self.ih.aspect_types[aspect_type_name]
            if aspect_type.category != "static":
                self.c.error(
                    f"aspect {aspect!r} is dynamic: only static aspects take values here",
                    apath,
                    address,
                    at_key=True,
                )
                continue
            for var_name, value in values.items():
                variable_def = aspect_type.variables.get(var_name)
                if variable_def is None:
                    self.c.error(
                        f"aspect type {aspect_type_name!r} has no variable {var_name!r}"
                        f"{did_you_mean(var_name, aspect_type.variables)}",
                        (*apath, var_name),
                        address,
                        at_key=True,
                    )
                    continue
                problem = rules.value_problem(variable_def.type, value)
                if problem:
                    self.c.error(f"value of {aspect}.{var_name} {problem}", (*apath, var_name), address)

    def check_agent(self, key: str, agent: Agent) -> None:
        path = (*AGENTS, key)
        address = addr.agent(key)
        if not rules.KEY.fullmatch(key):
            self.c.error(f"bad agent key {key!r}: {rules.KEY_RULE}", path, address, at_key=True)
        self.check_parent(agent.parent, path, address)
        points: dict[str, str] = {}
        for source_name, source in agent.data_sources.items():
            spath = (*path, "data_sources", source_name)
            dsc = addr.data_sources(key)
            if not 1 <= len(source_name) <= rules.DATA_SOURCE_NAME_MAX:
                self.c.error(
                    f"data source name must be 1-{rules.DATA_SOURCE_NAME_MAX} characters",
                    spath,
                    dsc,
                    at_key=True,
                )
            for point_id in source.data_points:
                ppath = (*spath, "data_points", point_id)
                if not 1 <= len(point_id) <= rules.DATA_POINT_ID_MAX:
                    self.c.error(
                        f"data point id must be 1-{rules.DATA_POINT_ID_MAX} characters",
                        ppath,
                        dsc,
                        at_key=True,
                    )
                if point_id in points:
                    self.c.error(
                        f"data point id {point_id!r} is used twice in this configuration (also in "
                        f"data source {points[point_id]!r})",
                        ppath,
                        dsc,
                        at_key=True,
                    )
                else:
                    points[point_id] = source_name
        self.check_mappings(key, agent, path)
        self.check_event_mappings(key, agent, path)

    def check_mappings(self, key: str, agent: Agent, path: Path) -> None:
        points = {pid: p for s in agent.data_sources.values() for pid, p in s.data_points.items()}
        seen: dict[tuple[str, str, str, str], int] = {}
        targets: dict[tuple[str, str, str], tuple[str, int]] = {}
        for index, m in enumerate(agent.mappings):
            mpath = (*path, "mappings", index)
            address = addr.mapping(key, m)
            ident = (m.data_point, m.asset, m.aspect, m.variable)
            if ident in seen:
                self.c.error(
                    f"duplicate mapping (first at {self.c.where((*path, 'mappings', seen[ident]))})",
                    mpath,
                    address,
                    at_key=True,
                )
                continue
            seen[ident] = index
            same_aspect = (m.data_point, m.asset, m.aspect)
            if same_aspect in targets:
                other, other_index = targets[same_aspect]
                self.c.error(
                    f"data point {m.data_point!r} is already mapped to {m.aspect}.{other} of asset "
                    f"{m.asset!r} (at {self.c.where((*path, 'mappings', other_index))}); a data point "
                    "maps to at most one variable of an aspect",
                    (*mpath, "variable"),
                    address,
                )
            else:
                targets[same_aspect] = (m.variable, index)
            point = points.get(m.data_point)
            if point is None:
                self.c.error(
                    f"unknown data point {m.data_point!r} (not in this agent's data sources)"
                    f"{did_you_mean(m.data_point, points)}",
                    (*mpath, "data_point"),
                    address,
                )
            asset = self.ih.assets.get(m.asset)
            if asset is None:
                if not self.c.was_invalid(ASSETS, m.asset):
                    self.c.error(f"unknown asset {m.asset!r}{did_you_mean(m.asset, self.ih.assets)}",
                                 (*mpath, "asset"), address)
                continue
            type_name = self.asset_type(asset.type)
            if type_name is None and not self.is_builtin(asset.type):
                continue  # the asset's unknown type is the cause, reported once at the asset
            if type_name is None:
                self.c.error(
                    f"asset {m.asset!r} has no aspects this project defines (type {asset.type})",
                    (*mpath, "aspect"),
                    address,
                )
                continue
            aspects = self.family_aspects(type_name)
            if m.aspect not in aspects:
                self.c.error(
                    f"asset {m.asset!r} (type {type_name}) has no aspect {m.aspect!r}"
                    f"{did_you_mean(m.aspect, aspects)}",
                    (*mpath, "aspect"),
                    address,
                )
                continue
            aspect_type_name = aspects[m.aspect]
            if aspect_type_name is None:
                continue
            aspect_type = self.ih.aspect_types[aspect_type_name]
            variable = aspect_type.variables.get(m.variable)
            if variable is None:
                self.c.error(
                    f"aspect {m.aspect!r} (type {aspect_type_name}) has no variable {m.variable!r}"
                    f"{did_you_mean(m.variable, aspect_type.variables)}",
                    (*mpath, "variable"),
                    address,
                )
                continue
            if aspect_type.category != "dynamic":
                self.c.error(
                    f"aspect {m.aspect!r} is static; data points map to dynamic aspects",
                    (*mpath, "aspect"),
                    address,
                )
            if point is None:
                continue
            if point.type != variable.type:
                self.c.error(
                    f"INVALID_TYPE: data point {m.data_point} is {point.type}, variable "
                    f"{m.aspect}.{m.variable} is {variable.type}",
                    (*mpath, "variable"),
                    address,
                )
            if (point.unit or "") != (variable.unit or ""):
                self.c.error(
                    f"INVALID_UNIT: data point {m.data_point} has unit {point.unit or '(none)'!r}, "
                    f"variable {m.aspect}.{m.variable} has {variable.unit or '(none)'!r}",
                    (*mpath, "variable"),
                    address,
                )

    def check_event_mappings(self, key: str, agent: Agent, path: Path) -> None:
        mappings = agent.event_mappings
        if len(mappings) > rules.EVENT_MAPPINGS_PER_AGENT:
            self.c.error(
                f"{len(mappings)} event mappings: an agent has at most {rules.EVENT_MAPPINGS_PER_AGENT}",
                (*path, "event_mappings"),
                addr.agent(key),
                at_key=True,
            )
        per_type = Counter(e.event_type for e in mappings)
        reported: set[str] = set()
        seen: dict[tuple[str, str, str, str], int] = {}
        for index, e in enumerate(mappings):
            epath = (*path, "event_mappings", index)
            address = addr.event_mapping(key, e)
            if per_type[e.event_type] > rules.EVENT_MAPPINGS_PER_TYPE and e.event_type not in reported:
                reported.add(e.event_type)
                self.c.error(
                    f"{per_type[e.event_type]} event mappings for event type {e.event_type}: at most "
                    f"{rules.EVENT_MAPPINGS_PER_TYPE} per agent and event type",
                    (*epath, "event_type"),
                    address,
                )
            ident = (e.asset, e.event_type, e.field, e.value)
            if ident in seen:
                self.c.error(
                    f"duplicate event mapping (first at "
                    f"{self.c.where((*path, 'event_mappings', seen[ident]))})",
                    epath,
                    address,
                    at_key=True,
                )
            else:
                seen[ident] = index
            if e.asset not in self.ih.assets and not self.c.was_invalid(ASSETS, e.asset):
                self.c.error(f"unknown asset {e.asset!r}{did_you_mean(e.asset, self.ih.assets)}",
                             (*epath, "asset"), address)


def check_insights_hub(checker: Checker) -> None:
    InsightsHubChecker(checker).run()
