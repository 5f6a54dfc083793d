"""Normalising client-sent props: float LOCATION Points, index-keyed metric maps, server props dropped."""

from __future__ import annotations

import math
from typing import Any

from provisioner.sandbox.itwin_iot.entities import METRIC_MAPS, SERVER_PROPS
from provisioner.sandbox.itwin_iot.errors import ApiError, integration_error

UNSET_LOCATION: dict[str, Any] = {"type": "Point", "coordinates": [None, None, None]}


def _bad(message: str) -> ApiError:
    return integration_error(400, message)


def normalize_location(value: Any) -> dict[str, Any]:
    """`{"type":"Point","coordinates":[lon,lat,elev?]}` with floats; null/empty means unset."""
    if value is None:
        return {"type": "Point", "coordinates": [None, None, None]}
    if not isinstance(value, dict) or not isinstance(value.get("coordinates"), list):
        raise _bad("`props.LOCATION` must be a GeoJSON Point with `coordinates` [lon, lat, elevation].")
    if value.get("type", "Point") != "Point":
        raise _bad('`props.LOCATION.type` must be "Point".')
    coords = value["coordinates"]
    if len(coords) == 0:
        return {"type": "Point", "coordinates": [None, None, None]}
    if len(coords) not in (2, 3):
        raise _bad("`props.LOCATION.coordinates` must hold 2 or 3 numbers.")
    out: list[float | None] = []
    for c in coords:
        if c is None:
            out.append(None)
        elif isinstance(c, bool) or not isinstance(c, int | float) or not math.isfinite(c):
            raise _bad("`props.LOCATION.coordinates` must hold 2 or 3 numbers.")
        else:
            out.append(float(c))
    return {"type": "Point", "coordinates": out}


def normalize_index_map(name: str, value: Any) -> dict[str, str]:
    """An index-keyed map such as `{"0":"Alignment_Left_SD","1":…}`; keys are decimal indexes."""
    if not isinstance(value, dict) or not value:
        raise _bad(f'`props.{name}` must be a non-empty object keyed by index ("0", "1", …).')
    out: dict[str, str] = {}
    for key, item in value.items():
        if not (isinstance(key, str) and key.isdigit()) or not isinstance(item, str) or not item:
            raise _bad(f'`props.{name}` must map index keys ("0", "1", …) to non-empty strings.')
        out[str(int(key))] = item
    return out


def user_props(raw: Any) -> dict[str, Any]:
    """Client props minus server-owned keys, with LOCATION and metric maps normalised; None means unset."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise _bad("`props` must be an object.")
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key in SERVER_PROPS:
            continue
        if key == "LOCATION":
            out[key] = normalize_location(value)
        elif key in METRIC_MAPS and value is not None:
            out[key] = normalize_index_map(key, value)
        elif key in ("INTEGRATION_ID", "NAME", "NOTES", "SERIAL_NO") and value is not None:
            if not isinstance(value, str):
                raise _bad(f"`props.{key}` must be a string.")
            out[key] = value
        else:
            out[key] = value
    return out


def merge(current: dict[str, Any], changes: dict[str, Any]) -> None:
    """Merge-patch: set sent props, delete the ones sent as null (LOCATION null becomes the unset Point)."""
    for key, value in changes.items():
        if value is None:
            current.pop(key, None)
        else:
            current[key] = value
