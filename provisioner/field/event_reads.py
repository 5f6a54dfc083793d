"""Event Management v3 reads for `provision check`: the events of each mapped event type since the
cutoff, tenant-wide, newest first, in HAL pages of at most 100 (`GET /api/eventmanagement/v3/events`
with a JSON `filter` on `typeId` and `timestamp`). One paged query per type: the service takes one
`typeId` expression per filter, equality only (MCN 3.24.2 `event-management.js` `GetEvents`)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

from provisioner.providers.insights_hub.client import HAL, InsightsHubClient
from provisioner.providers.insights_hub.client_paging import hal_items

EM = "/api/eventmanagement/v3"
EVENT_PAGE = 100  # "maximum is 100" (MCN event-management.js GetEvents `size`)


async def events_of_type(hub: InsightsHubClient, type_id: str, after: str) -> list[dict[str, Any]]:
    """Every event of `type_id` later than `after` (ISO-8601), newest first."""
    query = json.dumps({"typeId": type_id, "timestamp": {"after": after}})

    async def page(number: int) -> Any:
        params: dict[str, str | int] = {"filter": query, "sort": "timestamp,desc", "page": number,
                                        "size": EVENT_PAGE}
        return await hub._call("GET", f"{EM}/events", "em.events.get", accept=HAL, params=params)

    return await hal_items(page, "events", EVENT_PAGE)


async def recent_events(hub: InsightsHubClient, type_ids: Sequence[str],
                        after: str) -> dict[str, list[dict[str, Any]]]:
    """The events of each of `type_ids` later than `after`, by type id."""
    wanted = sorted(set(type_ids))
    found = await asyncio.gather(*(events_of_type(hub, t, after) for t in wanted))
    return dict(zip(wanted, found, strict=True))
