"""Client overhead per request, and what the vendors' quotas mean for apply duration.

1. Wall time of 2,000 GETs through `InsightsHubClient` with an in-process MockTransport (no limits):
   the cost of the request pipeline itself (auth, limiter, slot, logging checks, error mapping).
2. Simulated time (a fake clock that sleep advances) to create 1,200 assets, and separately 1,200 data
   point mappings, under the documented quotas, compared with the `minimum_duration` estimate the plan
   engine uses. Classes are simulated one at a time because a fake clock adds concurrent sleeps up;
   with real time they overlap, which is why the estimate is the slowest class.
"""

from __future__ import annotations

import asyncio
import time

import httpx

from provisioner.providers.http import IhServiceCredentials, RetryPolicy, minimum_duration, rate_limits
from provisioner.providers.insights_hub.client import InsightsHubClient

GATEWAY = "https://gateway.eu1.mindsphere.io"
CREDS = IhServiceCredentials("acme", "bench-client", "bench-secret-not-real")


def _answer(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/oauth/token":
        return httpx.Response(200, json={"access_token": "bench-token", "expires_in": 1799})
    if request.method == "POST":
        return httpx.Response(201, json={"id": "x", "assetId": "a" * 32, "etag": 0})
    return httpx.Response(200, json={"assetId": "a" * 32, "name": "root", "etag": 0})


async def overhead(n: int = 2000) -> float:
    client = InsightsHubClient(GATEWAY, CREDS, transport=httpx.MockTransport(_answer), limits="none")
    async with client:
        started = time.perf_counter()
        await asyncio.gather(*(client.get_root_asset() for _ in range(n)))
        return time.perf_counter() - started


async def simulated(endpoint_class: str, n: int) -> float:
    clock = [0.0]

    async def sleep(seconds: float) -> None:
        clock[0] += seconds

    client = InsightsHubClient(GATEWAY, CREDS, transport=httpx.MockTransport(_answer),
                               retry=RetryPolicy(sleep=sleep), clock=lambda: clock[0])
    async with client:
        create = client.create_asset if endpoint_class == "am.assets.post" else client.create_mapping
        await asyncio.gather(*(create({"name": f"x{i}"}) for i in range(n)))
        assert client.stats.calls[endpoint_class] == n
        return clock[0]


def main() -> None:
    n = 2000
    wall = asyncio.run(overhead(n))
    print(f"pipeline overhead: {n} requests in {wall:.2f}s ({wall / n * 1e6:.0f} µs/request)")
    limits = rate_limits("insights_hub")
    calls = {"am.assets.post": 1200, "mc.datapointmappings.post": 1200}
    for endpoint_class, count in calls.items():
        took = asyncio.run(simulated(endpoint_class, count))
        estimate = minimum_duration({endpoint_class: count}, limits)
        print(f"{count} x {endpoint_class} under vendor quotas: simulated {took:.0f}s, "
              f"estimate {estimate:.0f}s")
        assert abs(took - estimate) < 1.0, "limiter and estimate disagree"
    print(f"both together: at least {minimum_duration(calls, limits):.0f}s")


if __name__ == "__main__":
    main()
