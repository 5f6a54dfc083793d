"""Static template catalogues: node, device, sensor and metric types [D:seed L3355-L3505]."""

from __future__ import annotations

from typing import Any

GENERIC_SENSOR = "GENERIC_SENSOR_SDE"


def _unit(uid: str, display: str, notation: str) -> dict[str, str]:
    return {"unit": uid, "id": uid, "displayName": display, "notation": notation}


NODE_TYPES: list[dict[str, Any]] = [
    {
        "id": "NODE_API_SDE",
        "name": "Data Source API",
        "icon": "smicon-connection-api",
        "iconUnicode": "",
        "manufacturer": "sensemetrics",
        "minThreadVersion": "1.0",
        "editOnly": False,
        "isDynamic": True,
    }
]

DEVICE_TYPES: list[dict[str, Any]] = [
    {
        "id": "IMPORT_DEVICE_SDE",
        "name": "Import Device",
        "icon": "smicon-device-import",
        "iconUnicode": "",
        "manufacturer": "sensemetrics",
        "minThreadVersion": "1.0",
        "editOnly": False,
        "isDynamic": True,
    }
]

METRIC_TYPES: list[dict[str, Any]] = [
    {
        "metric": "T",
        "id": "T",
        "displayName": "Temperature",
        "defaultUnit": "C",
        "units": [_unit("C", "celsius", "°C"), _unit("K", "kelvin", "°K"), _unit("F", "fahrenheit", "°F")],
    },
    {
        "metric": "f",
        "id": "f",
        "displayName": "Frequency",
        "defaultUnit": "Hz",
        "units": [_unit("Hz", "hertz", "Hz")],
    },
    {
        "metric": "cum_distance",
        "id": "cum_distance",
        "displayName": "Cumulative distance",
        "defaultUnit": "mm",
        "units": [_unit("mm", "millimeter", "mm"), _unit("m", "meter", "m")],
    },
    {
        "metric": "GENERIC",
        "id": "GENERIC",
        "displayName": "generic",
        "defaultUnit": "GENERIC",
        "units": [_unit("GENERIC", "generic", "")],
    },
]


def _template_metric(metric_id: str) -> dict[str, Any]:
    metric = METRICS[metric_id]
    return {
        "metric": metric["metric"],
        "id": metric["id"],
        "displayName": metric["displayName"],
        "defaultUnit": metric["defaultUnit"],
        "units": [{"unit": u["unit"], "id": u["id"]} for u in metric["units"]],
    }


METRICS: dict[str, dict[str, Any]] = {m["id"]: m for m in METRIC_TYPES}
UNITS: dict[str, dict[str, str]] = {u["id"]: u for m in METRIC_TYPES for u in m["units"]}

SENSOR_TYPES: list[dict[str, Any]] = [
    {
        "id": GENERIC_SENSOR,
        "name": GENERIC_SENSOR,
        "icon": "smicon-circle",
        "iconUnicode": "",
        "metricsAndUnits": [_template_metric("GENERIC")],
        "isDynamic": True,
    },
    {
        "id": "TEMPERATURE_SDE",
        "name": "Temperature",
        "icon": "smicon-thermometer",
        "iconUnicode": "",
        "metricsAndUnits": [_template_metric("T")],
        "isDynamic": True,
    },
]

NODE_TYPE_IDS = frozenset(t["id"] for t in NODE_TYPES)
DEVICE_TYPE_IDS = frozenset(t["id"] for t in DEVICE_TYPES)
SENSOR_TYPE_BY_ID: dict[str, dict[str, Any]] = {t["id"]: t for t in SENSOR_TYPES}


def _index_values(value: Any) -> dict[int, str]:
    if not isinstance(value, dict):
        return {}
    return {int(k): str(v) for k, v in value.items()}


def sensor_metrics(props: dict[str, Any]) -> list[dict[str, Any]]:
    """The metric list of a sensor as `POST /api/sensors/metrics` shows it [D:seed L3556-L3590]."""
    template = SENSOR_TYPE_BY_ID.get(str(props.get("INTEGRATION_ID")))
    out: list[dict[str, Any]] = []
    if template is not None and template["id"] != GENERIC_SENSOR:
        for metric in template["metricsAndUnits"]:
            full = METRICS[metric["id"]]
            out.append(_metric_entry(full["id"], full["displayName"], full["defaultUnit"]))
        return out
    metrics = {**_index_values(props.get("KNOWN_METRICS")), **_index_values(props.get("UNKNOWN_METRICS"))}
    units = {**_index_values(props.get("KNOWN_UNITS")), **_index_values(props.get("UNKNOWN_UNITS"))}
    for index in sorted(metrics):
        metric_id = metrics[index]
        known = METRICS.get(metric_id)
        display = known["displayName"] if known else metric_id
        out.append(_metric_entry(metric_id, display, units.get(index, "")))
    return out


def _metric_entry(metric_id: str, display: str, unit_id: str) -> dict[str, Any]:
    unit = UNITS.get(unit_id)
    notation = unit["notation"] if unit else unit_id
    return {
        "defaultUnit": unit_id,
        "hidden": False,
        "displayName": display,
        "notation": metric_id,
        "name": metric_id,
        "id": metric_id,
        "units": [{"notation": notation, "name": unit_id, "id": unit_id}],
    }


def sensor_metric_ids(props: dict[str, Any]) -> set[str]:
    return {m["id"] for m in sensor_metrics(props)}
