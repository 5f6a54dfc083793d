"""Reading an iTwin IoT project into managed `LiveResource`s and unmanaged entities.

Three list reads (nodes, devices, sensors) cover any number of entities. A device or sensor is
this stack's when its `SERIAL_NO` is a refId this tool wrote for the stack
(`iac:<stack>/<connection>/<device>[/<sensor>]`); a node is when it holds this stack's marker
device (refId `iac:<stack>/<connection>`, see `identity`); a pinned id claims an unmarked
node, device or sensor.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from provisioner.model import Deferred, LiveResource, LiveState, Resource, UnmanagedObject
from provisioner.providers.fingerprint import fingerprint
from provisioner.providers.itwin_iot import identity, kinds
from provisioner.providers.itwin_iot import normalize as norm
from provisioner.providers.lifecycle import moved_addresses
from provisioner.providers.lookalikes import Lookalikes
from provisioner.providers.marker import PREVENT_DESTROY, parse_ref_id

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

    Marker devices are identity, not resources: they are neither managed nor reported. Devices and
    sensors without this stack's refId under a managed node are reported unmanaged. When two
    nodes hold the same connection's marker (a create that ran twice), the smallest node id is
    the connection and the other is reported unmanaged, with the devices and sensors under it.
    A pinned device or sensor is adopted (the update gives it the stack's refId); a pinned node
    stays identified by its pin.
    """
    pinned = {(r.kind, r.pinned_id): r.address for r in desired if r.pinned_id}
    moved = moved_addresses(desired)
    by_node = {ids[0]: address_of([key]) for key, ids in identity.marked_nodes(devices, stack).items()}
    renamed = {node: moved[address] for node, address in by_node.items() if address in moved}
    by_node.update(renamed)
    node_of_connection: dict[str, str] = {}
    for entities, depth in ((nodes, 1), (devices, 2), (sensors, 3)):
        kind = _KIND_BY_DEPTH[depth]
        for entity in entities:
            if depth == 2 and identity.marker_of(entity) is not None:
                continue
            address: str | None = None
            adopt = False
            moved_from: str | None = None
            if depth == 1:
                address = by_node.get(str(entity.get("id")))
                if str(entity.get("id")) in renamed:  # `moved:`: the update re-keys its marker
                    moved_from, adopt = next(a for a, b in moved.items() if b == address), True
            else:
                parsed = parse_ref_id((entity.get("props") or {}).get("SERIAL_NO"))
                if parsed is not None and parsed[0] == stack and len(parsed[1]) == depth:
                    address = address_of(parsed[1])
                    owner = node_of_connection.get(address_of(parsed[1][:1]))
                    if owner is not None and owner != identity.node_of(entity):
                        continue  # under a twin node, which is reported unmanaged
                    if address in moved:  # renamed by `moved:`: the update re-keys its refId
                        moved_from, address, adopt = address, moved[address], True
            if address is None and (kind, entity.get("id")) in pinned:
                address, adopt = pinned[(kind, entity["id"])], depth > 1
            if address is None:
                # a node, or a device or sensor without this stack's refId under a managed node
                # (made in the iTwin app): listed, never changed
                if depth == 1 or identity.node_of(entity) in node_of_connection.values():
                    name = str((entity.get("props") or {}).get("NAME", ""))
                    state.unmanaged.append(UnmanagedObject(kind, str(entity.get("id")), name))
                continue
            if depth == 1:
                node_of_connection[address] = str(entity["id"])
            parent = address.rsplit(".", 2)[0] if depth > 1 else None
            deps = (parent,) if parent else ()
            attrs = _ATTRS[kind](entity)
            state.managed[address] = LiveResource(address, kind, attrs, str(entity["id"]),
                                                  Deferred(entity_hash, entity), deps, adopt=adopt,
                                                  prevent_destroy=PREVENT_DESTROY in attrs,
                                                  moved_from=moved_from)
            yield


def unmarked_lookalikes(nodes: Sequence[JSONDict], devices: Sequence[JSONDict], sensors: Sequence[JSONDict],
                        state: LiveState, stack: str) -> Lookalikes:
    """Nodes and devices that carry no stack's marker, by NAME (and node, for devices): what a
    create of a connection or device of that name would duplicate. Every device and sensor this
    stack does not manage, under its node (and device): what removing those takes along."""
    managed = {r.server_id for r in state.managed.values()}
    found = Lookalikes()
    for entity, what in [*((d, "device") for d in devices), *((s, "sensor") for s in sensors)]:
        entity_id = str(entity.get("id"))
        if entity_id in managed or identity.marker_of(entity) is not None:
            continue
        text = f"{what} {(entity.get('props') or {}).get('NAME')!r} ({entity_id})"
        found.add_child(identity.node_of(entity), text)
        if what == "sensor":
            found.add_child(entity.get("device"), text)
    marked_nodes = {identity.node_of(d) for d in devices if identity.marker_of(d) is not None}
    for node in nodes:
        node_id = str(node.get("id"))
        if node_id not in managed and node_id not in marked_nodes:
            found.add(kinds.CONNECTION, (node.get("props") or {}).get("NAME"), "", node_id)
    for device in devices:
        props = device.get("props") or {}
        if str(device.get("id")) in managed or parse_ref_id(props.get("SERIAL_NO")) is not None:
            continue
        found.add(kinds.DEVICE, props.get("NAME"), identity.node_of(device), str(device.get("id")))
    return found
