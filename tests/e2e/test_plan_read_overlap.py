"""The plan's reads overlap: an agent's data source configuration is read as soon as its asset is
listed, not after the whole asset listing, and an agent asset without an agent costs no error."""

from __future__ import annotations

import asyncio

import httpx

from provisioner.config import Project
from provisioner.model import Action
from provisioner.pipeline import ApplyOptions, apply_plan
from provisioner.sandbox import Sandbox, SandboxSettings
from provisioner.session import make_plan, open_session

HOLD = 0.3  # seconds an asset page without an agent is held back


class HoldingTransport(httpx.AsyncBaseTransport):
    """Passes requests to the sandbox; holds back each asset list page that lists no agent's
    asset, and records when each request was sent and each answer released."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.events: list[tuple[str, str]] = []  # ("sent" | "answered", path)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.events.append(("sent", path))
        response = await self.inner.handle_async_request(request)
        await response.aread()
        if path.endswith("/assetmanagement/v3/assets") and b"core.mclib" not in response.content:
            await asyncio.sleep(HOLD)
        self.events.append(("answered", path))
        return response


async def _apply(project: Project, sandbox: Sandbox) -> None:
    async with open_session(project.config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        report = await apply_plan(session, plan, ApplyOptions(allow_data_loss=True), live=live)
    assert report.ok


async def test_a_dsc_read_starts_before_the_asset_listing_ends(quickstart: Project) -> None:
    sandbox = Sandbox(SandboxSettings(max_page_size=1, boarding_delay_s=0.0))  # one asset per page
    await _apply(quickstart, sandbox)
    transport = HoldingTransport(sandbox.transport())
    async with open_session(quickstart.config, transport=transport) as session:
        plan, _ = await make_plan(session)
    assert plan.changes == ()
    paths = [p for _, p in transport.events]
    asset_pages = [i for i, (e, p) in enumerate(transport.events)
                   if e == "answered" and p.endswith("/assets")]
    dsc_sent = [i for i, (e, p) in enumerate(transport.events)
                if e == "sent" and p.endswith("/dataSourceConfiguration")]
    assert len(asset_pages) > 2 and dsc_sent, paths
    assert dsc_sent[0] < asset_pages[-1], "the DSC read waited for the whole asset listing"


async def test_an_agent_asset_without_its_agent_plans_the_agent(quickstart: Project) -> None:
    sandbox = Sandbox(SandboxSettings(boarding_delay_s=0.0))
    await _apply(quickstart, sandbox)
    async with open_session(quickstart.config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        agent = next(a for a in live["insights_hub"].managed if a.startswith("insights_hub.agents.")
                     and a.count(".") == 2)
        agent_id = live["insights_hub"].managed[agent].server_id
        hub = session.hub
        assert hub is not None
        await hub.delete_agent(agent_id, (await hub.get_agent(agent_id))["eTag"])
        assert agent_id in {a["assetId"] for a in await hub.list_assets()}  # its asset stays
        plan, _ = await make_plan(session)  # the DSC read of the agent's asset answers 404
    by_address = {c.address: c.action for c in plan.changes}
    assert by_address[agent] is Action.CREATE
    assert by_address[f"{agent}.data_sources"] is Action.CREATE
