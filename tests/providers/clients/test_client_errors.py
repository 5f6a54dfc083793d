"""Error mapping per status and vendor body shape, redaction of secrets, and the https rule."""

from __future__ import annotations

import logging

import httpx
import pytest
from client_fakes import API_KEY, SECRET, Server, json_response

from provisioner.errors import ApiError
from provisioner.providers.http import (
    ApiValidationError,
    AuthError,
    ConflictError,
    ForbiddenError,
    IhServiceCredentials,
    InsecureUrlError,
    ItwinApiKey,
    ItwinClientCredentials,
    NotFoundError,
    PreconditionFailedError,
)
from provisioner.providers.http.errors import vendor_message
from provisioner.providers.http.redaction import Redactor
from provisioner.providers.insights_hub.client import InsightsHubClient
from provisioner.providers.itwin_iot.client import ItwinIotClient


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {
                "errors": [
                    {
                        "code": "assetmanagement.notFound",
                        "errorcode": "100",
                        "logref": "l",
                        "message": "Aspect type abcd not found",
                    }
                ]
            },
            "assetmanagement.notFound: Aspect type abcd not found",
        ),
        (
            {"id": "Conflict", "message": "Resource is already available."},
            "Conflict: Resource is already available.",
        ),
        (
            {"id": "", "message": "Property with name T130 does not belong to property set with name X!"},
            "Property with name T130 does not belong to property set with name X!",
        ),
        (
            {"errors": [{"code": "mdsp.conn.mindconnect.conflict", "logref": "l", "message": "duplicate"}]},
            "mdsp.conn.mindconnect.conflict: duplicate",
        ),
        (
            {"error": {"code": "InvalidProcessIntegrationRequest", "message": "Cannot process integration"}},
            "InvalidProcessIntegrationRequest: Cannot process integration",
        ),
        (
            {
                "error": {
                    "code": "ResourceNotFound",
                    "message": "Requested resource is not available.",
                    "target": "projectIds",
                }
            },
            "ResourceNotFound: Requested resource is not available. (projectIds)",
        ),
        (
            {"errors": [{"message": "must not be empty", "path": "observations"}]},
            "must not be empty (observations)",
        ),
        (
            {"id": "x", "error": "too_many_requests", "error_description": "slow down"},
            "too_many_requests: slow down",
        ),
        ("plain text failure", "plain text failure"),
        ({"unexpected": 1}, ""),
        (None, ""),
    ],
)
def test_vendor_message_shapes(body: object, expected: str) -> None:
    assert vendor_message(body) == expected


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, ApiValidationError),
        (402, ApiValidationError),
        (422, ApiValidationError),
        (403, ForbiddenError),
        (404, NotFoundError),
        (409, ConflictError),
        (412, PreconditionFailedError),
        (418, ApiError),
    ],
)
async def test_status_to_exception(itwin_factory, server: Server, status: int, cls: type[ApiError]) -> None:
    server.handler = lambda r: json_response(status, {"error": {"code": "C", "message": "vendor says no"}})
    async with itwin_factory() as client:
        with pytest.raises(cls) as info:
            await client.get_entity("node", "/api/B6627B/node")
    error = info.value
    assert type(error) is cls
    assert error.status == status and error.method == "GET"
    assert error.url == "https://iiot.bentley.com/api/nodes//api/B6627B/node"
    assert "vendor says no" in str(error) and f"HTTP {status}" in str(error)
    assert error.body == {"error": {"code": "C", "message": "vendor says no"}}


