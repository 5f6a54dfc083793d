"""Sample payloads copied from the vendor docs seed
(shared/reference/seeds/003_4b7f6b0b3531e1da.txt beside the repository).

Each constant cites the seed lines it was copied from; shapes (key sets and value types) are what tests
compare against, values are illustrative.
"""

from __future__ import annotations

from typing import Any

# [D:seed L2882-L2958] response of integrate with changeState "new" and no refIds (one sensor kept).
CREATE_RESPONSE: dict[str, Any] = {
    "integration": {
        "node": {
            "props": {
                "SERIAL_NO": "B6627B",
                "CREATION_DATE": "2024-03-05T10:27:22.553+00:00",
                "INTEGRATION_ID": "NODE_API_SDE",
                "PROJECT_ID": "65CB51CE8E199448BB4D4BDA",
                "NAME": "Data Source API Import B6627B",
            },
            "id": "/api/B6627B/node",
            "type": "DYNAMIC",
        },
        "devices": [
            {
                "device": {
                    "props": {
                        "SIZE": 2,
                        "CREATION_DATE": "2024-03-05T10:27:22.585+00:00",
                        "NODE_ID": "/api/B6627B/node",
                        "INTEGRATION_ID": "IMPORT_DEVICE_SDE",
                        "PROJECT_ID": "65CB51CE8E199448BB4D4BDA",
                        "NAME": "Device-1",
                    },
                    "id": "/api/B6627B/node/dynamic/BED858/device",
                    "type": "DYNAMIC",
                },
                "sensors": [
                    {
                        "props": {
                            "UNKNOWN_UNITS": {"0": "millimeter", "1": "millimeter"},
                            "CREATION_DATE": "2024-03-05T10:27:22.615+00:00",
                            "UNKNOWN_METRICS": {"0": "Alignment_Left_SD", "1": "Alignment_Right_SD"},
                            "NODE_ID": "/api/B6627B/node",
                            "INTEGRATION_ID": "GENERIC_SENSOR_SDE",
                            "PROJECT_ID": "65CB51CE8E199448BB4D4BDA",
                            "NAME": "Sensor-1",
                        },
                        "id": "/api/B6627B/node/dynamic/BED858/device/B2D116/sensor",
                        "observationType": "DYNAMIC",
                        "type": "DYNAMIC",
                        "device": "/api/B6627B/node/dynamic/BED858/device",
                    }
                ],
            }
        ],
    }
}

# [D:seed L2720-L2770] the request that produced CREATE_RESPONSE (two identical generic sensors).
CREATE_REQUEST: dict[str, Any] = {
    "integration": {
        "changeState": "new",
        "devices": [
            {
                "changeState": "new",
                "props": {"INTEGRATION_ID": "IMPORT_DEVICE_SDE", "NAME": "Device-1"},
                "sensors": [
                    {
                        "changeState": "new",
                        "props": {
                            "INTEGRATION_ID": "GENERIC_SENSOR_SDE",
                            "NAME": f"Sensor-{i}",
                            "UNKNOWN_UNITS": {"0": "millimeter", "1": "millimeter"},
                            "UNKNOWN_METRICS": {"0": "Alignment_Left_SD", "1": "Alignment_Right_SD"},
                        },
                    }
                    for i in (1, 2)
                ],
            }
        ],
    }
}

# [D:seed L3140-L3200] device entry of the add-to-node request (refIds given, user SERIAL_NO "1234").
ADD_DEVICE_ENTRY: dict[str, Any] = {
    "changeState": "new",
    "refId": "/api/13DC2F/node-test-device",
    "props": {
        "INTEGRATION_ID": "IMPORT_DEVICE_SDE",
        "NAME": "Test Device",
        "LOCATION": {"type": "Point", "coordinates": [174.7805678, -41.27834066, 20]},
        "NOTES": "Demo device",
    },
    "sensors": [
        {
            "changeState": "new",
            "refId": "/api/13DC2F/node-test-sensor",
            "props": {
                "NAME": "Test Sensor",
                "SERIAL_NO": "1234",
                "INTEGRATION_ID": "GENERIC_SENSOR_SDE",
                "LOCATION": {"type": "Point", "coordinates": [174.7805678, -41.25834066, 65]},
                "UNKNOWN_UNITS": {"0": "millimeter", "1": "millimeter"},
                "UNKNOWN_METRICS": {"0": "Alignment_Left_SD", "1": "Alignment_Right_SD"},
                "NOTES": "Generic sensor",
            },
        }
    ],
}

