"""Semantic checks of iTwin IoT resources."""

from __future__ import annotations

from provisioner.config import addresses as addr
from provisioner.config import rules
from provisioner.config.locations import Path
from provisioner.config.schema import Sensor
from provisioner.config.validate import Checker

CONNECTIONS: Path = (addr.ITWIN, "connections")
GENERIC_SENSOR = "GENERIC_SENSOR_SDE"


def _check_sensor(c: Checker, sensor: Sensor, path: Path, address: str) -> None:
    if sensor.template.upper() == GENERIC_SENSOR and not sensor.metrics:
        c.error(
            f"a {GENERIC_SENSOR} sensor needs its metrics (and units) at creation", path, address, at_key=True
        )
    seen: dict[str, int] = {}
    for index, metric in enumerate(sensor.metrics):
        if metric.metric in seen:
            c.error(
                f"metric {metric.metric!r} is listed twice (also item {seen[metric.metric]})",
                (*path, "metrics", index, "metric"),
                address,
            )
        else:
            seen[metric.metric] = index
        if sensor.template.upper() == GENERIC_SENSOR and not metric.unit:
            c.error(
                f"metric {metric.metric!r} needs a unit: generic sensors define metrics and units "
                "together at creation (metric i pairs with unit i)",
                (*path, "metrics", index),
                address,
            )


def check_itwin_iot(c: Checker) -> None:
    connections = c.config.itwin_iot.connections
    if connections and c.config.platforms.itwin_iot is None:
        c.error(
            "iTwin IoT resources need platforms.itwin_iot settings", (addr.ITWIN,), addr.ITWIN, at_key=True
        )
    names: dict[str, str] = {}
    for ckey, conn in connections.items():
        cpath = (*CONNECTIONS, ckey)
        caddress = addr.connection(ckey)
        if not rules.KEY.fullmatch(ckey):
            c.error(f"bad connection key {ckey!r}: {rules.KEY_RULE}", cpath, caddress, at_key=True)
        if conn.name in names:
            other = names[conn.name]
            c.error(
                f"connection name {conn.name!r} is used twice (also by {addr.connection(other)} at "
                f"{c.where((*CONNECTIONS, other))}); connections are identified by name",
                (*cpath, "name"),
                caddress,
            )
        else:
            names[conn.name] = ckey
        for dkey, device in conn.devices.items():
            dpath = (*cpath, "devices", dkey)
            daddress = addr.device(ckey, dkey)
            if not rules.KEY.fullmatch(dkey):
                c.error(f"bad device key {dkey!r}: {rules.KEY_RULE}", dpath, daddress, at_key=True)
            for skey, sensor in device.sensors.items():
                spath = (*dpath, "sensors", skey)
                saddress = addr.sensor(ckey, dkey, skey)
                if not rules.KEY.fullmatch(skey):
                    c.error(f"bad sensor key {skey!r}: {rules.KEY_RULE}", spath, saddress, at_key=True)
                _check_sensor(c, sensor, spath, saddress)
