"""Reading an Insights Hub tenant into managed `LiveResource`s and unmanaged objects.

Reads use list calls at the largest page sizes (types, assets, agents, all data point and event
mappings of the tenant) plus one data source configuration read per managed agent, which has
no list endpoint. Ownership comes from the description marker (`provisioner.providers.marker`);
pinned ids adopt unmarked objects.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from provisioner.model import Deferred, LiveResource, LiveState, Resource, UnmanagedObject
from provisioner.providers.fingerprint import fingerprint
from provisioner.providers.insights_hub import external, kinds
from provisioner.providers.insights_hub import normalize as norm
from provisioner.providers.insights_hub.lease import is_lease_type
from provisioner.providers.lifecycle import moved_addresses
from provisioner.providers.lookalikes import Lookalikes
from provisioner.providers.marker import PREVENT_DESTROY, split_description

JSONDict = dict[str, Any]


def live_hash(obj: Any) -> str:
    """A precondition for objects without an etag: hash of the canonical live representation."""
    return fingerprint(obj)


def etag_of(obj: Mapping[str, Any]) -> str:
    """The object's etag (AM integer `etag` or AgM/MC string `eTag`) as a string."""
    value = obj.get("etag", obj.get("eTag"))
    return str(value) if value is not None else live_hash(obj)


@dataclass(slots=True)
class Snapshot:
    """The raw lists one read returned, indexed the way the provider needs them."""

    aspect_types: list[JSONDict] = field(default_factory=list)
    asset_types: list[JSONDict] = field(default_factory=list)
    assets: list[JSONDict] = field(default_factory=list)
    agents: list[JSONDict] = field(default_factory=list)
    mappings: list[JSONDict] = field(default_factory=list)
    event_mappings: list[JSONDict] = field(default_factory=list)
    dscs: dict[str, JSONDict] = field(default_factory=dict)


@dataclass(slots=True)
class Interpretation:
    """Which live object is which address, plus the root asset id, the external types found and
    the ownership problems that stop the plan."""

    root_id: str | None = None
    asset_address: dict[str, str] = field(default_factory=dict)
    agent_address: dict[str, str] = field(default_factory=dict)
    externals: set[str] = field(default_factory=set)  # external types found live
    problems: list[str] = field(default_factory=list)  # what makes the plan impossible (`external`)


def _key_of(obj: Mapping[str, Any], stack: str) -> str | None:
    _, owner, key = split_description(obj.get("description"))
    return key if owner == stack else None


AGENT_PREFIX = "insights_hub.agents."


def is_deleted(obj: Mapping[str, Any]) -> bool:
    """True for a soft-deleted asset: still readable (by admins) with a `deleted` timestamp, but
    immutable and gone as far as the configuration is concerned."""
    return bool(obj.get("deleted"))


def live_assets(assets: Sequence[JSONDict]) -> list[JSONDict]:
    """The assets that are not soft-deleted (lists filter them with `deleted: null` already; this
    also covers a service or credentials that ignore the filter)."""
    return [a for a in assets if not is_deleted(a)]


def pinned_addresses(desired: Sequence[Resource]) -> dict[str, str]:
    """Address by pinned server id (lower case): these adopt unmarked objects."""
    return {r.pinned_id.lower(): r.address for r in desired if r.pinned_id}


def is_root_asset(asset: Mapping[str, Any]) -> bool:
    """The tenant's root: the one core.basicenterprise asset without a parent."""
    is_enterprise = str(asset.get("typeId", "")).lower() == "core.basicenterprise"
    return is_enterprise and asset.get("parentId") in ("", None)


def asset_address(asset: Mapping[str, Any], stack: str, pinned: Mapping[str, str],
                  moved: Mapping[str, str] | None = None) -> str | None:
    """The address of a (non-root) asset this stack manages, by marker (renamed by `moved:`) or
    pinned id; else None."""
    key = _key_of(asset, stack)
    if key:
        marked = f"insights_hub.{key}"
        return (moved or {}).get(marked, marked)
    return pinned.get(str(asset["assetId"]).lower())


def _moved_from(asset: Mapping[str, Any], stack: str, address: str) -> str | None:
    """The address the asset's marker names when a `moved:` block gave it `address` instead."""
    key = _key_of(asset, stack)
    return f"insights_hub.{key}" if key and f"insights_hub.{key}" != address else None


