"""Reading an iTwin IoT project into managed `LiveResource`s and unmanaged entities.

Three list reads (nodes, devices, sensors, paged at the largest page size) cover any number of
entities. An entity is this stack's when its `SERIAL_NO` is a refId this tool wrote for the
stack (`iac:<stack>/<connection>[/<device>[/<sensor>]]`); a pinned id claims an unmarked
node, device or sensor.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from provisioner.model import Deferred, LiveResource, LiveState, Resource, UnmanagedObject
from provisioner.providers.fingerprint import fingerprint
from provisioner.providers.itwin_iot import kinds
from provisioner.providers.itwin_iot import normalize as norm
from provisioner.providers.marker import parse_ref_id

JSONDict = dict[str, Any]

_KIND_BY_DEPTH = {1: kinds.CONNECTION, 2: kinds.DEVICE, 3: kinds.SENSOR}
_ATTRS = {
    kinds.CONNECTION: norm.connection_attrs,
    kinds.DEVICE: norm.device_attrs,
    kinds.SENSOR: norm.sensor_attrs,
}


def entity_hash(entity: Any) -> str:
    """A precondition for an entity (iTwin has no etags): hash of its user-visible props."""
    props = entity.get("props") or {}
    kept = {k: v for k, v in props.items() if not k.startswith(("LAST_", "OBSERVATION", "ACCESSIBLE"))}
    return fingerprint(kept)


def address_of(keys: Sequence[str]) -> str:
    """`itwin_iot.connections.<c>[.devices.<d>[.sensors.<s>]]` for a refId's keys."""
    parts = ["itwin_iot.connections", keys[0]]
    for segment, key in zip(("devices", "sensors"), keys[1:], strict=False):
        parts += [segment, key]
    return ".".join(parts)


def interpret_steps(nodes: list[JSONDict], devices: list[JSONDict], sensors: list[JSONDict],
                    desired: Sequence[Resource], stack: str, state: LiveState) -> Iterator[None]:
    """Turn the three lists into `state` for this stack, one step per entity (see
    `provisioner.providers.cooperative`).

    A pinned id claims an entity without this stack's refId. A pinned device or sensor is
    adopted (the update gives it the stack's refId); a pinned node stays identified by its pin,
    because a node's refId can only be set when it is created, so there is nothing to adopt.
    """
    pinned = {(r.kind, r.pinned_id): r.address for r in desired if r.pinned_id}
    for entities, depth in ((nodes, 1), (devices, 2), (sensors, 3)):
        kind = _KIND_BY_DEPTH[depth]
        for entity in entities:
            parsed = parse_ref_id((entity.get("props") or {}).get("SERIAL_NO"))
            address: str | None = None
            adopt = False
            if parsed is not None and parsed[0] == stack and len(parsed[1]) == depth:
                address = address_of(parsed[1])
            elif (kind, entity.get("id")) in pinned:
                address, adopt = pinned[(kind, entity["id"])], depth > 1
            if address is None:
                if depth == 1:
                    name = str((entity.get("props") or {}).get("NAME", ""))
                    state.unmanaged.append(UnmanagedObject(kind, str(entity.get("id")), name))
                continue
            parent = address.rsplit(".", 2)[0] if depth > 1 else None
            deps = (parent,) if parent else ()
            state.managed[address] = LiveResource(address, kind, _ATTRS[kind](entity), str(entity["id"]),
                                                  Deferred(entity_hash, entity), deps, adopt=adopt)
            yield
