"""`provision import` through the CLI against a sandbox on loopback: settings from `--from DIR`,
objects the configuration language cannot express are reported (never silently dropped), and the
written project validates and plans with adoption updates only."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from provisioner.providers.http.credentials import IhServiceCredentials, ItwinApiKey
from provisioner.providers.insights_hub.client import InsightsHubClient
from provisioner.providers.itwin_iot.client import ItwinIotClient


def provision(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provisioner", *args], capture_output=True, text=True,
                          timeout=120)


async def build_by_hand(url: str) -> None:
    hub = InsightsHubClient(url, IhServiceCredentials("sandbox", "sandbox-client", "sandbox-secret"),
                            limits="none")
    itwin = ItwinIotClient(url, ItwinApiKey("sandbox-key"), limits="none")
    async with hub, itwin:
        root = (await hub.get_root_asset())["assetId"]
        site = await hub.create_asset({"name": "Depot", "typeId": "core.basicsite", "parentId": root})
        for name, profile in (("Gate", "SHARED_SECRET"), ("Badge Reader", "NATIVE_CA_CERTIFIED_X509")):
            asset = await hub.create_asset({"name": name, "typeId": "core.mclib",
                                            "parentId": site["assetId"]})
            await hub.create_agent({"name": name, "securityProfile": profile, "entityId": asset["assetId"]})
        made = await itwin.integrate("sandbox-project", {"integration": {"changeState": "new", "devices": [
            {"changeState": "new", "refId": "SN-1", "props": {
                "INTEGRATION_ID": "IMPORT_DEVICE_SDE", "NAME": "Logger"}}]}})
        # the service names a new node itself; a name is given afterwards, as in the iTwin app
        await itwin.integrate("sandbox-project", {"integration": {
            "nodeId": made["integration"]["node"]["id"], "changeState": "update",
            "props": {"NAME": "Depot Yard"}}})


@pytest.mark.slow
def test_cli_import_reports_what_it_cannot_express_and_plans_adoption_only(
        tmp_path: Path, live_sandbox: object) -> None:
    url = live_sandbox.url  # type: ignore[attr-defined]
    asyncio.run(build_by_hand(url))
    source = tmp_path / "source"
    source.mkdir()
    (source / "provision.yaml").write_text(
        "stack: existing\nplatforms:\n"
        f"  insights_hub: {{tenant: sandbox, gateway: '{url}', rate_limits: none,\n"
        "    auth: {client_id: '${env:MDSP_CLIENT_ID}', client_secret: '${env:MDSP_CLIENT_SECRET}'}}\n"
        f"  itwin_iot: {{url: '{url}', project: sandbox-project, rate_limits: none,\n"
        "    auth: {api_key: '${env:ITWIN_IOT_API_KEY}'}}\n")
    (source / "broken.yaml").write_text("insights_hub: {assets: {x: {}}}\n")  # only provision.yaml is read
    out = tmp_path / "out"
    done = provision("import", "--from", str(source), "--stack", "depot", "--out", str(out),
                     "--layout", "site")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "API calls" in done.stdout and "Took " in done.stdout
    assert "Not imported" in done.stdout and "Badge Reader" in done.stdout and "X509" in done.stdout
    assert "SN-1" in done.stdout  # the hand-made SERIAL_NO that the next apply replaces
    assert "Badge Reader" in (out / "import-report.txt").read_text()
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.yaml"))
    assert written == ["provision.yaml", "sites/depot-yard.yaml", "sites/depot.yaml"]
    assert "sandbox-secret" not in "".join(p.read_text() for p in out.rglob("*.yaml"))

    again = provision("import", "--from", str(source), "--stack", "depot", "--out", str(out))
    assert again.returncode == 1 and "already holds YAML files" in again.stderr

    checked = provision("validate", str(out))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    planned = provision("plan", str(out), "--format", "json", "--detailed-exitcode")
    assert planned.returncode == 2, planned.stderr
    changes = json.loads(planned.stdout)["changes"]
    assert {c["action"] for c in changes} == {"update"}
    assert {c["address"] for c in changes} == {"insights_hub.assets.depot", "insights_hub.agents.gate",
                                               "itwin_iot.connections.depot-yard.devices.logger"}
