"""What a rollout put in the field: managed agents and declared mappings with their server ids."""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass
class Inventory:
    agents: list[AgentItem]
    mappings: list[MappingItem]
    missing: list[str]  # declared agents or mappings that are not live (apply has not run)
    live: dict[str, LiveState]
    itwin_sensors: int = 0  # declared iTwin IoT sensors (check reads no observations of them)


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
    for resource in desired:
        if resource.kind not in (kinds.AGENT, kinds.MAPPING):
            continue
        agent_address = ".".join(resource.address.split(".")[:3])
        if resource.address not in chosen and agent_address not in chosen:
            continue
        found = hub.managed.get(resource.address)
        if found is None:
            missing.append(resource.address)
            continue
        attrs = resource.attrs
        if resource.kind == kinds.AGENT:
            agents.append(AgentItem(resource.address.split(".")[2], resource.address, found.server_id,
                                    str(attrs.get("security_profile") or "SHARED_SECRET")))
        else:
            asset = str(attrs["asset"])
            mappings.append(MappingItem(resource.address, agent_address, str(attrs["data_point"]), asset,
                                        _asset_id(asset, hub), str(attrs["aspect"]), str(attrs["variable"])))
    itwin = session.providers.get("itwin_iot")
    sensors = [r.address for r in (itwin.desired() if itwin is not None else []) if r.kind == SENSOR]
    chosen_sensors = select(sensors, targets) if targets else set(sensors)
    return Inventory(agents, mappings, missing, live, len(chosen_sensors))
