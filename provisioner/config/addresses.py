"""Resource addresses of every configured object, and where each is defined.

insights_hub.aspect_types.<name>            insights_hub.asset_types.<name>
insights_hub.assets.<key>                   insights_hub.agents.<key>
insights_hub.agents.<key>.data_sources      (the agent's data source configuration)
insights_hub.agents.<key>.mappings.<data_point>.<asset>.<aspect>.<variable>
insights_hub.agents.<key>.event_mappings.<asset>.<event_type>.<field>.<value>
itwin_iot.connections.<key>                 itwin_iot.connections.<key>.devices.<key>
itwin_iot.connections.<key>.devices.<key>.sensors.<key>
"""

from __future__ import annotations

from collections.abc import Iterator

from provisioner.config.locations import Path
from provisioner.config.schema import EventMapping, Mapping, ProjectConfig

IH = "insights_hub"
ITWIN = "itwin_iot"


def aspect_type(name: str) -> str:
    return f"{IH}.aspect_types.{name}"


def asset_type(name: str) -> str:
    return f"{IH}.asset_types.{name}"


def asset(key: str) -> str:
    return f"{IH}.assets.{key}"


def agent(key: str) -> str:
    return f"{IH}.agents.{key}"


def data_sources(agent_key: str) -> str:
    return f"{IH}.agents.{agent_key}.data_sources"


def mapping(agent_key: str, m: Mapping) -> str:
    return f"{IH}.agents.{agent_key}.mappings.{m.data_point}.{m.asset}.{m.aspect}.{m.variable}"


def event_mapping(agent_key: str, e: EventMapping) -> str:
    return f"{IH}.agents.{agent_key}.event_mappings.{e.asset}.{e.event_type}.{e.field}.{e.value}"


def connection(key: str) -> str:
    return f"{ITWIN}.connections.{key}"


def device(connection_key: str, key: str) -> str:
    return f"{ITWIN}.connections.{connection_key}.devices.{key}"


def sensor(connection_key: str, device_key: str, key: str) -> str:
    return f"{ITWIN}.connections.{connection_key}.devices.{device_key}.sensors.{key}"


def resource_paths(config: ProjectConfig) -> Iterator[tuple[str, Path]]:
    """Every resource's address and the document path of its definition."""
    ih = config.insights_hub
    for name in ih.aspect_types:
        yield aspect_type(name), (IH, "aspect_types", name)
    for name in ih.asset_types:
        yield asset_type(name), (IH, "asset_types", name)
    for key in ih.assets:
        yield asset(key), (IH, "assets", key)
    for key, a in ih.agents.items():
        base: Path = (IH, "agents", key)
        yield agent(key), base
        if a.data_sources:
            yield data_sources(key), (*base, "data_sources")
        for index, m in enumerate(a.mappings):
            yield mapping(key, m), (*base, "mappings", index)
        for index, e in enumerate(a.event_mappings):
            yield event_mapping(key, e), (*base, "event_mappings", index)
    for ckey, conn in config.itwin_iot.connections.items():
        cpath: Path = (ITWIN, "connections", ckey)
        yield connection(ckey), cpath
        for dkey, dev in conn.devices.items():
            dpath: Path = (*cpath, "devices", dkey)
            yield device(ckey, dkey), dpath
            for skey in dev.sensors:
                yield sensor(ckey, dkey, skey), (*dpath, "sensors", skey)


def address_of_path(path: Path) -> str | None:
    """The address of the resource a document path belongs to (its nearest enclosing resource)."""
    if len(path) >= 3 and path[0] == IH and path[1] in ("aspect_types", "asset_types", "assets", "agents"):
        if path[1] == "agents" and len(path) >= 4 and path[3] == "data_sources":
            return data_sources(str(path[2]))
        return f"{IH}.{path[1]}.{path[2]}"
    if len(path) >= 3 and path[0] == ITWIN and path[1] == "connections":
        if len(path) >= 7 and path[3] == "devices" and path[5] == "sensors":
            return sensor(str(path[2]), str(path[4]), str(path[6]))
        if len(path) >= 5 and path[3] == "devices":
            return device(str(path[2]), str(path[4]))
        return connection(str(path[2]))
    if len(path) >= 2 and path[0] == "platforms":
        return f"platforms.{path[1]}"
    return ".".join(str(p) for p in path) or None
