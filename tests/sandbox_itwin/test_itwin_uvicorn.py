"""The raw-id double slash survives a real server (uvicorn) and a real client (httpx)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette


@pytest.fixture
def server_url(app: Starlette) -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def test_double_slash_through_uvicorn(server_url: str) -> None:
    headers = {"Authorization": "ApiKey sandbox-key"}
    with httpx.Client(base_url=server_url, headers=headers) as client:
        body = {
            "integration": {
                "changeState": "new",
                "devices": [
                    {"changeState": "new", "refId": "d", "props": {"INTEGRATION_ID": "IMPORT_DEVICE_SDE"}}
                ],
            }
        }
        created = client.post(
            "/api/integrations/integrate", params={"projectIds": "sandbox-project"}, json=body
        )
        assert created.status_code == 200
        node_id = created.json()["integration"]["node"]["id"]
        device_id = created.json()["integration"]["devices"][0]["device"]["id"]
        response = client.get(f"/api/devices/{device_id}")
        assert response.status_code == 200
        assert response.request.url.raw_path.startswith(b"/api/devices//api/")
        assert response.json()["id"] == device_id
        assert client.post(f"/api/integrations/{node_id}").json()["integration"]["node"]["id"] == node_id
        assert client.get(f"/api/devices{device_id}").status_code == 404