def classify_assets(snap: Snapshot, desired: Sequence[Resource], stack: str) -> Interpretation:
    """The root asset id and which live assets (and agents' assets) are which address."""
    info = Interpretation()
    pinned = pinned_addresses(desired)
    moved = moved_addresses(desired)
    for asset in snap.assets:
        asset_id = asset["assetId"]
        if is_root_asset(asset):
            info.root_id = asset_id
            continue
        address = asset_address(asset, stack, pinned, moved)
        if address is None:
            continue
        if address.startswith(AGENT_PREFIX):
            info.agent_address[asset_id] = address
        else:
            info.asset_address[asset_id] = address
    return info


TWIN_SUFFIX = ".twin-"


@dataclass(frozen=True, slots=True)
class Twin:
    """A second live asset carrying the owner marker of `address`, beside the `kept` one."""

    address: str
    kept: str
    twin: JSONDict
    referenced: bool


def _referenced_ids(snap: Snapshot) -> set[str]:
    """Asset ids something points at: a child's parent, an agent (agent id = asset id), a mapping."""
    ids = {str(a.get("parentId")) for a in snap.assets if a.get("parentId")}
    ids.update(str(a["id"]) for a in snap.agents if isinstance(a.get("id"), str))
    ids.update(str(m.get("entityId")) for m in snap.mappings if m.get("entityId"))
    ids.update(str(m.get("assetId")) for m in snap.event_mappings if m.get("assetId"))
    return ids


def split_twins(snap: Snapshot, info: Interpretation) -> list[Twin]:
    """Find addresses that two or more live assets claim (by owner marker), keep one in `info`
    and return the others. The kept one is a referenced one if any (by a child, its agent, a
    mapping), else the smallest id; which one is listed first never matters."""
    referenced = _referenced_ids(snap)
    twins: list[Twin] = []
    for table in (info.asset_address, info.agent_address):
        claims: dict[str, list[str]] = {}
        for asset_id, address in table.items():
            claims.setdefault(address, []).append(asset_id)
        for address, ids in claims.items():
            if len(ids) < 2:
                continue
            kept, *others = sorted(ids, key=lambda i: (i not in referenced, i))
            for other in others:
                del table[other]
                asset = next(a for a in snap.assets if a["assetId"] == other)
                twins.append(Twin(address, kept, asset, other in referenced))
    return twins


def _twin_warning(twin: Twin) -> str:
    fate = ("nothing references it, so the plan removes it" if not twin.referenced
            else "both are referenced, so neither is removed: merge them by hand")
    return (f"{twin.address}: two live assets carry its owner marker: {twin.kept} (kept) and "
            f"{twin.twin['assetId']} ({fate})")


