"""The sandbox's `itwin_*` settings reach the iTwin half (no guessed field names)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import uvicorn
from click.testing import CliRunner

from provisioner import gc_tuning
from provisioner.cli.sandbox import sandbox as sandbox_command
from provisioner.sandbox import Sandbox, SandboxSettings
from provisioner.sandbox.itwin import itwin_settings


def test_itwin_fields_are_passed_by_name() -> None:
    settings = SandboxSettings(itwin_project="p-1", itwin_api_key="k-1", itwin_node_props_at_creation=True)
    mapped = itwin_settings(settings)
    assert (mapped.project, mapped.api_key, mapped.node_props_at_creation) == ("p-1", "k-1", True)
    assert Sandbox(settings).itwin.settings.node_props_at_creation is True


def test_node_props_at_creation_is_off_by_default() -> None:
    assert SandboxSettings().itwin_node_props_at_creation is False
    assert Sandbox(SandboxSettings()).itwin.settings.node_props_at_creation is False


def _served_app(monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[Any, str]:
    """Run `provision sandbox ARGS` up to the point where uvicorn would serve; its app and banner."""
    served: list[Any] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self: served.append(self.config.app))
    monkeypatch.setattr(gc_tuning, "settle_long_lived_heap", lambda: None)  # keep this process's gc as is
    result = CliRunner().invoke(sandbox_command, ["--port", "0", *args])
    assert result.exit_code == 0, result.output
    return served[0], result.output


@pytest.mark.parametrize("flag", [False, True])
async def test_cli_flag_switches_node_props_at_creation(monkeypatch: pytest.MonkeyPatch, flag: bool) -> None:
    app, banner = _served_app(monkeypatch, *(["--itwin-node-props-at-creation"] if flag else []))
    assert ("node props         applied at creation" in banner) is flag
    headers = {"Authorization": "ApiKey sandbox-key"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1",
                                 headers=headers) as client:
        body = {"integration": {"changeState": "new", "refId": "site-1", "props": {"NAME": "Site"}}}
        response = await client.post("/api/integrations/integrate", params={"projectIds": "sandbox-project"},
                                     json=body)
    assert response.status_code == 200
    props = response.json()["integration"]["node"]["props"]
    assert (props["NAME"] == "Site" and props["SERIAL_NO"] == "site-1") is flag


async def test_cli_flag_refuses_node_updates(monkeypatch: pytest.MonkeyPatch) -> None:
    app, banner = _served_app(monkeypatch, "--no-itwin-node-updates")
    assert "node updates       refused with 422" in banner
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1",
                                 headers={"Authorization": "ApiKey sandbox-key"}) as client:
        params = {"projectIds": "sandbox-project"}
        made = await client.post("/api/integrations/integrate", params=params,
                                 json={"integration": {"changeState": "new"}})
        node_id = made.json()["integration"]["node"]["id"]
        update = {"integration": {"nodeId": node_id, "changeState": "update", "props": {"NAME": "x"}}}
        refused = await client.post("/api/integrations/integrate", params=params, json=update)
    assert refused.status_code == 422
    assert "node updates" not in _served_app(monkeypatch)[1]
