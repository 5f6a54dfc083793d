"""Configuration -> desired iTwin IoT `Resource`s, in the same normalized form as live ones."""

from __future__ import annotations

from typing import Any

from provisioner.config.schema import GeoPoint, ProjectConfig
from provisioner.model import Resource
from provisioner.providers.itwin_iot import kinds
from provisioner.providers.itwin_iot.normalize import blank, coordinate
from provisioner.providers.lifecycle import with_lifecycle, with_moves

JSONDict = dict[str, Any]


def location(point: GeoPoint | None) -> JSONDict | None:
    """A configured point in the normalized `{lon, lat, elev}` form."""
    if point is None:
        return None
    return {"lon": coordinate(point.lon), "lat": coordinate(point.lat), "elev": coordinate(point.elev)}


def desired_resources(config: ProjectConfig) -> list[Resource]:
    """Every connection, device and sensor the configuration declares."""
    if config.platforms.itwin_iot is None:
        return []
    found: list[Resource] = []
    for ckey, conn in config.itwin_iot.connections.items():
        caddr = f"itwin_iot.connections.{ckey}"
        attrs: JSONDict = {"name": conn.name, "location": location(conn.location), "notes": blank(conn.notes)}
        found.append(with_lifecycle(Resource(caddr, kinds.CONNECTION, attrs, protect=conn.protect,
                                             pinned_id=conn.id), conn.lifecycle))
        for dkey, device in conn.devices.items():
            daddr = f"{caddr}.devices.{dkey}"
            attrs = {"name": blank(device.name), "location": location(device.location),
                               "notes": blank(device.notes), "template": device.template}
            device_resource = Resource(daddr, kinds.DEVICE, attrs, (caddr,), device.protect, device.id)
            found.append(with_lifecycle(device_resource, device.lifecycle))
            for skey, sensor in device.sensors.items():
                attrs = {"name": blank(sensor.name), "location": location(sensor.location),
                         "notes": blank(sensor.notes), "template": sensor.template,
                         "metrics": [{"metric": m.metric, "unit": blank(m.unit)} for m in sensor.metrics]}
                saddr = f"{daddr}.sensors.{skey}"
                sensor_resource = Resource(saddr, kinds.SENSOR, attrs, (daddr,), sensor.protect, sensor.id)
                found.append(with_lifecycle(sensor_resource, sensor.lifecycle))
    return with_moves(found, config.moved)
