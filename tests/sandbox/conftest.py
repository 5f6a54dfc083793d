"""Fixtures for the Insights Hub sandbox tests: an in-process sandbox, a controllable clock, and a client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from ih_helpers import BASE_URL, Clock, Ih, token_for

from provisioner.sandbox import Sandbox, SandboxSettings


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(clock: Clock) -> SandboxSettings:
    return SandboxSettings(clock=clock, boarding_delay_s=0.2)


@pytest.fixture
def sandbox(settings: SandboxSettings) -> Sandbox:
    return Sandbox(settings)



@pytest.fixture
async def anon(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=BASE_URL) as client:
        yield client


@pytest.fixture
async def client(anon: httpx.AsyncClient) -> httpx.AsyncClient:
    anon.headers["Authorization"] = f"Bearer {await token_for(anon)}"
    return anon


@pytest.fixture
def ih(client: httpx.AsyncClient) -> Ih:
    return Ih(client)
