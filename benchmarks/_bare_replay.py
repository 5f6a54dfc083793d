"""A same-run floor for the plan's wall time: the plan's own requests replayed by a bare aiohttp
client that does nothing with the answers but parse them.

The replay keeps the dependencies a plan cannot avoid: the token first, then every list, and the
data source configuration reads after the first asset page (they need agent ids); the same
per-vendor concurrency caps. What it measures is what this machine and this emulator allow any
client, so the plan's wall over this floor is the provisioner's own overhead.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass

import aiohttp
import httpx


@dataclass(frozen=True)
class Recorded:
    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


class RecordingTransport(httpx.AsyncBaseTransport):
    """Passes requests on and records each one (the plan's exact calls, auth header included)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests: list[Recorded] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        headers = tuple((k, v) for k, v in request.headers.multi_items() if k.lower() != "host")
        self.requests.append(Recorded(request.method, str(request.url), headers, request.content))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def replay(requests: list[Recorded], concurrency: dict[str, int]) -> float:
    """Seconds a bare client takes for `requests` with the plan's unavoidable ordering."""
    token = next(r for r in requests if r.url.endswith("/oauth/token"))
    itwin = [r for r in requests if "/api/nodes/" in r.url or "/api/devices/" in r.url
             or "/api/sensors/" in r.url]
    dscs = [r for r in requests if r.url.split("?")[0].endswith("/dataSourceConfiguration")]
    first_assets = next(r for r in requests if "/assetmanagement/v3/assets?" in r.url and "page=0" in r.url)
    lists = [r for r in requests if r not in (token, first_assets) and r not in itwin and r not in dscs]
    hub = asyncio.Semaphore(concurrency.get("insights_hub", 1))
    iot = asyncio.Semaphore(concurrency.get("itwin_iot", 1))
    async with aiohttp.ClientSession() as session:
        async def send(r: Recorded, slots: asyncio.Semaphore) -> object:
            async with slots, session.request(r.method, r.url, headers=list(r.headers),
                                              data=r.body or None) as answer:
                return json.loads(await answer.read())

        async def hub_reads() -> None:
            await send(token, hub)  # recorded headers carry the plan's (still valid) token

            async def assets_then_dscs() -> None:
                await send(first_assets, hub)
                await asyncio.gather(*(send(r, hub) for r in dscs))
            await asyncio.gather(assets_then_dscs(), *(send(r, hub) for r in lists))

        started = time.perf_counter()
        await asyncio.gather(hub_reads(), *(send(r, iot) for r in itwin))
        return time.perf_counter() - started
