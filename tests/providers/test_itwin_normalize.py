"""Normalization of the seed's documented iTwin payload shapes."""

from provisioner.providers.itwin_iot.normalize import (
    indexed_map,
    location_from_props,
    location_to_props,
    sensor_attrs,
)


def test_location_forms_are_equivalent() -> None:
    assert location_from_props(None) is None
    assert location_from_props({"type": "Point", "coordinates": [None, None, None]}) is None
    assert location_from_props({"coordinates": [20, 30]}) == {"lon": 20.0, "lat": 30.0, "elev": None}
    a = location_from_props({"type": "Point", "coordinates": [-53.900861, 30.602073, -17.24]})
    desired = {"lon": -53.9008610000000001, "lat": 30.602073, "elev": -17.24}
    b = location_from_props(location_to_props(desired))
    assert a == b


def test_sensor_metrics_from_index_keyed_maps_and_server_props_dropped() -> None:
    # shape of the seed's integrate response (seeds/003 ~L2930)
    sensor = {
        "id": "/api/B6627B/node/dynamic/BED858/device/B2D116/sensor",
        "type": "DYNAMIC",
        "device": "/api/B6627B/node/dynamic/BED858/device",
        "observationType": "DYNAMIC",
        "props": {
            "NAME": "North Sector Tilt 2-2",
            "INTEGRATION_ID": "GENERIC_SENSOR_SDE",
            "UNKNOWN_METRICS": {"1": "Alignment_Right_SD", "0": "Alignment_Left_SD"},
            "UNKNOWN_UNITS": {"0": "millimeter", "1": "millimeter"},
            "SERIAL_NO": "iac:s/north/logger-2/tilt-1",
            "PROJECT_ID": "65CB51CE8E199448BB4D4BDA",
            "CREATION_DATE": "2024-02-20T05:26:29Z",
            "LOCATION": {"type": "Point", "coordinates": [None, None, None]},
        },
    }
    assert sensor_attrs(sensor) == {
        "name": "North Sector Tilt 2-2",
        "location": None,
        "notes": None,
        "template": "GENERIC_SENSOR_SDE",
        "metrics": [
            {"metric": "Alignment_Left_SD", "unit": "millimeter"},
            {"metric": "Alignment_Right_SD", "unit": "millimeter"},
        ],
    }
    assert indexed_map(["a", "b"]) == {"0": "a", "1": "b"}
