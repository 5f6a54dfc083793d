"""Token acquisition, caching and refresh for every credential kind."""

from __future__ import annotations

import asyncio
import base64
import json

import httpx
import pytest
from client_fakes import API_KEY, GATEWAY, PIAM_TOKEN, SECRET, FakeTime, Server, json_response

from provisioner.providers.http import (
    AuthError,
    IhAppCredentials,
    IhServiceCredentials,
    ItwinApiKey,
    ItwinClientCredentials,
)
from provisioner.providers.http.urls import piam_url
from provisioner.providers.insights_hub.client import InsightsHubClient
from provisioner.providers.itwin_iot.client import ItwinIotClient

ROOT = {"assetId": "a" * 32, "name": "acme", "typeId": "core.basicenterprise", "parentId": "", "etag": 0}


def bearer(request: httpx.Request) -> str:
    return request.headers["authorization"].removeprefix("Bearer ")


async def test_service_token_request_shape_and_caching(ih_factory, server: Server) -> None:
    server.handler = lambda r: json_response(200, ROOT)
    async with ih_factory() as client:
        await client.get_root_asset()
        await client.get_root_asset()
    token_calls = [r for r in server.requests if r.url.path == "/oauth/token"]
    assert len(token_calls) == 1
    token = token_calls[0]
    assert str(token.url) == PIAM_TOKEN
    assert (
        token.headers["authorization"]
        == "Basic " + base64.b64encode(f"acme-client:{SECRET}".encode()).decode()
    )
    assert token.headers["content-type"] == "application/x-www-form-urlencoded"
    assert token.content == b"grant_type=client_credentials"
    assert [bearer(r) for r in server.api_requests()] == ["tok-1", "tok-1"]


def test_piam_url_follows_the_sdk() -> None:
    assert piam_url("https://gateway.eu1.mindsphere.io", "acme") == "https://acme.piam.eu1.mindsphere.io"
    assert piam_url("http://127.0.0.1:8080", "acme") == "http://127.0.0.1:8080"


async def test_loopback_gateway_gets_tokens_from_the_same_origin(server: Server, retry) -> None:
    server.handler = lambda r: json_response(200, ROOT)
    client = InsightsHubClient(
        "http://127.0.0.1:8080",
        IhServiceCredentials("acme", "c", SECRET),
        transport=server.transport(),
        retry=retry,
    )
    async with client:
        await client.get_root_asset()
    assert str(server.requests[0].url) == "http://127.0.0.1:8080/oauth/token"
    assert str(server.requests[1].url) == "http://127.0.0.1:8080/api/assetmanagement/v3/assets/root"


async def test_token_refreshed_shortly_before_expiry(ih_factory, server: Server, fake_time: FakeTime) -> None:
    server.token_ttl = 1800
    server.handler = lambda r: json_response(200, ROOT)
    async with ih_factory(refresh_margin=60) as client:
        await client.get_root_asset()
        fake_time.now += 1700  # still 100 s left: cached
        await client.get_root_asset()
        fake_time.now += 50  # 50 s left, inside the 60 s margin: refreshed
        await client.get_root_asset()
    assert [bearer(r) for r in server.api_requests()] == ["tok-1", "tok-1", "tok-2"]


async def test_401_refreshes_the_token_once_and_repeats(ih_factory, server: Server) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if bearer(request) == "tok-1":
            return json_response(401, {"errors": [{"message": "Token expired"}]})
        return json_response(200, ROOT)

    server.handler = handler
    async with ih_factory() as client:
        assert (await client.get_root_asset())["name"] == "acme"
    assert [bearer(r) for r in server.api_requests()] == ["tok-1", "tok-2"]


async def test_401_after_refresh_raises_auth_error(ih_factory, server: Server) -> None:
    server.handler = lambda r: json_response(401, {"errors": [{"message": "not allowed"}]})
    async with ih_factory() as client:
        with pytest.raises(AuthError) as info:
            await client.get_root_asset()
    assert info.value.status == 401
    assert len(server.api_requests()) == 2
    assert server.token_counter == 2


