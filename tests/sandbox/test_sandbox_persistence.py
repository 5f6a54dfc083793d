"""State persists atomically to --state; restarts keep everything; a corrupt file is a clear error."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from ih_helpers import AM, BASE_URL, Ih, token_for

from provisioner.sandbox import Sandbox, SandboxSettings
from provisioner.sandbox.store import StateFileError


async def test_in_process_restart_keeps_state_and_signing_key(tmp_path: Path) -> None:
    state = tmp_path / "s.json"
    first = Sandbox(SandboxSettings(state_file=state, save_debounce_s=0))
    async with httpx.AsyncClient(transport=first.transport(), base_url=BASE_URL) as client:
        token = await token_for(client)
        client.headers["Authorization"] = f"Bearer {token}"
        pump = await Ih(client).pump_model()
    assert state.exists() and not list(tmp_path.glob(".s.json.*"))
    second = Sandbox(SandboxSettings(state_file=state))
    async with httpx.AsyncClient(
        transport=second.transport(), base_url=BASE_URL, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        assert (await client.get(f"{AM}/assets/{pump}")).json()["name"] == "pump1"
        fresh = (await Ih(client).asset("next", "core.basicasset")).json()["assetId"]
        assert fresh != pump


@pytest.mark.parametrize("content", ['{"version": 1, "insightsHub": {"aspectTy', "[]", ""])
def test_corrupt_state_file_is_refused(tmp_path: Path, content: str) -> None:
    state = tmp_path / "s.json"
    state.write_text(content)
    with pytest.raises(StateFileError, match=r"s\.json"):
        Sandbox(SandboxSettings(state_file=state))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(state: Path, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "provisioner", "sandbox", "--port", str(port), "--state", str(state)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_ready(proc: subprocess.Popen[str], url: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        try:
            httpx.get(f"{url}/token_keys", timeout=0.5)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("sandbox did not start")


def _stop(proc: subprocess.Popen[str]) -> str:
    """Terminate (SIGTERM, a graceful uvicorn shutdown) and return what it printed."""
    proc.terminate()
    out, _ = proc.communicate(timeout=10)
    return out


def test_cli_restart_keeps_everything(tmp_path: Path) -> None:
    state, port = tmp_path / "s.json", _free_port()
    url = f"http://127.0.0.1:{port}"
    proc = _start(state, port)
    banner = ""
    try:
        _wait_ready(proc, url)
        token = httpx.post(
            f"{url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=("sandbox-client", "sandbox-secret"),
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        body = {
            "name": "Motor",
            "category": "dynamic",
            "scope": "private",
            "variables": [{"name": "speed", "dataType": "DOUBLE"}],
        }
        assert (
            httpx.put(f"{url}{AM}/aspecttypes/sandbox.Motor", json=body, headers=headers).status_code == 201
        )
    finally:
        banner = _stop(proc)
    assert "sandbox-client / sandbox-secret" in banner and url in banner
    proc = _start(state, port)
    try:
        _wait_ready(proc, url)
        got = httpx.get(f"{url}{AM}/aspecttypes/sandbox.Motor", headers=headers)
        assert got.status_code == 200 and got.json()["etag"] == 0
    finally:
        _stop(proc)


def test_cli_truncated_state_file_exits_non_zero_with_a_message(tmp_path: Path) -> None:
    state = tmp_path / "s.json"
    state.write_text('{"version": 1, "insightsHub": {"assets": [')
    done = subprocess.run(
        [sys.executable, "-m", "provisioner", "sandbox", "--port", str(_free_port()), "--state", str(state)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode != 0
    assert "corrupt" in done.stderr and str(state) in done.stderr and "Traceback" not in done.stderr


def test_cli_refuses_non_loopback_host() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "provisioner", "sandbox", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode != 0 and "--allow-remote" in done.stderr
