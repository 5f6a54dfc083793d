"""What a rollout put in the field: managed agents, declared mappings and event mappings, and
iTwin IoT sensors with their metrics, each with its server id."""

from __future__ import annotations

from dataclasses import dataclass, field

from provisioner.model import LiveState
from provisioner.model.address import select
from provisioner.providers.insights_hub import kinds
from provisioner.providers.itwin_iot.kinds import SENSOR
from provisioner.session import Session, read_live


@dataclass(frozen=True)
class AgentItem:
    """A managed agent: its YAML key, address, server id and security profile."""

    key: str
    address: str
    agent_id: str
    profile: str


@dataclass(frozen=True)
class MappingItem:
    """A declared data point mapping and where its values should land (`asset_id` None when the
    asset is not live)."""

    address: str
    agent_address: str
    data_point: str
    asset: str
    asset_id: str | None
    aspect: str
    variable: str


@dataclass(frozen=True)
class EventMappingItem:
    """A declared event mapping: events of `event_type` whose `field` equals `value` go to the asset."""

    address: str
    agent_address: str
    asset: str
    asset_id: str | None
    event_type: str
    event_type_name: str
    field: str
    value: str


@dataclass(frozen=True)
class SensorItem:
    """A managed iTwin IoT sensor: its address, server id (a slash path) and declared metrics."""

    address: str
    sensor_id: str
    metrics: tuple[str, ...]


@dataclass
class Inventory:
    agents: list[AgentItem]
    mappings: list[MappingItem]
    missing: list[str]  # declared objects that are not live (apply has not run)
    live: dict[str, LiveState]
    event_mappings: list[EventMappingItem] = field(default_factory=list)
    sensors: list[SensorItem] = field(default_factory=list)
    itwin_project: str | None = None

    def agent_key(self, agent_address: str) -> str:
        return agent_address.split(".")[2]


def _asset_id(ref: str, hub: LiveState) -> str | None:
    if ref.startswith("id:"):
        return ref[3:]
    found = hub.managed.get(ref)
    return found.server_id if found is not None else None


async def read_inventory(session: Session, targets: tuple[str, ...] = ()) -> Inventory:
    """Read the live state once and pair it with the declared agents and mappings."""
    live = await read_live(session)
    hub = live.get("insights_hub", LiveState())
    provider = session.providers.get("insights_hub")
    desired = provider.desired() if provider is not None else []
    chosen = select([r.address for r in desired], targets) if targets else {r.address for r in desired}
    agents: list[AgentItem] = []
    mappings: list[MappingItem] = []
    missing: list[str] = []
    events: list[EventMappingItem] = []
    for resource in desired:
        if resource.kind not in (kinds.AGENT, kinds.MAPPING, kinds.EVENT_MAPPING):
            continue
        agent_address = ".".join(resource.address.split(".")[:3])
        if resource.address not in chosen and agent_address not in chosen:
            continue
        found = hub.managed.get(resource.address)
        if found is None:
            missing.append(resource.address)
            continue
        attrs = resource.attrs
        if resource.kind == kinds.EVENT_MAPPING:
            asset = str(attrs["asset"])
            events.append(EventMappingItem(resource.address, agent_address, asset, _asset_id(asset, hub),
                                           str(attrs["event_type"]), str(attrs["event_type_name"]),
                                           str(attrs["field"]), str(attrs["value"])))
        elif resource.kind == kinds.AGENT:
            agents.append(AgentItem(resource.address.split(".")[2], resource.address, found.server_id,
                                    str(attrs.get("security_profile") or "SHARED_SECRET")))
        else:
            asset = str(attrs["asset"])
            mappings.append(MappingItem(resource.address, agent_address, str(attrs["data_point"]), asset,
                                        _asset_id(asset, hub), str(attrs["aspect"]), str(attrs["variable"])))
    itwin_live = live.get("itwin_iot", LiveState())
    itwin = session.providers.get("itwin_iot")
    declared = [r for r in (itwin.desired() if itwin is not None else []) if r.kind == SENSOR]
    wanted = select([r.address for r in declared], targets) if targets else {r.address for r in declared}
    sensors: list[SensorItem] = []
    for resource in declared:
        if resource.address not in wanted:
            continue
        found = itwin_live.managed.get(resource.address)
        if found is None:
            missing.append(resource.address)
            continue
        metrics = tuple(str(m["metric"]) for m in resource.attrs.get("metrics") or [])
        sensors.append(SensorItem(resource.address, found.server_id, metrics))
    settings = session.config.platforms.itwin_iot
    return Inventory(agents, mappings, missing, live, events, sensors,
                     settings.project if settings is not None else None)
