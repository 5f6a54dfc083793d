"""The plan's reads overlap: an agent's data source configuration is read as soon as its agent is
known (its agent asset, or an agent of a configured name, is listed), not after the whole asset
listing; an agent asset without an agent costs no error, and a same-named agent that is not the
stack's is read but not taken."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from provisioner.config import Project
from provisioner.model import Action
from provisioner.pipeline import ApplyOptions, apply_plan
from provisioner.sandbox import Sandbox, SandboxSettings
from provisioner.session import make_plan, open_session

HOLD = 0.3  # seconds an asset page without an agent is held back


class HoldingTransport(httpx.AsyncBaseTransport):
    """Passes requests to the sandbox; holds back each asset list page that lists no agent's
    asset (or every asset page, `hold_all`) and, with `hold_agents`, each agent list page; records
    when each request was sent and each answer released."""

    def __init__(self, inner: httpx.AsyncBaseTransport, *, hold_all: bool = False,
                 hold_agents: bool = True) -> None:
        self.inner = inner
        self.hold_all = hold_all
        self.hold_agents = hold_agents
        self.events: list[tuple[str, str]] = []  # ("sent" | "answered", path)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.events.append(("sent", path))
        response = await self.inner.handle_async_request(request)
        await response.aread()
        asset_page = path.endswith("/assetmanagement/v3/assets")
        if (asset_page and (self.hold_all or b"core.mclib" not in response.content)) or (
                self.hold_agents and path.endswith("/agentmanagement/v3/agents")):
            await asyncio.sleep(HOLD)
        self.events.append(("answered", path))
        return response


async def _apply(project: Project, sandbox: Sandbox) -> None:
    async with open_session(project.config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        report = await apply_plan(session, plan, ApplyOptions(allow_data_loss=True), live=live)
    assert report.ok


async def _foreign_agent_named_like_ours(project: Project, sandbox: Sandbox) -> str:
    """An agent (and core.mclib asset, without this stack's marker) named like a configured agent."""
    name = next(iter(project.config.insights_hub.agents.values())).name
    async with open_session(project.config, transport=sandbox.transport()) as session:
        hub = session.hub
        assert hub is not None
        root = (await hub.get_root_asset())["assetId"]
        asset = await hub.create_asset({"name": name, "typeId": "core.mclib", "parentId": root,
                                        "twinType": "performance"})
        await hub.create_agent({"name": name, "securityProfile": "SHARED_SECRET",
                                "entityId": asset["assetId"]})
    return str(asset["assetId"])


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


async def test_a_dsc_read_starts_from_the_agent_list_before_any_asset_page(quickstart: Project) -> None:
    sandbox = Sandbox(SandboxSettings(boarding_delay_s=0.0))
    await _apply(quickstart, sandbox)
    transport = HoldingTransport(sandbox.transport(), hold_all=True, hold_agents=False)
    async with open_session(quickstart.config, transport=transport) as session:
        plan, _ = await make_plan(session)
    assert plan.changes == ()
    first_asset_page = next(i for i, (e, p) in enumerate(transport.events)
                            if e == "answered" and p.endswith("/assets"))
    dsc_sent = [i for i, (e, p) in enumerate(transport.events)
                if e == "sent" and p.endswith("/dataSourceConfiguration")]
    assert len(dsc_sent) == len(quickstart.config.insights_hub.agents)  # each agent's DSC read once
    assert dsc_sent[0] < first_asset_page, "the DSC read waited for the asset pages"


async def test_a_same_named_agent_of_someone_else_is_read_but_not_taken(quickstart: Project) -> None:
    sandbox = Sandbox(SandboxSettings(boarding_delay_s=0.0))
    foreign = await _foreign_agent_named_like_ours(quickstart, sandbox)
    async with open_session(quickstart.config, transport=sandbox.transport()) as session:
        hub = session.hub
        assert hub is not None
        plan, live = await make_plan(session)
        assert hub.stats.calls["agm.dsc.get"] == 1  # read on the name, then dropped
    assert foreign in {u.server_id for u in live["insights_hub"].unmanaged}
    by_address = {c.address: c.action for c in plan.changes}
    agent = next(a for a in by_address if a.startswith("insights_hub.agents.") and a.count(".") == 2)
    assert by_address[agent] is Action.CREATE
    assert by_address[f"{agent}.data_sources"] is Action.CREATE


async def test_each_unchanged_object_is_noted_while_reading_and_truly(quickstart: Project) -> None:
    from provisioner.plan.diff import deep_diff
    from provisioner.session import read_live

    sandbox = Sandbox(SandboxSettings(boarding_delay_s=0.0))
    await _apply(quickstart, sandbox)
    async with open_session(quickstart.config, transport=sandbox.transport()) as session:
        live = await read_live(session)
        desired = {r.address: r for p in session.providers.values() for r in p.desired()}
    for state in live.values():
        assert set(state.unchanged) == set(state.managed)  # converged: the plan compares nothing again
        for address, (live_attrs, desired_attrs) in state.unchanged.items():
            assert live_attrs is state.managed[address].attrs and desired_attrs is desired[address].attrs
            assert deep_diff(live_attrs, desired_attrs) == ()


class FailingDsc(httpx.AsyncBaseTransport):
    """The sandbox, except that one agent's DSC read answers 403."""

    def __init__(self, inner: httpx.AsyncBaseTransport, agent_id: str) -> None:
        self.inner = inner
        self.agent_id = agent_id

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(f"/agents/{self.agent_id}/dataSourceConfiguration"):
            return httpx.Response(403, json={"id": "x", "message": "Forbidden"}, request=request)
        return await self.inner.handle_async_request(request)


async def test_a_failed_read_of_someone_elses_agent_does_not_fail_the_plan(quickstart: Project) -> None:
    from provisioner.errors import ApiError

    sandbox = Sandbox(SandboxSettings(boarding_delay_s=0.0))
    foreign = await _foreign_agent_named_like_ours(quickstart, sandbox)
    async with open_session(quickstart.config, transport=FailingDsc(sandbox.transport(), foreign)) as session:
        plan, _ = await make_plan(session)  # read on the name, failed, then found not to be ours
    assert any(c.address.endswith(".data_sources") and c.action is Action.CREATE for c in plan.changes)

    own = Sandbox(SandboxSettings(boarding_delay_s=0.0))
    await _apply(quickstart, own)
    async with open_session(quickstart.config, transport=own.transport()) as session:
        live = await session.providers["insights_hub"].read_live(session.providers["insights_hub"].desired())
    ours = next(r.server_id for r in live.managed.values() if r.kind == "insights_hub.agent")
    async with open_session(quickstart.config, transport=FailingDsc(own.transport(), ours)) as session:
        with pytest.raises(ApiError):
            await make_plan(session)  # this stack's agent: its DSC read must succeed
