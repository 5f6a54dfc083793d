"""Over a real loopback socket, failures keep their meaning: never sent vs maybe applied.

The session retries a POST only when the request certainly never reached the server; a dropped
connection after sending must surface as `AmbiguousWriteError` after exactly one attempt.
"""

from __future__ import annotations

import pytest
from harness import LiveSandbox, free_port

from provisioner.providers.http import (
    AmbiguousWriteError,
    ApiConnectionError,
    IhServiceCredentials,
    RetryPolicy,
    ServerError,
)
from provisioner.providers.insights_hub.client import InsightsHubClient
from provisioner.sandbox import SandboxSettings

RETRY = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.002)
CREDENTIALS = IhServiceCredentials("sandbox", "sandbox-client", "sandbox-secret")
ASSETS = "POST /api/assetmanagement/v3/assets"


def _client(url: str) -> InsightsHubClient:
    return InsightsHubClient(url, CREDENTIALS, retry=RETRY, limits="none")


async def test_a_dropped_connection_after_a_post_is_ambiguous_and_not_retried() -> None:
    faults = "reset=100%@/api/assetmanagement/v3/assets"
    with LiveSandbox(SandboxSettings(port=free_port(), faults=faults)) as live:
        async with _client(live.url) as client:
            root = await client.get_root_asset()  # a GET on another path: unaffected
            with pytest.raises(AmbiguousWriteError):
                await client.create_asset({"name": "x", "typeId": "core.basicasset",
                                           "parentId": root["assetId"]})
        assert live.sandbox.counts()["endpoints"][ASSETS] == 1


async def test_a_committed_write_whose_answer_is_lost_is_ambiguous() -> None:
    with LiveSandbox(SandboxSettings(port=free_port(), seed=3,
                                     faults="commit-fail=100%@/api/assetmanagement/v3/assets")) as live:
        async with _client(live.url) as client:
            root = await client.get_root_asset()
            with pytest.raises(AmbiguousWriteError):
                await client.create_asset({"name": "y", "typeId": "core.basicasset",
                                           "parentId": root["assetId"]})
            names = [a["name"] for a in await client.list_assets()]
        assert names.count("y") == 1  # applied once, never re-sent


async def test_reads_are_retried_on_5xx_and_a_refused_connection_is_never_sent() -> None:
    faults = "503=100%@/api/assetmanagement/v3/assets/root"
    with LiveSandbox(SandboxSettings(port=free_port(), faults=faults)) as live:
        async with _client(live.url) as client:
            with pytest.raises(ServerError):
                await client.get_root_asset()
        root_reads = live.sandbox.counts()["endpoints"]["GET /api/assetmanagement/v3/assets/root"]
        assert root_reads == RETRY.max_attempts
    async with _client(f"http://127.0.0.1:{free_port()}") as client:  # nothing listens there
        with pytest.raises(ApiConnectionError, match=f"failed after {RETRY.max_attempts} attempt"):
            await client.create_asset({"name": "z"})  # not sent, so safe to retry even as a POST
