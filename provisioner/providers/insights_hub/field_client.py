"""Read-only Insights Hub calls for the field commands (`boarding`, `check`), on top of the
provisioning client's HTTP session: agent online status, boarding renewal, recoverable records and
the IoT Time Series read API. Kept apart from `client.py`, which serves plan/apply."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provisioner.providers.http.client_base import json_object as _dict
from provisioner.providers.insights_hub.client import AGM, MC, InsightsHubClient, _filter, _id
from provisioner.providers.insights_hub.client_paging import spring_items

Json = dict[str, Any]
TS = "/api/iottimeseries/v3/timeseries"
RECORD_PAGE = 2000


class FieldClient:
    """The calls a rollout check needs; every call counts in the wrapped client's stats."""

    def __init__(self, hub: InsightsHubClient) -> None:
        self.hub = hub

    async def agent_status(self, agent_id: str) -> Json:
        """`{status: ONLINE|OFFLINE, since}`."""
        return _dict(
            await self.hub._call("GET", f"{AGM}/agents/{_id(agent_id)}/status", "agm.agent.status"),
            "agent status",
        )

    async def renew_boarding_configuration(self, agent_id: str) -> Json:
        """Ask the service for a new boarding configuration (a new initial access token)."""
        body = await self.hub._call(
            "POST", f"{AGM}/agents/{_id(agent_id)}/boarding/configuration", "agm.boarding.renew",
            idempotent=False,
        )
        return _dict(body, "boarding configuration")

    async def latest(self, entity_id: str, aspect: str) -> Json | None:
        """The latest time series record of one asset aspect, None when it has none."""
        body = await self.hub._call(
            "GET", f"{TS}/{_id(entity_id)}/{_id(aspect)}", "ts.timeseries.get"
        )
        records = body if isinstance(body, list) else []
        last = records[-1] if records else None
        return last if isinstance(last, dict) else None

    async def recoverable_records(self, filter: Mapping[str, Any] | None = None) -> list[Json]:
        """Recoverable records (data the service could not store), optionally filtered."""

        async def page(number: int) -> Any:
            params: dict[str, str | int] = {**_filter(filter), "page": number, "size": RECORD_PAGE}
            return await self.hub._call("GET", f"{MC}/recoverableRecords", "mc.recoverablerecords.get",
                                        params=params)

        return await spring_items(page, "recoverable records", RECORD_PAGE)
