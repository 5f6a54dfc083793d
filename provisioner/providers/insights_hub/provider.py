"""`InsightsHubProvider`: one tenant and stack behind the vendor-neutral `Provider` seam."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from provisioner.errors import ProvisionError
from provisioner.model import Action, ApplyContext, Change, KindSpec, LiveResource, LiveState, Resource
from provisioner.model.compare import note_unchanged_steps
from provisioner.providers.cooperative import run_all, run_sliced
from provisioner.providers.http.errors import NotFoundError
from provisioner.providers.insights_hub import kinds
from provisioner.providers.insights_hub.client import InsightsHubClient
from provisioner.providers.insights_hub.compare import prune_unset
from provisioner.providers.insights_hub.data_loss import Context as LossContext
from provisioner.providers.insights_hub.data_loss import Usage, losses_of
from provisioner.providers.insights_hub.lease import FREE, Observation, StackLease, lease_stamp
from provisioner.providers.insights_hub.live import (
    AGENT_PREFIX,
    Interpretation,
    Snapshot,
    add_data_sources,
    asset_address,
    classify_assets,
    etag_of,
    interpret_steps,
    is_deleted,
    is_root_asset,
    live_assets,
    live_hash,
    pinned_addresses,
    unmanaged_lookalikes,
)
from provisioner.providers.insights_hub.operations import Operations
from provisioner.providers.lifecycle import moved_addresses
from provisioner.providers.lookalikes import Lookalikes, flag_duplicates, flag_unmanaged_children

JSONDict = dict[str, Any]


def _prune_steps(state: LiveState, addresses: Sequence[str],
                 wanted: Mapping[str, Resource]) -> Iterator[None]:
    """Drop from those live resources the fields their desired counterparts leave unset, then note
    the ones already equal to them (`note_unchanged_steps`)."""
    for address in addresses:
        live, want = state.managed[address], wanted.get(address)
        if want is not None:
            attrs = prune_unset(live.attrs, want.attrs, live.kind)
            if attrs is not live.attrs:
                state.managed[address] = replace(live, attrs=attrs)
        yield
    yield from note_unchanged_steps(state, wanted, addresses)


class InsightsHubProvider:
    """Reads and changes one Insights Hub tenant for one stack."""

    platform = "insights_hub"

    def __init__(self, client: InsightsHubClient, *, tenant: str, stack: str,
                 resources: Sequence[Resource], lease: StackLease | None = None,
                 offboard_wait: float = 60.0, type_ids: Mapping[str, str] | None = None) -> None:
        """`type_ids`: the ids moved types keep (`desired.moved_type_ids`)."""
        self.client = client
        self.tenant = tenant
        self.stack = stack
        self._resources = list(resources)
        self.lease = lease or StackLease(client, tenant=tenant, stack=stack)
        self.ops = Operations(client, tenant=tenant, stack=stack, lease=self.lease,
                              offboard_wait=offboard_wait, type_ids=type_ids)
        self._observed: Observation | None = None  # the lease where the last read began
        self.usage = Usage()  # which live assets use which types: what a type change destroys
        self.lookalikes = Lookalikes()  # unmanaged assets and agents by (kind, name, parent id)
        self._root_id: str | None = None

    async def acquire_lease(self, *, plan_read_here: bool) -> None:
        """Take the stack's lease (`LeaseHeldError` after a bounded wait). Creates skip the lookup
        before each write only when the plan was read here and no other apply of the stack has
        taken the lease since that read began: then nothing the read missed can exist."""
        if self.lease.held:
            await self.lease.acquire()
            return
        taken = await self.lease.acquire(self._observed if plan_read_here else None)
        self.ops.guarded = not taken.since_observed

    async def release_lease(self) -> None:
        """Give the stack's lease back; creates look before they write again."""
        await self.lease.release()
        if not self.lease.held:
            self.ops.guarded = True

    def set_lock_timeout(self, seconds: float, notify: Callable[[str], None] | None = None) -> None:
        """Wait at most `seconds` for another apply's lease (`apply --lock-timeout`), telling
        `notify` when a wait begins."""
        self.lease.wait = seconds
        self.lease.on_wait = notify

    async def unlock(self, *, force: bool) -> str | None:
        """Free the stack's lease (`provision unlock`); who held it and until when, None if free."""
        state = await self.lease.unlock(force=force)
        if state.holder == FREE:
            return None
        return f"{state.holder} (lease until {lease_stamp(state.until)})"

    @property
    def kinds(self) -> Mapping[str, KindSpec]:
        return kinds.KINDS

    def desired(self) -> list[Resource]:
        return list(self._resources)

    async def read_live(self, desired: Sequence[Resource]) -> LiveState:
        """List types, assets, agents and all mappings; read each managed agent's DSC.

        The DSC reads (one per agent: there is no list endpoint) are most of the calls, so each
        starts as soon as its agent is known, while the other lists still load: when its agent
        asset (whose marker says it is this stack's) is listed, or earlier, when an agent with
        the name of a configured agent is listed (agent id = asset id). A DSC read of an agent that
        turns out not to be this stack's is dropped (one extra call in that rare case).

        The stack's lease is looked at first (one call, answered before any list is sent), so an
        apply of this plan can tell whether another apply wrote since (`acquire_lease`).
        """
        observed = await self.lease.observe()
        prefix = {"id": {"startsWith": f"{self.tenant}."}}
        pinned = pinned_addresses(desired)
        moved = moved_addresses(desired)
        agent_names = {r.attrs.get("name") for r in desired if r.kind == kinds.AGENT}
        dsc_reads: dict[str, asyncio.Task[JSONDict | None]] = {}

        def start_dsc_read(agent_id: str) -> None:
            if agent_id not in dsc_reads:
                dsc_reads[agent_id] = asyncio.ensure_future(self._dsc_or_none(agent_id))

        def dsc_reads_of_assets(page: list[JSONDict]) -> None:
            for asset in live_assets(page):
                address = None if is_root_asset(asset) else asset_address(asset, self.stack, pinned, moved)
                if address is not None and address.startswith(AGENT_PREFIX):
                    start_dsc_read(asset["assetId"])

        def dsc_reads_of_agents(page: list[JSONDict]) -> None:
            for agent in page:
                if agent.get("name") in agent_names and isinstance(agent.get("id"), str):
                    start_dsc_read(agent["id"])

        try:
            aspect_types, asset_types, assets, agents, mappings, event_mappings = await asyncio.gather(
                self.client.list_aspect_types(filter=prefix),
                self.client.list_asset_types(filter=prefix),
                self.client.list_assets(on_page=dsc_reads_of_assets),
                self.client.list_agents(on_page=dsc_reads_of_agents),
                self.client.list_mappings(),
                self.client.list_event_mappings(),
            )
            assets = live_assets(assets)
            self.usage = Usage.of(asset_types, assets)
            info = classify_assets(Snapshot(assets=assets), desired, self.stack)
            self.ops.set_root_id(info.root_id)
            self._root_id = info.root_id
            self.lookalikes = unmanaged_lookalikes(assets, agents, info)
            snap = Snapshot(aspect_types, asset_types, assets, agents, mappings, event_mappings)
            # Interpreting thousands of objects takes a while: in slices, while the DSC reads in
            # flight are answered and followed by the next ones.
            state = LiveState()
            wanted = {r.address: r for r in desired}
            await run_sliced(self._interpret_steps(snap, wanted, info, state))
            if info.problems:
                raise ProvisionError("\n".join(["the configuration's types cannot be planned:",
                                                 *(f"  {p}" for p in info.problems)]))
            answers = await asyncio.gather(*dsc_reads.values(), return_exceptions=True)
        except BaseException:
            for task in dsc_reads.values():
                task.cancel()
            await asyncio.gather(*dsc_reads.values(), return_exceptions=True)
            raise
        found: dict[str, JSONDict] = {}
        for agent_id, answer in zip(dsc_reads, answers, strict=True):
            if isinstance(answer, BaseException):
                if agent_id in info.agent_address or not isinstance(answer, Exception):
                    raise answer  # this stack's agent (or a cancellation): the read must succeed
                continue  # read on a name alone, and not this stack's agent: it does not matter
            if answer is not None:
                found[agent_id] = answer
        run_all(_prune_steps(state, add_data_sources(state, info, found), wanted))
        state.api_calls = self.client.stats.total
        lease = kinds.LEASE_CALLS_NEW if observed.etag is None else kinds.LEASE_CALLS_EXISTING
        state.overhead_calls = dict(lease)
        self._observed = observed
        self.ops.note_agent_assets({address: asset_id for asset_id, address in info.agent_address.items()
                                    if address not in state.managed})
        return state

    def _interpret_steps(self, snap: Snapshot, wanted: Mapping[str, Resource], info: Interpretation,
                         state: LiveState) -> Iterator[None]:
        """Everything but the DSCs into `state`, then the fields the configuration leaves unset
        pruned and the unchanged ones noted; one step per object."""
        yield from interpret_steps(snap, wanted, self.stack, info, state)
        yield from _prune_steps(state, list(state.managed), wanted)

    async def _dsc_or_none(self, agent_id: str) -> JSONDict | None:
        """The agent's DSC; None when the agent does not exist (its asset may, without it)."""
        try:
            return await self.client.get_dsc(agent_id)
        except NotFoundError:
            return None

    def annotate(self, changes: Sequence[Change], live: LiveState) -> list[Change]:
        """A DSC PUT deletes the agent's mappings created with keepMapping=false: say which. Every
        change that destroys stored data names what it destroys (`data_loss`); a create of an asset
        or agent with the name and parent of an unmanaged one is marked `duplicate_of` it."""
        result = []
        context = LossContext.of(self.usage, self._resources, live)
        for change in changes:
            lost_data = losses_of(change, context)
            if lost_data:
                change = replace(change, data_loss=(*change.data_loss, *lost_data), data_destructive=True)
            if change.kind == kinds.DATA_SOURCES and change.action is not Action.DELETE:
                agent = change.address.rsplit(".", 1)[0]
                lost = sorted(a for a, r in live.managed.items()
                              if r.kind == kinds.MAPPING and a.startswith(f"{agent}.mappings.")
                              and not r.attrs.get("keep_mapping"))
                if lost:
                    effect = (f"the service deletes {len(lost)} mapping(s) created with keepMapping=false; "
                              f"they are re-created: {', '.join(lost)}")
                    change = replace(change, side_effects=(*change.side_effects, effect))
            result.append(change)

        def parent_of(change: Change) -> str | None:
            parent = str((change.after or {}).get("parent") or "root")
            if parent == "root":
                return self._root_id
            if parent.startswith("id:"):
                return parent[3:]
            found = live.managed.get(parent)
            return found.server_id if found is not None else None

        # the service refuses to delete an asset with children (vendor delete guard): no cascade
        flagged = flag_duplicates(result, self.lookalikes, parent_of)
        return flag_unmanaged_children(flagged, self.lookalikes, cascades=False)

    async def current_precondition(self, live: LiveResource) -> str | None:
        """Re-read one object's etag (or hash); None when it is gone."""
        sid = live.server_id
        try:
            if live.kind == kinds.ASPECT_TYPE:
                return etag_of(await self.client.get_aspect_type(sid))
            if live.kind == kinds.ASSET_TYPE:
                return etag_of(await self.client.get_asset_type(sid))
            if live.kind == kinds.ASSET:
                asset = await self.client.get_asset(sid)
                return None if is_deleted(asset) else etag_of(asset)
            if live.kind == kinds.AGENT:
                agent, asset = await asyncio.gather(self.client.get_agent(sid), self.client.get_asset(sid))
                return None if is_deleted(asset) else f"{etag_of(agent)}/{etag_of(asset)}"
            if live.kind == kinds.DATA_SOURCES:
                dsc = await self.client.get_dsc(sid)
                return etag_of(dsc) if dsc.get("configurationId") and dsc.get("dataSources") else None
            if live.kind == kinds.MAPPING:
                return live_hash(await self.client.get_mapping(sid))
            return etag_of(await self.client.get_event_mapping(sid))
        except NotFoundError:
            return None

    async def apply(self, change: Change, ctx: ApplyContext) -> str | None:
        return await self.ops.apply(change, ctx)

    async def aclose(self) -> None:
        await self.client.aclose()
