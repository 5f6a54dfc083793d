"""A client that disconnects mid-request gets no answer and raises nothing in the server."""

from __future__ import annotations

from typing import Any

import httpx

from provisioner.sandbox import Sandbox, SandboxSettings


async def test_disconnect_while_the_body_is_read_is_quiet() -> None:
    sandbox = Sandbox(SandboxSettings())
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url="http://127.0.0.1:8700") as client:
        answer = await client.post("/oauth/token", data={"grant_type": "client_credentials"},
                                   auth=("sandbox-client", "sandbox-secret"))
    token = answer.json()["access_token"]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}  # the client is gone before its body arrives

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    path = "/api/assetmanagement/v3/assets"
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"authorization", f"Bearer {token}".encode()),
                         (b"content-type", b"application/json")],
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8700)}
    await sandbox.app(scope, receive, send)  # must not raise ClientDisconnect
    assert sent == []  # nobody to answer
    assets = sandbox.snapshot()["insightsHub"]["assets"]
    assert [a["typeId"] for a in assets] == ["core.basicenterprise"]  # only the root: nothing was created
