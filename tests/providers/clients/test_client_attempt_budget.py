"""The HTTP session as the one owner of retries: the per-change attempt budget, and 429 as a wait."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from client_fakes import FakeTime, Server, json_response

from provisioner.model.attempts import FAILED_ATTEMPTS_PER_CHANGE, AttemptBudget, change_budget
from provisioner.providers.http import (
    AmbiguousWriteError,
    ApiConnectionError,
    RateLimitedError,
    RetryPolicy,
    ServerError,
)

ROOT = {"assetId": "a" * 32, "name": "acme", "etag": 0}
CREATED = {"assetId": "b" * 32, "name": "pump", "etag": 0}


def scripted(*answers: httpx.Response) -> object:
    queue: Iterator[httpx.Response] = iter(answers)
    return lambda request: next(queue)


def busy(status: int = 503) -> httpx.Response:
    return json_response(status, {"errors": [{"message": "busy"}]})


def throttled(seconds: str = "2") -> httpx.Response:
    return json_response(429, {"id": "x", "message": "API rate limit exceeded."}, {"Retry-After": seconds})


async def test_429_with_retry_after_waits_then_succeeds_without_using_up_attempts(
    ih_factory, server: Server, fake_time: FakeTime
) -> None:
    # more 429s than max_attempts (4 in the fixture policy): waits are not failures
    server.handler = scripted(*[throttled("2")] * 6, json_response(201, CREATED))
    budget = AttemptBudget()
    async with ih_factory() as client:
        with change_budget(budget):
            assert await client.create_asset({"name": "pump"}) == CREATED
    assert len(server.api_requests()) == 7
    assert fake_time.sleeps == [2.0] * 6  # each wait is the server's Retry-After
    assert budget.failed == 0


async def test_throttling_and_failures_are_counted_apart(ih_factory, server: Server) -> None:
    # 3 failures use 3 of the 4 attempts; the 429s between them cost none
    server.handler = scripted(busy(), throttled("1"), busy(), throttled("1"), throttled("1"), busy(),
                              json_response(200, ROOT))
    budget = AttemptBudget()
    async with ih_factory() as client:
        with change_budget(budget):
            assert (await client.get_root_asset())["name"] == "acme"
    assert len(server.api_requests()) == 7
    assert budget.failed == 3


async def test_endless_429_is_bounded_and_raises_rate_limited(ih_factory, server: Server) -> None:
    retry = RetryPolicy(max_attempts=2, max_throttled=3, sleep=FakeTime().sleep)
    server.handler = lambda request: throttled("1")
    async with ih_factory(retry=retry) as client:
        with pytest.raises(RateLimitedError):
            await client.get_root_asset()
    assert len(server.api_requests()) == 4  # the first try and 3 waits


async def test_a_change_stops_sending_once_its_budget_is_spent(ih_factory, server: Server) -> None:
    """Persistent 503s: the requests of one change fail FAILED_ATTEMPTS_PER_CHANGE attempts in total,
    however many requests the change makes, then nothing more is sent for it."""
    retry = RetryPolicy(max_attempts=FAILED_ATTEMPTS_PER_CHANGE, sleep=FakeTime().sleep)
    server.handler = lambda request: busy()
    budget = AttemptBudget()
    async with ih_factory(retry=retry) as client:
        with change_budget(budget):
            with pytest.raises(ServerError):
                await client.get_root_asset()  # uses all 5 attempts
            sent = len(server.api_requests())
            with pytest.raises(ApiConnectionError, match="not sent: this change already failed 5 attempts"):
                await client.get_root_asset()  # a second request of the same change (a lookup)
    assert sent == FAILED_ATTEMPTS_PER_CHANGE
    assert len(server.api_requests()) == FAILED_ATTEMPTS_PER_CHANGE
    # outside a change (plan reads) only the per-request policy applies
    server.requests.clear()
    async with ih_factory(retry=retry) as client:
        for _ in range(2):
            with pytest.raises(ServerError):
                await client.get_root_asset()
    assert len(server.api_requests()) == 2 * FAILED_ATTEMPTS_PER_CHANGE


async def test_two_requests_of_one_change_share_the_budget(ih_factory, server: Server) -> None:
    retry = RetryPolicy(max_attempts=4, sleep=FakeTime().sleep)
    server.handler = scripted(busy(), busy(), busy(), json_response(200, ROOT),  # 3 failures, then ok
                              busy(), busy(), json_response(200, ROOT))          # only 2 more allowed
    budget = AttemptBudget(limit=5)
    async with ih_factory(retry=retry) as client:
        with change_budget(budget):
            await client.get_root_asset()
            with pytest.raises(ServerError):
                await client.get_root_asset()
    assert budget.failed == 5
    assert len(server.api_requests()) == 6  # the 7th answer (a success) was never asked for


async def test_408_is_retried_by_the_http_layer_now_that_the_executor_does_not(
    ih_factory, server: Server
) -> None:
    server.handler = scripted(busy(408), json_response(200, ROOT))
    async with ih_factory() as client:
        assert (await client.get_root_asset())["name"] == "acme"
    assert len(server.api_requests()) == 2
    server.requests.clear()
    server.handler = lambda request: busy(408)
    async with ih_factory() as client:  # a POST may have been read: of unknown outcome, sent once
        with pytest.raises(AmbiguousWriteError):
            await client.create_asset({"name": "pump"})
    assert len(server.api_requests()) == 1
