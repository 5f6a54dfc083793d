"""Retries, backoff and Retry-After, and never repeating a write that may have been applied."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from client_fakes import FakeTime, Server, json_response

from provisioner.providers.http import (
    AmbiguousWriteError,
    ApiConnectionError,
    NotFoundError,
    PreconditionFailedError,
    RateLimitedError,
    RetryPolicy,
    ServerError,
)
from provisioner.providers.http.retry import is_replayable, parse_retry_after

ROOT = {"assetId": "a" * 32, "name": "acme", "etag": 0}
ASSET = {"assetId": "b" * 32, "name": "pump", "etag": 3}


def scripted(*answers: httpx.Response | Exception):
    """A handler answering with `answers` in order (an exception is raised as the transport would)."""
    queue: Iterator[httpx.Response | Exception] = iter(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        answer = next(queue)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler


@pytest.mark.parametrize("status", [429, 502, 503, 504])
async def test_safe_request_is_retried_with_full_jitter_backoff(
    ih_factory, server: Server, fake_time: FakeTime, status: int
) -> None:
    server.handler = scripted(
        json_response(status, {"errors": [{"message": "busy"}]}),
        json_response(status, {"errors": [{"message": "busy"}]}),
        json_response(200, ROOT),
    )
    async with ih_factory() as client:
        assert (await client.get_root_asset())["name"] == "acme"
        assert client.stats.calls["am.assets.root"] == 3
        assert client.stats.retries["am.assets.root"] == 2
    # random() = 0.5: 0.5 * min(8, 1 * 2**0), 0.5 * min(8, 1 * 2**1)
    assert fake_time.sleeps == [0.5, 1.0]


async def test_backoff_is_capped_at_max_delay(ih_factory, server: Server, fake_time: FakeTime) -> None:
    retry = RetryPolicy(
        max_attempts=6, base_delay=1.0, max_delay=3.0, sleep=fake_time.sleep, random=lambda: 1.0
    )
    server.handler = scripted(*[json_response(503, {})] * 5, json_response(200, ROOT))
    async with ih_factory(retry=retry) as client:
        await client.get_root_asset()
    assert fake_time.sleeps == [1.0, 2.0, 3.0, 3.0, 3.0]


async def test_retry_after_seconds_is_honoured(ih_factory, server: Server, fake_time: FakeTime) -> None:
    server.handler = scripted(
        json_response(429, {"id": "x", "message": "API rate limit exceeded."}, {"Retry-After": "7"}),
        json_response(200, ROOT),
    )
    async with ih_factory() as client:
        await client.get_root_asset()
    assert fake_time.sleeps == [7.0]


async def test_retry_after_http_date_is_honoured(server: Server, fake_time: FakeTime, ih_factory) -> None:
    now = datetime(2024, 3, 5, 10, 0, 0, tzinfo=UTC)
    retry = RetryPolicy(
        max_attempts=3, base_delay=1, sleep=fake_time.sleep, random=lambda: 0.5, now=lambda: now
    )
    server.handler = scripted(
        json_response(503, {}, {"Retry-After": "Tue, 05 Mar 2024 10:00:12 GMT"}), json_response(200, ROOT)
    )
    async with ih_factory(retry=retry) as client:
        await client.get_root_asset()
    assert fake_time.sleeps == [12.0]


def test_parse_retry_after_forms() -> None:
    now = datetime(2024, 3, 5, 10, 0, 0, tzinfo=UTC)
    assert parse_retry_after("3", now) == 3.0
    assert parse_retry_after("1.5", now) == 1.5
    assert parse_retry_after("-4", now) == 0.0
    assert parse_retry_after("Tue, 05 Mar 2024 09:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None


async def test_retries_are_bounded(ih_factory, server: Server, fake_time: FakeTime) -> None:
    server.handler = lambda r: json_response(503, {"errors": [{"message": "service unavailable"}]})
    async with ih_factory() as client:
        with pytest.raises(ServerError, match="service unavailable"):
            await client.get_root_asset()
    assert len(server.api_requests()) == 4  # max_attempts
    assert len(fake_time.sleeps) == 3


async def test_429_exhausted_raises_rate_limited(ih_factory, server: Server) -> None:
    server.handler = lambda r: json_response(429, {"id": "x", "message": "API rate limit exceeded."})
    async with ih_factory() as client:
        with pytest.raises(RateLimitedError, match="API rate limit exceeded"):
            await client.get_agent("a1")


async def test_500_on_get_is_retried_then_surfaces(ih_factory, server: Server) -> None:
    server.handler = lambda r: json_response(500, {"errors": [{"message": "No acceptable representation"}]})
    async with ih_factory() as client:
        with pytest.raises(ServerError, match="No acceptable representation"):
            await client.get_root_asset()
    assert len(server.api_requests()) == 4  # the fixture policy: max_attempts=4


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("slow"),
        httpx.ReadTimeout("slow answer"),
        httpx.RemoteProtocolError("dropped"),
    ],
)
async def test_transport_errors_are_retried_for_reads(ih_factory, server: Server, error: Exception) -> None:
    server.handler = scripted(error, json_response(200, ROOT))
    async with ih_factory() as client:
        assert (await client.get_root_asset())["name"] == "acme"


async def test_connection_failures_exhausted_raise_connection_error(ih_factory, server: Server) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    server.handler = refuse
    async with ih_factory() as client:
        with pytest.raises(ApiConnectionError, match="4 attempt"):
            await client.get_root_asset()


# -- non-idempotent writes --------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_post_with_5xx_is_ambiguous_and_sent_once(
    ih_factory, server: Server, fake_time: FakeTime, status: int
) -> None:
    server.handler = lambda r: json_response(status, {"errors": [{"message": "oops"}]})
    async with ih_factory() as client:
        with pytest.raises(AmbiguousWriteError) as info:
            await client.create_asset({"name": "pump", "typeId": "acme.pump", "parentId": "a" * 32})
    assert len(server.api_requests()) == 1
    assert fake_time.sleeps == []
    assert info.value.method == "POST"
    assert info.value.url == "https://gateway.eu1.mindsphere.io/api/assetmanagement/v3/assets"
    assert info.value.status == status


@pytest.mark.parametrize(
    "error",
    [httpx.ReadTimeout("no answer"), httpx.RemoteProtocolError("dropped"), httpx.WriteError("broken pipe")],
)
async def test_post_with_ambiguous_transport_failure_is_not_retried(
    itwin_factory, server: Server, error: Exception
) -> None:
    server.handler = scripted(error)
    async with itwin_factory() as client:
        with pytest.raises(AmbiguousWriteError, match="may or may not have been applied"):
            await client.integrate("p1", {"integration": {"changeState": "new", "devices": []}})
    assert len(server.requests) == 1


async def test_post_is_retried_on_429(ih_factory, server: Server, fake_time: FakeTime) -> None:
    created = {**ASSET, "etag": 0}
    server.handler = scripted(
        json_response(429, {"errors": [{"message": "slow down"}]}, {"Retry-After": "2"}),
        json_response(201, created),
    )
    async with ih_factory() as client:
        assert await client.create_asset({"name": "pump"}) == created
    assert len(server.api_requests()) == 2
    assert fake_time.sleeps == [2.0]


@pytest.mark.parametrize(
    "error", [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"), httpx.PoolTimeout("pool")]
)
async def test_post_is_retried_when_it_was_never_sent(
    itwin_factory, server: Server, error: Exception
) -> None:
    server.handler = scripted(
        error, json_response(200, {"integration": {"node": {"id": "/api/B6627B/node"}}})
    )
    async with itwin_factory() as client:
        result = await client.integrate("p1", {"integration": {"changeState": "new"}})
    assert result["integration"]["node"]["id"] == "/api/B6627B/node"
    assert len(server.requests) == 2


async def test_conditional_write_is_retried(ih_factory, server: Server) -> None:
    server.handler = scripted(json_response(503, {}), json_response(200, {**ASSET, "etag": 4}))
    async with ih_factory() as client:
        assert (await client.put_asset(ASSET["assetId"], {"name": "pump"}, 3))["etag"] == 4
    assert [r.headers["if-match"] for r in server.api_requests()] == ["3", "3"]


async def test_retried_write_failing_precondition_is_reported_ambiguous(ih_factory, server: Server) -> None:
    # The first PUT may have been applied (a gateway 504); the retry then sees a bumped etag.
    server.handler = scripted(
        json_response(504, {}), json_response(412, {"errors": [{"message": "changed in the background"}]})
    )
    async with ih_factory() as client:
        with pytest.raises(AmbiguousWriteError) as info:
            await client.put_asset(ASSET["assetId"], {"name": "pump"}, 3)
    assert isinstance(info.value.__cause__, PreconditionFailedError)


async def test_plain_412_is_precondition_failed(ih_factory, server: Server) -> None:
    server.handler = lambda r: json_response(412, {"errors": [{"message": "changed in the background"}]})
    async with ih_factory() as client:
        with pytest.raises(PreconditionFailedError):
            await client.delete_asset(ASSET["assetId"], 3)


async def test_retried_delete_then_404_is_ambiguous(ih_factory, server: Server) -> None:
    server.handler = scripted(
        httpx.ReadTimeout("no answer"), json_response(404, {"id": "", "message": "gone"})
    )
    async with ih_factory() as client:
        with pytest.raises(AmbiguousWriteError) as info:
            await client.delete_mapping("m1")
    assert isinstance(info.value.__cause__, NotFoundError)


async def test_itwin_tree_read_by_post_is_retried(itwin_factory, server: Server) -> None:
    server.handler = scripted(json_response(503, {}), json_response(200, {"integration": {"devices": []}}))
    async with itwin_factory() as client:
        assert await client.get_tree("/api/13DC2F/node") == {"integration": {"devices": []}}


@pytest.mark.parametrize(
    ("method", "headers", "idempotent", "expected"),
    [
        ("GET", {}, None, True),
        ("HEAD", {}, None, True),
        ("PUT", {}, None, True),
        ("DELETE", {}, None, True),
        ("PATCH", {}, None, False),
        ("PATCH", {"If-Match": "2"}, None, True),
        ("PUT", {"If-None-Match": "*"}, None, True),
        ("POST", {}, None, False),
        ("POST", {"If-Match": "1"}, None, True),
        ("POST", {}, True, True),
        ("PUT", {}, False, False),
    ],
)
def test_replayability(method: str, headers: dict[str, str], idempotent: bool | None, expected: bool) -> None:
    assert is_replayable(method, headers, idempotent) is expected


@pytest.mark.parametrize("first", [json_response(503, {}), httpx.ReadTimeout("no answer")],
                         ids=["503", "timeout"])
async def test_retried_get_then_404_is_a_404_not_an_ambiguous_write(
    ih_factory, server: Server, first: httpx.Response | Exception
) -> None:
    server.handler = scripted(first, json_response(404, {"errors": [{"message": "not found"}]}))
    async with ih_factory() as client:
        with pytest.raises(NotFoundError) as info:
            await client.get_asset(ASSET["assetId"])
    assert not isinstance(info.value, AmbiguousWriteError)


async def test_retried_tree_read_by_post_then_404_is_a_404(itwin_factory, server: Server) -> None:
    gone = {"error": {"code": "ResourceNotFound", "message": "gone"}}
    server.handler = scripted(json_response(503, {}), json_response(404, gone))
    async with itwin_factory() as client:
        with pytest.raises(NotFoundError) as info:
            await client.get_tree("/api/13DC2F/node")
    assert not isinstance(info.value, AmbiguousWriteError)
