"""Normalized attrs -> iTwin IoT integrate request entries (the inverse of `normalize`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from provisioner.providers.itwin_iot.normalize import indexed_map, location_to_props
from provisioner.providers.marker import PREVENT_DESTROY, mark_notes

JSONDict = dict[str, Any]


def user_props(attrs: Mapping[str, Any], *, creating: bool) -> JSONDict:
    """NAME, LOCATION and NOTES (the marker flags at its end); on update an unset value is sent
    empty so it is cleared."""
    props: JSONDict = {}
    flags = (PREVENT_DESTROY,) if attrs.get(PREVENT_DESTROY) else ()
    values = {"name": attrs.get("name"), "notes": mark_notes(attrs.get("notes"), flags)}
    for key, prop in (("name", "NAME"), ("notes", "NOTES")):
        if values[key] is not None:
            props[prop] = values[key]
        elif not creating:
            props[prop] = ""
    location = location_to_props(attrs.get("location"))
    if location is not None:
        props["LOCATION"] = location
    elif not creating:
        props["LOCATION"] = {"type": "Point", "coordinates": [None, None, None]}
    return props


def sensor_entry(attrs: Mapping[str, Any] | None, ref: str, state: str,
                 entity_id: str | None = None) -> JSONDict:
    """A sensor entry: `new` carries the template and the metric/unit maps, `remove` only the refId.

    With `entity_id` the entry targets the sensor by id, and a refId that differs re-keys it
    (how an adopted sensor receives this stack's refId).
    """
    entry: JSONDict = {"changeState": state, "refId": ref}
    if entity_id is not None:
        entry["id"] = entity_id
    if state == "remove" or attrs is None:
        return entry
    props = user_props(attrs, creating=state == "new")
    if state == "new":
        props["INTEGRATION_ID"] = attrs["template"]
        metrics = list(attrs.get("metrics") or [])
        props["UNKNOWN_METRICS"] = indexed_map([m["metric"] for m in metrics])
        props["UNKNOWN_UNITS"] = indexed_map([m.get("unit") or "" for m in metrics])
    entry["props"] = props
    return entry


def device_entry(attrs: Mapping[str, Any] | None, ref: str, state: str | None,
                 sensors: Sequence[JSONDict] = (), entity_id: str | None = None) -> JSONDict:
    """A device entry; `state=None` addresses an existing device only to reach its sensors.

    With `entity_id` the entry targets the device by id (see `sensor_entry`).
    """
    entry: JSONDict = {"refId": ref}
    if entity_id is not None:
        entry["id"] = entity_id
    if state is not None:
        entry["changeState"] = state
    if state in ("new", "update") and attrs is not None:
        props = user_props(attrs, creating=state == "new")
        if state == "new":
            props["INTEGRATION_ID"] = attrs["template"]
        entry["props"] = props
    if sensors:
        entry["sensors"] = list(sensors)
    return entry


def new_node_request(devices: Sequence[JSONDict]) -> JSONDict:
    """Create a connection (node) with the devices nested (its marker first), in one call.

    Nothing else is sent at node level: the seed documents only `changeState` there (L2977) and the
    service names the node itself (L2888-L2892); the connection's own props follow in an update.
    """
    return {"integration": {"changeState": "new", "devices": list(devices)}}


def connection_props(attrs: Mapping[str, Any], *, creating: bool) -> JSONDict:
    """A connection's props: as `user_props`, but an unset name is never sent, so the name the
    service gave the node stays (the configuration does not manage it)."""
    props = user_props(attrs, creating=creating)
    if attrs.get("name") is None:
        props.pop("NAME", None)
    return props


def node_request(node_id: str, *, state: str | None = None, attrs: Mapping[str, Any] | None = None,
                 devices: Sequence[JSONDict] = (), creating: bool = False) -> JSONDict:
    """Target an existing node: update or remove it, or change devices and sensors under it.

    `creating` (with `state="update"`): the first update right after creation, which sends only
    the props the configuration sets.
    """
    integration: JSONDict = {"nodeId": node_id}
    if state is not None:
        integration["changeState"] = state
    if state == "update" and attrs is not None:
        integration["props"] = connection_props(attrs, creating=creating)
    if devices:
        integration["devices"] = list(devices)
    return {"integration": integration}
