"""Insights Hub live objects -> configuration entries (types, assets, agents) and findings.

Reuses the provider's normalization (`providers.insights_hub.normalize`), so what is written
compares equal to what the provider reads back. Two steps, because data source configurations
have no list endpoint: `HubImport(...)` selects from the list reads and names the agents whose
configuration must be read; `build()` then writes the entries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from provisioner.config import rules
from provisioner.errors import ProvisionError
from provisioner.importer.keys import Candidate, allocate, slug
from provisioner.importer.model import Entry, Imported, JSONDict
from provisioner.importer.select import Selection
from provisioner.importer.values import compact, typed
from provisioner.providers.insights_hub import normalize as norm
from provisioner.providers.insights_hub.lease import is_lease_type
from provisioner.providers.insights_hub.live import Snapshot
from provisioner.providers.marker import split_description

IH = "insights_hub"
TYPES_GROUP = "types"
PROFILES = ("SHARED_SECRET", "RSA_3072")
NO_FILES = "file assignments are not expressible; they stay on the service, unmanaged"
_LOCATION = {"country": "country", "region": "region", "locality": "locality",
             "streetAddress": "street_address", "postalCode": "postal_code",
             "longitude": "longitude", "latitude": "latitude"}


def variable_body(attrs: Mapping[str, Any], *, quality: bool) -> JSONDict:
    """A normalized type variable with its defaults left out."""
    return compact({
        "type": attrs["type"],
        "unit": attrs.get("unit"),
        "length": attrs.get("length"),
        "quality_code": True if quality and attrs.get("quality_code") else None,
        "searchable": True if attrs.get("searchable") else None,
        "default": typed(attrs.get("default")),
    })


class HubImport:
    """One tenant's list reads, the selection made from them, and the entries they give."""

    def __init__(self, snap: Snapshot, *, tenant: str, stack: str, selection: Selection) -> None:
        self.snap = snap
        self.tenant = tenant
        self.stack = stack
        self.out = Imported()
        self.assets = {a["assetId"]: a for a in snap.assets}
        self.agents = {a["id"]: a for a in snap.agents if a["id"] in self.assets}
        # a stack's apply lease is provision's own bookkeeping, not configuration
        self.aspect_types = {t["id"]: t for t in snap.aspect_types if not is_lease_type(t)}
        self.asset_types = {t["id"]: t for t in snap.asset_types}
        self.root_id = next((i for i, a in self.assets.items()
                             if str(a.get("typeId", "")).lower() == "core.basicenterprise"
                             and not a.get("parentId")), None)
        self.children: dict[str, list[str]] = defaultdict(list)
        for asset_id, asset in self.assets.items():
            if asset.get("parentId"):
                self.children[asset["parentId"]].append(asset_id)
        self.regular = {i for i, a in self.assets.items() if i != self.root_id and i not in self.agents}
        self.asset_keys = allocate(Candidate(i, slug(self.assets[i].get("name"), f"asset-{i[:8]}"),
                                             self._parent_slug(i)) for i in self.regular)
        self.agent_keys = allocate(Candidate(i, slug(a.get("name"), f"agent-{i[:8]}"), self._parent_slug(i))
                                   for i, a in self.agents.items())
        for agent in snap.agents:
            if agent["id"] not in self.agents:
                self.out.skip(f"agent {agent.get('name')!r} ({agent['id']})",
                              "its core.mclib asset is missing")
        self._select(selection)

    # -- selection ---------------------------------------------------------------------------------
    def _parent_slug(self, asset_id: str) -> str | None:
        parent = self.assets[asset_id].get("parentId")
        if not parent or parent == self.root_id or parent not in self.assets:
            return None
        return slug(self.assets[parent].get("name"), parent[:8])

    def _find_asset(self, value: str) -> str:
        by_key = {k: i for i, k in self.asset_keys.items()}
        found = by_key.get(value) or next((i for i in self.assets if i.lower() == value.lower()), None)
        if found is None:
            raise ProvisionError(f"--select asset:{value}: no asset has that key or id")
        return found

    def _subtree(self, asset_id: str) -> list[str]:
        found, stack = [], [asset_id]
        while stack:
            current = stack.pop()
            found.append(current)
            stack.extend(self.children.get(current, ()))
        return found

    def _select(self, sel: Selection) -> None:
        assets: set[str] = set(self.regular) if sel.kind("assets") else set()
        agents: set[str] = set(self.agents) if sel.kind("agents") else set()
        aspect_types = set(self.aspect_types) if sel.kind("aspect_types") else set()
        asset_types = set(self.asset_types) if sel.kind("asset_types") else set()
        for value in sel.values("asset"):
            for asset_id in self._subtree(self._find_asset(value)):
                (agents if asset_id in self.agents else assets).add(asset_id)
        assets.update(i for i in self.regular if sel.named(self.assets[i].get("name"), i))
        agents.update(i for i, a in self.agents.items() if sel.named(a.get("name"), i))
        aspect_types.update(i for i, t in self.aspect_types.items() if sel.named(t.get("name"), i))
        asset_types.update(i for i, t in self.asset_types.items() if sel.named(t.get("name"), i))
        assets.discard(self.root_id or "")
        # what the selection refers to: mapped assets, then the types of every asset
        for m in self.snap.mappings:
            if m.get("agentId") in agents and m.get("entityId") in self.regular:
                assets.add(m["entityId"])
        for e in self.snap.event_mappings:
            if e.get("agentId") in agents and e.get("assetId") in self.regular:
                assets.add(e["assetId"])
        pending = [str(self.assets[i].get("typeId")) for i in assets]
        while pending:
            type_id = pending.pop()
            if type_id in self.asset_types and type_id not in asset_types:
                asset_types.add(type_id)
        for type_id in list(asset_types):
            current: str | None = type_id
            while current in self.asset_types:
                asset_types.add(current)
                attrs = norm.asset_type_attrs(self.asset_types[current])
                aspect_types.update(t for t in attrs["aspects"].values() if t in self.aspect_types)
                current = self.asset_types[current].get("parentTypeId")
        self.sel_assets, self.sel_agents = assets, agents
        self.sel_aspect_types, self.sel_asset_types = aspect_types, asset_types

    def agent_ids(self) -> list[str]:
        """Agents whose data source configuration the import needs (one read each)."""
        return sorted(self.sel_agents)

    # -- references ----------------------------------------------------------------------------------
    def _own_type(self, type_id: str) -> str | None:
        """The name of a tenant type that the import writes, else None."""
        prefix = f"{self.tenant}."
        return type_id[len(prefix):] if type_id.startswith(prefix) else None

    def _asset_type_ok(self, type_id: str, seen: frozenset[str] = frozenset()) -> str | None:
        """Why an asset type cannot be written (None when it can)."""
        if type_id.lower() in rules.BUILTIN_ASSET_TYPES:
            return None
        if type_id not in self.asset_types or type_id not in self.sel_asset_types:
            return f"type {type_id} is not one of this tenant's types (shared from another tenant?)"
        if type_id in seen:
            return f"type {type_id} has a parent cycle"
        attrs = norm.asset_type_attrs(self.asset_types[type_id])
        for aspect_type in attrs["aspects"].values():
            if aspect_type not in self.aspect_types:
                return f"aspect type {aspect_type} is not one of this tenant's types (shared?)"
        return self._asset_type_ok(attrs["parent"], seen | {type_id}) if attrs["parent"] else None

    def _type_ref(self, type_id: str) -> str:
        own = self._own_type(type_id)
        return own if own is not None and type_id in self.asset_types else norm.type_ref(type_id)

    def _parent_ref(self, parent_id: str | None) -> str | JSONDict | None:
        if not parent_id or parent_id == self.root_id:
            return None
        if parent_id in self.written_assets:
            return self.asset_keys[parent_id]
        return {"id": parent_id}

    def _group(self, asset_id: str) -> str:
        current = asset_id
        while True:
            parent = self.assets[current].get("parentId")
            if not parent or parent not in self.written_assets:
                return self.asset_keys.get(current) or self.agent_keys[current]
            current = parent

    def _marker_note(self, subject: str, description: str | None) -> None:
        _, stack, _ = split_description(description)
        if stack is not None and stack != self.stack:
            self.out.note(subject, f"was managed by stack {stack!r}; "
                                   f"the next apply moves it to {self.stack!r}")

    # -- entries ---------------------------------------------------------------------------------
    def build(self) -> Imported:
        """Write every selected object that the configuration language can express."""
        asset_type_ok = {t: self._asset_type_ok(t) for t in self.sel_asset_types}
        for type_id in sorted(self.sel_aspect_types):
            self._aspect_type(self.aspect_types[type_id])
        for type_id in sorted(self.sel_asset_types):
            problem = asset_type_ok[type_id]
            if problem:
                self.out.skip(f"asset type {type_id}", f"cannot be written: {problem}")
                continue
            self._asset_type(self.asset_types[type_id])
        self.written_assets: set[str] = set()
        for asset_id in sorted(self.sel_assets, key=lambda i: self.asset_keys[i]):
            asset = self.assets[asset_id]
            subject = f"asset {asset.get('name')!r} ({asset_id})"
            type_id = str(asset.get("typeId") or "")
            problem = "it is a core.mclib asset without an agent" if type_id.lower() == "core.mclib" \
                else self._asset_type_ok(type_id)
            if problem:
                self.out.skip(subject, f"cannot be written: {problem}")
                continue
            self.written_assets.add(asset_id)
        for asset_id in self._tree_order(self.written_assets):
            self._asset(asset_id)
        names: dict[str, str] = {}
        for agent_id in sorted(self.sel_agents, key=lambda i: self.agent_keys[i]):
            agent = self.agents[agent_id]
            subject = f"agent {agent.get('name')!r} ({agent_id})"
            if agent.get("securityProfile") not in PROFILES:
                self.out.skip(subject, f"security profile {agent.get('securityProfile')} is not expressible "
                                       f"(only {' and '.join(PROFILES)}); its mappings are skipped with it")
                continue
            if agent.get("name") in names:
                self.out.skip(subject, f"agent names must be unique; {names[agent['name']]} has the same "
                                       "name")
                continue
            names[str(agent.get("name"))] = agent_id
            self._agent(agent_id)
        return self.out

    def _asset_key(self, asset_id: str) -> str:
        return self.asset_keys[asset_id]

    def _tree_order(self, ids: set[str]) -> list[str]:
        """Parents before children, siblings by key."""
        ordered: list[str] = []
        roots = sorted((i for i in ids if self.assets[i].get("parentId") not in ids), key=self._asset_key)
        stack = list(reversed(roots))
        while stack:
            current = stack.pop()
            ordered.append(current)
            kids = sorted((c for c in self.children.get(current, ()) if c in ids), key=self._asset_key)
            stack.extend(reversed(kids))
        return ordered

    def _aspect_type(self, live: JSONDict) -> None:
        attrs = norm.aspect_type_attrs(live)
        self._marker_note(f"aspect type {live['id']}", live.get("description"))
        body = compact({
            "category": attrs["category"],
            "description": attrs["description"],
            "variables": {n: variable_body(v, quality=True) for n, v in attrs["variables"].items()},
        })
        self.out.entries.append(Entry((IH, "aspect_types", str(live["name"])), body, TYPES_GROUP))

    def _asset_type(self, live: JSONDict) -> None:
        attrs = norm.asset_type_attrs(live)
        subject = f"asset type {live['id']}"
        self._marker_note(subject, live.get("description"))
        if live.get("fileAssignments"):
            self.out.note(subject, NO_FILES)
        aspects = {a: self._own_type(t) or t for a, t in attrs["aspects"].items()}
        body = compact({
            "parent": None if attrs["parent"] == "core.basicasset" else self._type_ref(attrs["parent"]),
            "description": attrs["description"],
            "aspects": aspects,
            "variables": {n: variable_body(v, quality=False) for n, v in attrs["variables"].items()},
            "instantiable": None if attrs["instantiable"] else False,
        })
        self.out.entries.append(Entry((IH, "asset_types", str(live["name"])), body, TYPES_GROUP))

    def _asset(self, asset_id: str) -> None:
        live = self.assets[asset_id]
        subject = f"asset {live.get('name')!r} ({asset_id})"
        attrs = norm.asset_attrs(live, "root")
        self._marker_note(subject, live.get("description"))
        if live.get("fileAssignments"):
            self.out.note(subject, NO_FILES)
        location: JSONDict = {}
        for name, value in (attrs["location"] or {}).items():
            if name in _LOCATION:
                location[_LOCATION[name]] = value
            else:
                self.out.note(subject, f"location field {name!r} is not expressible; it is not managed")
        parent = self.assets.get(str(live.get("parentId")))
        inherited = parent.get("timezone") if parent else None
        body = compact({
            "name": attrs["name"],
            "type": self._type_ref(str(live.get("typeId") or "")),
            "parent": self._parent_ref(live.get("parentId")),
            "external_id": attrs["external_id"],
            "description": attrs["description"],
            "variables": {n: typed(v) for n, v in attrs["variables"].items()},
            "aspects": {a: {n: typed(v) for n, v in values.items()}
                        for a, values in attrs["aspects"].items()},
            "location": location,
            "timezone": attrs["timezone"] if attrs["timezone"] != inherited else None,
            "twin_type": attrs["twin_type"] if attrs["twin_type"] != "performance" else None,
            "id": asset_id,
        })
        self.out.entries.append(Entry((IH, "assets", self.asset_keys[asset_id]), body, self._group(asset_id)))

    def _agent(self, agent_id: str) -> None:
        agent = self.agents[agent_id]
        key = self.agent_keys[agent_id]
        subject = f"agent {agent.get('name')!r} ({agent_id})"
        asset = self.assets[agent_id]
        self._marker_note(subject, asset.get("description"))
        body: JSONDict = {
            "name": agent.get("name"),
            "parent": self._parent_ref(asset.get("parentId")),
            "security_profile": None if agent.get("securityProfile") == "SHARED_SECRET"
            else agent.get("securityProfile"),
        }
        points: set[str] = set()
        dsc = self.snap.dscs.get(agent_id) or {}
        if dsc.get("configurationId"):
            attrs = norm.dsc_attrs(dsc)
            if attrs["configuration_id"] != key[:36]:
                body["configuration_id"] = attrs["configuration_id"]
            sources: JSONDict = {}
            for name, source in attrs["data_sources"].items():
                data_points = {pid: compact(dict(p)) for pid, p in source["data_points"].items()}
                points.update(data_points)
                sources[name] = compact({"description": source["description"], "data_points": data_points})
            body["data_sources"] = sources
            if not sources:
                self.out.note(subject, "its data source configuration has no data sources; "
                                       "the plan removes it")
            if _has_custom_data(dsc):
                self.out.note(subject, "customData in its data source configuration is not expressible; "
                                       "it is lost when the data sources are next changed")
        body["mappings"] = self._mappings(agent_id, subject, points)
        body["event_mappings"] = self._event_mappings(agent_id, subject)
        body["id"] = agent_id
        parent = asset.get("parentId")
        group = self._group(parent) if parent in self.written_assets else key
        self.out.entries.append(Entry((IH, "agents", key), compact(body), group))

    def _mappings(self, agent_id: str, subject: str, points: set[str]) -> list[JSONDict]:
        found = []
        for m in self.snap.mappings:
            if m.get("agentId") != agent_id:
                continue
            what = (f"mapping {m.get('dataPointId')} -> {m.get('propertySetName')}.{m.get('propertyName')} "
                    f"of asset {m.get('entityId')}")
            if m.get("entityId") not in self.written_assets:
                self.out.skip(f"{subject}: {what}", "its asset is not in the written project")
                continue
            if m.get("dataPointId") not in points:
                self.out.skip(f"{subject}: {what}", "its data point is not in the agent's data sources")
                continue
            if not m.get("keepMapping"):
                self.out.note(f"{subject}: {what}",
                              "has keepMapping=false; the configuration always uses true, "
                              "so the next apply re-creates it (mappings hold no data)")
            found.append({"data_point": m["dataPointId"], "asset": self.asset_keys[m["entityId"]],
                          "aspect": m.get("propertySetName"), "variable": m.get("propertyName")})
        return sorted(found, key=lambda x: (x["data_point"], x["asset"], x["aspect"], x["variable"]))

    def _event_mappings(self, agent_id: str, subject: str) -> list[JSONDict]:
        found = []
        for e in self.snap.event_mappings:
            if e.get("agentId") != agent_id:
                continue
            if e.get("assetId") not in self.written_assets:
                self.out.skip(f"{subject}: event mapping {e.get('eventTypeId')} ({e.get('id')})",
                              "its asset is not in the written project")
                continue
            attrs = norm.event_mapping_attrs(e, self.asset_keys[e["assetId"]])
            found.append({k: attrs[k] for k in ("asset", "event_type", "event_type_name", "field", "value")})
        return sorted(found, key=lambda x: (x["asset"], x["event_type"], x["field"], x["value"]))


def _has_custom_data(dsc: Mapping[str, Any]) -> bool:
    holders: list[Any] = [dsc, *(dsc.get("dataSources") or [])]
    holders += [p for s in dsc.get("dataSources") or [] for p in s.get("dataPoints") or []]
    return any(isinstance(h, Mapping) and h.get("customData") for h in holders)
