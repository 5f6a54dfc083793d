"""`lifecycle:` blocks: every `ignore_changes` path must start at an attribute of its resource."""

from __future__ import annotations

from collections.abc import Iterator

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
