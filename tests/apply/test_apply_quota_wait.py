"""A change waiting for a client-side quota slot gives its executor slots back meanwhile."""

from __future__ import annotations

import asyncio

from engine_fakes import FakeProvider, FakeStore, plan_for, providers_for, res

from provisioner.apply import execute
from provisioner.model import ApplyContext, Change
from provisioner.providers.http.rate_limits import RateLimit, RateLimiter


class QuotaBoundProvider(FakeProvider):
    """`hub.assets.a-limited` makes two calls of a 1-per-minute class; its second waits until
    every other change is done (the sleep returns only then)."""

    def __init__(self, base: FakeProvider, others_done: asyncio.Event) -> None:
        super().__init__(base.platform, base.kinds, base.store)
        self.now = 0.0
        self.others_done = others_done
        self.limiter = RateLimiter({"q": RateLimit(per_minute=1)}, clock=lambda: self.now, sleep=self._sleep)
        self.finished: list[str] = []

    async def _sleep(self, seconds: float) -> None:
        await self.others_done.wait()
        self.now += seconds

    async def apply(self, change: Change, ctx: ApplyContext) -> str | None:
        if change.address == "hub.assets.a-limited":
            await self.limiter.acquire("q")
            await self.limiter.acquire("q")  # waits for the window
        result = await super().apply(change, ctx)
        self.finished.append(change.address)
        if len(self.finished) == 3 and "hub.assets.a-limited" not in self.finished:
            self.others_done.set()
        return result


async def test_other_changes_run_while_one_waits_for_quota_even_at_parallelism_1() -> None:
    store = FakeStore()
    # the ready queue starts `a-limited` first (address order)
    desired = [res("hub.assets.a-limited", "assets"), res("hub.assets.b", "assets"),
               res("hub.assets.c", "assets"), res("hub.assets.d", "assets")]
    plan = plan_for(store, desired)
    providers = providers_for(store)
    hub = QuotaBoundProvider(providers["hub"], asyncio.Event())
    report = await asyncio.wait_for(
        execute(plan, {**providers, "hub": hub}, parallelism=1, per_platform_limits={"hub": 1},
                ctx=ApplyContext()),
        timeout=60)  # without the hand-back the waiting change holds the only slot: no progress
    assert report.ok and hub.finished[-1] == "hub.assets.a-limited"
    assert sorted(hub.finished[:3]) == ["hub.assets.b", "hub.assets.c", "hub.assets.d"]
    assert hub.limiter.waited_seconds == 60.0
