"""Class-level facts about iTwin IoT resource kinds: replace triggers, data, call costs."""

from __future__ import annotations

from provisioner.model import KindSpec

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
