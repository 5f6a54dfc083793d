"""In-memory state of the Insights Hub half, its indexes, and atomic persistence to a JSON file."""

from __future__ import annotations

import json
import os
import random
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provisioner.sandbox.builtins import builtin_aspect_types, builtin_asset_types, root_asset

Doc = dict[str, Any]
STATE_VERSION = 1
# the asset lock an onboarded agent puts on its asset (observed real value, reference 2.5)
ONBOARDED_LOCK = "agentmanagement.agent.onboarded"


class StateFileError(Exception):
    """The state file cannot be used; the message says why and what to do."""


def type_key(type_id: str) -> str:
    """Type ids match case-insensitively (`core.BasicAsset` is `core.basicasset`; reference 2.2)."""
    return type_id.lower()


@dataclass
class IhState:
    """Primary records (persisted) plus indexes derived from them (rebuilt on load)."""

    aspect_types: dict[str, Doc] = field(default_factory=dict)
    asset_types: dict[str, Doc] = field(default_factory=dict)
    assets: dict[str, Doc] = field(default_factory=dict)
    agents: dict[str, Doc] = field(default_factory=dict)
    dscs: dict[str, Doc] = field(default_factory=dict)
    mappings: dict[str, Doc] = field(default_factory=dict)
    event_mappings: dict[str, Doc] = field(default_factory=dict)
    # indexes
    # insertion-ordered (dict as ordered set) so indexed lists keep creation order
    asset_children: defaultdict[str, dict[str, None]] = field(default_factory=lambda: defaultdict(dict))
    assets_by_type: defaultdict[str, dict[str, None]] = field(default_factory=lambda: defaultdict(dict))
    # name (lower case) -> ids, and each asset's creation position: a name filter (an apply's
    # look-up after each create) reads a few candidates instead of scanning every asset
    assets_by_name: defaultdict[str, dict[str, None]] = field(default_factory=lambda: defaultdict(dict))
    asset_position: dict[str, int] = field(default_factory=dict)
    type_children: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    aspect_users: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    aspect_names: dict[str, str] = field(default_factory=dict)
    agent_names: dict[str, str] = field(default_factory=dict)
    mappings_by_agent: defaultdict[str, dict[str, None]] = field(default_factory=lambda: defaultdict(dict))
    mappings_by_entity: defaultdict[str, dict[str, None]] = field(default_factory=lambda: defaultdict(dict))
    mapping_keys: dict[tuple[str, str, str, str, str], str] = field(default_factory=dict)
    evm_by_agent: defaultdict[str, dict[str, None]] = field(default_factory=lambda: defaultdict(dict))
    # agent id -> sandbox time its asynchronous offboarding finishes
    offboarding: dict[str, float] = field(default_factory=dict)

    # -- index maintenance -------------------------------------------------------------------------
    def put_aspect_type(self, doc: Doc) -> None:
        self.aspect_types[type_key(doc["id"])] = doc
        self.aspect_names[doc["name"].lower()] = type_key(doc["id"])

    def drop_aspect_type(self, key: str) -> None:
        doc = self.aspect_types.pop(key)
        self.aspect_names.pop(doc["name"].lower(), None)

    def put_asset_type(self, doc: Doc) -> None:
        key = type_key(doc["id"])
        old = self.asset_types.get(key)
        if old is not None:
            self._unindex_asset_type(key, old)
        self.asset_types[key] = doc
        if doc.get("parentTypeId"):
            self.type_children[type_key(doc["parentTypeId"])].add(key)
        for aspect in doc.get("aspects", []):
            self.aspect_users[type_key(aspect["aspectTypeId"])].add(key)

    def _unindex_asset_type(self, key: str, doc: Doc) -> None:
        if doc.get("parentTypeId"):
            self.type_children[type_key(doc["parentTypeId"])].discard(key)
        for aspect in doc.get("aspects", []):
            self.aspect_users[type_key(aspect["aspectTypeId"])].discard(key)

    def drop_asset_type(self, key: str) -> None:
        self._unindex_asset_type(key, self.asset_types.pop(key))

    def put_asset(self, doc: Doc) -> None:
        asset_id = doc["assetId"]
        old = self.assets.get(asset_id)
        self.assets[asset_id] = doc
        self.asset_position.setdefault(asset_id, len(self.asset_position))
        if old is not None:
            self.assets_by_name[str(old["name"]).lower()].pop(asset_id, None)
        self.assets_by_name[str(doc["name"]).lower()][asset_id] = None
        if old is not None and old["parentId"] == doc["parentId"] and old["typeId"] == doc["typeId"]:
            return
        if old is not None:
            self.asset_children[old["parentId"]].pop(asset_id, None)
            self.assets_by_type[type_key(old["typeId"])].pop(asset_id, None)
        if doc["parentId"]:
            self.asset_children[doc["parentId"]][asset_id] = None
        self.assets_by_type[type_key(doc["typeId"])][asset_id] = None

    def drop_asset(self, asset_id: str) -> None:
        doc = self.assets.pop(asset_id)
        self.assets_by_name[str(doc["name"]).lower()].pop(asset_id, None)
        self.asset_children[doc["parentId"]].pop(asset_id, None)
        self.assets_by_type[type_key(doc["typeId"])].pop(asset_id, None)

    def live_asset(self, asset_id: str) -> Doc | None:
        """The asset unless it is absent or (soft-)deleted."""
        doc = self.assets.get(asset_id.lower())
        return None if doc is None or doc.get("deleted") else doc

    def has_live_children(self, asset_id: str) -> bool:
        return any(not self.assets[c].get("deleted") for c in self.asset_children.get(asset_id, {}))

    def has_live_instances(self, key: str) -> bool:
        return any(not self.assets[a].get("deleted") for a in self.assets_by_type.get(key, {}))

    def put_agent(self, doc: Doc) -> None:
        old = self.agents.get(doc["id"])
        if old is not None:
            self.agent_names.pop(old["name"], None)
        self.agents[doc["id"]] = doc
        self.agent_names[doc["name"]] = doc["id"]
        if doc.get("boarding") == "OFFBOARDING":
            self.offboarding[doc["id"]] = float(doc.get("offboardUntil") or 0.0)
        else:
            self.offboarding.pop(doc["id"], None)

    def drop_agent(self, agent_id: str) -> None:
        doc = self.agents.pop(agent_id)
        self.agent_names.pop(doc["name"], None)
        self.dscs.pop(agent_id, None)
        self.offboarding.pop(agent_id, None)

    def settle_offboarding(self, now: float, final: str) -> bool:
        """Finish every offboarding whose time has come: status `final`, the asset lock released.
        True when anything changed."""
        due = [agent_id for agent_id, until in self.offboarding.items() if until <= now]
        for agent_id in due:
            doc = self.agents[agent_id]
            self.put_agent({**doc, "boarding": final, "offboardUntil": None})
            asset = self.assets.get(doc["entityId"])
            if asset is not None:
                locks = [lock for lock in asset.get("locks", []) if lock["reasonCode"] != ONBOARDED_LOCK]
                self.put_asset({**asset, "locks": locks})
        return bool(due)

    @staticmethod
    def mapping_key(doc: Doc) -> tuple[str, str, str, str, str]:
        return (
            doc["agentId"],
            doc["dataPointId"],
            doc["entityId"],
            doc["propertySetName"],
            doc["propertyName"],
        )

    def put_mapping(self, doc: Doc) -> None:
        self.mappings[doc["id"]] = doc
        self.mappings_by_agent[doc["agentId"]][doc["id"]] = None
        self.mappings_by_entity[doc["entityId"]][doc["id"]] = None
        self.mapping_keys[self.mapping_key(doc)] = doc["id"]

    def drop_mapping(self, mapping_id: str) -> None:
        doc = self.mappings.pop(mapping_id)
        self.mappings_by_agent[doc["agentId"]].pop(mapping_id, None)
        self.mappings_by_entity[doc["entityId"]].pop(mapping_id, None)
        self.mapping_keys.pop(self.mapping_key(doc), None)

    def put_event_mapping(self, doc: Doc) -> None:
        old = self.event_mappings.get(doc["id"])
        if old is not None:
            self.evm_by_agent[old["agentId"]].pop(doc["id"], None)
        self.event_mappings[doc["id"]] = doc
        self.evm_by_agent[doc["agentId"]][doc["id"]] = None

    def drop_event_mapping(self, mapping_id: str) -> None:
        doc = self.event_mappings.pop(mapping_id)
        self.evm_by_agent[doc["agentId"]].pop(mapping_id, None)

    # -- type hierarchy --------------------------------------------------------------------------
    def type_lineage(self, type_id: str) -> list[Doc]:
        """The asset type and its ancestors, nearest first."""
        lineage: list[Doc] = []
        key: str | None = type_key(type_id)
        while key and key in self.asset_types and len(lineage) < 64:
            doc = self.asset_types[key]
            lineage.append(doc)
            parent = doc.get("parentTypeId")
            key = type_key(parent) if parent else None
        return lineage

    def type_descendants(self, type_id: str) -> list[str]:
        """Keys of every asset type deriving from `type_id`, itself included."""
        out, todo = [], [type_key(type_id)]
        while todo:
            key = todo.pop()
            out.append(key)
            todo.extend(self.type_children.get(key, ()))
        return out

    def has_type(self, type_id: str, ancestor: str) -> bool:
        want = type_key(ancestor)
        return any(type_key(d["id"]) == want for d in self.type_lineage(type_id))

    # -- (de)serialisation -----------------------------------------------------------------------
    def to_dict(self) -> Doc:
        return {
            "aspectTypes": list(self.aspect_types.values()),
            "assetTypes": list(self.asset_types.values()),
            "assets": list(self.assets.values()),
            "agents": list(self.agents.values()),
            "dataSourceConfigurations": self.dscs,
            "dataPointMappings": list(self.mappings.values()),
            "eventMappings": list(self.event_mappings.values()),
        }

    @classmethod
    def from_dict(cls, data: Doc) -> IhState:
        state = cls()
        for doc in data.get("aspectTypes", []):
            state.put_aspect_type(doc)
        for doc in data.get("assetTypes", []):
            state.put_asset_type(doc)
        for doc in data.get("assets", []):
            state.put_asset(doc)
        for doc in data.get("agents", []):
            state.put_agent(doc)
        state.dscs = dict(data.get("dataSourceConfigurations", {}))
        for doc in data.get("dataPointMappings", []):
            state.put_mapping(doc)
        for doc in data.get("eventMappings", []):
            state.put_event_mapping(doc)
        return state

    @classmethod
    def seeded(cls, tenant: str, root_id: str, now: str, root_aspects: bool = True) -> IhState:
        """A fresh tenant: the built-in `core.*` types and the root asset (with its aspect or not)."""
        state = cls()
        for doc in builtin_aspect_types(tenant, root_aspects):
            state.put_aspect_type(doc)
        for doc in builtin_asset_types(tenant, root_aspects):
            state.put_asset_type(doc)
        state.put_asset(root_asset(tenant, root_id))
        return state


def new_id(rng: random.Random) -> str:
    """A 32-hex-character id (Asset Management asset id format), drawn from the sandbox's rng."""
    return f"{rng.getrandbits(128):032x}"


def new_uuid(rng: random.Random) -> str:
    """A UUID string (MindConnect mapping ids), drawn from the sandbox's rng."""
    hexid = new_id(rng)
    return f"{hexid[:8]}-{hexid[8:12]}-4{hexid[13:16]}-a{hexid[17:20]}-{hexid[20:]}"


def read_state_file(path: Path) -> Doc | None:
    """The document stored at `path`, None if there is no file; StateFileError if it is unusable."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise StateFileError(
            f"state file {path} is unreadable or corrupt ({exc.__class__.__name__}: {str(exc)[:200]}); "
            "fix it, restore a backup, or remove it to start from an empty tenant"
        ) from None
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION or "insightsHub" not in data:
        raise StateFileError(
            f"state file {path} is not a sandbox state document (version {STATE_VERSION}); "
            "remove it to start from an empty tenant"
        )
    return data


def write_state_file(path: Path, data: Doc) -> None:
    """Write `data` atomically: a temp file beside `path`, fsync, then os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, separators=(",", ":"))
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
