"""`ItwinIotClient`: async HTTP access to the iTwin IoT REST API (iiot.bentley.com style).

HTTP only. Entity ids are slash paths (`/api/B6627B/node`) that are appended raw to the URL,
giving double slashes such as `/api/sensors//api/…/sensor`; they are kept as they are.
Every project-scoped call sends the project as `projectIds`. List reads page with the seed's
`pageSize=100` (L1387) and stop on an empty page: the service documents no total and no maximum
page size, so a short page may be a silent cap, not the end. Retries, rate limits and errors:
see `provisioner.providers.http` (iTwin documents no quotas, so none apply unless configured).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Literal
from urllib.parse import quote

import httpx

from provisioner.errors import ApiError
from provisioner.providers.http.client_base import VendorClient
from provisioner.providers.http.client_base import json_object as _dict
from provisioner.providers.http.credentials import ItwinCredentials
from provisioner.providers.http.rate_limits import LimitsConfig
from provisioner.providers.http.retry import RetryPolicy
from provisioner.providers.http.session import HttpSession

EntityKind = Literal["node", "device", "sensor"]
Json = dict[str, Any]

MAX_PAGES = 100_000
PAGE_SIZE = 100  # the seed's value (L1387)
_JSON = {"Accept": "application/json"}


def _raw_id(raw_id: str) -> str:
    if not raw_id.startswith("/"):
        raise ValueError(f"iTwin IoT ids are slash paths like '/api/B6627B/node', got {raw_id!r}")
    return quote(raw_id, safe="/")


def _list_under(body: Any, key: str) -> list[Json]:
    """`body[key]`, tolerating the stray space the vendor docs show in `" sensorTypes"`."""
    if isinstance(body, dict):
        for name, value in body.items():
            if name.strip() == key and isinstance(value, list):
                return [v for v in value if isinstance(v, dict)]
    return []


class ItwinIotClient(VendorClient):
    """One iTwin IoT organisation behind one base URL (or a loopback emulator URL)."""

    def __init__(
        self,
        base_url: str,
        credentials: ItwinCredentials,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        limits: LimitsConfig = "vendor",
        concurrency: int = 8,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        refresh_margin: float = 60.0,
        quota_time_scale: float = 1.0,
        page_size: int = PAGE_SIZE,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self._http = HttpSession(
            vendor="itwin_iot", base_url=base_url, credentials=credentials,
            token_class="iot.auth.token", transport=transport, retry=retry, limits=limits,
            concurrency=concurrency, timeout=timeout, clock=clock, refresh_margin=refresh_margin,
            quota_time_scale=quota_time_scale)
        self._page_size = page_size

    # -- reads -----------------------------------------------------------------------------------

    async def _list_all(self, kind: EntityKind, project: str) -> list[Json]:
        """Every page in `id` order until an empty one (a short page is not trusted as the end)."""
        items: list[Json] = []
        previous: list[Any] | None = None
        for number in range(MAX_PAGES):
            body = await self._http.request_json(
                "GET", f"/api/{kind}s/all", endpoint_class=f"iot.{kind}s.get", headers=_JSON,
                params={"projectIds": project, "pageSize": self._page_size, "pageNumber": number,
                        "sortBy": "id"})
            if not isinstance(body, list):
                raise ApiError(f"GET /api/{kind}s/all: expected a JSON array, got {type(body).__name__}")
            if not body:
                return items
            if body == previous:
                raise ApiError(f"GET /api/{kind}s/all: page {number} repeats page {number - 1}; "
                               "the service ignores pageNumber")
            previous = body
            items.extend(v for v in body if isinstance(v, dict))
        raise ApiError(f"listing {kind}s did not end after {MAX_PAGES} pages; the service ignores paging")

    async def list_nodes(self, project: str) -> list[Json]:
        """Every node (connection) of the project."""
        return await self._list_all("node", project)

    async def list_devices(self, project: str) -> list[Json]:
        """Every device of the project."""
        return await self._list_all("device", project)

    async def list_sensors(self, project: str) -> list[Json]:
        """Every sensor of the project."""
        return await self._list_all("sensor", project)

    async def get_entity(self, kind: EntityKind, raw_id: str, *, project: str | None = None) -> Json:
        """One entity `{id, type, props, …}` by its raw id; NotFoundError if missing."""
        params = {"projectIds": project} if project else None
        body = await self._http.request_json("GET", f"/api/{kind}s/{_raw_id(raw_id)}",
                                             endpoint_class="iot.entity.get", headers=_JSON, params=params)
        return _dict(body, kind)

    async def get_tree(self, node_id: str, *, project: str | None = None) -> Json:
        """A node's whole subtree: `{"integration": {"node", "devices": [{"device", "sensors"}]}}`.

        A read done with POST and an empty body, so it is retried like a GET.
        """
        params = {"projectIds": project} if project else None
        body = await self._http.request_json(
            "POST", f"/api/integrations/{_raw_id(node_id)}", endpoint_class="iot.integrations.tree",
            headers={**_JSON, "Content-Type": "application/json"}, content=b"", params=params,
            idempotent=True)
        return _dict(body, "integration tree")

    # -- writes ----------------------------------------------------------------------------------

    async def integrate(self, project: str, body: Json) -> Json:
        """POST an integration (create/update/remove node, devices, sensors); returns the echo.

        Not idempotent: a timeout or 5xx raises AmbiguousWriteError, and the caller re-reads the tree.
        """
        result = await self._http.request_json(
            "POST", "/api/integrations/integrate", endpoint_class="iot.integrations.integrate",
            headers=_JSON, json=body, params={"projectIds": project}, idempotent=False)
        return _dict(result, "integration")

    # -- catalogues ------------------------------------------------------------------------------

    async def _types(self, kind: str, key: str, exclude_legacy: bool | None) -> list[Json]:
        params = None if exclude_legacy is None else {"excludeLegacy": "true" if exclude_legacy else "false"}
        body = await self._http.request_json("GET", f"/api/{kind}/types", endpoint_class="iot.types.get",
                                             headers=_JSON, params=params)
        return _list_under(body, key)

    async def list_node_types(self) -> list[Json]:
        """Node templates (`nodeTypes`)."""
        return await self._types("nodes", "nodeTypes", None)

    async def list_device_types(self, *, exclude_legacy: bool = True) -> list[Json]:
        """Device templates (`deviceTypes`), e.g. IMPORT_DEVICE_SDE."""
        return await self._types("devices", "deviceTypes", exclude_legacy)

    async def list_sensor_types(self, *, exclude_legacy: bool = True) -> list[Json]:
        """Sensor templates (`sensorTypes`), e.g. GENERIC_SENSOR_SDE, with their metrics and units."""
        return await self._types("sensors", "sensorTypes", exclude_legacy)

    async def get_metric_types(self, *, exclude_legacy: bool = True) -> Json:
        """The metric catalogue `{"standard": bool, "metrics": [...]}`."""
        body = await self._http.request_json(
            "GET", "/api/metrics/types", endpoint_class="iot.types.get", headers=_JSON,
            params={"excludeLegacy": "true" if exclude_legacy else "false"})
        return _dict(body, "metric types")

    async def get_sensor_metrics(self, project: str, sensor_ids: Sequence[str]) -> dict[str, list[Json]]:
        """Metrics and units per sensor id (`metricsBySensor`); a read done with POST."""
        body = await self._http.request_json(
            "POST", "/api/sensors/metrics", endpoint_class="iot.sensors.metrics", headers=_JSON,
            params={"projectIds": project, "filters": "raw"}, json={"ids": list(sensor_ids)},
            idempotent=True)
        by_sensor = _dict(body, "sensor metrics").get("metricsBySensor")
        return dict(by_sensor) if isinstance(by_sensor, dict) else {}
