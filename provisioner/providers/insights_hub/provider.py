"""`InsightsHubProvider`: one tenant and stack behind the vendor-neutral `Provider` seam."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from provisioner.model import Action, ApplyContext, Change, KindSpec, LiveResource, LiveState, Resource
from provisioner.providers.http.errors import NotFoundError
from provisioner.providers.insights_hub import kinds
from provisioner.providers.insights_hub.client import InsightsHubClient
from provisioner.providers.insights_hub.compare import prune_unset
from provisioner.providers.insights_hub.live import (
    Interpretation,
    Snapshot,
    classify_assets,
    etag_of,
    interpret,
    live_hash,
)
from provisioner.providers.insights_hub.operations import Operations

JSONDict = dict[str, Any]


class InsightsHubProvider:
    """Reads and changes one Insights Hub tenant for one stack."""

    platform = "insights_hub"

    def __init__(self, client: InsightsHubClient, *, tenant: str, stack: str,
                 resources: Sequence[Resource]) -> None:
        self.client = client
        self.tenant = tenant
        self.stack = stack
        self._resources = list(resources)
        self.ops = Operations(client, tenant=tenant, stack=stack)

    @property
    def kinds(self) -> Mapping[str, KindSpec]:
        return kinds.KINDS

    def desired(self) -> list[Resource]:
        return list(self._resources)

    async def read_live(self, desired: Sequence[Resource]) -> LiveState:
        """List types, assets, agents and all mappings; read each managed agent's DSC."""
        prefix = {"id": {"startsWith": f"{self.tenant}."}}

        async def assets_agents_dscs() -> tuple[list[JSONDict], list[JSONDict], dict[str, JSONDict],
                                                Interpretation]:
            """The DSC reads need only the assets and agents: they start while other lists load."""
            assets, agents = await asyncio.gather(self.client.list_assets(), self.client.list_agents())
            info = classify_assets(Snapshot(assets=assets), desired, self.stack)
            self.ops.set_root_id(info.root_id)
            agent_ids_live = {g["id"] for g in agents}
            agent_ids = [a for a in info.agent_address if a in agent_ids_live]
            dscs = await asyncio.gather(*(self.client.get_dsc(a) for a in agent_ids))
            return assets, agents, dict(zip(agent_ids, dscs, strict=True)), info

        aspect_types, asset_types, mappings, event_mappings, read = await asyncio.gather(
            self.client.list_aspect_types(filter=prefix),
            self.client.list_asset_types(filter=prefix),
            self.client.list_mappings(),
            self.client.list_event_mappings(),
            assets_agents_dscs(),
        )
        assets, agents, dscs, info = read
        snap = Snapshot(aspect_types, asset_types, assets, agents, mappings, event_mappings, dscs)
        state, _ = interpret(snap, desired, self.stack, info)
        wanted = {r.address: r for r in desired}
        for address, live in list(state.managed.items()):
            if address in wanted:
                pruned = prune_unset(live.attrs, wanted[address].attrs, live.kind)
                state.managed[address] = replace(live, attrs=pruned)
        state.api_calls = self.client.stats.total
        return state

    def annotate(self, changes: Sequence[Change], live: LiveState) -> list[Change]:
        """A DSC PUT deletes the agent's mappings created with keepMapping=false: say which."""
        result = []
        for change in changes:
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
        return result

    async def current_precondition(self, live: LiveResource) -> str | None:
        """Re-read one object's etag (or hash); None when it is gone."""
        sid = live.server_id
        try:
            if live.kind == kinds.ASPECT_TYPE:
                return etag_of(await self.client.get_aspect_type(sid))
            if live.kind == kinds.ASSET_TYPE:
                return etag_of(await self.client.get_asset_type(sid))
            if live.kind == kinds.ASSET:
                return etag_of(await self.client.get_asset(sid))
            if live.kind == kinds.AGENT:
                agent, asset = await asyncio.gather(self.client.get_agent(sid), self.client.get_asset(sid))
                return f"{etag_of(agent)}/{etag_of(asset)}"
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
