"""Fixtures: an iTwin sandbox store with a fake clock, mounted in-process behind httpx."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import httpx
import pytest
from itwin_helpers import BASE_URL, OTHER_PROJECT, OTHER_PROJECT_ID, FakeClock
from starlette.applications import Starlette

from provisioner.sandbox.itwin_iot import ItwinSettings, ItwinStore, build_routes


@pytest.fixture
def settings() -> ItwinSettings:
    return ItwinSettings(extra_projects={OTHER_PROJECT: OTHER_PROJECT_ID})


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(settings: ItwinSettings, clock: FakeClock) -> ItwinStore:
    store = ItwinStore(settings, random.Random(7))
    store.clock = clock
    return store


@pytest.fixture
def app(store: ItwinStore) -> Starlette:
    return Starlette(routes=build_routes(store))


@pytest.fixture
async def anon(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A client without credentials."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as client:
        yield client


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A client authenticated with the sandbox API key."""
    headers = {"Authorization": "ApiKey sandbox-key"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL, headers=headers) as client:
        yield client
