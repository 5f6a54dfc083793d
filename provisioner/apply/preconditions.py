"""Re-check a saved plan against the live platforms before anything is written.

Every change that touches an existing object (update, replace, delete) recorded the object's
precondition (etag, or a hash of its live representation). Apply re-reads each one, concurrently,
through `Provider.current_precondition`; if any differs or the object is gone, the plan is stale
and nothing is written. Creates are not re-checked: the provider's create looks the object up by
its identity first, so an object that appeared since the plan is taken over rather than duplicated.
Changes to objects the plan does not touch never make it stale.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from provisioner.errors import ProvisionError
from provisioner.model import Change, LiveResource, Provider, platform_of
from provisioner.plan.builder import Plan


class StalePlanError(ProvisionError):
    """The live state changed since the plan was made; `stale` maps address -> what changed."""

    def __init__(self, stale: Mapping[str, str]) -> None:
        self.stale = dict(stale)
        lines = [f"  {address}: {why}" for address, why in sorted(self.stale.items())]
        count = len(lines)
        super().__init__(
            "\n".join([
                f"the plan is stale: {count} object{'s' if count != 1 else ''} changed since it was made; "
                "nothing was applied. Run plan again.",
                *lines,
            ]),
            exit_code=1,
        )


def _live_of(change: Change) -> LiveResource:
    assert change.server_id is not None and change.precondition is not None
    return LiveResource(change.address, change.kind, dict(change.before or {}), change.server_id,
                        change.precondition, change.depends_on)


async def check_preconditions(
    plan: Plan, providers: Mapping[str, Provider], *, concurrency: int = 16
) -> None:
    """Raise `StalePlanError` naming every touched object whose precondition no longer holds."""
    touched = [c for c in plan.changes if c.server_id is not None and c.precondition is not None]
    gate = asyncio.Semaphore(max(1, concurrency))

    async def current(change: Change) -> str | None:
        async with gate:
            return await providers[platform_of(change.address)].current_precondition(_live_of(change))

    found = await asyncio.gather(*(current(c) for c in touched))
    stale = {
        c.address: "no longer exists" if now is None else f"changed since the plan ({c.precondition} → {now})"
        for c, now in zip(touched, found, strict=True)
        if now != c.precondition
    }
    if stale:
        raise StalePlanError(stale)