def interpret_steps(snap: Snapshot, wanted: Mapping[str, Resource], stack: str, info: Interpretation,
                    state: LiveState) -> Iterator[None]:
    """Turn raw lists into `state` (managed by address + unmanaged) for this stack, one step per
    object (see `provisioner.providers.cooperative`). `info` classifies the same lists' assets;
    `wanted` is the desired resources by address."""
    # Types first: a first pass names every managed type id, so asset types (and assets) can
    # depend on them.
    typed: list[tuple[str, JSONDict, str, bool, str | None]] = []
    type_address: dict[str, str] = {}
    moved = moved_addresses(list(wanted.values()))
    for kind, objects, prefix in ((kinds.ASPECT_TYPE, snap.aspect_types, "aspect_types"),
                                  (kinds.ASSET_TYPE, snap.asset_types, "asset_types")):
        for obj in objects:
            if kind == kinds.ASPECT_TYPE and is_lease_type(obj):
                continue  # a stack's apply lease (`lease`): the engine's own bookkeeping
            key = _key_of(obj, stack)
            declared = f"insights_hub.{prefix}.{obj.get('name')}"
            want = wanted.get(declared)
            found = f"insights_hub.{key}" if key else (declared if want is not None else None)
            moved_from = None
            if key and found in moved:  # a `moved:` block renamed the key: same type, new address
                moved_from, found = found, moved[found]
            owner = split_description(obj.get("description"))[1]
            if want is not None and want.external:
                info.problems.extend(external.mismatches(declared, kind, want.attrs, obj))
                info.externals.add(declared)
                found = None
            elif found is not None and not key and owner is not None \
                    and owner != (want.take_over_from if want is not None else None):
                info.problems.append(external.owned_elsewhere(declared, str(obj["id"]), owner))
                found = None
            if found is None:
                state.unmanaged.append(UnmanagedObject(kind, obj["id"], str(obj.get("name"))))
                continue
            # a declared type id pins it, and a moved one gets its new marker: both adopt
            typed.append((kind, obj, found, key is None or moved_from is not None, moved_from))
            type_address[obj["id"]] = found
    for address, resource in sorted(wanted.items()):
        if resource.external and address not in info.externals:
            info.problems.append(external.missing(address, resource.address.rsplit(".", 1)[-1]))
    for kind, obj, address, adopt, moved_from in typed:
        type_deps: tuple[str, ...] = ()
        if kind == kinds.ASPECT_TYPE:
            attrs = norm.aspect_type_attrs(obj)
        else:
            attrs = norm.asset_type_attrs(obj)
            refs = [attrs["parent"], *attrs["aspects"].values()]
            type_deps = tuple(type_address[t] for t in refs if t in type_address)
        state.managed[address] = LiveResource(address, kind, attrs, obj["id"], etag_of(obj), type_deps,
                                              adopt=adopt, prevent_destroy=PREVENT_DESTROY in attrs,
                                              moved_from=moved_from)
        yield

    agents_by_id = {a["id"]: a for a in snap.agents}
    assets_by_id = {a["assetId"]: a for a in snap.assets}
    def asset_ref(asset_id: str | None) -> str:
        if not asset_id or asset_id == info.root_id:
            return "root"
        return info.asset_address.get(asset_id) or info.agent_address.get(asset_id) or f"id:{asset_id}"

    # Assets (and agents' core.mclib assets) next: the other kinds refer to them. Twins first:
    # never hidden; an unreferenced one becomes an address of its own that the plan removes.
    for twin in split_twins(snap, info):
        state.warnings.append(_twin_warning(twin))
        if not twin.referenced:
            address = f"{twin.address}{TWIN_SUFFIX}{twin.twin['assetId']}"
            attrs = norm.asset_attrs(twin.twin, asset_ref(twin.twin.get("parentId")))
            state.managed[address] = LiveResource(address, kinds.ASSET, attrs, twin.twin["assetId"],
                                                  etag_of(twin.twin), _managed(attrs["parent"]))

    for asset_id, address in info.asset_address.items():
        asset = assets_by_id[asset_id]
        attrs = norm.asset_attrs(asset, asset_ref(asset.get("parentId")))
        # an asset depends on its managed asset type: the type can only be deleted after its assets
        type_dep = type_address.get(str(attrs.get("type")))
        deps = _managed(attrs["parent"]) + ((type_dep,) if type_dep is not None else ())
        moved_from = _moved_from(asset, stack, address)
        state.managed[address] = LiveResource(address, kinds.ASSET, attrs, asset_id, etag_of(asset), deps,
                                              adopt=_key_of(asset, stack) is None or moved_from is not None,
                                              prevent_destroy=PREVENT_DESTROY in attrs, moved_from=moved_from)
        yield

    for asset_id, address in info.agent_address.items():
        asset = assets_by_id[asset_id]
        agent = agents_by_id.get(asset_id)
        if agent is None:  # an agent asset whose agent was never created: the agent is absent
            continue
        attrs = norm.agent_attrs(agent, asset_ref(asset.get("parentId")), asset.get("description"))
        precondition = f"{etag_of(agent)}/{etag_of(asset)}"
        moved_from = _moved_from(asset, stack, address)
        state.managed[address] = LiveResource(address, kinds.AGENT, attrs, asset_id, precondition,
                                              _managed(attrs["parent"]),
                                              adopt=_key_of(asset, stack) is None or moved_from is not None,
                                              prevent_destroy=PREVENT_DESTROY in attrs, moved_from=moved_from)
        yield
    add_data_sources(state, info, snap.dscs)

    for agent in snap.agents:
        if agent["id"] not in info.agent_address:
            state.unmanaged.append(UnmanagedObject(kinds.AGENT, agent["id"], str(agent.get("name"))))

    def hand_made(agent_address: str, address: str) -> bool:
        """A mapping the configuration of its (still declared) agent does not declare, on an agent
        that does not prune: mappings carry no marker, so it may have been made by hand."""
        agent = wanted.get(agent_address)
        found = agent is not None and not agent.prune_children and address not in wanted
        if found:
            left_alone[agent_address] = left_alone.get(agent_address, 0) + 1
        return found

    left_alone: dict[str, int] = {}

    for mapping in snap.mappings:
        agent_address = info.agent_address.get(mapping.get("agentId", ""))
        if agent_address is None:
            continue
        attrs = norm.mapping_attrs(mapping, asset_ref(mapping.get("entityId")))
        address = mapping_address(agent_address, attrs)
        if hand_made(agent_address, address):
            state.unmanaged.append(UnmanagedObject(kinds.MAPPING, mapping["id"], address))
            continue
        deps = _managed(f"{agent_address}.data_sources", attrs["asset"])
        state.managed[address] = LiveResource(address, kinds.MAPPING, attrs, mapping["id"],
                                              Deferred(live_hash, mapping), deps)
        yield

    for emap in snap.event_mappings:
        agent_address = info.agent_address.get(emap.get("agentId", ""))
        if agent_address is None:
            continue
        attrs = norm.event_mapping_attrs(emap, asset_ref(emap.get("assetId")))
        address = event_mapping_address(agent_address, attrs)
        if hand_made(agent_address, address):
            state.unmanaged.append(UnmanagedObject(kinds.EVENT_MAPPING, emap["id"], address))
            continue
        deps = _managed(agent_address, attrs["asset"])
        state.managed[address] = LiveResource(address, kinds.EVENT_MAPPING, attrs, emap["id"], etag_of(emap),
                                              deps)
        yield

    for agent_address, count in sorted(left_alone.items()):
        state.warnings.append(f"{agent_address}: {count} mapping(s) not in the configuration are left "
                              "alone (unmanaged, maybe made by hand); `prune_mappings: true` on the agent "
                              "deletes them")

    for asset in snap.assets:
        if asset["assetId"] not in info.asset_address and asset["assetId"] not in info.agent_address \
                and asset["assetId"] != info.root_id:
            state.unmanaged.append(UnmanagedObject(kinds.ASSET, asset["assetId"], str(asset.get("name"))))