async def test_secrets_never_reach_logs_or_exceptions(
    server: Server, retry, caplog: pytest.LogCaptureFixture
) -> None:
    # The server echoes secrets back in error bodies and uses the token in a query string.
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/agentmanagement/v3/agents/ag1/boarding/configuration":
            return json_response(
                200,
                {"content": {"baseUrl": "https://southgate", "iat": "initial-token-x1", "clientId": "ag1"}},
            )
        return json_response(
            400,
            {"id": "", "message": f"bad header {request.headers['authorization']}", "client_secret": SECRET},
        )

    server.handler = handler
    caplog.set_level(logging.DEBUG, logger="provisioner.http")
    client = InsightsHubClient(
        "https://gateway.eu1.mindsphere.io",
        IhServiceCredentials("acme", "c", SECRET),
        transport=server.transport(),
        retry=retry,
    )
    async with client:
        config = await client.get_boarding_configuration("ag1")
        with pytest.raises(ApiValidationError) as info:
            await client.create_agent({"name": "a", "securityProfile": "SHARED_SECRET", "entityId": "e"})
    assert config["content"]["iat"] == "initial-token-x1"  # callers get the real value
    text = caplog.text + str(info.value) + repr(info.value.body) + info.value.url
    assert "http request POST https://acme.piam.eu1.mindsphere.io/oauth/token" in caplog.text
    for secret in (SECRET, "tok-1", "initial-token-x1"):
        assert secret not in text
    assert "***" in caplog.text
    assert SECRET not in repr(IhServiceCredentials("acme", "c", SECRET))


async def test_itwin_secrets_redacted(server: Server, retry, caplog: pytest.LogCaptureFixture) -> None:
    first_page = [{"id": "/api/1/node", "props": {"AUTH_TOKEN": "conn-secret-1"}}]
    server.handler = lambda r: json_response(200, first_page if r.url.params["pageNumber"] == "0" else [])
    caplog.set_level(logging.DEBUG, logger="provisioner.http")
    async with ItwinIotClient(
        "https://iiot.bentley.com", ItwinApiKey(API_KEY), transport=server.transport(), retry=retry
    ) as client:
        nodes = await client.list_nodes("p1")
    assert nodes[0]["props"]["AUTH_TOKEN"] == "conn-secret-1"
    assert API_KEY not in caplog.text and "conn-secret-1" not in caplog.text
    assert API_KEY not in repr(ItwinApiKey(API_KEY))
    creds = ItwinClientCredentials("svc", SECRET)
    assert SECRET not in repr(creds)


def test_redactor_masks_urls_forms_and_values() -> None:
    redactor = Redactor([SECRET])
    assert redactor.url("https://h/x?api_key=abc&page=1") == "https://h/x?api_key=%2A%2A%2A&page=1"
    assert redactor.url("https://user:pw@h/x") == "https://***@h/x"
    assert redactor.url(f"https://h/x/{SECRET}") == "https://h/x/***"
    assert (
        redactor.form(f"grant_type=client_credentials&client_secret={SECRET}")
        == "grant_type=client_credentials&client_secret=%2A%2A%2A"
    )
    assert redactor.headers({"Authorization": "Bearer t", "X-SPACE-AUTH-KEY": "Basic b", "Accept": "a"}) == {
        "Authorization": "***",
        "X-SPACE-AUTH-KEY": "***",
        "Accept": "a",
    }
    assert redactor.data({"access_token": "t", "errors": [{"code": "c", "message": SECRET}]}) == {
        "access_token": "***",
        "errors": [{"code": "c", "message": "***"}],
    }


@pytest.mark.parametrize(
    "url", ["http://gateway.eu1.mindsphere.io", "http://10.0.0.5:8080", "ftp://127.0.0.1", "not a url"]
)
def test_plain_http_only_for_loopback(url: str) -> None:
    with pytest.raises(InsecureUrlError):
        InsightsHubClient(url, IhServiceCredentials("acme", "c", SECRET))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080",
        "http://localhost:9000",
        "http://[::1]:8000",
        "https://gateway.eu1.mindsphere.io",
    ],
)
def test_loopback_http_and_https_are_accepted(url: str) -> None:
    InsightsHubClient(url, IhServiceCredentials("acme", "c", SECRET))


def test_insecure_token_url_is_rejected() -> None:
    with pytest.raises(InsecureUrlError, match="token URL"):
        ItwinIotClient(
            "https://iiot.bentley.com", ItwinClientCredentials("c", SECRET, token_url="http://ims.test/t")
        )


async def test_token_response_without_access_token(server: Server, retry) -> None:
    transport = httpx.MockTransport(lambda r: json_response(200, {"token_type": "bearer"}))
    client = InsightsHubClient(
        "https://gateway.eu1.mindsphere.io",
        IhServiceCredentials("acme", "c", SECRET),
        transport=transport,
        retry=retry,
    )
    async with client:
        with pytest.raises(AuthError, match="no access_token"):
            await client.get_root_asset()
