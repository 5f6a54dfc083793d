"""Removing an onboarded agent waits for the asynchronous offboarding (issue 11, vendor evidence:
mindconnect-nodejs test-agent-setup-utils.ts:216-221 offboards, waits, then retries the deletes).

The quickstart is applied to the in-process sandbox; then its agent is removed from the
configuration and applied through a client that plays a real tenant at the client seam: the
agent reports ONBOARDED, offboarding takes N status polls (OFFBOARDING), the agent asset keeps
its lock one poll longer, and deletes are refused until then.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from provisioner.apply.events import ApplyEvent, EventKind
from provisioner.config import Project, load_project
from provisioner.model import Action
from provisioner.pipeline import ApplyOptions, apply_plan
from provisioner.providers.http.errors import ApiValidationError
from provisioner.providers.insights_hub.client import InsightsHubClient
from provisioner.providers.insights_hub.provider import InsightsHubProvider
from provisioner.sandbox import Sandbox
from provisioner.session import make_plan, open_session

AGENT = "insights_hub.agents.acme-motor-agent"
LOCK = {"id": "l1", "service": "AgentManagement", "reasonCode": "agentmanagement.agent.onboarded",
        "reason": "any text: the engine never reads it"}


class SlowOffboarding:
    """An `InsightsHubClient` whose agents are onboarded and offboard asynchronously.

    `polls` status reads answer OFFBOARDING after the offboard (None: forever); the agent's asset
    stays locked for one more read after that. Deletes while busy are refused (400) and counted.
    """

    def __init__(self, inner: InsightsHubClient, polls: int | None) -> None:
        self.inner, self.polls = inner, polls
        self.left: int | None = None  # status polls until OFFBOARDED, once offboarding started
        self.lock_reads = 1
        self.status_reads = 0
        self.refused: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def _offboarded(self) -> bool:
        return self.left is not None and self.left <= 0 and self.polls is not None

    async def get_boarding_status(self, agent_id: str) -> dict[str, Any]:
        self.status_reads += 1
        if self.left is None:
            return {"status": "ONBOARDED"}
        if self._offboarded():
            return {"status": "OFFBOARDED"}
        self.left -= 1
        return {"status": "OFFBOARDING"}

    async def offboard(self, agent_id: str) -> dict[str, Any]:
        self.left = self.polls if self.polls is not None else 1
        return {"status": "OFFBOARDING"}

    def _locked(self) -> bool:
        return not self._offboarded() or self.lock_reads > 0

    async def get_asset(self, asset_id: str) -> dict[str, Any]:
        asset = await self.inner.get_asset(asset_id)
        if self.left is not None and asset["typeId"] == "core.mclib" and self._locked():
            if self._offboarded():
                self.lock_reads -= 1
            return {**asset, "locks": [LOCK]}
        return asset

    async def delete_agent(self, agent_id: str, etag: str) -> None:
        if not self._offboarded():
            self.refused.append("agent")
            raise ApiValidationError("agent is onboarded", status=400)
        await self.inner.delete_agent(agent_id, etag)

    async def delete_asset(self, asset_id: str, etag: int | str) -> None:
        asset = await self.inner.get_asset(asset_id)
        if asset["typeId"] == "core.mclib" and self._locked():
            self.refused.append("asset")
            raise ApiValidationError("asset locked", status=400)
        await self.inner.delete_asset(asset_id, etag)


def without_agents(project: Project) -> Project:
    path = Path(project.root) / "insights-hub.yaml"
    text = path.read_text()
    path.write_text(text[: text.index("  agents:")])
    return load_project(Path(project.root))


async def remove_agent(quickstart: Project, sandbox: Sandbox, polls: int | None,
                       wait: float) -> tuple[SlowOffboarding, Any, list[ApplyEvent]]:
    async with open_session(quickstart.config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        assert (await apply_plan(session, plan, ApplyOptions(), live=live)).ok
    edited = without_agents(quickstart)
    events: list[ApplyEvent] = []
    async with open_session(edited.config, transport=sandbox.transport()) as session:
        assert session.hub is not None
        old = session.providers["insights_hub"]
        assert isinstance(old, InsightsHubProvider)
        fake = SlowOffboarding(session.hub, polls)
        session.providers["insights_hub"] = InsightsHubProvider(
            fake, tenant=old.tenant, stack=old.stack, resources=old.desired(),  # type: ignore[arg-type]
            offboard_wait=wait)
        plan, live = await make_plan(session)
        assert (Action.DELETE, AGENT) in {(c.action, c.address) for c in plan.changes}
        report = await apply_plan(session, plan, ApplyOptions(force=True, allow_data_loss=True), live=live,
                                  on_event=events.append)
    return fake, report, events


async def test_agent_delete_waits_for_offboarding_and_the_asset_lock(quickstart: Project,
                                                                       sandbox: Sandbox) -> None:
    fake, report, events = await remove_agent(quickstart, sandbox, polls=3, wait=30.0)

    assert report.ok, report.failed
    assert fake.refused == []  # nothing was deleted before the offboarding finished
    # before the offboard, 3 x OFFBOARDING, OFFBOARDED but locked, OFFBOARDED and unlocked
    assert fake.status_reads == 1 + 3 + 1 + 1
    waiting = [e for e in events if e.kind is EventKind.WAITING]
    assert [e.node.address for e in waiting] == [AGENT] * 4
    assert "boarding status OFFBOARDING" in (waiting[0].detail or "")
    assert "asset locked (agentmanagement.agent.onboarded)" in (waiting[-1].detail or "")
    hub = sandbox.snapshot()["insightsHub"]
    assert hub["agents"] == []
    assert not [a for a in hub["assets"] if a["typeId"] == "core.mclib" and not a.get("deleted")]


async def test_offboarding_that_never_finishes_fails_within_the_bound(quickstart: Project,
                                                                        sandbox: Sandbox) -> None:
    fake, report, events = await remove_agent(quickstart, sandbox, polls=None, wait=1.0)

    assert AGENT in report.failed
    assert "offboarding did not finish within 1s (still boarding status OFFBOARDING)" in report.failed[AGENT]
    assert "nothing was deleted" in report.failed[AGENT]
    assert fake.refused == []
    assert [e.kind for e in events if e.node.address == AGENT][-1] is EventKind.FAILED
    assert len(sandbox.snapshot()["insightsHub"]["agents"]) == 1  # still there, for a later apply


async def test_a_never_onboarded_agent_is_deleted_without_waiting(quickstart: Project,
                                                                   sandbox: Sandbox) -> None:
    async with open_session(quickstart.config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        assert (await apply_plan(session, plan, ApplyOptions(), live=live)).ok
    edited = without_agents(quickstart)
    events: list[ApplyEvent] = []
    async with open_session(edited.config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        report = await apply_plan(session, plan, ApplyOptions(force=True, allow_data_loss=True), live=live,
                                  on_event=events.append)
    assert report.ok and not [e for e in events if e.kind is EventKind.WAITING]
    assert sandbox.snapshot()["insightsHub"]["agents"] == []


async def test_removing_an_onboarded_agent_deletes_it(quickstart: Project, sandbox: Sandbox) -> None:
    """Against the sandbox itself: the agent registers with its initial access token (as the
    device would), its asset gets the onboarding lock, and removing it from the configuration
    offboards, waits until offboarded and unlocked, then deletes agent and asset. Written for any
    offboarding time below the 60 s bound (the faithful sandbox makes it asynchronous)."""
    async with open_session(quickstart.config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        assert (await apply_plan(session, plan, ApplyOptions(), live=live)).ok
        _, live = await make_plan(session)
        agent_id = live["insights_hub"].managed[AGENT].server_id
        assert session.hub is not None
        iat = (await session.hub.get_boarding_configuration(agent_id))["content"]["iat"]
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=sandbox.settings.base_url) as device:
        registered = await device.post("/api/agentmanagement/v3/register", json={},
                                       headers={"Authorization": f"Bearer {iat}"})
        assert registered.status_code == 201
    locked = next(a for a in sandbox.snapshot()["insightsHub"]["assets"] if a["assetId"] == agent_id)
    assert locked["locks"]  # deleting it now would be refused

    edited = without_agents(quickstart)
    async with open_session(edited.config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        report = await apply_plan(session, plan, ApplyOptions(force=True, allow_data_loss=True), live=live)
        assert report.ok, report.failed
        plan, _ = await make_plan(session)
        assert not plan.has_changes, [c.address for c in plan.changes]
    hub = sandbox.snapshot()["insightsHub"]
    assert hub["agents"] == []
    assert agent_id not in {a["assetId"] for a in hub["assets"] if not a.get("deleted")}
