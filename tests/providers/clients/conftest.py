"""Fixtures for the vendor client tests (fakes live in client_fakes.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from client_fakes import API_KEY, GATEWAY, ITWIN, SECRET, FakeTime, Server

from provisioner.providers.http import IhServiceCredentials, ItwinApiKey, RetryPolicy
from provisioner.providers.insights_hub.client import InsightsHubClient
from provisioner.providers.itwin_iot.client import ItwinIotClient


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def server() -> Server:
    return Server()


@pytest.fixture
def retry(fake_time: FakeTime) -> RetryPolicy:
    # random() = 0.5 makes full jitter deterministic: delay n = 0.5 * min(8, 1 * 2**n)
    return RetryPolicy(
        max_attempts=4, base_delay=1.0, max_delay=8.0, sleep=fake_time.sleep, random=lambda: 0.5
    )


@pytest.fixture
def ih_factory(server: Server, fake_time: FakeTime, retry: RetryPolicy) -> Callable[..., InsightsHubClient]:
    def make(**kwargs: Any) -> InsightsHubClient:
        options: dict[str, Any] = {"transport": server.transport(), "retry": retry, "clock": fake_time.clock}
        options.update(kwargs)
        return InsightsHubClient(GATEWAY, IhServiceCredentials("acme", "acme-client", SECRET), **options)

    return make


@pytest.fixture
def itwin_factory(server: Server, fake_time: FakeTime, retry: RetryPolicy) -> Callable[..., ItwinIotClient]:
    def make(**kwargs: Any) -> ItwinIotClient:
        options: dict[str, Any] = {"transport": server.transport(), "retry": retry, "clock": fake_time.clock}
        options.update(kwargs)
        return ItwinIotClient(ITWIN, ItwinApiKey(API_KEY), **options)

    return make
