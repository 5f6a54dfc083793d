"""Which node is which connection: a marker device under the node carries the connection's refId.

The integrate API documents a client-chosen `refId` (stored as `SERIAL_NO`) for devices and
sensors only [seed L2988, L3203 vs L3277/L3305]; at node level it documents `changeState` and
`nodeId` alone [L2977], and its example shows the service naming a new node itself
(`SERIAL_NO "B6627B"`, `NAME "Data Source API Import B6627B"`, L2888-L2892). So a connection is
keyed by a device created with it in the same call: refId `iac:<stack>/<connection>` (one key,
where real devices have two), no sensors, named so that a person in the iTwin app leaves it alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from provisioner.providers.marker import parse_ref_id, ref_id

JSONDict = dict[str, Any]

MARKER_TEMPLATE = "IMPORT_DEVICE_SDE"
MARKER_NAME = "provision marker (do not remove)"


def marker_entry(stack: str, connection: str) -> JSONDict:
    """The `new` device entry that marks a connection being created."""
    notes = (f"Identifies this connection as itwin_iot.connections.{connection} of provision stack "
             f"{stack}. Removing this device makes provision lose track of the connection.")
    return {"changeState": "new", "refId": ref_id(stack, connection),
            "props": {"INTEGRATION_ID": MARKER_TEMPLATE, "NAME": MARKER_NAME, "NOTES": notes}}


def marker_of(device: Mapping[str, Any]) -> tuple[str, str] | None:
    """(stack, connection key) when `device` is a connection marker of any stack, else None."""
    parsed = parse_ref_id((device.get("props") or {}).get("SERIAL_NO"))
    if parsed is None or len(parsed[1]) != 1:
        return None
    return parsed[0], parsed[1][0]


def node_of(entity: Mapping[str, Any]) -> str:
    """The node id of a device or sensor: `props.NODE_ID`, else the id up to `/node`."""
    node = (entity.get("props") or {}).get("NODE_ID")
    if isinstance(node, str) and node:
        return node
    raw = str(entity.get("id", ""))
    at = raw.find("/node")
    return raw[: at + len("/node")] if at >= 0 else ""


def marked_nodes(devices: Iterable[Mapping[str, Any]], stack: str) -> dict[str, list[str]]:
    """Connection key -> ids of the nodes holding that key's marker for `stack`, sorted."""
    found: dict[str, set[str]] = {}
    for device in devices:
        marker = marker_of(device)
        if marker is not None and marker[0] == stack:
            found.setdefault(marker[1], set()).add(node_of(device))
    return {key: sorted(nodes) for key, nodes in found.items()}
