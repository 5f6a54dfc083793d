"""iTwin IoT live entities -> connection entries (with devices and sensors) and findings.

Reuses the provider's normalization (`providers.itwin_iot.normalize`). Every connection, device
and sensor is pinned by its id: the node keeps its id as identity, devices and sensors receive
this stack's refId on the next apply. Connection marker devices (`providers.itwin_iot.identity`)
are identity, not configuration: they are never imported.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from provisioner.errors import ProvisionError
from provisioner.importer.keys import Candidate, allocate, slug
from provisioner.importer.model import Entry, Imported, JSONDict
from provisioner.importer.select import Selection
from provisioner.importer.values import compact
from provisioner.providers.itwin_iot import identity
from provisioner.providers.itwin_iot import normalize as norm
from provisioner.providers.marker import parse_ref_id

ITWIN = "itwin_iot"
GENERIC_SENSOR = "GENERIC_SENSOR_SDE"
_USER_PROPS = {"NAME", "NOTES", "LOCATION", "INTEGRATION_ID", "SERIAL_NO", "KNOWN_METRICS", "KNOWN_UNITS",
               "UNKNOWN_METRICS", "UNKNOWN_UNITS"}
_SERVER_PROPS = {"NODE_ID", "PROJECT_ID", "CREATION_DATE", "SIZE", "ACCESSIBLE"}


def _parent_id(entity: Mapping[str, Any], marker: str) -> str:
    """`/api/N/node/dynamic/D/device/S/sensor` -> the id up to `/node` or `/device`."""
    raw = str(entity.get("id", ""))
    at = raw.find(marker)
    return raw[: at + len(marker)] if at >= 0 else ""


def _location(value: JSONDict | None) -> JSONDict | None:
    return compact(dict(value)) if value else None


class ItwinImport:
    """One project's three list reads, the selection made from them, and their entries."""

    def __init__(self, nodes: list[JSONDict], devices: list[JSONDict], sensors: list[JSONDict], *,
                 stack: str, selection: Selection) -> None:
        self.stack = stack
        self.out = Imported()
        self.nodes = {str(n["id"]): n for n in nodes}
        self.devices: dict[str, list[JSONDict]] = defaultdict(list)
        self.marked_by: dict[str, set[str]] = defaultdict(set)  # node id -> stacks whose marker it holds
        for device in devices:
            node_id = (device.get("props") or {}).get("NODE_ID") or _parent_id(device, "/node")
            marker = identity.marker_of(device)
            if marker is not None:
                self.marked_by[str(node_id)].add(marker[0])
                continue
            self.devices[str(node_id)].append(device)
        self.sensors: dict[str, list[JSONDict]] = defaultdict(list)
        for sensor in sensors:
            self.sensors[str(sensor.get("device") or _parent_id(sensor, "/device"))].append(sensor)
        self.keys = allocate(Candidate(i, slug(_name(n), _segment(n))) for i, n in self.nodes.items())
        self.selected = self._select(selection)

    def _select(self, sel: Selection) -> list[str]:
        chosen = set(self.nodes) if sel.kind("connections") else set()
        for value in sel.values("connection"):
            match = [i for i, n in self.nodes.items()
                     if value in (i, self.keys[i]) or (_name(n) or "").lower() == value.lower()]
            if not match:
                raise ProvisionError(f"--select connection:{value}: no connection has that name, key or id")
            chosen.update(match)
        chosen.update(i for i, n in self.nodes.items() if sel.named(_name(n), i))
        return sorted(chosen, key=lambda i: self.keys[i])

    def build(self) -> Imported:
        """Write every selected connection with the devices and sensors the language can express."""
        names: dict[str, str] = {}
        for node_id in self.selected:
            node = self.nodes[node_id]
            name = _name(node)
            subject = f"connection {name!r} ({node_id})"
            if not name:
                self.out.skip(subject, "a connection needs a name")
                continue
            if name in names:
                self.out.skip(subject, f"connections are identified by name and {names[name]} "
                                       "has the same name")
                continue
            names[name] = node_id
            for stack in sorted(self.marked_by.get(node_id, set()) - {self.stack}):
                self.out.note(subject, f"holds the marker device of stack {stack!r}, which still "
                                       "manages it; it is now also claimed by its id pin")
            self._notes(subject, node)
            attrs = norm.connection_attrs(node)
            body = compact({"name": name, "id": node_id, "location": _location(attrs["location"]),
                            "notes": attrs["notes"], "devices": self._devices(node_id, subject)})
            key = self.keys[node_id]
            self.out.entries.append(Entry((ITWIN, "connections", key), body, key))
        return self.out

    def _devices(self, node_id: str, parent: str) -> JSONDict:
        devices = self.devices.get(node_id, [])
        keys = allocate(Candidate(str(d["id"]), slug(_name(d), _segment(d))) for d in devices)
        found: JSONDict = {}
        for device in sorted(devices, key=lambda d: keys[str(d["id"])]):
            subject = f"{parent}: device {_name(device)!r} ({device['id']})"
            attrs = norm.device_attrs(device)
            if not attrs["template"]:
                self.out.skip(subject, f"it has no template (type {device.get('type')}: a legacy type?); "
                                       "its sensors are skipped with it")
                continue
            self._notes(subject, device)
            found[keys[str(device["id"])]] = compact({
                "name": attrs["name"], "id": str(device["id"]), "template": attrs["template"],
                "location": _location(attrs["location"]), "notes": attrs["notes"],
                "sensors": self._sensors(str(device["id"]), subject)})
        return found

    def _sensors(self, device_id: str, parent: str) -> JSONDict:
        sensors = self.sensors.get(device_id, [])
        keys = allocate(Candidate(str(s["id"]), slug(_name(s), _segment(s))) for s in sensors)
        found: JSONDict = {}
        for sensor in sorted(sensors, key=lambda s: keys[str(s["id"])]):
            subject = f"{parent}: sensor {_name(sensor)!r} ({sensor['id']})"
            attrs = norm.sensor_attrs(sensor)
            if not attrs["template"]:
                self.out.skip(subject, f"it has no template (type {sensor.get('type')}: a legacy type?)")
                continue
            if str(attrs["template"]).upper() == GENERIC_SENSOR and not attrs["metrics"]:
                self.out.skip(subject, f"a {GENERIC_SENSOR} sensor without metrics is not expressible")
                continue
            self._notes(subject, sensor)
            metrics = [compact({"metric": m["metric"], "unit": m["unit"]}) for m in attrs["metrics"]]
            found[keys[str(sensor["id"])]] = compact({
                "name": attrs["name"], "id": str(sensor["id"]), "template": attrs["template"],
                "location": _location(attrs["location"]), "notes": attrs["notes"], "metrics": metrics})
        return found

    def _notes(self, subject: str, entity: Mapping[str, Any]) -> None:
        props = entity.get("props") or {}
        serial = props.get("SERIAL_NO")
        parsed = parse_ref_id(serial)
        is_node = str(entity.get("id", "")).endswith("/node")
        if parsed is not None and parsed[0] != self.stack:
            self.out.note(subject, f"was managed by stack {parsed[0]!r}; it is now claimed by its id pin"
                          + ("" if is_node else f" and the next apply gives it a refId of {self.stack!r}"))
        elif serial and parsed is None and not is_node:
            self.out.note(subject, f"its SERIAL_NO {serial!r} is replaced by this stack's refId "
                                   "on the next apply")
        extra = sorted(k for k in props if k not in _USER_PROPS and k not in _SERVER_PROPS
                       and not k.startswith(("LAST_", "OBSERVATION")))
        if extra or entity.get("customProps"):
            listed = ", ".join(extra + (["customProps"] if entity.get("customProps") else []))
            self.out.note(subject, f"{listed} not expressible; kept on the service, unmanaged")


def _name(entity: Mapping[str, Any]) -> str | None:
    name = (entity.get("props") or {}).get("NAME")
    return str(name) if name not in (None, "") else None


def _segment(entity: Mapping[str, Any]) -> str:
    """The entity's own id segment (`/api/N/node/dynamic/D/device` -> `D`)."""
    parts = str(entity.get("id", "")).strip("/").split("/")
    return parts[-2] if len(parts) >= 2 else str(entity.get("id", "x"))
