"""Class-level facts about iTwin IoT resource kinds: replace triggers, data, call costs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from provisioner.model import Action, Change, KindSpec, PlannedOps
from provisioner.providers.itwin_iot.bodies import connection_props

PLATFORM = "itwin_iot"

CONNECTION = "itwin_iot.connection"
DEVICE = "itwin_iot.device"
SENSOR = "itwin_iot.sensor"
KIND_NAMES = {CONNECTION: "connection", DEVICE: "device", SENSOR: "sensor"}

# Removing any entity deletes its observations (and its children's), so all are data-bearing.
# A template (INTEGRATION_ID) or metric/unit change is remove + new (reference §6, §10).
_FIELDS = (("template", "INTEGRATION_ID"), ("metrics", "UNKNOWN_METRICS/UNKNOWN_UNITS"))

KINDS: dict[str, KindSpec] = {
    spec.kind: spec
    for spec in (
        # create: the integrate that makes the node (with its marker device), then the node update that
        # sets its name, location and notes (the service ignores node props at creation)
        KindSpec(CONNECTION, PLATFORM, rank=10, data_bearing=True, create_calls=2,
                 endpoint_class="iot.integrations.integrate"),
        KindSpec(DEVICE, PLATFORM, rank=20, replace_fields=frozenset({"template"}), data_bearing=True,
                 endpoint_class="iot.integrations.integrate", vendor_names=_FIELDS),
        KindSpec(SENSOR, PLATFORM, rank=30, replace_fields=frozenset({"template", "metrics"}),
                 data_bearing=True, endpoint_class="iot.integrations.integrate", vendor_names=_FIELDS),
    )
}

INTEGRATE = "iot.integrations.integrate"


def _parent(address: str) -> str:
    """The connection of a device, the device of a sensor."""
    return address.rsplit(".", 2)[0]


def _ancestors(address: str) -> list[str]:
    parts = address.split(".")
    return [".".join(parts[:n]) for n in range(3, len(parts) - 1, 2)]


def entity_calls(op: Action, change: Change, planned: PlannedOps) -> Mapping[str, int]:
    """Integrate calls of one node, as `operations.Operations` batches them: a new device or sensor
    rides in its new parent's integrate, a removal cascades from a removed ancestor, and a new
    connection's props follow in a node update (the service ignores them at creation)."""
    if op is Action.DELETE:
        cascaded = any(Action.DELETE in planned.get(a, ()) for a in _ancestors(change.address))
        return {} if cascaded else {INTEGRATE: 1}
    if op is Action.CREATE:
        if change.kind != CONNECTION:
            return {} if Action.CREATE in planned.get(_parent(change.address), ()) else {INTEGRATE: 1}
        return {INTEGRATE: 2 if connection_props(change.after or {}, creating=True) else 1}
    return {INTEGRATE: 1}


KINDS = {name: replace(spec, calls=entity_calls) for name, spec in KINDS.items()}
