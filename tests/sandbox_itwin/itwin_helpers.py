"""Request builders and a shape comparison shared by the iTwin sandbox tests."""

from __future__ import annotations

from typing import Any

import httpx

BASE_URL = "http://127.0.0.1:8700"
OTHER_PROJECT = "0f0e0d0c-0000-4000-8000-000000000abc"
OTHER_PROJECT_ID = "5F00000000000000000000AB"


class FakeClock:
    """A settable clock (seconds since the epoch)."""

    def __init__(self, now: float = 1_708_400_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


PROJECT = "sandbox-project"
INTEGRATE = "/api/integrations/integrate"


def generic_sensor(
    ref: str | None = None, name: str = "Sensor", state: str = "new", **props: Any
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "changeState": state,
        "props": {
            "INTEGRATION_ID": "GENERIC_SENSOR_SDE",
            "NAME": name,
            "UNKNOWN_METRICS": {"0": "Alignment_Left_SD", "1": "Alignment_Right_SD"},
            "UNKNOWN_UNITS": {"0": "millimeter", "1": "millimeter"},
            **props,
        },
    }
    if ref is not None:
        entry["refId"] = ref
    return entry


def device(
    ref: str | None = None, sensors: list[dict[str, Any]] | None = None, state: str = "new", **props: Any
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "changeState": state,
        "props": {"INTEGRATION_ID": "IMPORT_DEVICE_SDE", "NAME": "Device", **props},
        "sensors": sensors or [],
    }
    if ref is not None:
        entry["refId"] = ref
    return entry


async def integrate(
    client: httpx.AsyncClient, integration: dict[str, Any], project: str = PROJECT
) -> httpx.Response:
    return await client.post(INTEGRATE, params={"projectIds": project}, json={"integration": integration})


async def new_node(client: httpx.AsyncClient, devices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """Create a node with devices; returns the integration response body (asserts 200)."""
    response = await integrate(client, {"changeState": "new", "devices": devices, **extra})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()["integration"]
    return body


async def tree(client: httpx.AsyncClient, node_id: str) -> dict[str, Any]:
    response = await client.post(f"/api/integrations/{node_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()["integration"]
    return body


def shape(value: Any) -> Any:
    """Key sets and JSON types of a payload; lists reduce to the shape of their first element."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if value is None:
        return "null"
    return type(value).__name__
