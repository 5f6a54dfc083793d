"""Client-side quotas per endpoint class and the per-vendor concurrency cap."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from client_fakes import FakeTime, Server, json_response

from provisioner.providers.http import ENDPOINT_CLASSES, RateLimit, minimum_duration, rate_limits
from provisioner.providers.http.rate_limits import RateLimiter

ROOT = {"assetId": "a" * 32, "name": "acme", "etag": 0}


async def test_fourth_call_in_a_3_per_minute_class_waits(
    ih_factory, server: Server, fake_time: FakeTime
) -> None:
    server.handler = lambda r: json_response(200, ROOT)
    async with ih_factory(limits={"am.assets.root": {"per_minute": 3}}) as client:
        for _ in range(3):
            await client.get_root_asset()
        assert fake_time.sleeps == []
        await client.get_root_asset()
        assert fake_time.sleeps == [60.0]
        assert client.stats.throttled_seconds == 60.0
        assert client.stats.calls["am.assets.root"] == 4


async def test_all_windows_apply(fake_time: FakeTime) -> None:
    limiter = RateLimiter(
        {"c": RateLimit(per_minute=2, per_hour=3)}, clock=fake_time.clock, sleep=fake_time.sleep
    )
    for _ in range(4):
        await limiter.acquire("c")
    # 2 fit; the 3rd waits for the minute window; the 4th waits for the hour window (first call + 3600).
    assert fake_time.sleeps == [60.0, 3540.0]


async def test_unlimited_class_never_waits(fake_time: FakeTime) -> None:
    limiter = RateLimiter({"c": RateLimit()}, clock=fake_time.clock, sleep=fake_time.sleep)
    for _ in range(1000):
        await limiter.acquire("c")
        await limiter.acquire("unknown.class")
    assert fake_time.sleeps == []


def test_vendor_defaults_follow_the_documented_quotas() -> None:
    ih = rate_limits("insights_hub")
    assert ih["am.aspecttypes.get"] == RateLimit(1485, 17820)
    assert ih["am.aspecttype.put"] == RateLimit(743, 1485)
    assert ih["am.aspecttype.patch"] == RateLimit(446, 1485)
    assert ih["am.aspecttype.delete"] == RateLimit(446, 1485)
    assert ih["am.aspecttype.get"] == RateLimit(750, None)
    assert ih["am.assets.get"] == RateLimit(4000, 17820)
    assert ih["am.assets.post"] == RateLimit(594, 1485)
    assert ih["am.asset.delete"] == RateLimit(446, 1485)
    assert ih["mc.datapointmappings.post"] == RateLimit(None, 1050)
    assert ih["mc.eventmapping.patch"] == RateLimit(None, 1050)
    assert ih["agm.agents.post"] == RateLimit()
    assert all(limit == RateLimit() for limit in rate_limits("itwin_iot").values())
    assert set(rate_limits("itwin_iot")) == {
        n for n, spec in ENDPOINT_CLASSES.items() if spec[0] == "itwin_iot"
    }


def test_limits_configuration() -> None:
    assert all(limit == RateLimit() for limit in rate_limits("insights_hub", "none").values())
    custom = rate_limits("insights_hub", {"am.assets.post": {"per_minute": 10}, "am.assets.get": {}})
    assert custom["am.assets.post"] == RateLimit(10, None)
    assert custom["am.assets.get"] == RateLimit()
    assert custom["am.aspecttype.put"] == RateLimit(743, 1485)  # untouched classes keep vendor defaults
    assert rate_limits("itwin_iot", {"iot.integrations.integrate": {"per_minute": 5}})[
        "iot.integrations.integrate"
    ] == RateLimit(5, None)
    with pytest.raises(ValueError, match="unknown endpoint class"):
        rate_limits("insights_hub", {"am.asset.post": {"per_minute": 1}})
    with pytest.raises(ValueError, match="unknown rate limit keys"):
        rate_limits("insights_hub", {"am.assets.post": {"per_second": 1}})


def test_client_exposes_its_limits(ih_factory, itwin_factory) -> None:
    assert ih_factory().rate_limits["am.assets.post"] == RateLimit(594, 1485)
    assert itwin_factory(limits={"iot.nodes.get": {"per_hour": 100}}).rate_limits[
        "iot.nodes.get"
    ] == RateLimit(None, 100)


def test_minimum_duration_estimate() -> None:
    limits = rate_limits("insights_hub")
    assert minimum_duration({"am.assets.post": 594}, limits) == 0.0
    assert minimum_duration({"am.assets.post": 595}, limits) == 60.0
    assert minimum_duration({"am.assets.post": 1486}, limits) == 3600.0
    assert minimum_duration({"mc.datapointmappings.post": 2101, "agm.agents.post": 10**6}, limits) == 7200.0


async def test_concurrency_cap(itwin_factory, server: Server) -> None:
    in_flight = 0
    peak = 0

    class SlowTransport(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0.005)
            in_flight -= 1
            return json_response(200, {"id": "/api/B6627B/node", "type": "DYNAMIC", "props": {}})

    async with itwin_factory(transport=SlowTransport(), concurrency=3) as client:
        await asyncio.gather(*(client.get_entity("node", "/api/B6627B/node") for _ in range(12)))
        assert client.stats.calls["iot.entity.get"] == 12
    assert peak == 3