# [D:seed L3238-L3325] the device part of the add-to-node response.
ADD_DEVICE_RESPONSE: dict[str, Any] = {
    "device": {
        "props": {
            "LOCATION": {"type": "Point", "coordinates": [174.7805678, -41.27834066, 20.0]},
            "SERIAL_NO": "/api/13DC2F/node-test-device",
            "SIZE": 1,
            "CREATION_DATE": "2024-02-20T12:51:16.418+00:00",
            "NODE_ID": "/api/B08851/node",
            "INTEGRATION_ID": "IMPORT_DEVICE_SDE",
            "NAME": "Test Device",
            "NOTES": "Demo device",
            "PROJECT_ID": "65CB51CE8E199448BB4D4BDA",
        },
        "id": "/api/B08851/node/dynamic/6B7514/device",
        "type": "DYNAMIC",
    },
    "sensors": [
        {
            "props": {
                "LOCATION": {"type": "Point", "coordinates": [174.7805678, -41.25834066, 65.0]},
                "UNKNOWN_UNITS": {"0": "millimeter", "1": "millimeter"},
                "NOTES": "Generic sensor",
                "SERIAL_NO": "/api/13DC2F/node-test-sensor",
                "CREATION_DATE": "2024-02-20T12:51:16.450+00:00",
                "UNKNOWN_METRICS": {"0": "Alignment_Left_SD", "1": "Alignment_Right_SD"},
                "NODE_ID": "/api/B08851/node",
                "INTEGRATION_ID": "GENERIC_SENSOR_SDE",
                "PROJECT_ID": "65CB51CE8E199448BB4D4BDA",
                "NAME": "Test Sensor",
            },
            "id": "/api/B08851/node/dynamic/6B7514/device/B059A6/sensor",
            "observationType": "DYNAMIC",
            "type": "DYNAMIC",
            "device": "/api/B08851/node/dynamic/6B7514/device",
        }
    ],
}

# [D:seed L3616-L3645] the node of the "Get Integrations" tree (a node that was edited and has data).
TREE_NODE: dict[str, Any] = {
    "props": {
        "LOCATION": {"type": "Point", "coordinates": [None, None, None]},
        "LAST_MODIFIED_BY": "ajinkya.gholape@bentley.com",
        "SERIAL_NO": "13DC2F",
        "OBSERVATION_COUNT": 7,
        "CREATION_DATE": "2024-02-19T12:50:48.705+00:00",
        "LAST_MODIFIED_DATE": "2024-02-19T12:52:41.085+00:00",
        "INTEGRATION_ID": "NODE_API_SDE",
        "NAME": "UI-13DC2F",
        "NOTES": "Created through UI",
        "EXTERNAL_ID": "1234",
        "PROJECT_ID": "65CB51CE8E199448BB4D4BDA",
    },
    "id": "/api/13DC2F/node",
    "type": "DYNAMIC",
}

# [D:seed L2960-L2967] 400 for a new device/sensor without INTEGRATION_ID.
MISSING_INTEGRATION_ID_400: dict[str, Any] = {
    "error": {
        "code": "InvalidProcessIntegrationRequest",
        "message": "Minimum request parameters not provided, new Devices and Sensors must have a valid "
        "`props.INTEGRATION_ID` set.",
    }
}

# [D:seed L3339-L3347] invalid nodeId.
BAD_NODE_ID_ERROR: dict[str, Any] = {
    "error": {
        "code": "InvalidProcessIntegrationRequest",
        "message": "Cannot process integration ensure the provided nodeId is valid.",
    }
}

# [D:seed L3327-L3337] 401 on iiot.
EXPIRED_TOKEN_401: dict[str, Any] = {
    "errors": [{"message": "Token has expired on Tue Feb 20 04:12:01 PST 2024", "path": "Authorization"}]
}

# [D:seed L3090-L3107] data upload responses.
UPLOAD_202: dict[str, Any] = {"status": "ACCEPTED"}
UPLOAD_EMPTY_400: dict[str, Any] = {"errors": [{"message": "must not be empty", "path": "observations"}]}

# [D:seed L3380-L3395] device types.
DEVICE_TYPES: dict[str, Any] = {
    "deviceTypes": [
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
}

# [D:seed L3423-L3447] sensor types (the seed's key has a stray leading space, a doc typo; see docs).
SENSOR_TYPES: dict[str, Any] = {
    "sensorTypes": [
        {
            "id": "GENERIC_SENSOR_SDE",
            "name": "GENERIC_SENSOR_SDE",
            "icon": "smicon-circle",
            "iconUnicode": "",
            "metricsAndUnits": [
                {
                    "metric": "GENERIC",
                    "id": "GENERIC",
                    "displayName": "generic",
                    "defaultUnit": "GENERIC",
                    "units": [{"unit": "GENERIC", "id": "GENERIC"}],
                }
            ],
            "isDynamic": True,
        }
    ]
}

# [D:seed L3473-L3505] metric types.
METRIC_TYPES: dict[str, Any] = {
    "standard": True,
    "metrics": [
        {
            "metric": "T",
            "id": "T",
            "displayName": "Temperature",
            "defaultUnit": "C",
            "units": [{"unit": "C", "id": "C", "displayName": "celsius", "notation": "°C"}],
        }
    ],
}

# [D:seed L3552-L3590] metrics of a generic sensor.
METRICS_BY_SENSOR_ENTRY: dict[str, Any] = {
    "defaultUnit": "millimeter",
    "hidden": False,
    "displayName": "Alignment_Left_SD",
    "notation": "Alignment_Left_SD",
    "name": "Alignment_Left_SD",
    "id": "Alignment_Left_SD",
    "units": [{"notation": "millimeter", "name": "millimeter", "id": "millimeter"}],
}
