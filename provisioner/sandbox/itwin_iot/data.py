"""Observations: `POST …/data/upload`, the raw-data query `POST …/data/observations` and the
per-sensor metric list of `POST /api/sensors/metrics`."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from provisioner.sandbox.itwin_iot.catalogue import sensor_metric_ids, sensor_metrics
from provisioner.sandbox.itwin_iot.errors import ApiError, field_error
from provisioner.sandbox.itwin_iot.store import ItwinStore


def _epoch(value: Any) -> float | None:
    """Epoch seconds of an ISO-8601 timestamp (UTC when it names no zone); None if it is not one."""
    if not isinstance(value, str):
        return None
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp()


def _parse_timestamp(value: Any) -> bool:
    return _epoch(value) is not None


def _validate(store: ItwinStore, index: int, obs: Any, project: str | None) -> dict[str, Any]:
    where = f"observations[{index}]"
    if not isinstance(obs, dict):
        raise field_error(400, "must be an object", where)
    sensor_id = obs.get("sensorId")
    if not isinstance(sensor_id, str) or not sensor_id:
        raise field_error(400, "must not be null", f"{where}.sensorId")
    sensor = store.entities.get(sensor_id)
    if sensor is None or sensor.kind != "sensor" or (project is not None and sensor.project != project):
        raise field_error(400, f"Sensor {sensor_id} does not exist", f"{where}.sensorId")
    if not _parse_timestamp(obs.get("timestamp")):
        raise field_error(400, "must be an ISO-8601 date-time", f"{where}.timestamp")
    values = obs.get("values")
    if not isinstance(values, dict) or not values:
        raise field_error(400, "must not be empty", f"{where}.values")
    for metric, number in values.items():
        if isinstance(number, bool) or not isinstance(number, int | float) or not math.isfinite(number):
            raise field_error(400, "must be a number", f"{where}.values.{metric}")
    if store.settings.strict_upload_metrics:
        unknown = sorted(set(values) - sensor_metric_ids(sensor.props))
        if unknown:
            message = f"unknown metrics for this sensor: {', '.join(unknown)}"
            raise field_error(400, message, f"{where}.values")
    return {"sensorId": sensor_id, "timestamp": obs["timestamp"], "values": dict(values)}


def upload(store: ItwinStore, body: Any, project: str | None) -> None:
    """Validate every observation, then store them all and bump OBSERVATION_COUNT up the tree."""
    observations = body.get("observations") if isinstance(body, dict) else None
    if not isinstance(observations, list) or not observations:
        raise field_error(400, "must not be empty", "observations")
    accepted = [_validate(store, i, obs, project) for i, obs in enumerate(observations)]
    for obs in accepted:
        sensor = store.entities[obs["sensorId"]]
        store.observations.setdefault(sensor.id, []).append(obs)
        for entity_id in (sensor.id, sensor.device, sensor.node):
            entity = store.entities.get(entity_id or "")
            if entity is not None:
                entity.props["OBSERVATION_COUNT"] = int(entity.props.get("OBSERVATION_COUNT", 0)) + 1
    store.touch()


def metrics_by_sensor(store: ItwinStore, body: Any, project: str) -> dict[str, Any]:
    """`{"metricsBySensor":{id:[…]}}` for the requested ids of this project; unknown ids are omitted."""
    requested = body.get("ids") if isinstance(body, dict) else None
    if not isinstance(requested, list):
        raise ApiError(400, {"errors": [{"message": "must not be null", "path": "ids"}]})
    out: dict[str, Any] = {}
    for sensor_id in requested:
        sensor = store.entities.get(sensor_id) if isinstance(sensor_id, str) else None
        if sensor is not None and sensor.kind == "sensor" and sensor.project == project:
            out[sensor.id] = sensor_metrics(sensor.props)
    return {"metricsBySensor": out}


def query(store: ItwinStore, body: Any, project: str | None) -> dict[str, Any]:
    """Query Raw Data: `{sensorId, startDate?, endDate?}` (both bounds inclusive) ->
    `{"observations":[{sensorId,timestamp,values}]}`, oldest first, at most
    `observation_page_size` of them; a client reads on from the last timestamp it got (inferences,
    docs/sandbox-itwin.md "Data query")."""
    if not isinstance(body, dict):
        raise field_error(400, "must not be null", "sensorId")
    sensor_id = body.get("sensorId")
    if not isinstance(sensor_id, str) or not sensor_id:
        raise field_error(400, "must not be null", "sensorId")
    sensor = store.entities.get(sensor_id)
    if sensor is None or sensor.kind != "sensor" or (project is not None and sensor.project != project):
        raise field_error(400, f"Sensor {sensor_id} does not exist", "sensorId")
    bounds = []
    for name in ("startDate", "endDate"):
        raw = body.get(name)
        moment = _epoch(raw) if raw is not None else None
        if raw is not None and moment is None:
            raise field_error(400, "must be an ISO-8601 date-time", name)
        bounds.append(moment)
    low, high = bounds
    stored = store.observations.get(sensor.id, [])
    stamped = [(_epoch(o["timestamp"]) or 0.0, i, o) for i, o in enumerate(stored)]
    chosen = sorted((t, i, o) for t, i, o in stamped
                    if (low is None or t >= low) and (high is None or t <= high))
    page = chosen[: store.settings.observation_page_size]
    return {"observations": [
        {"sensorId": o["sensorId"], "timestamp": o["timestamp"], "values": dict(o["values"])}
        for _, _, o in page
    ]}