async def test_rejected_credentials_raise_auth_error(server: Server, retry) -> None:
    transport = httpx.MockTransport(
        lambda r: json_response(401, {"error": "unauthorized", "error_description": "Bad credentials"})
    )
    client = InsightsHubClient(
        GATEWAY, IhServiceCredentials("acme", "c", SECRET), transport=transport, retry=retry
    )
    async with client:
        with pytest.raises(AuthError, match="Bad credentials"):
            await client.get_root_asset()


async def test_concurrent_requests_share_one_token_acquisition(ih_factory, server: Server) -> None:
    server.handler = lambda r: json_response(200, ROOT)
    async with ih_factory() as client:
        await asyncio.gather(*(client.get_root_asset() for _ in range(10)))
    assert server.token_counter == 1
    assert len(server.api_requests()) == 10


async def test_app_credentials_use_the_technical_token_manager(server: Server, retry) -> None:
    server.handler = lambda r: json_response(200, ROOT)
    creds = IhAppCredentials(
        "app-client",
        SECRET,
        host_tenant="acme",
        user_tenant="customer",
        app_name="provision",
        app_version="1.2.3",
    )
    async with InsightsHubClient(GATEWAY, creds, transport=server.transport(), retry=retry) as client:
        await client.get_root_asset()
    token = server.requests[0]
    assert str(token.url) == f"{GATEWAY}/api/technicaltokenmanager/v3/oauth/token"
    assert token.headers["x-space-auth-key"].startswith("Basic ")
    assert "authorization" not in token.headers
    assert json.loads(token.content) == {
        "appName": "provision",
        "appVersion": "1.2.3",
        "hostTenant": "acme",
        "userTenant": "customer",
    }


async def test_itwin_api_key_needs_no_token(server: Server, retry) -> None:
    server.handler = lambda r: json_response(200, [])
    async with ItwinIotClient(
        "https://iiot.bentley.com", ItwinApiKey(API_KEY), transport=server.transport(), retry=retry
    ) as client:
        await client.list_nodes("p1")
    assert server.token_counter == 0
    assert server.requests[0].headers["authorization"] == f"ApiKey {API_KEY}"


async def test_itwin_api_key_401_is_auth_error_without_retry(server: Server, retry) -> None:
    server.handler = lambda r: json_response(
        401,
        {
            "errors": [
                {"message": "Token has expired on Tue Feb 20 04:12:01 PST 2024", "path": "Authorization"}
            ]
        },
    )
    async with ItwinIotClient(
        "https://iiot.bentley.com", ItwinApiKey(API_KEY), transport=server.transport(), retry=retry
    ) as client:
        with pytest.raises(AuthError, match="Token has expired"):
            await client.list_nodes("p1")
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("base", "configured", "expected"),
    [
        ("https://iiot.bentley.com", None, "https://ims.bentley.com/connect/token"),
        ("http://127.0.0.1:9000", None, "http://127.0.0.1:9000/connect/token"),
        (
            "https://iiot.bentley.com",
            "https://ims.example.test/connect/token",
            "https://ims.example.test/connect/token",
        ),
    ],
)
async def test_itwin_ims_client_credentials(
    server: Server, retry, base: str, configured: str | None, expected: str
) -> None:
    server.handler = lambda r: json_response(200, [])
    creds = ItwinClientCredentials("svc-client", SECRET, token_url=configured)
    async with ItwinIotClient(base, creds, transport=server.transport(), retry=retry) as client:
        await client.list_nodes("p1")
        await client.list_nodes("p1")
    token = server.requests[0]
    assert str(token.url) == expected
    form = dict(httpx.QueryParams(token.content.decode()))
    assert form == {
        "grant_type": "client_credentials",
        "client_id": "svc-client",
        "client_secret": SECRET,
        "scope": "itwin-platform",
    }
    assert server.token_counter == 1
    assert server.requests[1].headers["authorization"] == "Bearer tok-1"
