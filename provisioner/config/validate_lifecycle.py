"""`lifecycle:` blocks (every `ignore_changes` path starts at an attribute of its resource) and
`moved:` blocks (a rename from an address no longer declared to one that is)."""

from __future__ import annotations

from collections.abc import Iterator

from provisioner.config.addresses import resource_paths
from provisioner.config.locations import Path
from provisioner.config.schema import Model
from provisioner.config.validate import Checker, did_you_mean

# fields that are not attributes of the object itself: its children, identity and lifecycle rules
_NOT_ATTRIBUTES = frozenset({"lifecycle", "protect", "id", "devices", "sensors", "data_sources", "mappings",
                             "event_mappings", "configuration_id"})


def _resources(checker: Checker) -> Iterator[tuple[str, Path, Model]]:
    """(address, document path, model) of every resource that can carry `lifecycle:`."""
    hub = checker.config.insights_hub
    for collection, items in (("aspect_types", hub.aspect_types), ("asset_types", hub.asset_types),
                              ("assets", hub.assets), ("agents", hub.agents)):
        for key, item in items.items():
            yield f"insights_hub.{collection}.{key}", ("insights_hub", collection, key), item
    for ckey, conn in checker.config.itwin_iot.connections.items():
        cpath: Path = ("itwin_iot", "connections", ckey)
        yield f"itwin_iot.connections.{ckey}", cpath, conn
        for dkey, device in conn.devices.items():
            dpath: Path = (*cpath, "devices", dkey)
            yield f"itwin_iot.connections.{ckey}.devices.{dkey}", dpath, device
            for skey, sensor in device.sensors.items():
                yield (f"itwin_iot.connections.{ckey}.devices.{dkey}.sensors.{skey}",
                       (*dpath, "sensors", skey), sensor)


def check_lifecycle(checker: Checker) -> None:
    """An ignored path whose first part is no attribute of the resource is an error."""
    for address, path, model in _resources(checker):
        lifecycle = getattr(model, "lifecycle", None)
        if lifecycle is None:
            continue
        fields = sorted(set(type(model).model_fields) - _NOT_ATTRIBUTES)
        for index, ignored in enumerate(lifecycle.ignore_changes):
            top = ignored.split(".", 1)[0]
            if top not in fields:
                checker.error(f"lifecycle.ignore_changes: {top!r} is not an attribute of this resource"
                              f"{did_you_mean(top, fields)}",
                              (*path, "lifecycle", "ignore_changes", index), address)


_MOVABLE = ("insights_hub.aspect_types.", "insights_hub.asset_types.", "insights_hub.assets.",
            "insights_hub.agents.", "itwin_iot.connections.")


def check_moved(checker: Checker) -> None:
    """`moved:` blocks: `to` is declared, `from` is not (any more), both are objects of one kind
    under one parent, and no address is moved twice. A moved type keeps its id (`moved_type_ids`)."""
    declared = {address for address, _ in resource_paths(checker.config)}
    seen: dict[str, int] = {}
    for index, block in enumerate(checker.config.moved):
        path: Path = ("moved", index)
        source, target = block.from_, block.to
        if not source.startswith(_MOVABLE) or ".mappings." in source or ".event_mappings." in source \
                or source.endswith(".data_sources"):
            checker.error("only aspect and asset types, assets, agents, and iTwin connections, devices "
                          "and sensors can be moved", (*path, "from"), source)
            continue
        if source in declared:
            checker.error(f"{source} is still declared: a moved object's old address must be gone",
                          (*path, "from"), source)
        if target not in declared:
            checker.error(f"{target} is not declared{did_you_mean(target, declared)}", (*path, "to"), target)
        if source.rsplit(".", 1)[0] != target.rsplit(".", 1)[0]:
            checker.error(f"{source} and {target} are not of one kind under one parent; a move keeps "
                          "both (change the parent in the configuration instead)", (*path, "to"), target)
        if source in seen:
            checker.error(f"{source} is moved twice (first by moved[{seen[source]}])",
                          (*path, "from"), source)
        seen.setdefault(source, index)
