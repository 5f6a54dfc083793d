"""Live iTwin IoT entities -> normalized attribute maps that compare equal to the desired ones.

Only user-owned props are kept (NAME, NOTES without the marker flags at its end, LOCATION,
INTEGRATION_ID and the metric/unit maps); every server prop (ids, SERIAL_NO, NODE_ID,
PROJECT_ID, dates, SIZE, telemetry) is dropped. A missing LOCATION, `[null, null, null]` and a
LOCATION without `type` are the same; coordinates compare as floats rounded to 9 decimals.
Index-keyed maps (`{"0": "A", "1": "B"}`) become lists ordered by the integer key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provisioner.providers.marker import PREVENT_DESTROY, split_notes

JSONDict = dict[str, Any]

_PRECISION = 9


def blank(value: Any) -> Any:
    """'' and None are the same; everything else is kept."""
    return None if value == "" else value


def coordinate(value: Any) -> float | None:
    """A coordinate as a rounded float; None for null."""
    if value is None or value == "":
        return None
    return round(float(value), _PRECISION)


def location_from_props(location: Any) -> JSONDict | None:
    """`{"type":"Point","coordinates":[lon,lat,elev?]}` -> `{lon, lat, elev}` or None."""
    if not isinstance(location, Mapping):
        return None
    coords = list(location.get("coordinates") or [])
    coords += [None] * (3 - len(coords))
    lon, lat, elev = (coordinate(c) for c in coords[:3])
    if lon is None and lat is None and elev is None:
        return None
    return {"lon": lon, "lat": lat, "elev": elev}


def location_to_props(location: Mapping[str, Any] | None) -> JSONDict | None:
    """`{lon, lat, elev}` -> the service's GeoJSON point (elevation omitted when unset)."""
    if not location:
        return None
    coords = [location.get("lon"), location.get("lat")]
    if location.get("elev") is not None:
        coords.append(location.get("elev"))
    return {"type": "Point", "coordinates": coords}


def indexed_list(mapping: Any) -> list[Any]:
    """`{"0": a, "1": b}` -> `[a, b]` ordered by the integer key; tolerates lists."""
    if isinstance(mapping, list):
        return list(mapping)
    if not isinstance(mapping, Mapping):
        return []
    return [mapping[k] for k in sorted(mapping, key=lambda k: int(k))]


def indexed_map(values: list[Any]) -> JSONDict:
    """`[a, b]` -> `{"0": a, "1": b}`."""
    return {str(i): v for i, v in enumerate(values)}


def metrics_from_props(props: Mapping[str, Any]) -> list[JSONDict]:
    """Known then unknown metric/unit pairs, in index order."""
    pairs: list[JSONDict] = []
    for metrics_key, units_key in (("KNOWN_METRICS", "KNOWN_UNITS"), ("UNKNOWN_METRICS", "UNKNOWN_UNITS")):
        metrics = indexed_list(props.get(metrics_key))
        units = indexed_list(props.get(units_key))
        units += [None] * (len(metrics) - len(units))
        pairs += [{"metric": m, "unit": blank(u)} for m, u in zip(metrics, units, strict=False)]
    return pairs


def _common(entity: Mapping[str, Any]) -> JSONDict:
    props = entity.get("props") or {}
    raw_notes = props.get("NOTES")
    notes, flags = split_notes(raw_notes) if isinstance(raw_notes, str) else (raw_notes, frozenset())
    attrs: JSONDict = {
        "name": blank(props.get("NAME")),
        "location": location_from_props(props.get("LOCATION")),
        "notes": blank(notes),
    }
    if PREVENT_DESTROY in flags:
        attrs[PREVENT_DESTROY] = True
    return attrs


def connection_attrs(node: Mapping[str, Any]) -> JSONDict:
    """A node (connection) -> attrs."""
    return _common(node)


def device_attrs(device: Mapping[str, Any]) -> JSONDict:
    """A device -> attrs."""
    props = device.get("props") or {}
    return {**_common(device), "template": props.get("INTEGRATION_ID")}


def sensor_attrs(sensor: Mapping[str, Any]) -> JSONDict:
    """A sensor -> attrs."""
    props = sensor.get("props") or {}
    return {**_common(sensor), "template": props.get("INTEGRATION_ID"), "metrics": metrics_from_props(props)}
