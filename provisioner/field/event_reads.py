"""Event Management v3 reads for `provision check`: the events of the mapped event types since the
cutoff, tenant-wide, newest first, in HAL pages of at most 100 (`GET /api/eventmanagement/v3/events`
with a JSON `filter` on `typeId` and `timestamp`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from provisioner.providers.insights_hub.client import HAL, InsightsHubClient
from provisioner.providers.insights_hub.client_paging import hal_items

EM = "/api/eventmanagement/v3"
EVENT_PAGE = 100  # Event Management pages hold at most 100 events (a choice; docs/sandbox.md)


async def recent_events(hub: InsightsHubClient, type_ids: Sequence[str], after: str) -> list[dict[str, Any]]:
    """Every event of `type_ids` later than `after` (ISO-8601), newest first."""
    if not type_ids:
        return []
    query = json.dumps({"typeId": {"in": sorted(set(type_ids))}, "timestamp": {"after": after}})

    async def page(number: int) -> Any:
        params: dict[str, str | int] = {"filter": query, "sort": "timestamp,desc", "page": number,
                                        "size": EVENT_PAGE}
        return await hub._call("GET", f"{EM}/events", "em.events.get", accept=HAL, params=params)

    return await hal_items(page, "events", EVENT_PAGE)