def add_data_sources(state: LiveState, info: Interpretation, dscs: Mapping[str, JSONDict]) -> list[str]:
    """Add the configured DSCs of the agents in `state` (by agent id); their addresses."""
    added = []
    for asset_id, dsc in dscs.items():
        agent_address = info.agent_address.get(asset_id)
        if agent_address not in state.managed:
            continue  # not an agent of this stack, or its agent does not exist
        if dsc.get("configurationId") and dsc.get("dataSources"):  # deleting one empties it
            address = f"{agent_address}.data_sources"
            state.managed[address] = LiveResource(address, kinds.DATA_SOURCES, norm.dsc_attrs(dsc),
                                                  asset_id, etag_of(dsc), (agent_address,))
            added.append(address)
    return added


def _managed(*refs: str) -> tuple[str, ...]:
    """The refs that are addresses (not `root` or `id:<assetId>`): live dependencies."""
    return tuple(r for r in refs if r.startswith("insights_hub."))


def _ref_key(ref: str) -> str:
    return ref.rsplit(".", 1)[-1] if ref.startswith("insights_hub.assets.") else ref


def mapping_address(agent_address: str, attrs: Mapping[str, Any]) -> str:
    """`<agent>.mappings.<data point>.<asset key>.<aspect>.<variable>`."""
    return (f"{agent_address}.mappings.{attrs['data_point']}.{_ref_key(attrs['asset'])}."
            f"{attrs['aspect']}.{attrs['variable']}")


def event_mapping_address(agent_address: str, attrs: Mapping[str, Any]) -> str:
    """`<agent>.event_mappings.<asset key>.<event type>.<field>=<value>`."""
    return (f"{agent_address}.event_mappings.{_ref_key(attrs['asset'])}.{attrs['event_type']}."
            f"{attrs['field']}={attrs['value']}")


def unmanaged_lookalikes(assets: Sequence[JSONDict], agents: Sequence[JSONDict],
                         info: Interpretation) -> Lookalikes:
    """The assets (and agents, by their core.mclib asset) this stack does not manage, by name and
    parent: what a create of the same name under the same parent would duplicate."""
    agent_ids = {str(a.get("id")) for a in agents}
    found = Lookalikes()
    for asset in assets:
        asset_id = str(asset["assetId"])
        if asset_id in info.asset_address or asset_id in info.agent_address or asset_id == info.root_id:
            continue
        what = "agent" if asset_id in agent_ids else "asset"
        text = (f"{what} {asset.get('name')!r} ({asset_id}), which the service will not delete with its "
                "parent: move or delete it first")
        found.add_child(asset.get("parentId"), text)
        if split_description(asset.get("description"))[1] is not None:
            continue  # another stack's: its marker is not lost
        kind = kinds.AGENT if asset_id in agent_ids else kinds.ASSET
        found.add(kind, asset.get("name"), asset.get("parentId"), asset_id)
    return found
